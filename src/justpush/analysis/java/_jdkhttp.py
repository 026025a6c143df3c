"""com.sun.net.httpserver: createContext paths and the methods their handlers check."""

from __future__ import annotations

from .._model import HttpMethod, Operation
from .._treesitter import (
    HTTP_METHODS,
    Node,
    RouteDecl,
    RouterGraph,
    field_,
    line,
    named_children,
    operations_from_graph,
    text,
    walk,
)
from ._resolve import Resolver, literal


class JdkHttpServer:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.index = resolver.index

    def run(self, warnings: list[str]) -> list[Operation]:
        graph = RouterGraph()
        for path in self.index.files_containing("createContext"):
            for call in walk(self.index.parsed(path).root):
                if call.type != "method_invocation" or text(field_(call, "name")) != "createContext":
                    continue
                args = named_children(field_(call, "arguments"))
                scope = self.resolver.scope_of(call, path)
                context = self.resolver.string(args[0], scope) if args else None
                if context is None:
                    warnings.append(
                        f"{path}:{line(call)}: createContext path {text(args[0]) if args else ''} "
                        "is not a constant, skipped"
                    )
                    continue
                decl = RouteDecl(None, context, path, line(call))
                handler = self._handler_body(args[1], path) if len(args) > 1 else None
                if handler is not None:
                    decl.handler_methods = _checked_methods(handler)
                    if "getRequestURI" in text(handler) and context != "/":
                        decl.unresolved["path"] = "context is a prefix; the handler parses sub-paths itself"
                graph.add("jdk", decl)
                graph.router("jdk", is_app=True)
        operations, _ = operations_from_graph(graph, warnings)
        return operations

    def _handler_body(self, expr: Node, near: str) -> Node | None:
        if expr.type == "lambda_expression":
            return expr
        if expr.type == "object_creation_expression":
            found = self.index.type_(text(field_(expr, "type")).split("<")[0], near)
            if found is not None:
                return found.node
            return field_(expr, "body") if field_(expr, "body") is not None else expr
        if expr.type == "method_reference":
            name = text(named_children(expr)[-1])
            for path in self.index.files_containing(name):
                for node in walk(self.index.parsed(path).root):
                    if node.type == "method_declaration" and text(field_(node, "name")) == name:
                        return node
        return None


def _checked_methods(handler: Node) -> tuple[HttpMethod, ...]:
    """Methods compared with getRequestMethod(): equals/equalsIgnoreCase either way round, or switch cases."""
    found: set[str] = set()
    for node in walk(handler):
        if node.type == "method_invocation" and text(field_(node, "name")) in ("equals", "equalsIgnoreCase"):
            args = named_children(field_(node, "arguments"))
            parts = [field_(node, "object"), *args]
            if any("getRequestMethod" in text(p) for p in parts):
                found.update(v.lower() for p in parts if (v := literal(p)) is not None)
        elif node.type == "switch_expression" and "getRequestMethod" in text(field_(node, "condition")):
            for label in walk(node):
                if label.type == "switch_label":
                    found.update(v.lower() for c in named_children(label) if (v := literal(c)) is not None)
    return tuple(m for m in HTTP_METHODS if m in found)
