"""In-memory Kong entities with Kong's own rules: defaults, uniqueness, foreign keys, cascades.

Errors are raised as ``KongApiError`` carrying the exact status and body Kong would answer with.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NAME_RE = re.compile(r"^[\w.~-]+$", re.UNICODE)
_CAPTURE_RE = re.compile(r"\(\?<([^>=!]*)>")
_CAPTURE_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
ROUTE_PROTOCOLS = {"http", "https", "grpc", "grpcs", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss"}
SERVICE_PROTOCOLS = ROUTE_PROTOCOLS
HTTP_METHOD_RE = re.compile(r"^[A-Z]+$")


class KongApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def not_found() -> KongApiError:
    return KongApiError(404, {"message": "Not found"})


def schema_violation(fields: dict[str, Any]) -> KongApiError:
    flat = _flatten(fields)
    if len(flat) == 1:
        message = f"schema violation ({flat[0]})"
    else:
        message = f"{len(flat)} schema violations ({'; '.join(flat)})"
    return KongApiError(400, {"code": 2, "name": "schema violation", "message": message, "fields": fields})


def _flatten(fields: Any, prefix: str = "") -> list[str]:
    if isinstance(fields, dict):
        out: list[str] = []
        for key in sorted(fields, key=str):
            out.extend(_flatten(fields[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(fields, list):
        return [m for i, v in enumerate(fields) if v is not None for m in _flatten(v, f"{prefix}.{i + 1}")]
    return [f"{prefix}: {fields}"]


# Plugin name → config field → default. Unknown fields are refused, as Kong does.
PLUGIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "key-auth": {
        "key_names": ["apikey"],
        "hide_credentials": False,
        "anonymous": None,
        "key_in_header": True,
        "key_in_query": True,
        "key_in_body": False,
        "run_on_preflight": True,
        "realm": None,
    },
    "jwt": {
        "uri_param_names": ["jwt"],
        "cookie_names": [],
        "key_claim_name": "iss",
        "secret_is_base64": False,
        "claims_to_verify": None,
        "anonymous": None,
        "run_on_preflight": True,
        "maximum_expiration": 0,
        "header_names": ["authorization"],
        "realm": None,
    },
    "basic-auth": {"anonymous": None, "hide_credentials": False, "realm": "service"},
    "rate-limiting": {
        "second": None,
        "minute": None,
        "hour": None,
        "day": None,
        "month": None,
        "year": None,
        "limit_by": "consumer",
        "header_name": None,
        "path": None,
        "policy": "local",
        "fault_tolerant": True,
        "hide_client_headers": False,
        "error_code": 429,
        "error_message": "API rate limit exceeded",
        "sync_rate": -1,
        "redis": None,
    },
    "cors": {
        "origins": None,
        "headers": None,
        "exposed_headers": None,
        "methods": ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"],
        "max_age": None,
        "credentials": False,
        "private_network": False,
        "preflight_continue": False,
    },
    "request-transformer": {
        "http_method": None,
        **{k: {"headers": [], "querystring": [], "body": []} for k in ("remove", "rename", "add", "append")},
        "replace": {"headers": [], "querystring": [], "body": [], "uri": None},
    },
    "response-transformer": {
        k: {"headers": [], "json": [], "json_types": []}
        for k in ("remove", "rename", "replace", "add", "append")
    },
    "request-termination": {
        "status_code": 503,
        "message": None,
        "content_type": None,
        "body": None,
        "echo": False,
        "trigger": None,
    },
    "acl": {
        "allow": None,
        "deny": None,
        "hide_groups_header": False,
        "include_consumer_groups": False,
        "always_use_authenticated_groups": False,
    },
}
ENTERPRISE_PLUGINS = {"openid-connect": {"issuer": None}}


@dataclass(frozen=True)
class EntityType:
    collection: str
    endpoint_key: str | None
    unique: tuple[tuple[str, ...], ...]
    foreign: dict[str, str]
    defaults: dict[str, Any]
    # collection → foreign-key field of children deleted along with this entity
    cascade: dict[str, str] = field(default_factory=dict)
    # collection → field of children that block deletion
    restrict: dict[str, str] = field(default_factory=dict)


TYPES: dict[str, EntityType] = {
    "services": EntityType(
        "services",
        "name",
        (("name",),),
        {},
        {
            "name": None,
            "protocol": "http",
            "host": None,
            "port": 80,
            "path": None,
            "retries": 5,
            "connect_timeout": 60000,
            "write_timeout": 60000,
            "read_timeout": 60000,
            "tags": None,
            "client_certificate": None,
            "tls_verify": None,
            "tls_verify_depth": None,
            "ca_certificates": None,
            "enabled": True,
        },
        cascade={"plugins": "service"},
        restrict={"routes": "service"},
    ),
    "routes": EntityType(
        "routes",
        "name",
        (("name",),),
        {"service": "services"},
        {
            "name": None,
            "protocols": ["http", "https"],
            "methods": None,
            "hosts": None,
            "paths": None,
            "headers": None,
            "https_redirect_status_code": 426,
            "regex_priority": 0,
            "strip_path": True,
            "path_handling": "v0",
            "preserve_host": False,
            "request_buffering": True,
            "response_buffering": True,
            "snis": None,
            "sources": None,
            "destinations": None,
            "tags": None,
            "service": None,
        },
        cascade={"plugins": "route"},
    ),
    "consumers": EntityType(
        "consumers",
        "username",
        (("username",), ("custom_id",)),
        {},
        {"username": None, "custom_id": None, "tags": None},
        cascade={
            "plugins": "consumer",
            "key-auths": "consumer",
            "jwts": "consumer",
            "basic-auths": "consumer",
            "acls": "consumer",
        },
    ),
    "plugins": EntityType(
        "plugins",
        None,
        (("name", "route", "service", "consumer"),),
        {"route": "routes", "service": "services", "consumer": "consumers"},
        {
            "name": None,
            "config": {},
            "enabled": True,
            "protocols": ["grpc", "grpcs", "http", "https"],
            "route": None,
            "service": None,
            "consumer": None,
            "instance_name": None,
            "tags": None,
            "ordering": None,
        },
    ),
    "key-auths": EntityType(
        "key-auths",
        "key",
        (("key",),),
        {"consumer": "consumers"},
        {"key": None, "consumer": None, "tags": None, "ttl": None},
    ),
    "jwts": EntityType(
        "jwts",
        "key",
        (("key",),),
        {"consumer": "consumers"},
        {
            "key": None,
            "secret": None,
            "algorithm": "HS256",
            "rsa_public_key": None,
            "consumer": None,
            "tags": None,
        },
    ),
    "basic-auths": EntityType(
        "basic-auths",
        "username",
        (("username",),),
        {"consumer": "consumers"},
        {"username": None, "password": None, "consumer": None, "tags": None},
    ),
    # Kong's acl DAO: endpoint_key "group", cache_key (consumer, group).
    "acls": EntityType(
        "acls",
        "group",
        (("consumer", "group"),),
        {"consumer": "consumers"},
        {"group": None, "consumer": None, "tags": None},
    ),
}


def kong_regex_to_python(path: str) -> str:
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", path)


class Store:
    """All entities by collection and id; ``enterprise`` enables Enterprise-only plugins."""

    def __init__(self, *, enterprise: bool = False) -> None:
        self.entities: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in TYPES}
        self.plugins = {**PLUGIN_DEFAULTS, **(ENTERPRISE_PLUGINS if enterprise else {})}
        self._clock = 0
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple[Any, ...], str]] = {}

    # ---------------------------------------------------------------- lookups
    def find(
        self, collection: str, id_or_key: str, *, parent: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        """By id, or by endpoint key; ``parent`` (fk, id) scopes keys unique only per parent (acl groups)."""
        entities = self.entities[collection]
        if UUID_RE.match(id_or_key):
            return entities.get(id_or_key.lower())
        key = TYPES[collection].endpoint_key
        if key is None:
            return None
        return next(
            (
                e
                for e in entities.values()
                if e.get(key) == id_or_key
                and (parent is None or (e.get(parent[0]) or {}).get("id") == parent[1])
            ),
            None,
        )

    def get(self, collection: str, id_or_key: str) -> dict[str, Any]:
        entity = self.find(collection, id_or_key)
        if entity is None:
            raise not_found()
        return entity

    # ---------------------------------------------------------------- writes
    def _now(self) -> int:
        self._clock += 1
        return int(time.time())

    def save(
        self,
        collection: str,
        body: dict[str, Any],
        *,
        entity_id: str | None = None,
        previous: dict[str, Any] | None = None,
        partial: bool = False,
    ) -> dict[str, Any]:
        """Create, replace (PUT) or update (PATCH, ``partial``) one entity after Kong's checks."""
        kind = TYPES[collection]
        if partial and previous is not None:
            merged = copy.deepcopy(previous)
            for key, value in body.items():
                if key == "config" and isinstance(value, dict):
                    merged["config"] = {**merged.get("config", {}), **value}
                else:
                    merged[key] = value
            candidate = merged
        else:
            # Values are replaced, never mutated in place, so shallow copies are enough.
            candidate = {**kind.defaults, **body}
        candidate["id"] = (
            entity_id or (previous or {}).get("id") or body.get("id") or str(uuid.uuid4())
        ).lower()
        if previous is not None and body.get("id") and body["id"].lower() != previous["id"]:
            raise schema_violation({"id": "the id of an existing entity cannot change"})
        unknown = set(candidate) - set(kind.defaults) - {"id", "created_at", "updated_at", "url", "password"}
        if unknown:
            raise schema_violation({k: "unknown field" for k in sorted(unknown)})
        self._normalise(collection, candidate)
        if collection == "basic-auths" and body.get("password") is not None:
            # Kong stores SHA-1(password + consumer id), never the password.
            consumer = (candidate.get("consumer") or {}).get("id", "")
            candidate["password"] = hashlib.sha1(f"{body['password']}{consumer}".encode()).hexdigest()
        self._check(collection, candidate)
        self._check_foreign(collection, candidate)
        self._check_unique(collection, candidate)
        now = self._now()
        candidate["created_at"] = (previous or {}).get("created_at", now)
        candidate["updated_at"] = now
        if previous is not None:
            self._index_entity(collection, previous, add=False)
        self._index_entity(collection, candidate, add=True)
        self.entities[collection][candidate["id"]] = candidate
        return candidate

    def delete(self, collection: str, entity: dict[str, Any]) -> None:
        kind = TYPES[collection]
        for child, fk in kind.restrict.items():
            if any((c.get(fk) or {}).get("id") == entity["id"] for c in self.entities[child].values()):
                raise KongApiError(
                    400,
                    {
                        "code": 4,
                        "name": "foreign key violation",
                        "message": f"an existing '{child}' entity references this '{collection}' entity",
                        "fields": {"@referenced_by": child},
                    },
                )
        for child, fk in kind.cascade.items():
            for cid in [
                cid for cid, c in self.entities[child].items() if (c.get(fk) or {}).get("id") == entity["id"]
            ]:
                self.delete(child, self.entities[child][cid])
        self._index_entity(collection, entity, add=False)
        self.entities[collection].pop(entity["id"], None)

    # ---------------------------------------------------------------- Kong's rules
    def _normalise(self, collection: str, e: dict[str, Any]) -> None:
        if collection == "services" and "url" in e:
            url = e.pop("url")
            match = re.match(r"^(\w+)://([^/:]+)(?::(\d+))?(/.*)?$", str(url))
            if not match:
                raise schema_violation({"url": "missing host in url"})
            scheme, host, port, path = match.groups()
            e.update(
                protocol=scheme,
                host=host,
                path=path,
                port=int(port) if port else (443 if scheme == "https" else 80),
            )
        for fk in TYPES[collection].foreign:
            ref = e.get(fk)
            if isinstance(ref, dict) and "name" in ref and "id" not in ref:
                target = self.find(TYPES[collection].foreign[fk], str(ref["name"]))
                if target is None:
                    raise self._fk_error(fk, ref, TYPES[collection].foreign[fk])
                e[fk] = {"id": target["id"]}
            elif isinstance(ref, dict) and "id" in ref:
                e[fk] = {"id": str(ref["id"]).lower()}
        if collection == "plugins":
            self._plugin_config(e)
        if collection == "key-auths" and not e.get("key"):
            e["key"] = secrets.token_hex(16)
        if collection == "jwts":
            e["key"] = e.get("key") or secrets.token_hex(16)
            e["secret"] = e.get("secret") or secrets.token_hex(16)

    def _plugin_config(self, e: dict[str, Any]) -> None:
        name = e.get("name")
        if name not in self.plugins:
            raise schema_violation(
                {"name": f"plugin '{name}' not enabled; add it to the 'plugins' configuration property"}
            )
        defaults = self.plugins[str(name)]
        config = e.get("config") or {}
        if not isinstance(config, dict):
            raise schema_violation({"config": "expected a record"})
        unknown = sorted(set(config) - set(defaults))
        if unknown and name not in ENTERPRISE_PLUGINS:
            raise schema_violation({"config": {k: "unknown field" for k in unknown}})
        merged = dict(defaults)
        for key, value in config.items():
            if isinstance(merged.get(key), dict) and isinstance(value, dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        errors: dict[str, Any] = {}
        if name == "rate-limiting" and all(
            merged[k] is None for k in ("second", "minute", "hour", "day", "month", "year")
        ):
            errors["@entity"] = (
                "at least one of these fields must be non-empty: 'config.second', "
                "'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"
            )
        if name == "rate-limiting" and merged["policy"] not in ("local", "cluster", "redis"):
            errors["policy"] = "expected one of: local, cluster, redis"
        if name == "key-auth":
            names = merged["key_names"]
            if (
                not isinstance(names, list)
                or not names
                or not all(isinstance(n, str) and re.match(r"^[A-Za-z0-9_-]+$", n) for n in names)
            ):
                errors["key_names"] = "bad header name, allowed characters are A-Z, a-z, 0-9, '_', and '-'"
        if name == "cors" and isinstance(merged["methods"], list):
            allowed = set(PLUGIN_DEFAULTS["cors"]["methods"])
            bad = [m for m in merged["methods"] if m not in allowed]
            if bad:
                errors["methods"] = f"expected one of: {', '.join(sorted(allowed))}"
        if name == "acl":
            # Kong's acl schema: entity checks at_least_one_of and only_one_of (allow, deny).
            set_lists = [k for k in ("allow", "deny") if merged[k]]
            if not set_lists:
                errors["@entity"] = [
                    "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
                ]
            elif len(set_lists) > 1:
                errors["@entity"] = [
                    "only one of these fields must be non-empty: 'config.allow', 'config.deny'"
                ]
            for key in set_lists:
                if not isinstance(merged[key], list) or not all(isinstance(g, str) for g in merged[key]):
                    errors[key] = "expected an array of strings"
        if name == "request-termination" and not (100 <= int(merged["status_code"]) <= 599):
            errors["status_code"] = "value should be between 100 and 599"
        for key in ("anonymous",):
            if key in merged and merged[key] is not None and not isinstance(merged[key], str):
                errors[key] = "expected a string"
        if errors:
            raise schema_violation({"config": errors})
        e["config"] = merged

    def _check(self, collection: str, e: dict[str, Any]) -> None:
        errors: dict[str, Any] = {}
        for key in ("name", "username"):
            value = e.get(key)
            if (
                value is not None
                and collection in ("services", "routes")
                and (not isinstance(value, str) or not _NAME_RE.match(value))
            ):
                errors[key] = (
                    f"invalid value '{value}': the only accepted ascii characters are alphanumerics "
                    "or ., -, _, and ~"
                )
        tags = e.get("tags")
        if tags is not None:
            bad = {
                str(i + 1): "invalid tag: printable ascii without ',' and '/' required"
                for i, t in enumerate(tags)
                if not re.match(r"^[\x21-\x7e]+$", t) or "," in t or "/" in t
            }
            if bad:
                errors["tags"] = bad
        if collection == "services":
            if not e.get("host") or not _HOST_RE.match(str(e["host"])):
                errors["host"] = "required field missing" if not e.get("host") else "invalid hostname"
            if e.get("protocol") not in SERVICE_PROTOCOLS:
                errors["protocol"] = "expected one of: " + ", ".join(sorted(SERVICE_PROTOCOLS))
            if not isinstance(e.get("port"), int) or not 0 <= e["port"] <= 65535:
                errors["port"] = "value should be between 0 and 65535"
            if e.get("path") is not None and not str(e["path"]).startswith("/"):
                errors["path"] = "should start with: /"
            for key in ("connect_timeout", "read_timeout", "write_timeout"):
                if not isinstance(e.get(key), int) or not 1 <= e[key] <= 2147483646:
                    errors[key] = "value should be between 1 and 2147483646"
            if not isinstance(e.get("retries"), int) or not 0 <= e["retries"] <= 32767:
                errors["retries"] = "value should be between 0 and 32767"
        if collection == "routes":
            self._check_route(e, errors)
        if collection == "consumers" and not e.get("username") and not e.get("custom_id"):
            errors["@entity"] = ["at least one of these fields must be non-empty: 'custom_id', 'username'"]
        if collection in ("key-auths", "jwts", "basic-auths", "acls") and not e.get("consumer"):
            errors["consumer"] = "required field missing"
        if collection == "acls" and not (isinstance(e.get("group"), str) and e["group"]):
            errors["group"] = "required field missing"
        if collection == "jwts" and e.get("algorithm") not in (
            "HS256",
            "HS384",
            "HS512",
            "RS256",
            "RS384",
            "RS512",
            "ES256",
            "ES384",
            "PS256",
            "PS384",
            "PS512",
            "EdDSA",
        ):
            errors["algorithm"] = "invalid algorithm"
        if errors:
            raise schema_violation(errors)

    def _check_route(self, e: dict[str, Any], errors: dict[str, Any]) -> None:
        protocols = e.get("protocols") or []
        bad_protocols = [p for p in protocols if p not in ROUTE_PROTOCOLS]
        if bad_protocols or not protocols:
            errors["protocols"] = "expected one of: " + ", ".join(sorted(ROUTE_PROTOCOLS))
        methods = e.get("methods") or []
        if any(not isinstance(m, str) or not HTTP_METHOD_RE.match(m) for m in methods):
            errors["methods"] = "invalid value: must be uppercase letters"
        path_errors: list[str | None] = []
        for path in e.get("paths") or []:
            path_errors.append(_path_error(path))
        if any(path_errors):
            errors["paths"] = path_errors
        if {"http", "https"} & set(protocols) and not any(
            e.get(k) for k in ("methods", "hosts", "headers", "paths", "snis")
        ):
            errors["@entity"] = [
                "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when "
                "'protocols' is 'http' or 'https'"
            ]
        if e.get("https_redirect_status_code") not in (426, 301, 302, 307, 308):
            errors["https_redirect_status_code"] = "expected one of: 426, 301, 302, 307, 308"
        if not isinstance(e.get("regex_priority"), int):
            errors["regex_priority"] = "expected an integer"

    def _fk_error(self, fk: str, ref: Any, target: str) -> KongApiError:
        shown = ", ".join(f'{k}="{v}"' for k, v in ref.items()) if isinstance(ref, dict) else str(ref)
        return KongApiError(
            400,
            {
                "code": 4,
                "name": "foreign key violation",
                "message": f"the foreign key '{{{shown}}}' does not reference an existing '{target}' entity.",
                "fields": {fk: ref},
            },
        )

    def _check_foreign(self, collection: str, e: dict[str, Any]) -> None:
        for fk, target in TYPES[collection].foreign.items():
            ref = e.get(fk)
            if ref is None:
                continue
            if not isinstance(ref, dict) or "id" not in ref:
                raise schema_violation({fk: "expected a record"})
            if ref["id"] not in self.entities[target]:
                raise self._fk_error(fk, ref, target)

    def _unique_keys(
        self, collection: str, e: dict[str, Any]
    ) -> list[tuple[tuple[str, ...], tuple[Any, ...]]]:
        keys = []
        for fields in TYPES[collection].unique:
            values = tuple(_unique_value(e.get(f)) for f in fields)
            if all(v is None for v in values) or (len(fields) == 1 and values[0] is None):
                continue
            keys.append((fields, values))
        return keys

    def _index_entity(self, collection: str, e: dict[str, Any], *, add: bool) -> None:
        for fields, values in self._unique_keys(collection, e):
            index = self._index.setdefault((collection, fields), {})
            if add:
                index[values] = e["id"]
            elif index.get(values) == e["id"]:
                del index[values]

    def _check_unique(self, collection: str, e: dict[str, Any]) -> None:
        # An index instead of a scan: the benchmark writes thousands of entities.
        for fields, values in self._unique_keys(collection, e):
            owner = self._index.get((collection, fields), {}).get(values)
            if owner is not None and owner != e["id"]:
                shown = ", ".join(f'{f}="{v}"' for f, v in zip(fields, values, strict=True) if v is not None)
                raise KongApiError(
                    409,
                    {
                        "code": 5,
                        "name": "unique constraint violation",
                        "message": f"UNIQUE violation detected on '{{{shown}}}'",
                        "fields": {f: e.get(f) for f in fields if e.get(f) is not None},
                    },
                )


def _unique_value(value: Any) -> Any:
    return value["id"] if isinstance(value, dict) else value


def _path_error(path: Any) -> str | None:
    if not isinstance(path, str):
        return "expected a string"
    if path.startswith("~"):
        regex = path[1:]
        if not regex.startswith("/"):
            return "should start with: / (fixed path) or ~/ (regex path)"
        for name in _CAPTURE_RE.findall(regex):
            if not _CAPTURE_NAME_RE.match(name):
                return f"invalid regex: '{regex}' (PCRE returned: group name '{name}' is invalid or too long)"
        try:
            re.compile(kong_regex_to_python(regex))
        except re.error as exc:
            return f"invalid regex: '{regex}' (PCRE returned: {exc})"
        return None
    if not path.startswith("/"):
        return "should start with: / (fixed path) or ~/ (regex path)"
    if re.search(r"[^A-Za-z0-9\-._~/%!$&'()*+,;=:@]", path):
        return "invalid path: characters outside RFC 3986 must be percent-encoded"
    return None
