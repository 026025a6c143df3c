"""Issue 11, "Also": the authorization matrix, generated from the app's own OpenAPI document.

Every operation is called as the owner of an upload, as another user, without a token and with a revoked
token of the owner. Protected operations (those the document gives a security requirement) must answer
401 without a valid token, 404 to another user for the owner's upload, never 401/403/404 to the owner,
and nothing answers 5xx. A new route is covered by adding it to the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from justpush import security, store
from justpush.config import Settings
from justpush.web import create_app

from .web_support import FLASK_APP, upload


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def protected(self) -> bool:
        return bool(self.spec.get("security"))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _document() -> dict[str, Any]:
    document: dict[str, Any] = create_app(Settings()).openapi()
    return document


DOCUMENT = _document()
OPERATIONS = [
    Operation(method.upper(), path, spec)
    for path, item in DOCUMENT["paths"].items()
    for method, spec in item.items()
]


def example(schema: dict[str, Any]) -> Any:
    """A small instance of `schema`: required properties only, the least allowed numbers."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(DOCUMENT["components"]["schemas"][name])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return example(next(s for s in schema[key] if s.get("type") != "null"))
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example(properties[name]) for name in schema.get("required", ())}
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return "x"


def request_for(op: Operation, upload_id: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"method": op.method, "url": op.path.replace("{upload_id}", upload_id)}
    query = [p for p in op.spec.get("parameters", ()) if p["in"] == "query"]
    # Required query parameters get a value, so a caller is judged by who it is, not by a 422.
    params = {p["name"]: example(p.get("schema", {})) for p in query if p.get("required")}
    if any(p["name"] == "follow" for p in query):
        params["follow"] = "false"  # a following stream would not end on its own
    if params:
        kwargs["params"] = params
    content = op.spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        kwargs["json"] = example(content["application/json"].get("schema", {}))
    return kwargs


@pytest.fixture
def settings(make_settings: Any, tmp_path: Path) -> Settings:
    settings: Settings = make_settings(
        deployment={"enabled": True},
        server={"worker": "none"},
        # No cluster: routes that need one answer the same 400 everywhere this runs.
        kubernetes={"kubeconfig": str(tmp_path / "no-kubeconfig")},
    )
    return settings


@dataclass(frozen=True)
class Callers:
    upload_id: str
    owner: dict[str, str]
    other: dict[str, str]
    revoked: dict[str, str]


@pytest.fixture
async def callers(app: FastAPI, client: httpx.AsyncClient, make_user: Any) -> Callers:
    owner_id, owner_token = await make_user("owner")
    _, other_token = await make_user("other")
    async with app.state.justpush.sessions() as session:
        owner = await session.get(store.User, owner_id)
        assert owner is not None
        revoked_token = await security.issue_token(session, owner)
        await security.revoke_token(session, revoked_token)
        await session.commit()
    owner_auth = {"Authorization": f"Bearer {owner_token}"}
    upload_id = await upload(client, owner_auth, {"app.py": FLASK_APP})
    async with app.state.justpush.sessions() as session:
        row = await store.ensure_analyze_result(session, upload_id)
        spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
        store.record_analysis(row, {"profile": {}, "spec": spec})
        await session.commit()
    return Callers(
        upload_id,
        owner_auth,
        {"Authorization": f"Bearer {other_token}"},
        {"Authorization": f"Bearer {revoked_token}"},
    )


def test_the_matrix_covers_every_route() -> None:
    assert len(OPERATIONS) >= 20
    assert {"GET /uploads/{upload_id}", "DELETE /tokens/current", "GET /deploy/{upload_id}/logs"} <= {
        str(op) for op in OPERATIONS
    }


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
async def test_authorization_matrix(client: httpx.AsyncClient, callers: Callers, op: Operation) -> None:
    request = request_for(op, callers.upload_id)
    answers: dict[str, httpx.Response] = {}
    for caller, headers in (("none", {}), ("revoked", callers.revoked), ("other", callers.other)):
        answers[caller] = await client.request(**request, headers=headers)
    # The owner last: some operations (deleting the upload, revoking the token) change what others see.
    answers["owner"] = await client.request(**request, headers=callers.owner)
    seen = {caller: answer.status_code for caller, answer in answers.items()}
    assert all(status < 500 for status in seen.values()), seen
    if not op.protected:
        return
    assert seen["none"] == 401 and seen["revoked"] == 401, seen
    assert seen["owner"] not in (401, 403), seen
    if seen["owner"] == 404:
        # Only for a thing inside the upload that does not exist yet (a revision), never the upload.
        owner_error = answers["owner"].json()["error"]["message"]
        assert "{upload_id}" in op.path and owner_error != answers["other"].json()["error"]["message"], seen
    if "{upload_id}" in op.path:
        assert seen["other"] == 404, seen
    else:
        assert seen["other"] not in (401, 403, 404), seen


async def test_another_user_never_sees_the_owners_upload_in_lists(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    listed = (await client.get("/uploads", headers=callers.other)).json()
    assert callers.upload_id not in {u["id"] for u in listed}
    assert callers.upload_id in {
        u["id"] for u in (await client.get("/uploads", headers=callers.owner)).json()
    }
