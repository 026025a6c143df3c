"""CRUD on an in-memory item store."""

from flask import Blueprint, abort, jsonify, request

items = Blueprint("items", __name__)
_STORE: dict[int, dict[str, object]] = {}


@items.get("")
def list_items():
    return jsonify(sorted(_STORE.values(), key=lambda item: int(str(item["id"]))))


@items.post("")
def create_item():
    body = request.get_json(silent=True) or {}
    name = body.get("name")
    if not isinstance(name, str) or not name:
        abort(400, "name is required")
    item_id = max(_STORE, default=0) + 1
    _STORE[item_id] = {"id": item_id, "name": name, "quantity": int(body.get("quantity", 0))}
    return jsonify(_STORE[item_id]), 201


@items.get("/<int:item_id>")
def get_item(item_id: int):
    if item_id not in _STORE:
        abort(404)
    return jsonify(_STORE[item_id])


@items.delete("/<int:item_id>")
def delete_item(item_id: int):
    _STORE.pop(item_id, None)
    return "", 204
