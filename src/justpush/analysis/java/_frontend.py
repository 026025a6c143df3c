"""Java extractor: Spring Boot (MVC annotations, Spring Security) and the JDK com.sun.net.httpserver."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .._files import iter_sources
from .._model import EnvVar, Evidence, ExtractedApi, HttpMethod, Operation, Parameter, ProjectProfile
from .._treesitter import (
    HTTP_METHODS,
    AuthHint,
    Node,
    Parsed,
    RouteDecl,
    RouterGraph,
    build_operation,
    env_var,
    evidence,
    field_,
    first_port,
    join_paths,
    line,
    named_children,
    operations_from_graph,
    parse_all,
    rebase_api,
    rebase_env,
    rebase_port,
    sort_operations,
    text,
    to_template,
    unresolved_type,
    walk,
)

_MAPPINGS: dict[str, HttpMethod | None] = {
    "GetMapping": "get",
    "PostMapping": "post",
    "PutMapping": "put",
    "DeleteMapping": "delete",
    "PatchMapping": "patch",
    "RequestMapping": None,
}
_STATUS = {
    "OK": "200",
    "CREATED": "201",
    "ACCEPTED": "202",
    "NO_CONTENT": "204",
    "BAD_REQUEST": "400",
    "UNAUTHORIZED": "401",
    "FORBIDDEN": "403",
    "NOT_FOUND": "404",
    "CONFLICT": "409",
}
_JAVA_TYPES: dict[str, dict[str, Any]] = {
    "String": {"type": "string"},
    "CharSequence": {"type": "string"},
    "char": {"type": "string"},
    "Character": {"type": "string"},
    "UUID": {"type": "string", "format": "uuid"},
    "int": {"type": "integer", "format": "int32"},
    "Integer": {"type": "integer", "format": "int32"},
    "short": {"type": "integer"},
    "Short": {"type": "integer"},
    "byte": {"type": "integer"},
    "long": {"type": "integer", "format": "int64"},
    "Long": {"type": "integer", "format": "int64"},
    "BigInteger": {"type": "integer"},
    "double": {"type": "number", "format": "double"},
    "Double": {"type": "number", "format": "double"},
    "float": {"type": "number", "format": "float"},
    "Float": {"type": "number", "format": "float"},
    "BigDecimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "Boolean": {"type": "boolean"},
    "LocalDate": {"type": "string", "format": "date"},
    "LocalDateTime": {"type": "string", "format": "date-time"},
    "Instant": {"type": "string", "format": "date-time"},
    "OffsetDateTime": {"type": "string", "format": "date-time"},
    "ZonedDateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date-time"},
    "Object": {},
    "JsonNode": {},
}
_ARRAYS = ("List", "Set", "Collection", "Iterable", "Flux", "Stream", "ArrayList", "HashSet")
_WRAPPERS = ("ResponseEntity", "Optional", "Mono", "CompletableFuture", "HttpEntity")
_REQUIRED_ANNOTATIONS = ("NotNull", "NotBlank", "NotEmpty")


def _string(node: Node | None) -> str | None:
    if node is None or node.type != "string_literal":
        return None
    return "".join(text(c) for c in node.named_children if c.type in ("string_fragment", "escape_sequence"))


def _annotations(node: Node) -> dict[str, Node]:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    found: dict[str, Node] = {}
    for ann in named_children(modifiers):
        if ann.type in ("annotation", "marker_annotation"):
            found[text(field_(ann, "name")).split(".")[-1]] = ann
    return found


def _ann_args(ann: Node) -> dict[str, Node]:
    """Annotation arguments by name; a single unnamed argument is `value`."""
    out: dict[str, Node] = {}
    for arg in named_children(field_(ann, "arguments")):
        if arg.type == "element_value_pair":
            value = field_(arg, "value")
            if value is not None:
                out[text(field_(arg, "key"))] = value
        else:
            out["value"] = arg
    return out


class _Project:
    def __init__(self, files: list[Parsed], warnings: list[str]) -> None:
        self.files = files
        self.warnings = warnings
        self.classes: dict[str, tuple[Parsed, Node]] = {}
        self.constants: dict[str, dict[str, Node]] = {}
        self.schemas: dict[str, dict[str, Any]] = {}
        for parsed in files:
            for node in walk(parsed.root):
                if node.type in (
                    "class_declaration",
                    "record_declaration",
                    "enum_declaration",
                    "interface_declaration",
                ):
                    name = text(field_(node, "name"))
                    self.classes.setdefault(name, (parsed, node))
                    consts = self.constants.setdefault(name, {})
                    for member in named_children(field_(node, "body")):
                        if member.type in ("field_declaration", "constant_declaration"):
                            mods = text(next((c for c in member.children if c.type == "modifiers"), None))
                            if node.type == "interface_declaration" or ("static" in mods and "final" in mods):
                                for decl in member.children_by_field_name("declarator"):
                                    value = field_(decl, "value")
                                    if value is not None:
                                        consts[text(field_(decl, "name"))] = value

    def string(self, node: Node | None, owner: str, depth: int = 0) -> str | None:
        """A compile-time String: literals, `+`, and static final constants of this or another class."""
        if node is None or depth > 10:
            return None
        if (value := _string(node)) is not None:
            return value
        if node.type == "binary_expression" and text(field_(node, "operator")) == "+":
            left = self.string(field_(node, "left"), owner, depth + 1)
            right = self.string(field_(node, "right"), owner, depth + 1)
            return left + right if left is not None and right is not None else None
        if node.type == "parenthesized_expression" and named_children(node):
            return self.string(named_children(node)[0], owner, depth + 1)
        if node.type == "identifier":
            name = text(node)
            if name in self.constants.get(owner, {}):
                return self.string(self.constants[owner][name], owner, depth + 1)
            holders = [c for c, consts in self.constants.items() if name in consts]
            if len(holders) == 1:
                return self.string(self.constants[holders[0]][name], holders[0], depth + 1)
        if node.type == "field_access":
            cls = text(field_(node, "object")).split(".")[-1]
            name = text(field_(node, "field"))
            if name in self.constants.get(cls, {}):
                return self.string(self.constants[cls][name], cls, depth + 1)
        return None

    def strings(self, node: Node | None, owner: str) -> list[str | None]:
        if node is None:
            return []
        if node.type == "element_value_array_initializer":
            return [self.string(n, owner) for n in named_children(node)]
        return [self.string(node, owner)]

    # --- schemas ---

    def type_schema(self, node: Node | None) -> dict[str, Any] | None:
        """JSON schema of a Java type; None for void."""
        if node is None or node.type == "void_type":
            return None
        if node.type in ("integral_type", "floating_point_type", "boolean_type"):
            return dict(_JAVA_TYPES.get(text(node), {}))
        if node.type == "array_type":
            return {"type": "array", "items": self.type_schema(field_(node, "element")) or {}}
        if node.type == "generic_type":
            children = named_children(node)
            name = text(children[0]).split(".")[-1]
            args = named_children(children[1]) if len(children) > 1 else []
            if name in _ARRAYS and args:
                return {"type": "array", "items": self.type_schema(args[0]) or {}}
            if name in _WRAPPERS and args:
                if args[0].type == "wildcard" or text(args[0]) in ("Void", "?"):
                    return {} if text(args[0]) != "Void" else None
                return self.type_schema(args[0])
            if name in ("Map", "HashMap") and len(args) == 2:
                return {"type": "object", "additionalProperties": self.type_schema(args[1]) or {}}
            return self.ref(name)
        name = text(node).split(".")[-1]
        if name == "Void":
            return None
        if name in _JAVA_TYPES:
            return dict(_JAVA_TYPES[name])
        return self.ref(name)

    def ref(self, name: str) -> dict[str, Any]:
        found = self.classes.get(name)
        if found is None:
            return unresolved_type(name)
        if name not in self.schemas:
            self.schemas[name] = {}
            self.schemas[name] = self._class_schema(found[1])
        return {"$ref": f"#/components/schemas/{name}"}

    def _class_schema(self, node: Node) -> dict[str, Any]:
        if node.type == "enum_declaration":
            return {
                "type": "string",
                "enum": [
                    text(field_(c, "name"))
                    for c in named_children(field_(node, "body"))
                    if c.type == "enum_constant"
                ],
            }
        members: list[tuple[Node, Node | None, str]] = []
        if node.type == "record_declaration":
            for param in named_children(field_(node, "parameters")):
                members.append((param, field_(param, "type"), text(field_(param, "name"))))
        else:
            for member in named_children(field_(node, "body")):
                if member.type != "field_declaration":
                    continue
                mods = text(next((c for c in member.children if c.type == "modifiers"), None))
                if "static" in mods:
                    continue
                for decl in member.children_by_field_name("declarator"):
                    members.append((member, field_(member, "type"), text(field_(decl, "name"))))
        properties: dict[str, Any] = {}
        required: list[str] = []
        for holder, type_node, name in members:
            annotations = _annotations(holder)
            if "JsonIgnore" in annotations:
                continue
            if "JsonProperty" in annotations:
                name = _string(_ann_args(annotations["JsonProperty"]).get("value")) or name
            properties[name] = self.type_schema(type_node) or {}
            if any(a in annotations for a in _REQUIRED_ANNOTATIONS):
                required.append(name)
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = sorted(required)
        return schema


def _typed(value: str | None, schema: dict[str, Any]) -> Any:
    """A defaultValue string as the JSON value of the parameter's type."""
    kind = schema.get("type")
    try:
        if kind == "integer" and value is not None:
            return int(value)
        if kind == "number" and value is not None:
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


class _Spring:
    def __init__(self, project: _Project) -> None:
        self.project = project
        self.security: dict[str, Any] = {}
        self.public: list[tuple[HttpMethod | None, str]] = []
        self.secured_by_default = False

    def run(self) -> list[Operation]:
        self._security_config()
        operations: list[Operation] = []
        for name, (parsed, cls) in sorted(self.project.classes.items()):
            annotations = _annotations(cls)
            if "RestController" not in annotations and "Controller" not in annotations:
                continue
            prefixes: list[str | None] = [""]
            if "RequestMapping" in annotations:
                args = _ann_args(annotations["RequestMapping"])
                prefixes = self.project.strings(args.get("value") or args.get("path"), name) or [""]
            for member in named_children(field_(cls, "body")):
                if member.type == "method_declaration":
                    for prefix in prefixes:
                        operations.extend(self._method(parsed, name, member, prefix))
        return operations

    def _method(self, parsed: Parsed, owner: str, method: Node, prefix: str | None) -> list[Operation]:
        annotations = _annotations(method)
        mapping = next((a for a in _MAPPINGS if a in annotations), None)
        if mapping is None:
            return []
        args = _ann_args(annotations[mapping])
        paths = self.project.strings(args.get("value") or args.get("path"), owner) or [""]
        verbs: list[HttpMethod | None] = [_MAPPINGS[mapping]]
        if mapping == "RequestMapping":
            method_arg = args.get("method")
            names = [
                text(n).split(".")[-1].lower()
                for n in (
                    named_children(method_arg)
                    if method_arg is not None and method_arg.type == "element_value_array_initializer"
                    else [method_arg]
                    if method_arg is not None
                    else []
                )
            ]
            verbs = [m for m in HTTP_METHODS if m in names] or [None]
        decl = RouteDecl(None, "", parsed.path, line(method))
        params: list[Parameter] = []
        for param in named_children(field_(method, "parameters")):
            param_annotations = _annotations(param)
            type_node = field_(param, "type")
            pname = text(field_(param, "name"))
            for ann, location in (
                ("PathVariable", "path"),
                ("RequestParam", "query"),
                ("RequestHeader", "header"),
            ):
                if ann not in param_annotations:
                    continue
                pargs = _ann_args(param_annotations[ann])
                key = self.project.string(pargs.get("value") or pargs.get("name"), owner) or pname
                schema = self.project.type_schema(type_node) or {"type": "string"}
                optional = (
                    text(pargs.get("required")) == "false"
                    or "defaultValue" in pargs
                    or text(type_node).startswith("Optional")
                )
                if "defaultValue" in pargs:
                    schema = {**schema, "default": _typed(_string(pargs["defaultValue"]), schema)}
                params.append(Parameter(key, location, schema, required=location == "path" or not optional))  # type: ignore[arg-type]
            if "RequestBody" in param_annotations:
                decl.request_body = self.project.type_schema(type_node)
        decl.parameters = tuple(params)
        status = "200"
        if "ResponseStatus" in annotations:
            sargs = _ann_args(annotations["ResponseStatus"])
            code = sargs.get("value") or sargs.get("code")
            status = _STATUS.get(text(code).split(".")[-1], status)
        decl.responses[status] = self.project.type_schema(field_(method, "type"))
        operations: list[Operation] = []
        for path in paths:
            if prefix is None or path is None:
                unresolved = {"path": "mapping path uses a value that is not a compile-time constant"}
                full = join_paths(prefix or "", path or "")
            else:
                unresolved = {}
                full = join_paths(prefix, path)
            template, notes = to_template(full)
            for verb in verbs:
                notes_here = {**notes, **unresolved}
                if verb is None:
                    notes_here["method"] = (
                        "@RequestMapping without method= matches every HTTP method; GET assumed"
                    )
                chosen: HttpMethod = verb or "get"
                operations.append(
                    build_operation(chosen, template, decl, self._security_for(chosen, template), notes_here)
                )
        return operations

    def _security_config(self) -> None:
        """SecurityFilterChain beans: the schemes (httpBasic, JWT resource server) and the public paths."""
        for parsed in self.project.files:
            for method in walk(parsed.root):
                if (
                    method.type != "method_declaration"
                    or text(field_(method, "type")) != "SecurityFilterChain"
                ):
                    continue
                body = text(field_(method, "body"))
                if "httpBasic" in body:
                    self.security[AuthHint("basic").scheme_name] = AuthHint("basic").scheme
                if "oauth2ResourceServer" in body:
                    hint = AuthHint("bearer", jwt="jwt" in body)
                    self.security[hint.scheme_name] = hint.scheme
                self.secured_by_default = self.secured_by_default or "authenticated()" in body
                for call in walk(method):
                    if call.type != "method_invocation" or text(field_(call, "name")) != "permitAll":
                        continue
                    matcher = field_(call, "object")
                    if (
                        matcher is None
                        or matcher.type != "method_invocation"
                        or not text(field_(matcher, "name")).endswith("Matchers")
                    ):
                        continue
                    verb: HttpMethod | None = None
                    for arg in named_children(field_(matcher, "arguments")):
                        if text(arg).startswith("HttpMethod."):
                            verb = text(arg).split(".")[-1].lower()  # type: ignore[assignment]
                        elif (pattern := _string(arg)) is not None:
                            self.public.append((verb, pattern))

    def _security_for(self, method: HttpMethod, template: str) -> list[dict[str, list[str]]] | None:
        if not self.security or not self.secured_by_default:
            return None
        for verb, pattern in self.public:
            if (verb is None or verb == method) and _ant_match(pattern, template):
                return []
        return [{name: []} for name in sorted(self.security)]


def _ant_match(pattern: str, path: str) -> bool:
    regex = ""
    for part in re.split(r"(\*\*|\*|\{[^}]*\})", pattern):
        if part == "**":
            regex += ".*"
        elif part == "*" or part.startswith("{"):
            regex += "[^/]+"
        else:
            regex += re.escape(part)
    regex = regex.replace("/.*", "(/.*)?")
    return re.fullmatch(regex, re.sub(r"\{[^}]+\}", "x", path)) is not None


class _JdkServer:
    """com.sun.net.httpserver: createContext paths and the methods their handlers check."""

    def __init__(self, project: _Project) -> None:
        self.project = project

    def run(self, warnings: list[str]) -> list[Operation]:
        graph = RouterGraph()
        for parsed in self.project.files:
            for call in walk(parsed.root):
                if call.type != "method_invocation" or text(field_(call, "name")) != "createContext":
                    continue
                args = named_children(field_(call, "arguments"))
                owner = _enclosing_class(call)
                path = self.project.string(args[0], owner) if args else None
                if path is None:
                    warnings.append(
                        f"{parsed.path}:{line(call)}: createContext path is not a constant, skipped"
                    )
                    continue
                decl = RouteDecl(None, path, parsed.path, line(call))
                handler = self._handler_body(args[1]) if len(args) > 1 else None
                if handler is not None:
                    decl.handler_methods = _checked_methods(handler)
                    if "getRequestURI" in text(handler) and path != "/":
                        decl.unresolved["path"] = "context is a prefix; the handler parses sub-paths itself"
                graph.add("jdk", decl)
                graph.router("jdk", is_app=True)
        operations, _ = operations_from_graph(graph, warnings)
        return operations

    def _handler_body(self, expr: Node) -> Node | None:
        if expr.type == "lambda_expression":
            return expr
        if expr.type == "object_creation_expression":
            found = self.project.classes.get(text(field_(expr, "type")).split("<")[0])
            if found is not None:
                return found[1]
            return field_(expr, "body") if field_(expr, "body") is not None else expr
        if expr.type == "method_reference":
            name = text(named_children(expr)[-1])
            for parsed in self.project.files:
                for node in walk(parsed.root):
                    if node.type == "method_declaration" and text(field_(node, "name")) == name:
                        return node
        return None


def _enclosing_class(node: Node) -> str:
    current: Node | None = node
    while current is not None and current.type not in (
        "class_declaration",
        "record_declaration",
        "enum_declaration",
    ):
        current = current.parent
    return text(field_(current, "name")) if current is not None else ""


def _checked_methods(handler: Node) -> tuple[HttpMethod, ...]:
    """Methods compared with getRequestMethod(): equals/equalsIgnoreCase either way round, or switch cases."""
    found: set[str] = set()
    for node in walk(handler):
        if node.type == "method_invocation" and text(field_(node, "name")) in ("equals", "equalsIgnoreCase"):
            args = named_children(field_(node, "arguments"))
            parts = [field_(node, "object"), *args]
            if any("getRequestMethod" in text(p) for p in parts):
                found.update(v.lower() for p in parts if (v := _string(p)) is not None)
        elif node.type == "switch_expression" and "getRequestMethod" in text(field_(node, "condition")):
            for label in walk(node):
                if label.type == "switch_label":
                    found.update(v.lower() for c in named_children(label) if (v := _string(c)) is not None)
    return tuple(m for m in HTTP_METHODS if m in found)


def _parse(root: Path, warnings: list[str]) -> list[Parsed]:
    return parse_all(root, (".java",), lambda p: "java", warnings)


def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    """Routes, schemas and security of a Spring Boot or plain-JDK HTTP service."""
    warnings: list[str] = []
    project = _Project(_parse(root, warnings), warnings)
    spring = _Spring(project)
    operations = [*spring.run(), *_JdkServer(project).run(warnings)]
    api = ExtractedApi(
        operations=sort_operations(operations),
        schemas=dict(sorted(project.schemas.items())),
        security_schemes=dict(sorted(spring.security.items())) if spring.secured_by_default else {},
        warnings=warnings,
    )
    return rebase_api(api, profile.app_dir)


# --- configuration, environment and port -------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{([^}:]+)(?::([^}]*))?\}")


def _config_files(root: Path, warnings: list[str]) -> list[tuple[str, dict[str, tuple[str, int]]]]:
    """Flattened application*.properties / application*.yml: key → (value, line)."""
    out: list[tuple[str, dict[str, tuple[str, int]]]] = []
    for source in iter_sources(root, (".properties", ".yml", ".yaml"), warnings):
        name = source.path.rsplit("/", 1)[-1]
        if not name.startswith(("application", "bootstrap")):
            continue
        values: dict[str, tuple[str, int]] = {}
        if name.endswith(".properties"):
            for number, raw in enumerate(source.text.splitlines(), start=1):
                stripped = raw.strip()
                if not stripped or stripped.startswith(("#", "!")):
                    continue
                parts = re.split(r"\s*[=:]\s*", stripped, maxsplit=1)
                key, value = parts[0], parts[1] if len(parts) > 1 else ""
                values[key] = (value, number)
        else:
            try:
                documents = list(yaml.safe_load_all(source.text))
            except yaml.YAMLError as exc:
                warnings.append(f"{source.path}: invalid YAML ({exc.__class__.__name__}), skipped")
                continue
            for document in documents:
                _flatten(document, "", values, source.text)
        out.append((source.path, values))
    return out


def _flatten(value: object, prefix: str, into: dict[str, tuple[str, int]], raw: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), into, raw)
    elif value is not None and not isinstance(value, list):
        leaf = prefix.rsplit(".", 1)[-1]
        match = re.search(rf"^\s*{re.escape(leaf)}\s*:", raw, re.MULTILINE)
        into.setdefault(
            prefix,
            (
                str(value).lower() if isinstance(value, bool) else str(value),
                raw[: match.start()].count("\n") + 1 if match else 1,
            ),
        )


def _relaxed_env_name(prop: str) -> str:
    # Spring Boot's relaxed binding: server.port ← SERVER_PORT, my-app.api-key ← MYAPP_APIKEY.
    return prop.replace("-", "").replace(".", "_").upper()


def _env_reads(root: Path) -> list[EnvVar]:
    warnings: list[str] = []
    project = _Project(_parse(root, warnings), warnings)
    configs = _config_files(root, warnings)
    defined = {key: value for _, values in configs for key, (value, _) in values.items()}
    found: list[EnvVar] = []
    for parsed in project.files:
        for node in walk(parsed.root):
            if node.type == "method_invocation" and text(field_(node, "name")) == "getenv":
                args = named_children(field_(node, "arguments"))
                name = _string(args[0]) if args else None
                if name is not None:
                    found.append(env_var(name, _java_default(node), evidence(parsed.path, node)))
                elif not args and node.parent is not None:
                    # System.getenv().getOrDefault("X", "d")
                    outer = node.parent
                    if outer.type == "method_invocation" and text(field_(outer, "name")) in (
                        "getOrDefault",
                        "get",
                    ):
                        oargs = named_children(field_(outer, "arguments"))
                        if oargs and (name := _string(oargs[0])) is not None:
                            default = _string(oargs[1]) if len(oargs) > 1 else None
                            found.append(env_var(name, default, evidence(parsed.path, outer)))
            elif node.type in ("annotation",) and text(field_(node, "name")) == "Value":
                value = _string(_ann_args(node).get("value")) or ""
                for match in _PLACEHOLDER.finditer(value):
                    prop, default = match.group(1), match.group(2)
                    if prop in defined:
                        inner = _PLACEHOLDER.fullmatch(defined[prop])
                        if inner is not None:
                            continue
                        # A value in application.properties/yml wins over the @Value fallback.
                        default = defined[prop]
                    found.append(
                        env_var(
                            _relaxed_env_name(prop), default, evidence(parsed.path, node, f"@Value {prop}")
                        )
                    )
    for path, values in configs:
        for key, (value, number) in values.items():
            for match in _PLACEHOLDER.finditer(value):
                found.append(env_var(match.group(1), match.group(2), Evidence(path, number, key)))
    return found


def _java_default(getenv: Node) -> str | None:
    """Fallbacks around System.getenv("X"): getOrDefault, Optional…orElse("d"), `x != null ? x : "d"`."""
    parent = getenv.parent
    for _ in range(4):
        if parent is None:
            return None
        if parent.type == "method_invocation" and text(field_(parent, "name")) == "orElse":
            args = named_children(field_(parent, "arguments"))
            return _string(args[0]) if args else None
        if parent.type == "ternary_expression" and "getenv" in text(field_(parent, "consequence")):
            alternative = field_(parent, "alternative")
            return _string(alternative) or (
                text(alternative)
                if alternative is not None and alternative.type == "decimal_integer_literal"
                else None
            )
        parent = parent.parent
    return None


def scan_env(root: Path, profile: ProjectProfile) -> list[EnvVar]:
    """Environment variables from System.getenv, @Value placeholders and application.properties/yml."""
    return rebase_env(_env_reads(root), profile.app_dir)


def find_port(root: Path, profile: ProjectProfile) -> tuple[int, Evidence] | None:
    """server.port from Spring config, HttpServer.create(new InetSocketAddress(N)), else Spring's 8080."""
    warnings: list[str] = []
    candidates: list[tuple[int, Evidence]] = []
    for path, values in _config_files(root, warnings):
        if "server.port" in values:
            value, number = values["server.port"]
            placeholder = _PLACEHOLDER.fullmatch(value)
            port = placeholder.group(2) if placeholder else value
            if port and port.isdigit():
                candidates.append((int(port), Evidence(path, number, "server.port")))
    project = _Project(_parse(root, warnings), warnings)
    env = {v.name: v.default for v in _env_reads(root) if v.default is not None}
    for parsed in project.files:
        for node in walk(parsed.root):
            if (
                node.type == "object_creation_expression"
                and text(field_(node, "type")) == "InetSocketAddress"
            ):
                args = named_children(field_(node, "arguments"))
                port = _int_value(args[-1], node, env, 0) if args else None
                if port is not None:
                    candidates.append((port, evidence(parsed.path, node)))
    if candidates:
        return rebase_port(first_port(candidates, profile), profile.app_dir)
    if project.files:
        default = Evidence(project.files[0].path, None, "default port 8080")
        return rebase_port((8080, default), profile.app_dir)
    return None


def _int_value(expr: Node | None, at: Node, env: dict[str, str], depth: int) -> int | None:
    if expr is None or depth > 6:
        return None
    if expr.type == "decimal_integer_literal":
        return int(text(expr).rstrip("lL").replace("_", ""))
    if (value := _string(expr)) is not None:
        return int(value) if value.isdigit() else None
    if expr.type == "method_invocation":
        name = text(field_(expr, "name"))
        args = named_children(field_(expr, "arguments"))
        if name in ("parseInt", "valueOf", "orElse") and args:
            return _int_value(args[0], at, env, depth + 1)
        if name == "getOrDefault" and len(args) == 2:
            return _int_value(args[1], at, env, depth + 1)
        if name == "getenv" and args:
            default = env.get(_string(args[0]) or "")
            return int(default) if default and default.isdigit() else None
    if expr.type == "ternary_expression":
        return _int_value(field_(expr, "alternative"), at, env, depth + 1) or _int_value(
            field_(expr, "consequence"), at, env, depth + 1
        )
    if expr.type == "identifier":
        roots: list[Node] = []
        scope: Node | None = at
        while scope is not None:
            if scope.type in ("method_declaration", "program"):
                roots.append(scope)
            scope = scope.parent
        for root in roots:
            for node in walk(root):
                if node.type == "variable_declarator" and text(field_(node, "name")) == text(expr):
                    return _int_value(field_(node, "value"), node, env, depth + 1)
    return None
