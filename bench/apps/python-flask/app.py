"""Bench sample: a small Flask inventory API served by gunicorn (see bench/build.py)."""

from flask import Flask, jsonify

from inventory.items import items
from inventory.status import status

app = Flask(__name__)
app.register_blueprint(items, url_prefix="/items")
app.register_blueprint(status)


@app.get("/")
def index():
    return jsonify(app="bench-python-flask")
