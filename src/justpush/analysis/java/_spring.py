"""Spring MVC: @RestController/@Controller mappings (also inherited from interfaces and base classes),
the servlet context path, Spring Security's filter chain, and controllers of openapi-generator interfaces."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .._model import HttpMethod, Operation, Parameter
from .._treesitter import (
    HTTP_METHODS,
    AuthHint,
    Node,
    RouteDecl,
    build_operation,
    classify_auth,
    field_,
    join_paths,
    line,
    named_children,
    text,
    to_template,
    walk,
)
from ._annotations import annotation_args, annotations_of
from ._config import PLACEHOLDER
from ._generated import GeneratedApis
from ._prefixes import context_path, is_reactive, package_of, path_prefixes, prefix_for
from ._resolve import Resolver, Scope, literal, supertypes
from ._schema import JAVA_TYPES, Schemas

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
# HttpServletRequest's readers of request parameters (the query string, or a form body).
_SERVLET_READS = frozenset({"getParameter", "getParameterValues"})
_PARAM_ANNOTATIONS = (("PathVariable", "path"), ("RequestParam", "query"), ("RequestHeader", "header"))
# Parameters Spring binds from the request itself, never from the query string.
_NOT_QUERY = frozenset(
    {
        "RequestBody",
        "ModelAttribute",
        "AuthenticationPrincipal",
        "CookieValue",
        "RequestAttribute",
        "SessionAttribute",
        "Valid",
        "RequestPart",
        "MatrixVariable",
    }
)
# Annotations a model attribute parameter may carry (any other one means an argument resolver fills it).
_MODEL_ATTRIBUTE = frozenset({"ModelAttribute", "Valid", "Validated"})
_SIMPLE_QUERY_TYPES = frozenset(t for t in JAVA_TYPES if t not in ("Object", "JsonNode"))
_PAGEABLE = ("Pageable", "PageRequest")
# Uploaded files: a part of a multipart/form-data body, never a query parameter.
_FILE_TYPES = frozenset({"MultipartFile", "Part", "FilePart"})
_FILE_SCHEMA: dict[str, Any] = {"type": "string", "format": "binary"}
_MAX_SUPERTYPES = 20
_JAVA_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


# A mapping path as far as it is known, and why it is not fully known (None: resolved).
_Path = tuple[str, str | None]


@dataclass(frozen=True)
class _Mapping:
    """A mapped method and where it is declared (the controller or one of its supertypes)."""

    method: Node
    file: str
    owner: str


class Spring:
    def __init__(self, resolver: Resolver, schemas: Schemas, warnings: list[str]) -> None:
        self.resolver = resolver
        self.index = resolver.index
        self.schemas = schemas
        self.warnings = warnings
        self.security: dict[str, Any] = {}
        self.public: list[tuple[HttpMethod | None, str]] = []
        self.secured_by_default = False
        self.generated = GeneratedApis(resolver.index, warnings)
        self.mappings = _MAPPINGS | self._composed_mappings()

    def _composed_mappings(self) -> dict[str, HttpMethod | None]:
        """The project's own mapping annotations (`@interface AnonymousGetMapping` annotated with
        `@RequestMapping(method = RequestMethod.GET)` or `@GetMapping`), by name, with their method."""
        found: dict[str, HttpMethod | None] = {}
        for path in self.index.files_containing("@interface"):
            for node in walk(self.index.parsed(path).root):
                if node.type != "annotation_type_declaration":
                    continue
                meta = annotations_of(node)
                kind = next((a for a in _MAPPINGS if a in meta), None)
                if kind is None:
                    continue
                verb = _MAPPINGS[kind]
                if kind == "RequestMapping":
                    verbs = _request_methods(annotation_args(meta[kind]).get("method"))
                    verb = verbs[0] if len(verbs) == 1 else None
                found[text(field_(node, "name"))] = verb
        return found

    def context_path(self) -> str:
        return context_path(self.resolver, is_reactive(self.index.root), self.warnings)

    def other_applications(self, entrypoint: str | None) -> list[str]:
        """The module folders of the build's other Spring Boot applications than the entrypoint's (a
        multi-module build with an admin app and sample apps, services of a monorepo): not this app."""
        if not entrypoint:
            return []
        entry_module = _module_of(self.index.root, entrypoint)
        others: dict[str, str] = {}
        for path in self.index.files_containing("@SpringBootApplication"):
            module = _module_of(self.index.root, path)
            contains_entry = module == "." or entry_module == module or entry_module.startswith(module + "/")
            if not contains_entry:
                others.setdefault(module, path)
        for module, main in sorted(others.items()):
            self.warnings.append(
                f"{main}: another Spring Boot application than {entrypoint}, which the image runs;"
                f" the routes of {module}/ are left out"
            )
        return sorted(others)

    def run(self, entrypoint: str | None = None) -> list[Operation]:
        self._security_config()
        context = self.context_path()
        prefixes = path_prefixes(self.index, self.resolver, self.warnings)
        operations: list[Operation] = []
        others = tuple(f"{module}/" for module in self.other_applications(entrypoint))
        for path in self.index.files_containing("Controller"):
            if path.startswith(others):
                continue
            for node in walk(self.index.parsed(path).root):
                if node.type != "class_declaration":
                    continue
                found = annotations_of(node)
                if "RestController" not in found and "Controller" not in found:
                    continue
                if "abstract" in text(next((c for c in node.children if c.type == "modifiers"), None)):
                    continue
                package = package_of(self.index.sources[path].text) if prefixes else ""
                prefix = prefix_for(prefixes, node, package)
                operations.extend(
                    self._controller(path, node, join_paths(context, prefix) if prefix else context)
                )
        declared = {(op.method, op.path) for op in operations}
        operations.extend(
            op for op in self._security_endpoints(context) if (op.method, op.path) not in declared
        )
        return operations

    def _security_endpoints(self, context: str) -> list[Operation]:
        """What Spring Security itself answers when the configuration asks for it: the login processing
        URL (`formLogin().loginProcessingUrl("/doLogin")`, a login filter's `setFilterProcessesUrl`) and
        logout (`.logout()`, `/logout` unless `logoutUrl` says otherwise), both POST."""
        found: list[tuple[str, str, Node]] = []
        for path in self.index.files_containing("HttpSecurity", "setFilterProcessesUrl"):
            logouts: list[Node] = []
            urls: list[Node] = []
            configures_http = "HttpSecurity" in self.index.sources[path].text
            for call in walk(self.index.parsed(path).root):
                if call.type != "method_invocation":
                    continue
                name = text(field_(call, "name"))
                arguments = named_children(field_(call, "arguments"))
                if name in ("loginProcessingUrl", "setFilterProcessesUrl", "logoutUrl") and arguments:
                    url = self.resolver.string(arguments[0], Scope(path, ""))
                    if url is not None:
                        found.append((path, url, call))
                        urls.append(call)
                elif name == "logout" and configures_http and not _disables(call):
                    logouts.append(call)
            if logouts and not any(text(field_(u, "name")) == "logoutUrl" for u in urls):
                found.append((path, "/logout", logouts[0]))
        operations: list[Operation] = []
        for path, url, call in found:
            template, notes = to_template(join_paths(context, url))
            decl = RouteDecl("post", url, path, line(call))
            decl.responses["200"] = None
            operations.append(
                build_operation("post", template, decl, self._security_for("post", template), notes)
            )
        return operations

    def _controller(self, path: str, cls: Node, context: str) -> list[Operation]:
        name = text(field_(cls, "name"))
        scope = Scope(path, name)
        prefixes = self._class_prefixes(cls, scope)
        mapped = self._mapped_methods(cls, path, name)
        operations: list[Operation] = []
        for mapping in mapped.values():
            for prefix in prefixes:
                operations.extend(self._method(mapping, prefix, context))
        for api in self._generated_supertypes(cls, name):
            for prefix in prefixes:
                operations.extend(
                    self.generated.operations(api, join_paths(context, prefix[0]), path, line(cls))
                )
        return operations

    def _class_prefixes(self, cls: Node, scope: Scope) -> list[_Path]:
        """The class's mapping paths, or those of its nearest supertype that has a class-level mapping."""
        pending: list[tuple[Node, Scope]] = [(cls, scope)]
        seen: set[str] = set()
        while pending and len(seen) < _MAX_SUPERTYPES:
            node, here = pending.pop(0)
            seen.add(here.type_name)
            found = annotations_of(node)
            if "RequestMapping" in found:
                args = annotation_args(found["RequestMapping"])
                value = args.get("value") or args.get("path")
                return self._paths(value, here, node) or [("", None)]
            for parent in supertypes(node):
                decl = self.index.type_(parent, here.file)
                if decl is not None and parent not in seen:
                    pending.append((decl.node, Scope(decl.file, decl.name)))
        return [("", None)]

    def _paths(self, value: Node | None, scope: Scope, at: Node) -> list[_Path]:
        out: list[_Path] = []
        if value is None:
            return out
        elements = named_children(value) if value.type == "element_value_array_initializer" else [value]
        for element in elements:
            resolved = self.resolver.string(element, scope)
            if resolved is None:
                self.warnings.append(
                    f"{scope.file}:{line(element)}: mapping path {text(element)} "
                    "is not a compile-time constant"
                )
                out.append(("", f"mapping {text(element)} is not a compile-time constant"))
                continue
            expanded, unknown = self.resolver.expand(resolved)
            if unknown:
                missing = ", ".join(unknown)
                self.warnings.append(
                    f"{scope.file}:{line(element)}: mapping path {resolved!r} uses {missing}, "
                    "which no application.properties|yml sets"
                )
                # The known parts stay: `${missing}/reports` is reported as /reports, marked unresolved.
                out.append(
                    (PLACEHOLDER.sub("", expanded), f"mapping {resolved} uses {missing}, not configured")
                )
            else:
                out.append((expanded, None))
        return out

    def _mapped_methods(self, cls: Node, path: str, name: str) -> dict[str, _Mapping]:
        """Mapped methods by signature: the class's own first, then inherited ones it does not redeclare."""
        found: dict[str, _Mapping] = {}
        pending: list[tuple[Node, str, str]] = [(cls, path, name)]
        seen: set[str] = set()
        while pending and len(seen) < _MAX_SUPERTYPES:
            node, file, owner = pending.pop(0)
            if owner in seen:
                continue
            seen.add(owner)
            for member in named_children(field_(node, "body")):
                if member.type != "method_declaration":
                    continue
                # Spring merges an overriding method with the mapping declared on the supertype's method.
                if any(a in annotations_of(member) for a in self.mappings):
                    found.setdefault(_signature(member), _Mapping(member, file, owner))
            for parent in supertypes(node):
                decl = self.index.type_(parent, file)
                if decl is not None:
                    pending.append((decl.node, decl.file, decl.name))
        return found

    def _generated_supertypes(self, cls: Node, name: str) -> list[str]:
        """`*Api` interfaces the class implements that no source declares: generated at build time."""
        out: list[str] = []
        pending, seen = [cls], {name}
        while pending:
            node = pending.pop(0)
            for parent in supertypes(node):
                if parent in seen:
                    continue
                seen.add(parent)
                decl = self.index.type_(parent)
                if decl is not None:
                    pending.append(decl.node)
                elif parent.endswith("Api"):
                    out.append(parent)
        return out

    def _method(self, mapping: _Mapping, prefix: _Path, context: str) -> list[Operation]:
        method = mapping.method
        scope = Scope(mapping.file, mapping.owner)
        found = annotations_of(method)
        kind = next(a for a in self.mappings if a in found)
        args = annotation_args(found[kind])
        paths = self._paths(args.get("value") or args.get("path"), scope, method) or [("", None)]
        verbs: list[HttpMethod | None] = [self.mappings[kind]]
        if kind == "RequestMapping":
            # Without method= Spring maps every method: each is an operation of its own.
            verbs = [*_request_methods(args.get("method"))] or [None, "post", "put", "patch", "delete"]
        decl = RouteDecl(None, "", mapping.file, line(method))
        decl.parameters = tuple(self._parameters(method, scope))
        for param in named_children(field_(method, "parameters")):
            if "RequestBody" in annotations_of(param):
                decl.request_body = self.schemas.of(field_(param, "type"), mapping.file)
        content_type = "application/json"
        if decl.request_body is None and (form := self._file_parts(method, scope)) is not None:
            decl.request_body, content_type = form, "multipart/form-data"
        status = "200"
        if "ResponseStatus" in found:
            sargs = annotation_args(found["ResponseStatus"])
            code = sargs.get("value") or sargs.get("code")
            status = _STATUS.get(text(code).split(".")[-1], status)
        decl.responses[status] = self.schemas.of(field_(method, "type"), mapping.file)
        operations: list[Operation] = []
        for path, reason in paths:
            unresolved: dict[str, str] = {}
            if prefix[1] is not None or reason is not None:
                unresolved["path"] = "; ".join(r for r in (prefix[1], reason) if r)
            template, notes = to_template(join_paths(context, prefix[0], path))
            for verb in verbs:
                here = {**notes, **unresolved}
                if len(verbs) > 1 and verbs[0] is None:
                    here["method"] = "@RequestMapping without method= matches every HTTP method"
                chosen: HttpMethod = verb or "get"
                operation = build_operation(
                    chosen, template, decl, self._security_for(chosen, template), here
                )
                operations.append(replace(operation, request_content_type=content_type))
        return operations

    def _parameters(self, method: Node, scope: Scope) -> list[Parameter]:
        params: list[Parameter] = []
        for param in named_children(field_(method, "parameters")):
            found = annotations_of(param)
            type_node = field_(param, "type")
            type_name = text(type_node).split("<")[0].split(".")[-1]
            pname = text(field_(param, "name"))
            if type_name in _PAGEABLE:
                params.extend(
                    Parameter(n, "query", s)
                    for n, s in (
                        ("page", {"type": "integer", "minimum": 0}),
                        ("size", {"type": "integer", "minimum": 1}),
                        ("sort", {"type": "array", "items": {"type": "string"}}),
                    )
                )
                continue
            if _file_type(type_node):
                continue
            located = [(a, loc) for a, loc in _PARAM_ANNOTATIONS if a in found]
            if not located:
                # Spring binds an unannotated simple-type parameter, or an array of them (`Long[] ids`),
                # as an optional request parameter.
                simple = type_name.removesuffix("[]")
                if (simple in _SIMPLE_QUERY_TYPES or self.schemas.is_enum(simple, scope.file)) and not (
                    set(found) & _NOT_QUERY
                ):
                    params.append(
                        Parameter(
                            pname, "query", self.schemas.of(type_node, scope.file) or {"type": "string"}
                        )
                    )
                elif (
                    set(found) <= _MODEL_ATTRIBUTE
                    and type_node is not None
                    and type_node.type == "type_identifier"
                ):
                    # A project class without an annotation (or with @ModelAttribute) is a model attribute:
                    # Spring fills its properties from the request parameters (`list(Employee filter)`).
                    fields = self.schemas.properties(type_name, scope.file) or {}
                    params.extend(Parameter(n, "query", s) for n, s in fields.items())
                continue
            for ann, location in located:
                pargs = annotation_args(found[ann])
                key = self.resolver.string(pargs.get("value") or pargs.get("name"), scope) or pname
                schema = self.schemas.of(type_node, scope.file) or {"type": "string"}
                optional = (
                    text(pargs.get("required")) == "false"
                    or "defaultValue" in pargs
                    or type_name == "Optional"
                )
                if "defaultValue" in pargs:
                    schema = {
                        **schema,
                        "default": _typed(self.resolver.string(pargs["defaultValue"], scope), schema),
                    }
                params.append(Parameter(key, location, schema, required=location == "path" or not optional))  # type: ignore[arg-type]
        return [*params, *self._servlet_reads(method, scope, {p.name for p in params})]

    def _servlet_reads(self, method: Node, scope: Scope, taken: set[str]) -> list[Parameter]:
        """`request.getParameter("id")` on the method's HttpServletRequest: a query parameter it reads."""
        requests = {
            text(field_(param, "name"))
            for param in named_children(field_(method, "parameters"))
            if text(field_(param, "type")).split(".")[-1] in ("HttpServletRequest", "ServletRequest")
        }
        found: list[Parameter] = []
        body = field_(method, "body")
        for node in walk(body) if requests and body is not None else ():
            if node.type != "method_invocation" or text(field_(node, "name")) not in _SERVLET_READS:
                continue
            if text(field_(node, "object")) not in requests:
                continue
            given = named_children(field_(node, "arguments"))
            name = self.resolver.string(given[0], scope) if given else None
            if name and name not in taken:
                taken.add(name)
                many = text(field_(node, "name")) == "getParameterValues"
                schema = {"type": "array", "items": {"type": "string"}} if many else {"type": "string"}
                found.append(Parameter(name, "query", schema))
        return found

    def _file_parts(self, method: Node, scope: Scope) -> dict[str, Any] | None:
        """The multipart/form-data body of a method taking uploaded files (`@RequestParam("file")
        MultipartFile file`, `@RequestPart List<MultipartFile> files`), None when it takes none."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for param in named_children(field_(method, "parameters")):
            type_node = field_(param, "type")
            if not _file_type(type_node):
                continue
            found = annotations_of(param)
            pargs = (
                annotation_args(found[a])
                if (a := next((a for a in ("RequestParam", "RequestPart") if a in found), None))
                else {}
            )
            name = self.resolver.string(pargs.get("value") or pargs.get("name"), scope) or text(
                field_(param, "name")
            )
            many = text(type_node).endswith("[]") or "<" in text(type_node)
            properties[name] = {"type": "array", "items": _FILE_SCHEMA} if many else _FILE_SCHEMA
            if text(pargs.get("required")) != "false":
                required.append(name)
        if not properties:
            return None
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        return {**schema, "required": required} if required else schema

    def _security_config(self) -> None:
        """SecurityFilterChain beans: the schemes (httpBasic, JWT resource server) and the public paths."""
        for path in self.index.files_containing("SecurityFilterChain"):
            for method in walk(self.index.parsed(path).root):
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
                for hint in self._filter_auth(method, path):
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
                        elif (pattern := literal(arg)) is not None:
                            self.public.append((verb, pattern))

    def _filter_auth(self, chain: Node, path: str) -> tuple[AuthHint, ...]:
        """What the filters a chain adds (`http.addFilterBefore(jwtFilter, ...)`) check: their class reads
        the Authorization header (a Bearer JWT, Basic) or an API-key header."""
        source = self.index.sources[path].text
        names: set[str] = set()
        for call in walk(chain):
            if call.type != "method_invocation" or not text(field_(call, "name")).startswith("addFilter"):
                continue
            arguments = named_children(field_(call, "arguments"))
            if not arguments:
                continue
            added = arguments[0]
            if added.type == "object_creation_expression":
                names.add(text(field_(added, "type")).split("<")[0])
            elif added.type == "identifier":
                # A field or parameter of the configuration class: its declared type.
                declared = re.search(rf"\b([A-Z]\w*)\s+{re.escape(text(added))}\s*[;,)=]", source)
                if declared is not None:
                    names.add(declared.group(1))
        hints: set[AuthHint] = set()
        for name in names:
            for filter_path in self.index.files_containing(f"class {name}"):
                filter_text = self.index.sources[filter_path].text
                hints.update(classify_auth(_JAVA_STRING.findall(filter_text), filter_text))
        return tuple(sorted(hints))

    def _security_for(self, method: HttpMethod, template: str) -> list[dict[str, list[str]]] | None:
        if not self.security or not self.secured_by_default:
            return None
        for verb, pattern in self.public:
            if (verb is None or verb == method) and _ant_match(pattern, template):
                return []
        return [{name: []} for name in sorted(self.security)]


def _file_type(type_node: Node | None) -> bool:
    """MultipartFile, MultipartFile[], List<MultipartFile>, Part: an uploaded file."""
    return bool(set(re.findall(r"\w+", text(type_node))) & _FILE_TYPES)


def _signature(method: Node) -> str:
    """Name and parameter types: overloads are distinct methods, an override has the same signature."""
    types = ",".join(
        text(field_(p, "type")).split("<")[0].split(".")[-1]
        for p in named_children(field_(method, "parameters"))
    )
    return f"{text(field_(method, 'name'))}({types})"


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


def _disables(call: Node) -> bool:
    """Whether a configurer call turns its feature off: `.logout(AbstractHttpConfigurer::disable)`,
    `.logout(l -> l.disable())` or `.logout().disable()`."""
    arguments = field_(call, "arguments")
    if arguments is not None and re.search(r"::disable\b|\.disable\(\s*\)", text(arguments)):
        return True
    parent = call.parent
    return (
        parent is not None
        and parent.type == "method_invocation"
        and field_(parent, "object") == call
        and text(field_(parent, "name")) == "disable"
    )


def _request_methods(method_arg: Node | None) -> list[HttpMethod]:
    """The verbs of `@RequestMapping(method = ...)`: one `RequestMethod.X` or an array of them."""
    elements = (
        named_children(method_arg)
        if method_arg is not None and method_arg.type == "element_value_array_initializer"
        else [method_arg]
        if method_arg is not None
        else []
    )
    names = [text(n).split(".")[-1].lower() for n in elements]
    return [m for m in HTTP_METHODS if m in names]


_BUILD_FILES = ("pom.xml", "build.gradle", "build.gradle.kts")


def _module_of(root: Path, path: str) -> str:
    """The folder of the nearest Maven / Gradle build file above a source file ("." for the root)."""
    folder = PurePosixPath(path).parent
    while folder != PurePosixPath("."):
        if any((root / folder / name).is_file() for name in _BUILD_FILES):
            return folder.as_posix()
        folder = folder.parent
    return "."
