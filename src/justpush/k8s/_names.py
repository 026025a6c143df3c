"""Stable DNS-1123 names and the ownership labels every object carries."""

from __future__ import annotations

import hashlib
import re

from justpush.errors import GenerationError

UPLOAD_LABEL = "justpush.io/upload-id"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "justpush"
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
VERSION_LABEL = "app.kubernetes.io/version"

# Leaves room for the longest suffix ("-secret") within the 63 characters of a DNS-1123 label.
_BASE_MAX = 55
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def slug(text: str) -> str:
    """Lower-case alphanumerics and single dashes, no leading or trailing dash."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def base_name(upload_id: str, app_name: str) -> str:
    """`<app>-<upload>`, hash-shortened when too long; starts with a letter (DNS-1035, for Services)."""
    app = slug(app_name) or "app"
    upload = slug(upload_id)
    if not upload:
        raise GenerationError(f"upload id {upload_id!r} has no usable characters for a Kubernetes name")
    name = f"{app}-{upload}"
    if not name[0].isalpha():
        name = f"app-{name}"
    if len(name) <= _BASE_MAX:
        return name
    digest = hashlib.sha256(f"{upload_id}\0{app_name}".encode()).hexdigest()[:8]
    return f"{name[: _BASE_MAX - len(digest) - 1].rstrip('-')}-{digest}"


def check_label_value(key: str, value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise GenerationError(f"label {key}={value!r} is not a valid Kubernetes label value")
    return value


def upload_selector(upload_id: str) -> dict[str, str]:
    return {UPLOAD_LABEL: check_label_value(UPLOAD_LABEL, upload_id)}


def version_label(image: str) -> str:
    """A label-safe version from the image: the digest's first 12 hex digits, else the tag, else "latest"."""
    if "@" in image:
        digest = image.rsplit("@", 1)[1]
        return digest.split(":", 1)[-1][:12]
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        tag = re.sub(r"[^A-Za-z0-9_.-]", "-", last.split(":", 1)[1])[:63].strip("-_.")
        if tag:
            return tag
    return "latest"
