"""The pure mapping from an OpenAPI document to the Kong entities of one upload (see MAPPING.md).

Precedence of plugin settings, lowest first: app-config defaults (``KongOptions``), document-level
extensions, path-level extensions, operation-level extensions, per-deployment overrides
(``KongOptions.plugins`` / ``KongOptions.operation_plugins``). Extensions:

* ``x-kong-plugin-<name>: {config: {...}, enabled: bool}`` (or ``false``) at document/path/operation level;
* ``x-justpush-rate-limit: {second|minute|hour|day: n, policy}`` (or ``false``);
  ``x-justpush-cors: false``;
* ``x-kong-service-defaults`` (timeouts, retries) and ``x-kong-route-defaults`` (preserve_host, protocols,
  https_redirect_status_code, request/response_buffering);
* ``x-kong-name`` on an operation: the route name's operation part.

Plugins named by extensions must be in ``KongOptions.allowed_plugins`` (``gateway.allowedPlugins``);
others are dropped with a warning. Every route starts with the upload's own path segment
(``tenant_segment``), so no two uploads' routes can match the same request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from justpush.errors import GenerationError

from ._model import (
    HTTP_METHODS,
    ROUTE_PROTOCOLS,
    AclCredential,
    BasicAuthCredential,
    JwtCredential,
    KeyAuthCredential,
    KongConfig,
    KongConsumer,
    KongOptions,
    KongPlugin,
    KongRoute,
    KongService,
    KongTarget,
    acl_group,
    ownership_tags,
)
from ._names import entity_id, slugify, unique_names
from ._paths import (
    REST_CAPTURE,
    PathPattern,
    compile_catch_all,
    compile_path,
    matching_shape,
    priorities,
    public_prefix,
)
from ._security import CONSUMER_AUTH_PLUGINS, ENTERPRISE_PLUGINS, AuthPlan, plan_auth

_ROUTE_DEFAULT_FIELDS = frozenset(
    {"preserve_host", "protocols", "https_redirect_status_code", "request_buffering", "response_buffering"}
)
_SERVICE_DEFAULT_FIELDS = {
    "connect_timeout": "connect_timeout",
    "read_timeout": "read_timeout",
    "write_timeout": "write_timeout",
    "retries": "retries",
}
_SHORTHANDS = {"x-justpush-rate-limit": "rate-limiting", "x-justpush-cors": "cors"}
# The config fields a spec may set on the default allowed plugins (Kong 3's plugin schemas), with the
# values allowed where some are not. What is left out makes the gateway connect somewhere the spec
# names (rate-limiting's redis policy: the gateway would dial any host:port, and answer 500 or 200 as
# a port scan's oracle). A plugin the operator adds to gateway.allowedPlugins keeps its whole config.
_SPEC_CONFIG_FIELDS: Mapping[str, Mapping[str, frozenset[str] | None]] = {
    "rate-limiting": {
        **dict.fromkeys(("second", "minute", "hour", "day", "month", "year", "limit_by", "header_name")),
        **dict.fromkeys(("path", "fault_tolerant", "hide_client_headers", "error_code", "error_message")),
        "sync_rate": None,
        "policy": frozenset({"local", "cluster"}),
    },
    "cors": dict.fromkeys(
        (
            "origins",
            "methods",
            "headers",
            "exposed_headers",
            "credentials",
            "max_age",
            "preflight_continue",
            "private_network",
            "allow_origin_absent",
        )
    ),
    "request-size-limiting": dict.fromkeys(("allowed_payload_size", "size_unit", "require_content_length")),
    "request-transformer": dict.fromkeys(("http_method", "remove", "rename", "replace", "add", "append")),
    "response-transformer": dict.fromkeys(("remove", "rename", "replace", "add", "append")),
}
_REWRITE = "request-transformer"
# The method of the catch-all operation: the route matches every method.
_ANY = "ANY"
# The analysis marks what it could not read (`x-justpush-unresolved: {path: why}`).
_UNRESOLVED = "x-justpush-unresolved"
# A plugin setting at some level: a config to merge, or None to switch the plugin off there.
_Layer = dict[str, dict[str, Any] | None]


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    spec: Mapping[str, Any]
    path_item: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def tenant_segment(target: KongTarget) -> str:
    """``<app>-<upload id>``: the first path segment of every route of the upload.

    It ends with the upload id (unique, and a UUID's hex in JustPush), so two uploads never share it.
    """
    app = slugify(target.name.removesuffix(target.upload_id)) or "app"
    return f"{app}-{target.upload_id}"


def gateway_prefix(target: KongTarget, options: KongOptions) -> str:
    """The public path before the spec's own (base path and) paths, e.g. ``/todo-3f2a…/v1``."""
    return public_prefix(tenant_segment(target), _prefix(target, options))


def _prefix(target: KongTarget, options: KongOptions) -> str:
    prefix = options.path_prefix.replace("{upload_id}", target.upload_id)
    return prefix.replace("{name}", slugify(target.name))


def _extension_layer(
    obj: Mapping[str, Any], where: str, allowed: frozenset[str], warnings: list[str]
) -> _Layer:
    """Plugin settings from ``x-kong-plugin-*`` and ``x-justpush-*`` extensions of one object; a plugin
    the operator does not allow is dropped with a warning."""
    layer: _Layer = {}
    for key in sorted(obj):
        value = obj[key]
        name = key[len("x-kong-plugin-") :] if key.startswith("x-kong-plugin-") else _SHORTHANDS.get(key)
        if name is None:
            continue
        if name not in allowed:
            warnings.append(
                f"{where}: {key} asks for plugin {name!r}, which gateway.allowedPlugins does not "
                "allow; dropped"
            )
            continue
        if key.startswith("x-kong-plugin-"):
            if value is False or value is None:
                layer[name] = None
            elif isinstance(value, Mapping):
                unknown = set(value) - {"config", "enabled", "name"}
                if unknown:
                    raise GenerationError(f"{where}: {key} has unsupported fields {sorted(unknown)}")
                config = value.get("config", {})
                if not isinstance(config, Mapping):
                    raise GenerationError(f"{where}: {key}.config must be an object")
                enabled = value.get("enabled", True) is not False
                layer[name] = _spec_config(name, config, f"{where}: {key}", warnings) if enabled else None
            else:
                raise GenerationError(f"{where}: {key} must be an object or false")
        else:
            if value is False or value is None:
                layer[name] = None
            elif value is True:
                layer[name] = {}
            elif isinstance(value, Mapping):
                layer[name] = _spec_config(name, value, f"{where}: {key}", warnings)
            else:
                raise GenerationError(f"{where}: {key} must be an object, true or false")
    return layer


def _spec_config(name: str, config: Mapping[str, Any], where: str, warnings: list[str]) -> dict[str, Any]:
    """``config`` without the fields a spec may not set on plugin ``name`` (_SPEC_CONFIG_FIELDS), each
    dropped with a warning."""
    fields = _SPEC_CONFIG_FIELDS.get(name)
    if fields is None:
        return dict(config)
    kept: dict[str, Any] = {}
    for field_name, value in config.items():
        if field_name not in fields:
            warnings.append(
                f"{where} sets {field_name!r}, which an uploaded spec may not set on {name}; dropped"
            )
            continue
        values = fields[field_name]
        if values is not None and not (isinstance(value, str) and value in values):
            allowed = ", ".join(sorted(values))
            warnings.append(
                f"{where} sets {field_name} {value!r}; an uploaded spec may use {allowed}; dropped"
            )
            continue
        kept[field_name] = value
    return kept


def _apply(base: _Layer, layer: Mapping[str, dict[str, Any] | None]) -> _Layer:
    merged = dict(base)
    for name, config in layer.items():
        if config is None:
            merged[name] = None
        else:
            inherited = merged.get(name) or {}
            merged[name] = {**inherited, **config}
    return merged


def _with_rewrite(config: dict[str, Any] | None, uri: str) -> dict[str, Any]:
    """A request-transformer config whose replace.uri is ``uri`` unless the spec set its own."""
    config = dict(config or {})
    config["replace"] = {"uri": uri, **(config.get("replace") or {})}
    return config


def _defaults_layer(options: KongOptions) -> _Layer:
    layer: _Layer = {}
    if options.rate_limit is not None:
        layer["rate-limiting"] = options.rate_limit.config()
    if options.cors is not None:
        layer["cors"] = options.cors.config()
    if options.request_transformer is not None:
        layer["request-transformer"] = dict(options.request_transformer)
    if options.response_transformer is not None:
        layer["response-transformer"] = dict(options.response_transformer)
    return layer


def _base_path(spec: Mapping[str, Any], warnings: list[str]) -> str:
    if "basePath" in spec:  # Swagger 2.0
        return str(spec["basePath"] or "/")
    servers = spec.get("servers") or []
    if not isinstance(servers, list) or not servers:
        return "/"
    paths: list[str] = []
    for server in servers:
        if not isinstance(server, Mapping) or not isinstance(server.get("url"), str):
            raise GenerationError("every servers[] entry needs a 'url'")
        url = server["url"]
        for name, var in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", str((var or {}).get("default", "")))
        paths.append(urlsplit(url).path or "/")
    if len(set(paths)) > 1:
        warnings.append(f"servers[] name different base paths {sorted(set(paths))}; using {paths[0]!r}")
    if "{" in paths[0]:
        raise GenerationError(f"servers[0] path {paths[0]!r} uses a variable without a default")
    return paths[0]


def _first_any_method(path_item: Mapping[str, Any]) -> str | None:
    """The first method of a path item whose handler the analysis found answering any method."""
    return next(
        (
            method
            for method in HTTP_METHODS
            if isinstance(op := path_item.get(method.lower()), Mapping)
            and "method" in (op.get(_UNRESOLVED) or {})
        ),
        None,
    )


def _operations(spec: Mapping[str, Any]) -> list[_Operation]:
    paths = spec.get("paths")
    if not isinstance(paths, Mapping):
        raise GenerationError("the OpenAPI document has no 'paths' object")
    ops: list[_Operation] = []
    for path in sorted(paths):
        item = paths[path]
        if not isinstance(item, Mapping):
            raise GenerationError(f"paths[{path!r}] must be an object")
        if "$ref" in item:
            raise GenerationError(f"paths[{path!r}] uses $ref; resolve path item references first")
        for method in HTTP_METHODS:
            op = item.get(method.lower())
            if op is None:
                continue
            if not isinstance(op, Mapping):
                raise GenerationError(f"{method} {path}: the operation must be an object")
            ops.append(_Operation(method, str(path), op, item))
    return ops


def _route_defaults(objs: list[tuple[Mapping[str, Any], str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for obj, where in objs:
        defaults = obj.get("x-kong-route-defaults")
        if defaults is None:
            continue
        if not isinstance(defaults, Mapping) or set(defaults) - _ROUTE_DEFAULT_FIELDS:
            raise GenerationError(
                f"{where}: x-kong-route-defaults accepts only {sorted(_ROUTE_DEFAULT_FIELDS)} "
                "(paths, names, strip_path and regex_priority are generated)"
            )
        values.update(defaults)
    protocols = values.get("protocols")
    if protocols is not None and (not isinstance(protocols, list) or set(protocols) - set(ROUTE_PROTOCOLS)):
        raise GenerationError(f"x-kong-route-defaults.protocols must be a subset of {list(ROUTE_PROTOCOLS)}")
    return values


def _schemes(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    if "securityDefinitions" in spec:
        return spec.get("securityDefinitions") or {}
    return (spec.get("components") or {}).get("securitySchemes") or {}


def _plugin_entity(
    upload_id: str,
    name: str,
    config: dict[str, Any],
    tags: tuple[str, ...],
    *,
    scope: str,
    service_id: str | None = None,
    route_id: str | None = None,
    consumer_id: str | None = None,
) -> KongPlugin:
    return KongPlugin(
        id=entity_id(upload_id, f"plugin:{name}:{scope}"),
        name=name,
        config=config,
        service_id=service_id,
        route_id=route_id,
        consumer_id=consumer_id,
        tags=tags,
    )


def openapi_to_kong(spec: Mapping[str, Any], target: KongTarget, options: KongOptions) -> KongConfig:
    """Kong entities for one upload: a service, a route per operation, plugins, consumers and credentials."""
    if not isinstance(spec, Mapping):
        raise GenerationError("the OpenAPI document must be a mapping")
    upload = target.upload_id
    tags = ownership_tags(upload)
    warnings: list[str] = []
    service_name = slugify(target.name)
    if not service_name:
        raise GenerationError(f"target name {target.name!r} has no usable characters for a Kong name")
    service = _service(spec, target, options, service_name, tags)

    base = _base_path(spec, warnings)
    prefix = _prefix(target, options)
    tenant = tenant_segment(target)
    allowed = frozenset(options.allowed_plugins)
    ops = _operations(spec)
    unknown = [op.key for op in ops if "path" in (op.spec.get(_UNRESOLVED) or {})]
    if not ops or unknown:
        # Routes the analysis could not list (made at run time, a framework it does not read) or whose
        # path it could not read in full: one more route, below every other, sends every method and
        # path to the app, with the document's auth, limits and CORS.
        why = f"{len(unknown)} operation path(s) are not known statically" if ops else "lists no operations"
        warnings.append(
            f"the OpenAPI document {why}: a catch-all route sends what no other route matches (any method"
            " and path under the upload's prefix) to the app"
        )
        ops.append(_Operation(_ANY, "/", {}, {}))
    patterns = {
        op.key: compile_catch_all(tenant, prefix, base, strip_prefix=options.strip_path)
        if op.method == _ANY
        else compile_path(tenant, prefix, base, op.path, strip_prefix=options.strip_path)
        for op in ops
    }
    priority = priorities(list(patterns.values()))
    _warn_ambiguous(ops, patterns, warnings)

    wanted: list[tuple[str, str]] = []
    for op in ops:
        explicit = op.spec.get("x-kong-name") or op.spec.get("operationId")
        wanted.append((op.key, slugify(str(explicit)) if explicit else slugify(f"{op.method} {op.path}")))
    names = unique_names(wanted)

    schemes = _schemes(spec)
    doc_layer = _apply(
        _apply(_defaults_layer(options), _extension_layer(spec, "document", allowed, warnings)),
        options.plugins,
    )
    # The tenant segment (and the prefix, with strip_path) never reaches the upstream: every route
    # captures the rest as jp_path, and the service's request-transformer (inherited by any route that
    # brings its own) sets the upstream path to it; replace.uri is the whole path, so the service's
    # own path is spelled out.
    rewrite = f'{(service.path or "").rstrip("/")}$(uri_captures["{REST_CAPTURE}"])'
    doc_layer[_REWRITE] = _with_rewrite(doc_layer.get(_REWRITE), rewrite)

    routes: list[KongRoute] = []
    route_layers: dict[str, _Layer] = {}
    auth_plans: dict[str, AuthPlan] = {}
    cors_preflight_paths: set[str] = set()
    explicit_options = {op.path for op in ops if op.method == "OPTIONS"}
    for op in ops:
        where = f"{op.method} {op.path}"
        pattern = patterns[op.key]
        defaults = _route_defaults(
            [(spec, "document"), (op.path_item, f"paths[{op.path}]"), (op.spec, where)]
        )
        layer = _apply(
            _extension_layer(op.path_item, f"paths[{op.path}]", allowed, warnings),
            _extension_layer(op.spec, where, allowed, warnings),
        )
        overrides = options.operation_plugins.get(op.key) or (
            options.operation_plugins.get(str(op.spec.get("operationId")))
            if op.spec.get("operationId")
            else None
        )
        layer = _apply(layer, overrides or {})
        if _REWRITE in layer:
            if layer[_REWRITE] is None:
                warnings.append(f"{where}: {_REWRITE} cannot be switched off; it strips the upload's prefix")
                del layer[_REWRITE]
            else:
                layer = _apply(layer, {_REWRITE: _with_rewrite(_apply(doc_layer, layer)[_REWRITE], rewrite)})
        security = op.spec["security"] if "security" in op.spec else spec.get("security")
        plan = plan_auth(security, schemes, where)
        warnings.extend(plan.warnings)
        methods = list(HTTP_METHODS) if op.method == _ANY else [op.method]
        if op.method == _first_any_method(op.path_item):
            # The handler answers any method: the methods its path item does not list reach it through
            # the route of the first such operation, as they would without the gateway. OPTIONS stays
            # the CORS preflight's (below); TRACE is never forwarded.
            methods += [
                m
                for m in HTTP_METHODS
                if m not in (op.method, "OPTIONS", "TRACE") and m.lower() not in op.path_item
            ]
        effective_cors = _apply(doc_layer, layer).get("cors")
        if (
            effective_cors is not None
            and "OPTIONS" not in methods
            and op.path not in explicit_options
            and op.path not in cors_preflight_paths
        ):
            # Kong's cors plugin can only answer a preflight on a route that matches OPTIONS.
            methods.append("OPTIONS")
            cors_preflight_paths.add(op.path)
        route = KongRoute(
            id=entity_id(upload, f"route:{op.key}"),
            name=f"{service_name}_{names[op.key]}",
            service_id=service.id,
            paths=(pattern.kong_path,),
            methods=tuple(sorted(methods)),
            protocols=tuple(sorted(defaults.get("protocols", options.protocols))),
            strip_path=False,
            preserve_host=bool(defaults.get("preserve_host", options.preserve_host)),
            regex_priority=priority[pattern.template],
            https_redirect_status_code=int(defaults.get("https_redirect_status_code", 426)),
            request_buffering=bool(defaults.get("request_buffering", True)),
            response_buffering=bool(defaults.get("response_buffering", True)),
            tags=tags,
            operation=op.key,
        )
        routes.append(route)
        route_layers[route.id] = layer
        auth_plans[route.id] = plan

    consumers, key_auths, jwts, basics = _developers(options, upload, service_name, tags)
    anonymous: KongConsumer | None = None
    if any(plan.anonymous for plan in auth_plans.values()):
        anonymous = KongConsumer(
            id=entity_id(upload, "consumer:anonymous"),
            username=f"{service_name}_anonymous",
            custom_id=f"justpush:{upload}:anonymous",
            tags=tags,
        )
        consumers.append(anonymous)

    plugins = _plugins(
        upload, service, routes, doc_layer, route_layers, auth_plans, anonymous, tags, warnings
    )
    acls: list[AclCredential] = []
    if any(p.name in CONSUMER_AUTH_PLUGINS for p in plugins):
        # Every such scope carries the isolating acl. Developers join its group, and so does the
        # anonymous consumer: OR/optional auth must still reach its 401 termination or the upstream.
        for consumer in consumers:
            slug = consumer.custom_id.removeprefix(f"justpush:{upload}:")
            acls.append(
                AclCredential(
                    id=entity_id(upload, f"acl:{slug}"),
                    consumer_id=consumer.id,
                    group=acl_group(upload),
                    tags=tags,
                )
            )
    for name in sorted({p.name for p in plugins} & ENTERPRISE_PLUGINS):
        count = sum(1 for p in plugins if p.name == name)
        warnings.append(f"plugin {name!r} ({count}x) is a Kong Enterprise plugin; Kong OSS refuses it")
    return KongConfig(
        upload_id=upload,
        service=service,
        routes=tuple(sorted(routes, key=lambda r: r.name)),
        plugins=tuple(sorted(plugins, key=lambda p: (p.name, p.route_id or "", p.consumer_id or "", p.id))),
        consumers=tuple(sorted(consumers, key=lambda c: c.username)),
        key_auth_credentials=tuple(sorted(key_auths, key=lambda c: c.id)),
        jwt_credentials=tuple(sorted(jwts, key=lambda c: c.id)),
        basic_auth_credentials=tuple(sorted(basics, key=lambda c: c.id)),
        acl_credentials=tuple(sorted(acls, key=lambda c: c.id)),
        warnings=tuple(sorted(set(warnings))),
    )


def _service(
    spec: Mapping[str, Any], target: KongTarget, options: KongOptions, name: str, tags: tuple[str, ...]
) -> KongService:
    url = urlsplit(target.upstream_url())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise GenerationError(f"upstream URL {target.upstream_url()!r} must be http(s)://host[:port][/path]")
    values: dict[str, Any] = {
        "connect_timeout": options.connect_timeout_ms,
        "read_timeout": options.read_timeout_ms,
        "write_timeout": options.write_timeout_ms,
        "retries": options.retries,
    }
    defaults = spec.get("x-kong-service-defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - set(_SERVICE_DEFAULT_FIELDS):
        raise GenerationError(f"x-kong-service-defaults accepts only {sorted(_SERVICE_DEFAULT_FIELDS)}")
    values.update({_SERVICE_DEFAULT_FIELDS[k]: v for k, v in defaults.items()})
    return KongService(
        id=entity_id(target.upload_id, "service"),
        name=name,
        protocol="https" if url.scheme == "https" else "http",
        host=url.hostname,
        port=url.port or (443 if url.scheme == "https" else 80),
        path=url.path if url.path not in ("", "/") else None,
        tags=tags,
        **values,
    )


def _warn_ambiguous(ops: list[_Operation], patterns: Mapping[str, PathPattern], warnings: list[str]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for op in ops:
        shape = (matching_shape(patterns[op.key]), op.method)
        if shape in seen:
            warnings.append(
                f"{op.key} and {seen[shape]} match the same requests; the route with the higher "
                "regex_priority wins"
            )
        else:
            seen[shape] = op.key


def _developers(
    options: KongOptions, upload: str, service_name: str, tags: tuple[str, ...]
) -> tuple[list[KongConsumer], list[KeyAuthCredential], list[JwtCredential], list[BasicAuthCredential]]:
    consumers: list[KongConsumer] = []
    key_auths: list[KeyAuthCredential] = []
    jwts: list[JwtCredential] = []
    basics: list[BasicAuthCredential] = []
    seen: set[str] = set()
    for dev in options.developers:
        slug = slugify(dev.username)
        if not slug or slug == "anonymous" or slug in seen:
            raise GenerationError(f"developer name {dev.username!r} is empty, reserved or duplicated")
        seen.add(slug)
        consumer = KongConsumer(
            id=entity_id(upload, f"consumer:{slug}"),
            username=f"{service_name}_{slug}",
            custom_id=f"justpush:{upload}:{slug}",
            tags=tags,
        )
        consumers.append(consumer)
        if dev.api_key is not None:
            key_auths.append(
                KeyAuthCredential(
                    id=entity_id(upload, f"key-auth:{slug}"),
                    consumer_id=consumer.id,
                    key=dev.api_key,
                    tags=tags,
                )
            )
        if dev.jwt is not None:
            jwts.append(
                JwtCredential(
                    id=entity_id(upload, f"jwt:{slug}"),
                    consumer_id=consumer.id,
                    key=dev.jwt.key,
                    secret=dev.jwt.secret,
                    algorithm=dev.jwt.algorithm,
                    tags=tags,
                )
            )
        if dev.basic_password is not None:
            basics.append(
                BasicAuthCredential(
                    id=entity_id(upload, f"basic-auth:{slug}"),
                    consumer_id=consumer.id,
                    username=consumer.username,
                    password=dev.basic_password,
                    tags=tags,
                )
            )
    return consumers, key_auths, jwts, basics


def _isolation_acl(group: str, user: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """The ``acl`` config that admits only the upload's consumers, merged with the spec's own acl settings."""
    user = dict(user or {})
    if user.get("deny"):
        raise GenerationError(
            f"{where}: x-kong-plugin-acl sets 'deny', but JustPush sets 'allow' on authenticated routes to "
            "isolate uploads and Kong's acl takes only one of them; list groups under 'allow' instead"
        )
    user.pop("deny", None)
    extra = user.pop("allow", None) or []
    if not isinstance(extra, list) or not all(isinstance(g, str) for g in extra):
        raise GenerationError(f"{where}: x-kong-plugin-acl 'allow' must be a list of group names")
    allow = sorted({group, *extra})
    return {"allow": allow, "hide_groups_header": True, **user}


def _shared_auth(
    routes: list[KongRoute],
    doc_layer: _Layer,
    route_layers: Mapping[str, _Layer],
    auth_plans: Mapping[str, AuthPlan],
) -> AuthPlan | None:
    """The auth every route has, when it can live once on the service instead of on each route.

    Only when every route of the service gets the identical plugins: a public route (``security: []``)
    or one with other schemes keeps the service clear of auth. Alternatives with the anonymous consumer
    stay on the routes (their request-termination is scoped to route and consumer), and so does auth
    whose plugin (or acl) a document or route extension also configures.
    """
    first = auth_plans[routes[0].id]
    if not first.plugins or first.anonymous or first.terminate_anonymous:
        return None
    if any(auth_plans[route.id].plugins != first.plugins for route in routes):
        return None
    names = {*first.plugins, "acl"}
    if names & doc_layer.keys() or any(names & route_layers[route.id].keys() for route in routes):
        return None
    return first


def _plugins(
    upload: str,
    service: KongService,
    routes: list[KongRoute],
    doc_layer: _Layer,
    route_layers: Mapping[str, _Layer],
    auth_plans: Mapping[str, AuthPlan],
    anonymous: KongConsumer | None,
    tags: tuple[str, ...],
    warnings: list[str],
) -> list[KongPlugin]:
    plugins: list[KongPlugin] = []
    group = acl_group(upload)
    # A plugin switched off on some route cannot live on the service (a route cannot disable it there),
    # so it is placed on each route that keeps it instead.
    per_route = {name for layer in route_layers.values() for name, cfg in layer.items() if cfg is None}
    on_service = {
        name: config for name, config in doc_layer.items() if config is not None and name not in per_route
    }
    shared = _shared_auth(routes, doc_layer, route_layers, auth_plans)
    if shared is not None:
        on_service.update(shared.plugins)
    # Auth on the service authenticates every route, so the service gets the acl too.
    service_auth = bool(on_service.keys() & CONSUMER_AUTH_PLUGINS)
    if service_auth:
        on_service["acl"] = _isolation_acl(group, doc_layer.get("acl"), "document")
    for name in sorted(on_service):
        plugins.append(
            _plugin_entity(upload, name, on_service[name], tags, scope="service", service_id=service.id)
        )
    for route in routes:
        layer = route_layers[route.id]
        own: dict[str, dict[str, Any]] = {}
        for name in sorted(set(layer) | per_route):
            if name in layer and layer[name] is None:
                continue
            effective = _apply(doc_layer, layer).get(name)
            if effective is None:
                continue
            if name in layer or name in per_route:
                own[name] = effective
        plan = AuthPlan() if shared is not None else auth_plans[route.id]
        for name, config in plan.plugins.items():
            merged = {**config, **(own.get(name) or {})}
            if plan.anonymous and anonymous is not None:
                merged["anonymous"] = anonymous.id
            own[name] = merged
        # A route's own acl replaces the service's, so it must isolate too when the route is authenticated.
        if own.keys() & CONSUMER_AUTH_PLUGINS or (service_auth and "acl" in own):
            own["acl"] = _isolation_acl(group, _apply(doc_layer, layer).get("acl"), route.operation)
        if "acl" in own or service_auth:
            effective_names = set(own) | set(on_service)
            if "openid-connect" in effective_names:
                warnings.append(
                    f"{route.operation}: the acl plugin that isolates uploads admits only consumers in "
                    f"group {group!r}; openid-connect users must be mapped to such consumers "
                    "(consumer_claim) or they get 403"
                )
        for name in sorted(own):
            plugins.append(
                _plugin_entity(
                    upload,
                    name,
                    own[name],
                    tags,
                    scope=f"route:{route.operation}",
                    route_id=route.id,
                )
            )
        if plan.terminate_anonymous and anonymous is not None:
            plugins.append(
                _plugin_entity(
                    upload,
                    "request-termination",
                    {"status_code": 401, "message": "Unauthorized: no accepted credentials"},
                    tags,
                    scope=f"route:{route.operation}:consumer:anonymous",
                    route_id=route.id,
                    consumer_id=anonymous.id,
                )
            )
    return plugins
