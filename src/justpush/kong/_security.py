"""OpenAPI security requirements → Kong authentication plugins.

Rule for alternatives (a ``security`` list with several requirement objects, which OpenAPI defines as OR):

* every alternative is one scheme → every scheme's plugin is configured with ``anonymous`` set to the
  upload's anonymous consumer, and a ``request-termination`` (401) plugin scoped to that route and the
  anonymous consumer rejects requests that no plugin authenticated. This is Kong's documented pattern for
  "any of several auth methods".
* an empty requirement ``{}`` among them (optional authentication) → same, without the termination.
* some alternative combines schemes (AND inside OR) → Kong cannot express it; the first alternative whose
  schemes are all supported is used and a warning says so.
* alternatives with unsupported schemes (cookie API keys, oauth2, mutualTLS, unknown http schemes) are
  dropped with a warning; if none is left the mapping fails with GenerationError.

Schemes inside one requirement object (AND) all get a plugin without ``anonymous``; Kong runs them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from justpush.errors import GenerationError

ENTERPRISE_PLUGINS = frozenset({"openid-connect"})
# Plugins that authenticate a Kong consumer by a credential stored on it. Kong accepts any consumer's
# credential, so every scope carrying one also gets an ``acl`` plugin that admits only the upload's group.
CONSUMER_AUTH_PLUGINS = frozenset({"basic-auth", "hmac-auth", "jwt", "key-auth", "key-auth-enc", "oauth2"})


@dataclass(frozen=True)
class AuthPlan:
    # plugin name → config (without the anonymous field, which the mapping fills in)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    anonymous: bool = False
    terminate_anonymous: bool = False
    warnings: tuple[str, ...] = ()


class _Unsupported(Exception):
    pass


def _scheme_plugin(name: str, scheme: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = str(scheme.get("type", "")).lower()
    if kind == "apikey":
        location = scheme.get("in")
        key_name = scheme.get("name")
        if not isinstance(key_name, str) or not key_name:
            raise GenerationError(f"security scheme {name!r}: apiKey needs a 'name'")
        if location == "cookie":
            raise _Unsupported(
                f"security scheme {name!r} sends its API key in a cookie ({key_name!r}); Kong's key-auth "
                "reads keys only from a header or the query string — declare the key 'in: header' or "
                "'in: query', or configure authentication with an x-kong-plugin-* extension"
            )
        if location not in ("header", "query"):
            raise GenerationError(f"security scheme {name!r}: apiKey 'in' must be header, query or cookie")
        return "key-auth", {
            "key_names": [key_name],
            "key_in_header": location == "header",
            "key_in_query": location == "query",
            "key_in_body": False,
        }
    if kind == "http":
        http_scheme = str(scheme.get("scheme", "")).lower()
        if http_scheme == "bearer":
            return "jwt", {
                "claims_to_verify": ["exp"],
                "header_names": ["authorization"],
                "key_claim_name": "iss",
            }
        if http_scheme == "basic":
            return "basic-auth", {"hide_credentials": False}
        raise _Unsupported(f"security scheme {name!r}: http scheme {http_scheme!r} has no Kong plugin")
    if kind == "basic":  # Swagger 2.0
        return "basic-auth", {"hide_credentials": False}
    if kind == "openidconnect":
        url = scheme.get("openIdConnectUrl")
        if not isinstance(url, str) or not url:
            raise GenerationError(f"security scheme {name!r}: openIdConnect needs 'openIdConnectUrl'")
        return "openid-connect", {"issuer": url}
    raise _Unsupported(f"security scheme {name!r} of type {kind!r} has no Kong OSS plugin")


def _merge_same_plugin(name: str, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    if name == "key-auth":
        return {
            "key_names": sorted(set(a["key_names"]) | set(b["key_names"])),
            "key_in_header": a["key_in_header"] or b["key_in_header"],
            "key_in_query": a["key_in_query"] or b["key_in_query"],
            "key_in_body": False,
        }
    return a


def plan_auth(
    requirements: list[dict[str, list[str]]] | None,
    schemes: Mapping[str, Mapping[str, Any]],
    where: str,
) -> AuthPlan:
    """Plugins for one operation's effective ``security`` (None and [] both mean public)."""
    if not requirements:
        return AuthPlan()
    optional = any(not req for req in requirements)
    warnings: list[str] = []
    supported: list[list[tuple[str, dict[str, Any]]]] = []
    problems: list[str] = []
    for req in requirements:
        if not req:
            continue
        if not isinstance(req, Mapping):
            raise GenerationError(f"{where}: a security requirement must be an object")
        try:
            plugins: list[tuple[str, dict[str, Any]]] = []
            for scheme_name in sorted(req):
                scheme = schemes.get(scheme_name)
                if not isinstance(scheme, Mapping):
                    raise GenerationError(f"{where}: security scheme {scheme_name!r} is not defined")
                plugins.append(_scheme_plugin(scheme_name, scheme))
        except _Unsupported as exc:
            problems.append(str(exc))
            continue
        supported.append(plugins)
    if not supported:
        if optional:
            return AuthPlan(warnings=tuple(f"{where}: {p}" for p in problems))
        raise GenerationError(f"{where}: " + "; ".join(problems))
    warnings.extend(f"{where}: {p} (alternative dropped)" for p in problems)

    if len(supported) == 1 and not optional:
        names = [name for name, _ in supported[0]]
        if len(set(names)) != len(names):
            raise GenerationError(
                f"{where}: one security requirement combines several schemes that all map to "
                f"{names[0]!r}; Kong can check only one credential of a kind per request"
            )
        return AuthPlan(plugins=dict(supported[0]), warnings=tuple(warnings))

    if all(len(plugins) == 1 for plugins in supported):
        merged: dict[str, dict[str, Any]] = {}
        for ((name, config),) in supported:
            merged[name] = _merge_same_plugin(name, merged[name], config) if name in merged else config
        return AuthPlan(
            plugins=merged, anonymous=True, terminate_anonymous=not optional, warnings=tuple(warnings)
        )

    first = supported[0]
    warnings.append(
        f"{where}: alternatives that combine several schemes cannot be expressed in Kong; "
        f"only the first supported one ({', '.join(n for n, _ in first)}) is enforced"
    )
    return AuthPlan(
        plugins=dict(first), anonymous=optional, terminate_anonymous=False, warnings=tuple(warnings)
    )
