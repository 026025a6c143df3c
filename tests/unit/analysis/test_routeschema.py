"""Declared route schemas (Fastify `schema:`) against what the handler suggested."""

from __future__ import annotations

from justpush.analysis import Parameter
from justpush.analysis._treesitter import RouteDecl
from justpush.analysis.node._routeschema import apply_route_schema


def _decl() -> RouteDecl:
    decl = RouteDecl("post", "/orders", "server.js", 1)
    decl.responses["200"] = {}
    decl.parameters = (Parameter("limit", "query"),)
    return decl


def test_declared_parts_replace_guesses() -> None:
    decl = _decl()
    apply_route_schema(
        decl,
        {
            "querystring": {
                "type": "object",
                "properties": {"limit": {"type": "integer"}},
                "required": ["limit"],
            },
            "response": {201: {"type": "object"}, "default": {"type": "object"}, "bogus": {"type": "object"}},
        },
    )
    assert decl.parameters == (Parameter("limit", "query", {"type": "integer"}, required=True),)
    assert decl.responses == {"201": {"type": "object"}, "default": {"type": "object"}}


def test_references_to_shared_schemas_by_id_are_marked_not_copied() -> None:
    decl = _decl()
    apply_route_schema(
        decl,
        {"body": {"$ref": "order#"}, "response": {"200": {"type": "array", "items": {"$ref": "order#"}}}},
    )
    assert decl.request_body is None
    assert set(decl.unresolved) == {"body", "response"}
    # The handler's guess stays where the declaration could not be used.
    assert decl.responses == {"200": {}}
