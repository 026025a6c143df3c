"""The Go value resolver: what a string expression or a variable's type is, where the code makes it knowable.

Strings: literals, `+`, fmt.Sprintf, path.Join, local variables and parameters bound at an inlined call,
package constants and variables (also `pkg.Const` across packages), env-var defaults and small helper
functions returning a literal. Types: receivers, declared parameters, composite literals, constructor
results and struct fields, enough to tell which package's method `x.Router()` calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._model import EnvVar
from .._treesitter import Node, field_, named_children, text
from ._index import Func, GoFile, GoIndex, TypeRef
from ._syntax import args, callee, go_string, param_names, param_types, peel, returned_values, select

_MAX_DEPTH = 12
_FUNCTIONS = ("function_declaration", "method_declaration", "func_literal")
# Struct tags naming a field's config key, most specific first; and tags giving its default.
_TAG_KEYS = ("mapstructure", "koanf", "yaml", "json", "toml")
_TAG_DEFAULTS = ("default", "envDefault")


@dataclass(frozen=True)
class Ctx:
    """Where an expression is evaluated: its file and the arguments bound to parameters of inlined calls."""

    file: GoFile
    bindings: Mapping[str, tuple[Node, Ctx]] = field(default_factory=dict)


class Resolver:
    def __init__(self, index: GoIndex, env_defaults: Mapping[str, str] | None = None) -> None:
        self.index = index
        self.env: Mapping[str, str] = env_defaults or {}
        # The env vars the project reads, with the defaults above (filled in by the front-end).
        self.env_vars: list[EnvVar] = []
        # Folders of other `package main` programs left out of the index (filled in by the front-end).
        self.other_programs: tuple[str, ...] = ()
        # Element literals of a slice literal whose type is elided (`Routes{{"GET", "/x", h}}`).
        self.element_types: dict[int, TypeRef] = {}
        self.env_helpers = _env_helpers(index)
        # Declarations per function node (keyed by node id: the trees live as long as this resolver).
        self.declarations: dict[int, Declarations] = {}
        # Helpers reading `os.Getenv(prefix + name)` first: helper -> that prefix.
        self.env_prefixes = _env_prefixes(index, self)
        # viper's `v.SetDefault("api.push_uri", "/api/push")`: lower-cased key -> value.
        self.config_defaults = _config_defaults(index)

    # --- strings -------------------------------------------------------------------------------

    def string(self, expr: Node | None, ctx: Ctx, depth: int = 0) -> str | None:
        """The static value of a string (or int) expression, None when it depends on run time."""
        value, unknown = self.template(expr, ctx, depth)
        return None if unknown else value

    def template(self, expr: Node | None, ctx: Ctx, depth: int = 0) -> tuple[str | None, list[str]]:
        """The value with each unknowable part as `{expr}`, and the texts of those parts."""
        if expr is None or depth > _MAX_DEPTH:
            return None, ["?"]
        if expr.type == "literal_element" and named_children(expr):
            return self.template(named_children(expr)[0], ctx, depth + 1)
        if (literal := go_string(expr)) is not None:
            return literal, []
        if expr.type in ("int_literal", "float_literal"):
            return text(expr), []
        if expr.type == "parenthesized_expression" and named_children(expr):
            return self.template(named_children(expr)[0], ctx, depth + 1)
        if expr.type == "binary_expression" and text(field_(expr, "operator")) == "+":
            left, l_unknown = self.template(field_(expr, "left"), ctx, depth + 1)
            right, r_unknown = self.template(field_(expr, "right"), ctx, depth + 1)
            if left is None or right is None:
                return None, [*l_unknown, *r_unknown] or ["?"]
            return left + right, [*l_unknown, *r_unknown]
        if expr.type == "call_expression":
            return self._call(expr, ctx, depth)
        if expr.type == "unary_expression" and text(field_(expr, "operator")) == "*":
            # `*rootPath`, a flag's value: what the pointer's declaration gives
            return self.template(field_(expr, "operand"), ctx, depth + 1)
        if expr.type in ("identifier", "selector_expression"):
            found = self._named(expr, ctx, depth)
            if found is not None:
                return found
            return "{" + _placeholder(expr) + "}", [short(expr)]
        return None, [short(expr)]

    def _call(self, call: Node, ctx: Ctx, depth: int) -> tuple[str | None, list[str]]:
        operand, name = callee(call)
        arguments = args(call)
        if (operand, name) in (("os", "Getenv"), ("os", "LookupEnv")) and arguments:
            value = self.env.get(go_string(arguments[0]) or "")
            return (value, []) if value is not None else (None, [short(call)])
        if not operand and name in self.env_helpers:
            name_i, default_i = self.env_helpers[name]
            var = go_string(arguments[name_i]) if len(arguments) > name_i else None
            value = self.env.get(var or "")
            if value is None and default_i is not None and len(arguments) > default_i:
                value = self.string(arguments[default_i], ctx, depth + 1)
            return (value, []) if value is not None else (None, [short(call)])
        if (operand, name) == ("fmt", "Sprintf") and arguments:
            pattern = self.string(arguments[0], ctx, depth + 1)
            if pattern is None:
                return None, [short(call)]
            parts = [self.template(a, ctx, depth + 1) for a in arguments[1:]]
            unknown = [u for _, missing in parts for u in missing]
            values = [
                v if v is not None else "{" + _placeholder(a) + "}"
                for (v, _), a in zip(parts, arguments[1:], strict=True)
            ]
            out = re.sub(r"%[-+# 0]*\d*[sdvq]", lambda _m: values.pop(0) if values else "", pattern)
            return out, unknown
        if (operand, name) in (("path", "Join"), ("strings", "Join")) and arguments:
            if name == "Join" and operand == "strings":
                return None, [short(call)]
            parts = [self.template(a, ctx, depth + 1) for a in arguments]
            if any(v is None for v, _ in parts):
                return None, [short(call)]
            joined = "/".join(str(v).strip("/") for v, _ in parts if v)
            return ("/" if str(parts[0][0]).startswith("/") else "") + joined, [
                u for _, m in parts for u in m
            ]
        flag_default = {"String": 1, "StringP": 2}.get(name, len(arguments))
        if operand.endswith(("flag", "Flags()")) and len(arguments) > flag_default:
            # `flag.String("api-root-path", "/", usage)`: the flag's default, as the app runs without it
            return self.template(arguments[flag_default], ctx, depth + 1)
        if (operand, name) == ("cmp", "Or"):
            for arg in arguments:
                if value := self.string(arg, ctx, depth + 1):
                    return value, []
            return None, [short(call)]
        if (operand, name) in (
            ("strconv", "Itoa"),
            ("strings", "ToUpper"),
            ("strings", "ToLower"),
        ) and arguments:
            value, unknown = self.template(arguments[0], ctx, depth + 1)
            if value is not None and name != "Itoa":
                value = value.upper() if name == "ToUpper" else value.lower()
            return value, unknown
        func = self.index.function(ctx.file, field_(call, "function"))
        if func is not None:
            # A path helper such as apiPrefix() or versioned("/items"): its final return, with the
            # call's arguments bound to its parameters.
            returns = returned_values(func.node)
            if returns and len(returns[-1]) == 1:
                return self.template(returns[-1][0], self.bind(func, call, ctx), depth + 1)
        closure = self._closure(field_(call, "function"), ctx, depth + 1)
        if closure is not None:
            # `base := paths.Prefixed("/api")` then `base("/items")`: the closure's final return, with
            # its own parameters bound here and the factory's where the factory was called.
            literal, outer = closure
            returns = returned_values(literal)
            if returns and len(returns[-1]) == 1:
                names = param_names(literal)
                own = {n: (a, ctx) for n, a in zip(names, arguments, strict=False) if n and n != "_"}
                return self.template(returns[-1][0], Ctx(outer.file, {**outer.bindings, **own}), depth + 1)
        return None, [short(call)]

    def _closure(self, fn: Node | None, ctx: Ctx, depth: int) -> tuple[Node, Ctx] | None:
        """The func literal a called variable holds, and where it was made: a local or package variable
        assigned a func literal, or the func literal a factory call returns."""
        if fn is None or fn.type != "identifier" or depth > _MAX_DEPTH:
            return None
        local = local_declaration(text(fn), fn, self.declarations)
        if local is not None and local[0] == "value":
            value, where = local[1], ctx
        else:
            found = self.index.value(ctx.file, fn)
            if found is None:
                return None
            value, where = found[1], Ctx(found[0])
        if value.type == "func_literal":
            return value, where
        if value.type != "call_expression":
            return None
        factory = self.index.function(where.file, field_(value, "function"))
        returns = returned_values(factory.node) if factory is not None else []
        if factory is None or not returns or len(returns[-1]) != 1 or returns[-1][0].type != "func_literal":
            return None
        return returns[-1][0], self.bind(factory, value, where)

    def _named(self, expr: Node, ctx: Ctx, depth: int) -> tuple[str | None, list[str]] | None:
        field_name = text(field_(expr, "field")) if expr.type == "selector_expression" else ""
        if (
            text(field_(expr, "operand")) == "http"
            and field_name.startswith("Method")
            and field_name != "Method"
        ):
            return field_name.removeprefix("Method").upper(), []
        if expr.type == "selector_expression":
            element = self.field_value(expr, ctx, depth + 1)
            if element is not None:
                return self.template(element[0], element[1], depth + 1)
            configured = self._configured(expr, ctx, depth)
            if configured is not None:
                return configured, []
        if expr.type == "identifier":
            name = text(expr)
            if name in ctx.bindings:
                bound, outer = ctx.bindings[name]
                return self.template(bound, outer, depth + 1)
            local = local_declaration(name, expr, self.declarations)
            if local is not None and local[0] == "value":
                return self.template(local[1], ctx, depth + 1)
        found = self.index.value(ctx.file, expr)
        if found is not None:
            return self.template(found[1], Ctx(found[0]), depth + 1)
        return None

    def _configured(self, selector: Node, ctx: Ctx, depth: int) -> str | None:
        """`cfg.API.PushURI` of a config struct: the default its tag gives (`default:"/api/push"`,
        caarlos0/env's `envDefault`), else viper's default for its key (`api.push_uri` from the
        fields' `mapstructure`/`yaml`/... tags, or their names)."""
        keys: list[str] = []
        node: Node | None = selector
        while node is not None and node.type == "selector_expression":
            operand = field_(node, "operand")
            owner = self.type_of(operand, ctx, depth + 1)
            if owner is None:
                break
            name = text(field_(node, "field"))
            tag = self.index.struct_field_tag(owner, name)
            if not keys:
                default = _tag_value(tag, _TAG_DEFAULTS)
                if default is not None:
                    return default
            keys.append((_tag_value(tag, _TAG_KEYS) or name).lower())
            node = operand
        if not keys or not self.config_defaults:
            return None
        key = ".".join(reversed(keys))
        for known, (gofile, value) in self.config_defaults.items():
            # The struct read may be a section of the whole config (`cfg.API` passed on as `api`).
            if known == key or known.endswith("." + key):
                return self.string(value, Ctx(gofile), depth + 1)
        return None

    # --- composite literals --------------------------------------------------------------------

    def literal_of(self, expr: Node | None, ctx: Ctx, depth: int = 0) -> tuple[Node, Ctx] | None:
        """The composite literal an expression holds: itself, a local, a parameter bound at an inlined
        call or a package variable (`var routes = Routes{...}`)."""
        expr = peel(expr)
        if expr is None or depth > _MAX_DEPTH:
            return None
        if expr.type == "literal_element" and named_children(expr):
            return self.literal_of(named_children(expr)[0], ctx, depth + 1)
        if expr.type in ("composite_literal", "literal_value"):
            return expr, ctx
        if expr.type == "identifier" and text(expr) in ctx.bindings:
            bound, outer = ctx.bindings[short(expr)]
            return self.literal_of(bound, outer, depth + 1)
        if expr.type == "identifier":
            local = local_declaration(text(expr), expr, self.declarations)
            if local is not None and local[0] == "value":
                return self.literal_of(local[1], ctx, depth + 1)
        if expr.type in ("identifier", "selector_expression"):
            found = self.index.value(ctx.file, expr)
            if found is not None:
                return self.literal_of(found[1], Ctx(found[0]), depth + 1)
        return None

    def elements(self, literal: Node, ctx: Ctx) -> list[Node]:
        """The elements of a slice literal; elided element types are noted in element_types."""
        body = field_(literal, "body") if literal.type == "composite_literal" else literal
        element_type = None
        if literal.type == "composite_literal":
            element_type = self.index.element_type(ctx.file.package, ctx.file, field_(literal, "type"))
        out: list[Node] = []
        for child in named_children(body):
            if child.type == "keyed_element" and len(named_children(child)) == 2:
                # A map literal (`Routes{"AddPet": Route{...}}`): its values are the elements.
                child = named_children(child)[1]
            if child.type != "literal_element" or not named_children(child):
                continue
            value = named_children(child)[0]
            if element_type is not None and value.type == "literal_value":
                self.element_types[value.id] = element_type
            out.append(value)
        return out

    def field_value(self, selector: Node, ctx: Ctx, depth: int = 0) -> tuple[Node, Ctx] | None:
        """`route.Pattern` where route holds a struct literal: the keyed or positional element."""
        found = self.literal_of(field_(selector, "operand"), ctx, depth + 1)
        if found is None:
            return None
        literal, literal_ctx = found
        name = text(field_(selector, "field"))
        body = field_(literal, "body") if literal.type == "composite_literal" else literal
        children = named_children(body)
        for child in children:
            if child.type == "keyed_element":
                parts = named_children(child)
                if len(parts) == 2 and text(parts[0]) == name:
                    value = parts[1]
                    return (named_children(value)[0] if named_children(value) else value), literal_ctx
        if any(c.type == "keyed_element" for c in children):
            return None
        owner = (
            self.index.type_ref(literal_ctx.file.package, literal_ctx.file, field_(literal, "type"))
            if literal.type == "composite_literal"
            else self.element_types.get(literal.id)
        )
        fields = self.index.struct_fields(owner) if owner is not None else []
        if name not in fields or fields.index(name) >= len(children):
            return None
        value = children[fields.index(name)]
        return (named_children(value)[0] if named_children(value) else value), literal_ctx

    # --- types ---------------------------------------------------------------------------------

    def type_of(self, expr: Node | None, ctx: Ctx, depth: int = 0) -> TypeRef | None:
        expr = peel(expr)
        if expr is None or depth > _MAX_DEPTH:
            return None
        pkg = ctx.file.package
        if expr.type == "identifier":
            name = text(expr)
            if name in ctx.bindings:
                bound, outer = ctx.bindings[name]
                return self.type_of(bound, outer, depth + 1)
            declared = local_declaration(name, expr, self.declarations)
            if declared is not None:
                kind, node, position = declared
                if kind == "type":
                    return self.index.type_ref(pkg, ctx.file, node)
                if kind == "value" and node.type == "call_expression":
                    return self.call_result(node, ctx, position, depth + 1)
                return self.type_of(node, ctx, depth + 1)
            found = self.index.value(ctx.file, expr)
            if found is not None:
                return self.type_of(found[1], Ctx(found[0]), depth + 1)
            typed = self.index.var_types.get((pkg, name))
            return self.index.type_ref(pkg, typed[0], typed[1]) if typed is not None else None
        if expr.type == "selector_expression":
            operand = field_(expr, "operand")
            if operand is not None and operand.type == "identifier" and text(operand) in ctx.file.imports:
                found = self.index.value(ctx.file, expr)
                return self.type_of(found[1], Ctx(found[0]), depth + 1) if found else None
            owner = self.type_of(operand, ctx, depth + 1)
            if owner is None:
                return None
            declared_field = self.index.struct_field_type(owner, text(field_(expr, "field")))
            if declared_field is None:
                return None
            return self.index.type_ref(owner.package, declared_field[0], declared_field[1])
        if expr.type == "call_expression":
            if callee(expr) == ("", "new") and args(expr):
                return self.index.type_ref(pkg, ctx.file, args(expr)[0])
            return self.call_result(expr, ctx, 0, depth + 1)
        if expr.type in ("composite_literal", "type_assertion_expression", "type_conversion_expression"):
            return self.index.type_ref(pkg, ctx.file, field_(expr, "type"))
        return None

    def call_result(self, call: Node, ctx: Ctx, position: int, depth: int = 0) -> TypeRef | None:
        for func in self.callees(call, ctx, depth):
            result = field_(func.node, "result")
            if result is None:
                continue
            types = (
                [field_(d, "type") for d in named_children(result)]
                if result.type == "parameter_list"
                else [result]
            )
            if position < len(types):
                found = self.index.type_ref(func.file.package, func.file, types[position])
                if found is not None:
                    return found
        return None

    def callees(self, call: Node, ctx: Ctx, depth: int = 0) -> list[Func]:
        """The functions a call may run: `f()`, `pkg.F()`, `x.M()` by x's type (by name when unknown)."""
        return self.referenced(field_(call, "function"), ctx, depth)

    def referenced(self, fn: Node | None, ctx: Ctx, depth: int = 0) -> list[Func]:
        """The functions an expression names: `f`, `pkg.F`, `x.M` (a method value)."""
        if fn is None:
            return []
        func = self.index.function(ctx.file, fn)
        if func is not None:
            return [func]
        if fn.type != "selector_expression":
            return []
        operand = field_(fn, "operand")
        name = text(field_(fn, "field"))
        if operand is not None and operand.type == "identifier" and text(operand) in ctx.file.imports:
            return []
        owner = self.type_of(operand, ctx, depth + 1)
        if owner is not None:
            method = self.index.method(owner, name)
            if method is not None:
                return [method]
        if owner is None and self._external(operand, ctx):
            return []
        candidates = self.index.methods_named(name)
        if owner is not None and candidates:
            # The type is known but has no such method here: an interface; any implementation may run.
            spec = self.index.types.get((owner.package, owner.name))
            if spec is None or field_(spec, "type") is None or field_(spec, "type").type != "interface_type":  # type: ignore[union-attr]
                return []
        return candidates

    def _external(self, expr: Node | None, ctx: Ctx, depth: int = 0) -> bool:
        """Whether a value is known to be of a type from outside the sources (`db *gorm.DB`,
        `db := gorm.Open(...)`): its methods are not the project's same-named ones."""
        expr = peel(expr)
        if expr is None or expr.type != "identifier" or text(expr) in ctx.bindings or depth > 4:
            return False
        declared = local_declaration(text(expr), expr, self.declarations)
        if declared is None:
            typed = self.index.var_types.get((ctx.file.package, text(expr)))
            if typed is None:
                return False
            gofile, type_node = typed
            alias = text(type_node).lstrip("*[]").split(".", 1)[0]
            return alias in gofile.imports and self.index.package_of(gofile, alias) is None
        kind, node, _ = declared
        if kind == "value" and node.type == "identifier":
            return self._external(node, ctx, depth + 1)
        fn = field_(node, "function") if kind == "value" and node.type == "call_expression" else None
        source = field_(fn, "operand") if fn is not None and fn.type == "selector_expression" else node
        named = source is not None and (kind == "type" or source.type == "identifier")
        alias = text(source).lstrip("*[]&").split(".", 1)[0] if named else ""
        return alias in ctx.file.imports and self.index.package_of(ctx.file, alias) is None

    def bind(self, func: Func, call: Node, ctx: Ctx) -> Ctx:
        """The context of func's body when called here: its parameters bound to the call's arguments."""
        names = param_names(func.node)
        bound = {n: (a, ctx) for n, a in zip(names, args(call), strict=False) if n and n != "_"}
        return Ctx(func.file, bound)


Declarations = dict[str, list[tuple[int, tuple[str, Node, int]]]]


def local_declaration(name: str, at: Node, cache: dict[int, Declarations]) -> tuple[str, Node, int] | None:
    """The closest declaration of a local name before `at` in the enclosing functions.

    ("value", initialiser, position among the left-hand names), or ("type", declared type, index)
    for a typed `var`, a parameter or the receiver of an enclosing function.
    """
    scope: Node | None = at.parent
    while scope is not None:
        if scope.type in _FUNCTIONS:
            found: tuple[str, Node, int] | None = None
            table = cache.get(scope.id)
            if table is None:
                table = cache[scope.id] = _declarations(scope)
            for end, declared in table.get(name, ()):
                if end <= at.start_byte:
                    found = declared
            if found is not None:
                return found
        scope = scope.parent
    return None


def _declarations(fn: Node) -> Declarations:
    """Every name fn declares, in source order: parameters and receiver first, then its body's."""
    table: Declarations = {}
    for i, (pname, ptype) in enumerate(zip(param_names(fn), param_types(fn), strict=False)):
        if pname and ptype is not None:
            table.setdefault(pname, []).append((-1, ("type", ptype, i)))
    if fn.type == "method_declaration":
        for decl in named_children(field_(fn, "receiver")):
            rtype = field_(decl, "type")
            for rname in decl.children_by_field_name("name"):
                if rtype is not None:
                    table.setdefault(text(rname), []).append((-1, ("type", rtype, 0)))
    for node in select(
        field_(fn, "body"), "short_var_declaration", "var_spec", "const_spec", "assignment_statement"
    ):
        lhs = named_children(field_(node, "left")) or node.children_by_field_name("name")
        rhs = named_children(field_(node, "right") or field_(node, "value"))
        declared_type = field_(node, "type") if node.type == "var_spec" else None
        for i, target in enumerate(lhs):
            entry: tuple[str, Node, int] | None = None
            if len(rhs) == len(lhs):
                entry = ("value", rhs[i], 0)
            elif len(rhs) == 1:
                entry = ("value", rhs[0], i)
            elif declared_type is not None:
                entry = ("type", declared_type, 0)
            if entry is not None:
                # Visible after the whole statement: in `h = wrap(h)` the right-hand h is the earlier one.
                table.setdefault(text(target), []).append((node.end_byte, entry))
    return table


def short(expr: Node) -> str:
    """An expression's text on one line, cut to a readable length for warnings."""
    raw = " ".join(text(expr).split())
    return raw if len(raw) <= 80 else raw[:77] + "..."


def _placeholder(expr: Node) -> str:
    return re.sub(r"\W+", "_", text(expr)).strip("_") or "value"


def _env_helpers(index: GoIndex) -> dict[str, tuple[int, int | None]]:
    """getEnv(name, fallback)-style helpers passing a parameter to os.Getenv: name -> argument indexes."""
    helpers: dict[str, tuple[int, int | None]] = {}
    for call in index.calls:
        func = call.owner
        if (
            func is None
            or func.receiver
            or (call.operand, call.name) not in (("os", "Getenv"), ("os", "LookupEnv"))
        ):
            continue
        params = param_names(func.node)
        arg = next(iter(args(call.node)), None)
        if arg is not None and arg.type == "binary_expression" and text(field_(arg, "operator")) == "+":
            # `os.Getenv(envPrefix + name)`.
            arg = field_(arg, "right")
        if arg is not None and arg.type == "identifier" and text(arg) in params:
            i = params.index(text(arg))
            helpers[func.name] = (i, i + 1 if len(params) > i + 1 else None)
    return helpers


def _env_prefixes(index: GoIndex, resolver: Resolver) -> dict[str, str]:
    """The name prefix an env helper reads with first: `os.Getenv(envPrefix + name)` -> envPrefix."""
    found: dict[str, str] = {}
    for call in index.calls:
        func = call.owner
        if func is None or func.name not in resolver.env_helpers or func.name in found:
            continue
        if (call.operand, call.name) not in (("os", "Getenv"), ("os", "LookupEnv")) or not args(call.node):
            continue
        name = param_names(func.node)[resolver.env_helpers[func.name][0]]
        arg = args(call.node)[0]
        if arg.type == "identifier" and text(arg) == name:
            found[func.name] = ""
        elif arg.type == "binary_expression" and text(field_(arg, "right")) == name:
            found[func.name] = resolver.string(field_(arg, "left"), Ctx(call.file)) or ""
    return found


def _tag_value(tag: str, keys: tuple[str, ...]) -> str | None:
    """The first of these keys' values in a struct tag; a `,omitempty`-style option is dropped."""
    for key in keys:
        match = re.search(rf'(?:^|\s){re.escape(key)}:"([^"]*)"', tag)
        if match is not None and match.group(1).split(",")[0] not in ("", "-"):
            return match.group(1) if key in _TAG_DEFAULTS else match.group(1).split(",")[0]
    return None


def _config_defaults(index: GoIndex) -> dict[str, tuple[GoFile, Node]]:
    defaults: dict[str, tuple[GoFile, Node]] = {}
    for call in index.calls:
        if call.name != "SetDefault":
            continue
        given = args(call.node)
        key = go_string(given[0]) if len(given) == 2 else None
        if key is not None:
            defaults.setdefault(key.lower(), (call.file, given[1]))
    return defaults
