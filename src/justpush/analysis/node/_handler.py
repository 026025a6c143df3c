"""What a route handler reads and answers: query parameters, typed bodies, response statuses and, for
a handler of every method, the methods it checks.

Query parameters are found where the handler reads them (`req.query.page`, `const { page } = req.query`,
`pick(req.query, ['page'])`, `'tag' in query`) and, a few calls deep, in the functions it hands the
query object to (`getArticles(req.query)`, `this.articleService.findAll(query)`).
"""

from __future__ import annotations

from http import HTTPStatus

from .._model import HttpMethod, Parameter
from .._treesitter import (
    HTTP_METHODS,
    Node,
    RouteDecl,
    field_,
    named_children,
    status_schema,
    text,
    walk,
)
from ._project import Module, Project
from ._syntax import args, member, param_names, string, unwrap
from ._types import Types

_MAX_FOLLOW = 3


def query_reads(project: Project, module: Module, fn: Node, holders: set[str], depth: int = 0) -> set[str]:
    """Names read from the object(s) spelled `holders` inside fn, following calls that receive it."""
    names: set[str] = set()
    holders = set(holders)
    for node in walk(fn):
        kind = node.type
        if kind == "variable_declarator":
            value = unwrap(field_(node, "value"))
            target = field_(node, "name")
            if value is None or target is None or text(value) not in holders:
                continue
            if target.type == "identifier":
                holders.add(text(target))
            elif target.type == "object_pattern":
                for part in named_children(target):
                    key = field_(part, "key") or field_(part, "left") or part
                    if part.type != "rest_pattern":
                        names.add(string(key) or text(key))
        elif kind == "member_expression":
            obj, prop = member(node)
            if text(obj) in holders and prop:
                names.add(prop)
        elif kind == "subscript_expression" and text(field_(node, "object")) in holders:
            if (index := string(field_(node, "index"))) is not None:
                names.add(index)
        elif kind == "binary_expression" and text(field_(node, "operator")) == "in":
            if text(field_(node, "right")) in holders and (left := string(field_(node, "left"))):
                names.add(left)
        elif kind == "call_expression":
            names |= _call_reads(project, module, fn, node, holders, depth)
    return names


def _call_reads(
    project: Project, module: Module, fn: Node, call: Node, holders: set[str], depth: int
) -> set[str]:
    given = args(call)
    positions = [i for i, a in enumerate(given) if text(unwrap(a)) in holders]
    if not positions:
        return set()
    if len(given) > 1 and given[1].type == "array":
        # `pick(req.query, ['name', 'role'])`
        return {v for item in named_children(given[1]) if (v := string(item)) is not None}
    if depth >= _MAX_FOLLOW:
        return set()
    target = _callee(project, module, fn, field_(call, "function"))
    if target is None:
        return set()
    owner, callee = target
    params = param_names(callee)
    names: set[str] = set()
    for i in positions:
        if i < len(params) and params[i]:
            names |= query_reads(project, owner, callee, {params[i]}, depth + 1)
    return names


def _callee(project: Project, module: Module, fn: Node, expr: Node | None) -> tuple[Module, Node] | None:
    found = project.function(module, expr)
    if found is not None:
        return found
    obj, method = member(expr)
    if obj is None:
        return None
    owner, field_name = member(obj)
    if text(owner) == "this" and field_name:
        # `this.articleService.findAll(query)`: the field's type from the constructor's parameters.
        type_name = _field_type(fn, field_name)
        return project.method(type_name, method) if type_name else None
    return None


def _field_type(fn: Node, field_name: str) -> str:
    cls = fn.parent
    while cls is not None and cls.type not in ("class_declaration", "abstract_class_declaration", "class"):
        cls = cls.parent
    if cls is None:
        return ""
    for item in named_children(field_(cls, "body")):
        if item.type == "method_definition" and text(field_(item, "name")) == "constructor":
            for param in named_children(field_(item, "parameters")):
                if text(field_(param, "pattern")) == field_name:
                    annotation = named_children(field_(param, "type"))
                    return text(annotation[0]).split("<")[0] if annotation else ""
        elif item.type == "public_field_definition" and text(field_(item, "name")) == field_name:
            annotation = named_children(field_(item, "type"))
            return text(annotation[0]).split("<")[0] if annotation else ""
    return ""


def handler_details(decl: RouteDecl, project: Project, module: Module, fn: Node, types: Types) -> None:
    """Query parameters, typed bodies and response statuses visible in a handler's body."""
    names = param_names(fn)
    req = names[0] if names else "req"
    res = names[1] if len(names) > 1 else "res"
    queries = {f"{req}.query", f"{req}.request.query"}
    declared = {(p.name, p.location) for p in decl.parameters}
    found = sorted(query_reads(project, module, fn, queries))
    decl.parameters = (
        *decl.parameters,
        *(Parameter(n, "query") for n in found if (n, "query") not in declared),
    )
    # Koa: `ctx.status = 201` and `ctx.body = …` instead of response calls.
    assigned_statuses: list[str] = []
    assigns_body = False
    bodies = (f"{req}.body", f"{req}.request.body")
    for node in walk(fn):
        if node.type == "assignment_expression":
            assigned = text(field_(node, "left"))
            value = unwrap(field_(node, "right"))
            if assigned == f"{req}.status" and value is not None and value.type == "number":
                assigned_statuses.append(text(value))
            elif assigned == f"{req}.body":
                assigns_body = True
        elif node.type == "variable_declarator":
            value = unwrap(field_(node, "value"))
            if text(value) in bodies and field_(node, "type") is not None:
                decl.request_body = types.of(field_(node, "type"))
        elif (
            node.type == "as_expression" and named_children(node) and text(named_children(node)[0]) in bodies
        ):
            decl.request_body = types.of(named_children(node)[-1])
        elif node.type == "call_expression":
            _response_call(decl, node, res)
    for status in assigned_statuses:
        status_schema(decl.responses, status, {} if assigns_body and status.startswith("2") else None)
    if assigns_body and not any(s.startswith("2") for s in assigned_statuses):
        status_schema(decl.responses, "200", {})


def _response_call(decl: RouteDecl, node: Node, res: str) -> None:
    obj, prop = member(field_(node, "function"))
    given = args(node)
    if prop in ("json", "send") and obj is not None:
        inner_obj, inner_prop = (
            member(field_(obj, "function")) if obj.type == "call_expression" else (None, "")
        )
        if inner_prop in ("status", "code") and text(inner_obj) == res:
            status = status_code(args(obj)[0]) if args(obj) else "200"
            if status is not None:
                status_schema(decl.responses, status, {} if given else None)
        elif text(obj) == res:
            status_schema(decl.responses, "200", {} if given else None)
    elif prop == "sendStatus" and text(obj) == res and given:
        status = status_code(given[0])
        if status is not None:
            status_schema(decl.responses, status, None)


def status_code(node: Node) -> str | None:
    """`201`, `httpStatus.CREATED`, `StatusCodes.NO_CONTENT`, `HttpStatus.OK` → the status code, else None."""
    value = text(node).strip()
    if value.isdigit():
        return value
    name = value.rsplit(".", 1)[-1].upper()
    try:
        return str(HTTPStatus[name].value)
    except KeyError:
        return None


def checked_methods(fn: Node) -> tuple[HttpMethod, ...]:
    """Methods a handler compares the request's with (`req.method === 'POST'`, `case 'GET':` of a
    `switch (ctx.method)`), in HTTP_METHODS order."""
    found: set[str] = set()
    for node in walk(fn):
        if node.type == "binary_expression" and text(field_(node, "operator")) in ("===", "=="):
            sides = [field_(node, "left"), field_(node, "right")]
            if any(text(side).endswith(".method") for side in sides):
                found.update((string(side) or "").lower() for side in sides)
        elif node.type == "switch_statement" and text(field_(node, "value")).strip("()").endswith(".method"):
            body = field_(node, "body")
            for case in walk(body) if body is not None else []:
                if case.type == "switch_case":
                    found.add((string(field_(case, "value")) or "").lower())
    return tuple(m for m in HTTP_METHODS if m in found)
