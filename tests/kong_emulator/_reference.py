"""Kong's published schemas, and request-body validation against them.

Every request body is checked against the ``requestBody`` schema of the matching operation in
``kong-admin-api-oss.yaml`` (OpenAPI 3.0: ``nullable`` is translated, ``$ref``s are resolved). Where the
published spec is wrong or silent, the emulator follows what Kong does and says so here:

* ERRATUM plugin ``route``/``service``/``consumer``: the spec types them as strings; Kong takes foreign
  keys as ``{"id": ...}`` (or ``{"name": ...}``) objects and refuses strings. The object form is used.
* ERRATUM ``/services/{service_id_or_name}plugins`` (missing ``/``) is served as ``.../plugins``.
* ERRATUM PATCH reuses the create schema; its ``required`` list is ignored (PATCH is a partial update).
* Credentials (``/consumers/{c}/key-auth``, ``jwt``, ``basic-auth``, ``acls``) and ``POST /config`` are
  not in the OSS spec: they are validated against ``kong_json_schema.json`` (KeyAuth, JWTAuth, BasicAuth,
  ACLGroup, and the whole declarative document).

Each schema is compiled once into a ``jsonschema_rs`` Draft 4 validator that decides validity (the
schemas use no ``format`` or ``pattern`` keyword, so formats off gives the same verdicts as
``jsonschema``); only a refused body is walked again by ``jsonschema`` for Kong-shaped field errors.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft4Validator

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "kong"
ADMIN_SPEC = REFERENCE_DIR / "kong-admin-api-oss.yaml"
DECK_SCHEMA = REFERENCE_DIR / "kong_json_schema.json"

_FOREIGN_KEY = {
    "type": ["object", "null"],
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    "additionalProperties": False,
}
_PATH_ALIASES = {"/services/{service_id_or_name}plugins": "/services/{service_id_or_name}/plugins"}
_CREDENTIAL_DEFINITIONS = {
    "key-auth": "KeyAuth",
    "jwt": "JWTAuth",
    "basic-auth": "BasicAuth",
    "acl": "ACLGroup",
}


@functools.cache
def admin_spec() -> dict[str, Any]:
    with ADMIN_SPEC.open(encoding="utf-8") as handle:
        # libyaml when present: the spec is large and every emulator process loads it.
        data: dict[str, Any] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return data


@functools.cache
def deck_schema() -> dict[str, Any]:
    with DECK_SCHEMA.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _resolve(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline local ``$ref``s and turn OpenAPI 3.0 ``nullable`` into a JSON-schema type list."""
    if isinstance(node, list):
        return [_resolve(n, root, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return {}
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return _resolve(target, root, (*seen, ref))
    out = {k: _resolve(v, root, seen) for k, v in node.items() if not k.startswith("x-") and k != "example"}
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@functools.cache
def _operations() -> dict[tuple[str, int], list[tuple[re.Pattern[str], int, str]]]:
    """(regex, literal segment count, template) of every operation with a request body, by method and
    segment count (a request is matched only against templates of its own length)."""
    spec = admin_spec()
    ops: dict[tuple[str, int], list[tuple[re.Pattern[str], int, str]]] = {}
    for template, item in spec["paths"].items():
        served = _PATH_ALIASES.get(template, template)
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(served)) + "$")
        segments = [seg for seg in served.split("/") if seg]
        literals = sum(1 for seg in segments if "{" not in seg)
        for method, op in item.items():
            if isinstance(op, dict) and "requestBody" in op:
                ops.setdefault((method, len(segments)), []).append((regex, literals, template))
    return ops


@functools.cache
def _body_schema(template: str, method: str) -> dict[str, Any]:
    spec = admin_spec()
    body = _resolve(spec["paths"][template][method]["requestBody"], spec)
    schema: dict[str, Any] = copy.deepcopy(body["content"]["application/json"]["schema"])
    props = schema.get("properties", {})
    if "config" in props and "name" in props and "instance_name" in props:  # the plugin body
        for key in ("route", "service", "consumer"):
            props[key] = _FOREIGN_KEY
    if method == "patch":
        schema.pop("required", None)
    return schema


def operation_for(method: str, path: str) -> tuple[str, str] | None:
    """The spec operation (template, method) whose path template matches, most literal first."""
    method = method.lower()
    candidates = _operations().get((method, sum(1 for seg in path.split("/") if seg)), [])
    matches = [(lit, tpl) for regex, lit, tpl in candidates if regex.match(path)]
    if not matches:
        return None
    return max(matches)[1], method


@dataclass(frozen=True)
class _Validator:
    fast: Any  # jsonschema_rs.Draft4Validator: the verdict
    detailed: Draft4Validator  # the errors of a refused body

    @classmethod
    def of(cls, schema: dict[str, Any]) -> _Validator:
        return cls(jsonschema_rs.Draft4Validator(schema, validate_formats=False), Draft4Validator(schema))


@functools.cache
def _spec_validator(template: str, method: str) -> _Validator:
    return _Validator.of(_body_schema(template, method))


@functools.cache
def _deck_validator(definition: str | None, *, partial: bool = False) -> _Validator:
    root = deck_schema()
    if definition is None:
        return _Validator.of(root)
    schema = {**root["definitions"][definition], "definitions": root["definitions"]}
    if partial:  # PATCH
        schema.pop("required", None)
    return _Validator.of(schema)


def _errors_to_fields(errors: list[Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for error in errors:
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", error.message)
            path = [*path, *(missing[:1] or ["@entity"])]
            message = "required field missing"
        elif error.validator == "additionalProperties":
            extra = re.findall(r"'([^']+)'", error.message)
            path = [*path, *(extra[:1] or ["@entity"])]
            message = "unknown field"
        else:
            message = error.message
        node = fields
        for part in path[:-1] or []:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {"@entity": child}
            node = child
        node[path[-1] if path else "@entity"] = message
    return fields


def validate_body(method: str, path: str, body: Any) -> dict[str, Any] | None:
    """Schema errors of ``body`` as Kong's nested ``fields``, or None when valid or not described."""
    op = operation_for(method, path)
    if op is not None:
        validator = _spec_validator(*op)
    else:
        credential = re.match(r"^/consumers/[^/]+/(key-auth|jwt|basic-auth|acl)s?(/[^/]+)?$", path)
        if credential and method.upper() in ("POST", "PUT", "PATCH"):
            definition = _CREDENTIAL_DEFINITIONS[credential.group(1)]
            validator = _deck_validator(definition, partial=method.upper() == "PATCH")
        elif path == "/config" and method.upper() == "POST":
            validator = _deck_validator(None)
        else:
            return None
    if validator.fast.is_valid(body):
        return None
    errors = sorted(validator.detailed.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:  # the two libraries disagree: refuse rather than be laxer than either
        return {"@entity": [str(e) for e in validator.fast.iter_errors(body)]}
    return _errors_to_fields(errors)
