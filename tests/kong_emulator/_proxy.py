"""The gateway side of the emulator: route matching, the auth/limit plugins JustPush emits, forwarding.

Covers what smoke tests need, not all of Kong: regex and prefix paths (regex routes by regex_priority,
then prefix routes longest first), methods, strip_path, key-auth, basic-auth, jwt (HS256/384/512),
the anonymous fallback with route+consumer request-termination, acl groups (allow/deny, 403 like
Kong), local rate-limiting, CORS preflight, and request-transformer ``replace.uri`` templates using
``uri_captures``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections import defaultdict
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._app import Emulator
from ._store import kong_regex_to_python

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "content-encoding",
    "host",
}
_WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_JWT_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _match(emulator: Emulator, method: str, path: str) -> tuple[dict[str, Any], re.Match[str] | str] | None:
    routes = list(emulator.store.entities["routes"].values())
    regex_routes = sorted(
        (r for r in routes if any(p.startswith("~") for p in r.get("paths") or [])),
        key=lambda r: (-r["regex_priority"], r["created_at"]),
    )
    prefix_routes = sorted(
        (r for r in routes if r not in regex_routes),
        key=lambda r: -max((len(p) for p in r.get("paths") or [""]), default=0),
    )
    for route in regex_routes + prefix_routes:
        if route.get("methods") and method not in route["methods"]:
            continue
        for p in route.get("paths") or []:
            if p.startswith("~"):
                m = re.match(kong_regex_to_python(p[1:]), path)
                if m:
                    return route, m
            elif path.startswith(p):
                return route, p
    return None


def _plugins(emulator: Emulator, route: dict[str, Any], consumer: str | None) -> dict[str, dict[str, Any]]:
    """Most specific enabled plugin per name: route+consumer, consumer, route, service, global."""
    service = (route.get("service") or {}).get("id")
    chosen: dict[str, tuple[int, dict[str, Any]]] = {}
    for plugin in emulator.store.entities["plugins"].values():
        if not plugin.get("enabled", True):
            continue
        r = (plugin.get("route") or {}).get("id")
        s = (plugin.get("service") or {}).get("id")
        c = (plugin.get("consumer") or {}).get("id")
        if (r and r != route["id"]) or (s and s != service) or (c and c != consumer):
            continue
        rank = (4 if c else 0) + (2 if r else 0) + (1 if s else 0)
        if plugin["name"] not in chosen or chosen[plugin["name"]][0] < rank:
            chosen[plugin["name"]] = (rank, plugin)
    return {name: plugin for name, (_, plugin) in chosen.items()}


class _Unauthorized(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _key_auth(emulator: Emulator, config: dict[str, Any], request: Request) -> str | None:
    key = None
    for name in config["key_names"]:
        if config.get("key_in_header", True) and request.headers.get(name):
            key = request.headers[name]
        elif config.get("key_in_query", True) and request.query_params.get(name):
            key = request.query_params[name]
        if key:
            break
    if key is None:
        raise _Unauthorized("No API key found in request")
    credential = next((c for c in emulator.store.entities["key-auths"].values() if c["key"] == key), None)
    if credential is None:
        raise _Unauthorized("Invalid authentication credentials")
    return str(credential["consumer"]["id"])


def _basic_auth(emulator: Emulator, request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        raise _Unauthorized("Unauthorized")
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError as exc:
        raise _Unauthorized("Invalid authentication credentials") from exc
    for credential in emulator.store.entities["basic-auths"].values():
        consumer = credential["consumer"]["id"]
        digest = hashlib.sha1(f"{password}{consumer}".encode()).hexdigest()
        if credential["username"] == username and hmac.compare_digest(digest, credential["password"]):
            return str(consumer)
    raise _Unauthorized("Invalid authentication credentials")


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _jwt(emulator: Emulator, config: dict[str, Any], request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise _Unauthorized("Unauthorized")
    try:
        head, payload, signature = header[7:].split(".")
        claims = json.loads(_b64(payload))
        algorithm = json.loads(_b64(head)).get("alg")
    except ValueError as exc:
        raise _Unauthorized("Bad token; invalid JSON") from exc
    iss = claims.get(config.get("key_claim_name", "iss"))
    credential = next((c for c in emulator.store.entities["jwts"].values() if c["key"] == iss), None)
    if credential is None or credential["algorithm"] != algorithm or algorithm not in _JWT_HASHES:
        raise _Unauthorized("No credentials found for given 'iss'")
    expected = hmac.new(credential["secret"].encode(), f"{head}.{payload}".encode(), _JWT_HASHES[algorithm])
    if not hmac.compare_digest(expected.digest(), _b64(signature)):
        raise _Unauthorized("Invalid signature")
    if "exp" in (config.get("claims_to_verify") or []) and float(claims.get("exp", 0)) < time.time():
        raise _Unauthorized("token expired")
    return str(credential["consumer"]["id"])


def _consumer_groups(emulator: Emulator, consumer: str) -> list[str]:
    return sorted(
        str(acl["group"])
        for acl in emulator.store.entities["acls"].values()
        if (acl.get("consumer") or {}).get("id") == consumer
    )


def _acl_admits(config: dict[str, Any], groups: list[str]) -> bool:
    """Kong's acl: with ``allow`` a consumer needs one of the groups, with ``deny`` none of them."""
    if config.get("allow"):
        return bool(set(groups) & set(config["allow"]))
    return not set(groups) & set(config.get("deny") or [])


def create_proxy(admin_app: Starlette, *, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The proxy of the emulated node behind ``admin_app``; ``transport`` reaches the upstreams."""
    emulator: Emulator = admin_app.state.emulator
    counters: dict[tuple[str, str, str, int], int] = defaultdict(int)

    async def handle(request: Request) -> Response:
        path = request.url.path
        found = _match(emulator, request.method, path)
        if found is None:
            return JSONResponse({"message": "no Route matched with those values"}, status_code=404)
        route, matched = found
        plugins = _plugins(emulator, route, None)
        if (
            "cors" in plugins
            and request.method == "OPTIONS"
            and "access-control-request-method" in request.headers
        ):
            config = plugins["cors"]["config"]
            return Response(
                status_code=200,
                headers={
                    "Access-Control-Allow-Origin": ",".join(config.get("origins") or ["*"]),
                    "Access-Control-Allow-Methods": ",".join(config.get("methods") or []),
                },
            )
        consumer: str | None = None
        auth = [n for n in ("key-auth", "basic-auth", "jwt") if n in plugins]
        for name in auth:
            config = plugins[name]["config"]
            try:
                if name == "key-auth":
                    consumer = _key_auth(emulator, config, request)
                elif name == "basic-auth":
                    consumer = _basic_auth(emulator, request)
                else:
                    consumer = _jwt(emulator, config, request)
                break
            except _Unauthorized as exc:
                if config.get("anonymous"):
                    consumer = emulator.store.get("consumers", config["anonymous"])["id"]
                    continue
                return JSONResponse({"message": exc.message}, status_code=401)
        if consumer:
            plugins = _plugins(emulator, route, consumer)
        groups: list[str] = []
        if "acl" in plugins:
            # Kong runs acl (priority 950) after authentication and before rate limits and termination.
            config = plugins["acl"]["config"]
            if consumer is None:
                return JSONResponse({"message": "Unauthorized"}, status_code=401)
            groups = _consumer_groups(emulator, consumer)
            if not _acl_admits(config, groups):
                return JSONResponse({"message": "You cannot consume this service"}, status_code=403)
            if config.get("hide_groups_header"):
                groups = []
        if "request-termination" in plugins:
            config = plugins["request-termination"]["config"]
            return JSONResponse(
                {"message": config.get("message") or "Service unavailable"},
                status_code=int(config["status_code"]),
            )
        if "rate-limiting" in plugins:
            plugin = plugins["rate-limiting"]
            identity = consumer or (request.client.host if request.client else "")
            for window, seconds in _WINDOWS.items():
                limit = plugin["config"].get(window)
                if limit is None:
                    continue
                bucket = (plugin["id"], identity, window, int(time.time() // seconds))
                counters[bucket] += 1
                if counters[bucket] > limit:
                    return JSONResponse({"message": "API rate limit exceeded"}, status_code=429)

        captures = matched.groupdict() if isinstance(matched, re.Match) else {}
        if route["strip_path"]:
            stripped = matched.group(0) if isinstance(matched, re.Match) else matched
            upstream_path = path[len(stripped) :]
        else:
            upstream_path = path
        transformer = plugins.get("request-transformer")
        uri = ((transformer or {}).get("config", {}).get("replace") or {}).get("uri")
        service = emulator.store.get("services", route["service"]["id"])
        base = (service.get("path") or "").rstrip("/")
        if uri:
            # Like Kong's kong.service.request.set_path: the template is the whole upstream path.
            base = ""
            upstream_path = re.sub(
                r"""\$\(uri_captures\[["']([^"']+)["']\]\)""", lambda m: captures.get(m.group(1)) or "", uri
            )
        target = f"{service['protocol']}://{service['host']}:{service['port']}{base}"
        if upstream_path and not upstream_path.startswith("/"):
            upstream_path = "/" + upstream_path
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        if route["preserve_host"] and "host" in request.headers:
            headers["host"] = request.headers["host"]
        if consumer:
            found_consumer = emulator.store.entities["consumers"].get(consumer) or {}
            headers["X-Consumer-ID"] = consumer
            headers["X-Consumer-Username"] = str(found_consumer.get("username") or "")
        if groups:
            headers["X-Consumer-Groups"] = ", ".join(groups)
        async with httpx.AsyncClient(transport=transport, timeout=service["read_timeout"] / 1000) as client:
            try:
                upstream = await client.request(
                    request.method,
                    target + (upstream_path or "/"),
                    params=request.url.query,
                    headers=headers,
                    content=await request.body(),
                )
            except httpx.HTTPError as exc:
                return JSONResponse(
                    {
                        "message": f"An invalid response was received from the upstream server: "
                        f"{type(exc).__name__}"
                    },
                    status_code=502,
                )
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
        return Response(upstream.content, status_code=upstream.status_code, headers=out_headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
    return Starlette(
        routes=[Route("/", handle, methods=methods), Route("/{path:path}", handle, methods=methods)]
    )
