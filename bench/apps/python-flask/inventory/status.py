"""Health and an optional upstream check with requests."""

import os
import socket

import requests
from flask import Blueprint, jsonify

status = Blueprint("status", __name__)
UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "")


@status.get("/health")
def health():
    return jsonify(status="ok", host=socket.gethostname(), uid=os.getuid())


@status.get("/upstream")
def upstream():
    if not UPSTREAM_URL:
        return jsonify(configured=False)
    response = requests.get(UPSTREAM_URL, timeout=3)
    return jsonify(configured=True, status=response.status_code)
