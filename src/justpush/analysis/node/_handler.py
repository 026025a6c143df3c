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
from ._project import Module, Project, pattern_names
from ._syntax import args, enclosing_class, member, param_names, string, unwrap
from ._types import Types

_MAX_FOLLOW = 3


def query_reads(
    project: Project, module: Module, fn: Node, holders: set[str], depth: int = 0, this: Node | None = None
) -> set[str]:
    """Names read from the object(s) spelled `holders` inside fn, following calls that receive it (or
    the request holding it); `this` is the class `this` stands for when fn is an inherited method."""
    names: set[str] = set()
    holders = set(holders)
    for node in walk(fn):
        kind = node.type
        if kind == "variable_declarator":
            value = unwrap(field_(node, "value"))
            target = field_(node, "name")
            if value is None or target is None:
                continue
            if text(value) not in holders:
                # `const { query } = ctx`: a holder taken out of the object holding it
                if target.type == "object_pattern":
                    for local, keys in pattern_names(target):
                        if f"{text(value)}.{'.'.join(keys)}" in holders:
                            holders.add(local)
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
            names |= _call_reads(project, module, fn, node, holders, depth, this)
    return names


def _call_reads(
    project: Project,
    module: Module,
    fn: Node,
    call: Node,
    holders: set[str],
    depth: int,
    this: Node | None,
) -> set[str]:
    given = args(call)
    # argument position -> what of the callee's parameter holds the query ("" itself, ".query" a part)
    passed: dict[int, set[str]] = {}
    for i, arg in enumerate(given):
        spelled = text(unwrap(arg))
        if spelled in holders:
            passed[i] = {""}
        elif rests := {h[len(spelled) :] for h in holders if h.startswith(spelled + ".")}:
            # `controller.execute(req, res)`: the request whose `.query` is read further down
            passed[i] = rests
    if not passed:
        return set()
    if len(given) > 1 and given[1].type == "array" and any("" in r for r in passed.values()):
        # `pick(req.query, ['name', 'role'])`
        return {v for item in named_children(given[1]) if (v := string(item)) is not None}
    if depth >= _MAX_FOLLOW:
        return set()
    target = _callee(project, module, fn, field_(call, "function"), this)
    if target is None:
        return set()
    owner, callee, cls = target
    params = param_names(callee)
    names: set[str] = set()
    for i, rests in passed.items():
        if i < len(params) and params[i]:
            names |= query_reads(project, owner, callee, {params[i] + r for r in rests}, depth + 1, cls)
    return names


def _callee(
    project: Project, module: Module, fn: Node, expr: Node | None, this: Node | None
) -> tuple[Module, Node, Node | None] | None:
    """The function a call runs, and the class `this` stands for inside it (for inherited methods)."""
    found = project.function(module, expr)
    if found is not None:
        return found[0], found[1], None
    obj, method = member(expr)
    if obj is None:
        return None
    if obj.type == "this":
        # `this.executeImpl(req, res)` in a base class runs the subclass's override
        cls = this if this is not None else enclosing_class(obj)
        return _inherited(project, module, cls, method)
    owner, field_name = member(obj)
    if text(owner) == "this" and field_name:
        # `this.articleService.findAll(query)`: the field's type from the constructor's parameters.
        type_name = _field_type(fn, field_name)
        typed = project.method(type_name, method) if type_name else None
        return (typed[0], typed[1], None) if typed is not None else None
    if obj.type == "identifier":
        # `getPostsController.execute(req, res)`: a constant holding `new GetPostsController(...)`
        value = project.value(module, text(obj))
        instance = project.class_of(*value) if value is not None else None
        if instance is not None:
            return _inherited(project, instance[0], instance[1], method)
    return None


def _inherited(
    project: Project, module: Module, cls: Node | None, method: str, depth: int = 0
) -> tuple[Module, Node, Node | None] | None:
    """A method of `cls` or of the classes it extends; `this` stays `cls`."""
    current: tuple[Module, Node] | None = (module, cls) if cls is not None else None
    while current is not None and depth < 6:
        owner, node = current
        for item in named_children(field_(node, "body")):
            if item.type == "method_definition" and text(field_(item, "name")) == method:
                return owner, item, cls
        heritage = next((c for c in named_children(node) if c.type == "class_heritage"), None)
        parent = next((c for c in walk(heritage) if c.type == "identifier"), None) if heritage else None
        current = project.class_of(owner, parent) if parent is not None else None
        depth += 1
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


def middleware_query(decl: RouteDecl, project: Project, module: Module, fn: Node) -> None:
    """Query parameters a route's own middleware reads (`helpers.parseQuery` reading limit and skip)."""
    names = param_names(fn)
    req = names[0] if names else "req"
    declared = {(p.name, p.location) for p in decl.parameters}
    found = sorted(query_reads(project, module, fn, {f"{req}.query", f"{req}.request.query"}))
    decl.parameters = (
        *decl.parameters,
        *(Parameter(n, "query") for n in found if (n, "query") not in declared),
    )


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
    if prop in ("json", "send", "end") and obj is not None:
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


def passes_on(fn: Node) -> bool:
    """Whether a function is middleware: it calls its last parameter (`next`) after the request's, as
    `(req, res, next) => { ...; next() }` in Express or `async (ctx, next) => { await next() }` in Koa."""
    names = param_names(fn)
    if len(names) < 2 or not names[-1]:
        return False
    callee = names[-1]
    return any(
        node.type == "call_expression" and text(field_(node, "function")) == callee for node in walk(fn)
    )
