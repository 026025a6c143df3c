"""Request declarations of Flask extensions, as decorators on a view: which query parameters it takes.

- APIFairy ``@arguments(Schema)`` (query string by default) and ``@body(Schema)``;
- flask-smorest / APIFlask ``@blp.arguments(Schema, location="query")`` / ``@app.input(Schema, location=...)``
  (JSON body unless a location says otherwise);
- Flask-RESTplus style ``@api.parameters(Schema())`` on a GET view (query string);
- a project decorator factory wrapping one of these (``def paginated(schema=PageSchema): ...
  return arguments(schema)(...)``): the schema bound to the factory's parameter is followed.

Query parameters are the marshmallow schema's loadable fields (``data_key`` renames one).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .._model import Parameter
from ._index import External, Module, PythonIndex, Symbol, const_str, kwarg, literal, simple_name

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

    def query_params(
        self, module: Module, function: ast.FunctionDef | ast.AsyncFunctionDef, method: str
    ) -> list[Parameter]:
        found: dict[str, Parameter] = {}
        for decorator in function.decorator_list:
            if isinstance(decorator, ast.Call):
                for param in self._from_decorator(module, decorator, method, {}, 0):
                    found.setdefault(param.name, param)
        return list(found.values())

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
        if not (isinstance(factory, Symbol) and isinstance(factory.node, ast.FunctionDef)):
            return
        binding = _bind(factory.node, module, call, factory.module)
        for node in ast.walk(factory.node):
            if isinstance(node, ast.Call) and simple_name(node) in _ARGUMENT_DECORATORS:
                yield from self._from_decorator(factory.module, node, method, binding, depth + 1)

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
        return False

    def _schema_params(
        self, module: Module, expr: ast.expr, bound: dict[str, tuple[Module, ast.expr]]
    ) -> Iterator[Parameter]:
        if isinstance(expr, ast.Name) and expr.id in bound:
            module, expr = bound[expr.id]
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
    positional = function.args.args
    defaults = function.args.defaults
    bound: dict[str, tuple[Module, ast.expr]] = {}
    for arg, default in zip(positional[len(positional) - len(defaults) :], defaults, strict=True):
        bound[arg.arg] = (function_module, default)
    for kwonly, kw_default in zip(function.args.kwonlyargs, function.args.kw_defaults, strict=True):
        if kw_default is not None:
            bound[kwonly.arg] = (function_module, kw_default)
    for arg, value in zip(positional, call.args, strict=False):
        if not isinstance(value, ast.Starred):
            bound[arg.arg] = (call_module, value)
    for keyword in call.keywords:
        if keyword.arg is not None:
            bound[keyword.arg] = (call_module, keyword.value)
    return bound
