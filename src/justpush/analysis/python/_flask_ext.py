"""Request declarations of Flask extensions, as decorators on a view: which query parameters it takes.

- APIFairy ``@arguments(Schema)`` (query string by default) and ``@body(Schema)``;
- flask-smorest / APIFlask ``@blp.arguments(Schema, location="query")`` / ``@app.input(Schema, location=...)``
  (JSON body unless a location says otherwise);
- Flask-RESTplus style ``@api.parameters(Schema())`` on a GET view (query string);
- a project decorator factory wrapping one of these (``def paginated(schema=PageSchema): ...
  return arguments(schema)(...)``): the schema bound to the factory's parameter is followed;
- webargs ``@use_args({"q": fields.Str()}, location="query")``;
- Flask-RESTful ``reqparse``: ``parser.parse_args()`` in the view reads the arguments added with
  ``parser.add_argument("name", location=...)`` (query string for GET unless the location excludes it).

Query parameters are the marshmallow schema's loadable fields (``data_key`` renames one).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .._model import Parameter
from ._index import External, Module, PythonIndex, Symbol, const_str, kwarg, literal, simple_name
from ._resolve import bind_arguments

_ARGUMENT_DECORATORS = frozenset({"arguments", "input", "parameters", "use_args", "use_kwargs"})
_QUERY_LOCATIONS = frozenset({"query", "querystring", "args"})
_FIELD_TYPES: dict[str, str] = {
    "Integer": "integer",
    "Int": "integer",
    "Float": "number",
    "Decimal": "number",
    "Number": "number",
    "Boolean": "boolean",
    "Bool": "boolean",
    "List": "array",
}
_MAX_FACTORY_DEPTH = 4


class FlaskArguments:
    def __init__(self, index: PythonIndex) -> None:
        self.index = index
        # Per module (by id): add_argument calls by parser, and `parser = base.copy()` by name.
        self._parsers_by_module: dict[int, tuple[dict[str, list[ast.Call]], dict[str, ast.expr]]] = {}

    def query_params(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, method: str
    ) -> list[Parameter]:
        found: dict[str, Parameter] = {}
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call):
                for param in self._from_decorator(module, decorator, method, {}, 0):
                    found.setdefault(param.name, param)
        for param in self._reqparse(module, function, method):
            found.setdefault(param.name, param)
        return list(found.values())

    def _reqparse(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, method: str
    ) -> Iterator[Parameter]:
        parsers = {
            ast.unparse(node.func.value)
            for node in ast.walk(function)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "parse_args"
        }
        if not parsers:
            return
        # The parser is filled where it is built (module level, __init__, the view itself): the same module;
        # one made by `parser = shared_parser.copy()` also has the arguments of the parser it copies.
        calls = [call for name in sorted(parsers) for call in self._add_arguments(module).get(name, [])]
        for name in sorted(parsers):
            calls.extend(self._copied_arguments(module, name, 0))
        for call in calls:
            param_name = const_str(call.args[0])
            if param_name is None or not _reads_query(kwarg(call, "location"), method):
                continue
            kind = kwarg(call, "type")
            field_type = {"int": "integer", "float": "number", "bool": "boolean"}.get(
                kind.id if isinstance(kind, ast.Name) else "", "string"
            )
            schema: dict[str, object] = {"type": field_type}
            if const_str(kwarg(call, "action")) == "append":
                schema = {"type": "array", "items": schema}
            yield Parameter(param_name, "query", schema, literal(kwarg(call, "required")) is True)

    def _add_arguments(self, module: Module) -> dict[str, list[ast.Call]]:
        """``<parser>.add_argument("name", ...)`` calls of a module, by the parser expression's text."""
        return self._parsers(module)[0]

    def _copied_arguments(self, module: Module, name: str, depth: int) -> list[ast.Call]:
        """The add_argument calls of the parser that ``name = base.copy()`` copies, wherever it is defined."""
        base_expr = self._copies(module).get(name)
        if base_expr is None or depth >= _MAX_FACTORY_DEPTH:
            return []
        base = self.index.resolve_expr(module, base_expr)
        if not isinstance(base, Symbol):
            return []
        own = self._add_arguments(base.module).get(base.name, [])
        return own + self._copied_arguments(base.module, base.name, depth + 1)

    def _copies(self, module: Module) -> dict[str, ast.expr]:
        """``parser = base.copy()`` assignments of a module (the first per name): name -> base."""
        return self._parsers(module)[1]

    def _parsers(self, module: Module) -> tuple[dict[str, list[ast.Call]], dict[str, ast.expr]]:
        """A module's add_argument calls and parser copies, found in one walk (both are always read)."""
        found = self._parsers_by_module.get(id(module))
        if found is not None:
            return found
        arguments: dict[str, list[ast.Call]] = {}
        copies: dict[str, ast.expr] = {}
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"
                and node.args
            ):
                arguments.setdefault(ast.unparse(node.func.value), []).append(node)
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Attribute)
                and node.value.func.attr == "copy"
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        copies.setdefault(target.id, node.value.func.value)
        self._parsers_by_module[id(module)] = (arguments, copies)
        return arguments, copies

    def _from_decorator(
        self,
        module: Module,
        call: ast.Call,
        method: str,
        bound: dict[str, tuple[Module, ast.expr]],
        depth: int,
    ) -> Iterator[Parameter]:
        name = simple_name(call)
        if name in _ARGUMENT_DECORATORS and call.args:
            if self._is_query(call, name, method):
                yield from self._schema_params(module, call.args[0], bound)
            return
        if depth >= _MAX_FACTORY_DEPTH:
            return
        factory = self.index.resolve_expr(module, call.func)
        if factory is None and isinstance(call.func, ast.Attribute):
            owner = self.index.resolve_expr(module, call.func.value)
            if isinstance(owner, Symbol) and isinstance(owner.node, ast.Call):
                kind = self.index.call_target(owner.module, owner.node)
                if (
                    name == "paginate"
                    and isinstance(kind, External)
                    and kind.is_("Blueprint", "flask_smorest")
                ):
                    # flask-smorest's @blp.paginate() reads page and page_size.
                    yield Parameter("page", "query", {"type": "integer"})
                    yield Parameter("page_size", "query", {"type": "integer"})
                    return
                if isinstance(kind, Symbol) and isinstance(kind.node, ast.ClassDef):
                    # @api.paginate() on an object of a project class: follow that method.
                    factory = self._method(kind, call.func.attr)
        if not (isinstance(factory, Symbol) and isinstance(factory.node, ast.FunctionDef)):
            return
        binding = _bind(factory.node, module, call, factory.module)
        for node in ast.walk(factory.node):
            if isinstance(node, ast.Call) and simple_name(node) in _ARGUMENT_DECORATORS:
                yield from self._from_decorator(factory.module, node, method, binding, depth + 1)

    def _method(self, cls: Symbol, name: str) -> Symbol | None:
        for owner in [cls, *(b for b in self.index.class_bases(cls) if isinstance(b, Symbol))]:
            if isinstance(owner.node, ast.ClassDef):
                for item in owner.node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == name:
                        return Symbol(owner.module, name, item)
        return None

    def _is_query(self, call: ast.Call, name: str, method: str) -> bool:
        location = const_str(kwarg(call, "location"))
        if location is None:
            locations = literal(kwarg(call, "locations"))
            if isinstance(locations, list) and locations:
                location = str(locations[0])
        if location is not None:
            return location in _QUERY_LOCATIONS
        if name == "arguments":
            # apifairy.arguments (a plain function) reads the query string; blp.arguments a JSON body.
            return isinstance(call.func, ast.Name)
        if name == "parameters":
            return method == "get"
        if name in ("use_kwargs", "use_args"):
            # webargs before 6 read the query string first; from 6 on the JSON body, which a GET or
            # DELETE does not carry: either way what such a request gives is its query.
            return method in ("get", "delete")
        return False

    def _schema_params(
        self, module: Module, expr: ast.expr, bound: dict[str, tuple[Module, ast.expr]]
    ) -> Iterator[Parameter]:
        if isinstance(expr, ast.Name) and expr.id in bound:
            module, expr = bound[expr.id]
        if isinstance(expr, ast.Dict):
            # webargs: {"q": fields.Str(required=True)}
            for key, value in zip(expr.keys, expr.values, strict=True):
                name = const_str(key)
                if name is not None and isinstance(value, ast.Call):
                    field_type = _FIELD_TYPES.get(simple_name(value), "string")
                    required = literal(kwarg(value, "required")) is True
                    yield Parameter(name, "query", {"type": field_type}, required)
            return
        if isinstance(expr, ast.Call):
            expr = expr.func
        schema = self.index.resolve_expr(module, expr)
        if not (isinstance(schema, Symbol) and isinstance(schema.node, ast.ClassDef)):
            return
        seen: set[str] = set()
        classes = [schema, *(b for b in self.index.class_bases(schema) if isinstance(b, Symbol))]
        for cls in classes:
            if not isinstance(cls.node, ast.ClassDef):
                continue
            for stmt in cls.node.body:
                if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                    continue
                field_call = stmt.value
                kind = self.index.resolve_expr(cls.module, field_call.func)
                if not _is_field(kind, field_call) or literal(kwarg(field_call, "dump_only")) is True:
                    continue
                for target in stmt.targets:
                    if not isinstance(target, ast.Name) or target.id in seen:
                        continue
                    seen.add(target.id)
                    wire = const_str(kwarg(field_call, "data_key")) or target.id
                    field_type = _FIELD_TYPES.get(simple_name(field_call), "string")
                    schema_out: dict[str, object] = {"type": field_type}
                    if field_type == "array":
                        schema_out["items"] = {"type": "string"}
                    required = literal(kwarg(field_call, "required")) is True
                    yield Parameter(wire, "query", schema_out, required)


def _reads_query(location: ast.expr | None, method: str) -> bool:
    """Whether a reqparse argument is read from the query string (default location: json, values)."""
    if location is None:
        return method == "get"
    value = literal(location)
    locations = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return any(loc in ("args", "values") for loc in locations) and (method == "get" or "args" in locations)


def _is_field(kind: object, call: ast.Call) -> bool:
    """A marshmallow field: ``fields.Integer()``, ``ma.String()``, ``base_fields.Integer()``."""
    if isinstance(kind, External):
        return kind.last[:1].isupper() and ("fields" in kind.dotted or "marshmallow" in kind.dotted)
    # ma = Marshmallow(app): ma.Integer() resolves to nothing static; judge by the attribute's shape.
    return isinstance(call.func, ast.Attribute) and call.func.attr[:1].isupper()


def _bind(
    function: ast.FunctionDef, call_module: Module, call: ast.Call, function_module: Module
) -> dict[str, tuple[Module, ast.expr]]:
    """The decorator factory's parameters -> the expression each is bound to (argument or default)."""
    bound = bind_arguments(function, function_module, call, call_module)
    # "if parameters is None: parameters = PageParameters()": the value the body puts in a None default.
    for name, (_, value) in list(bound.items()):
        if isinstance(value, ast.Constant) and value.value is None:
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in node.targets
                ):
                    bound[name] = (function_module, node.value)
                    break
    return bound
