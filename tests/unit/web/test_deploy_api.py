"""The /deploy API without a worker: feature flag, ownership, validation, one pipeline per upload, audit."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from justpush import store
from justpush.config import Settings


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # No in-process worker: queued jobs stay queued, so the API alone is under test.
    return make_settings(deployment={"enabled": True}, server={"worker": "none"})


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "print('hi')\n")
    return buffer.getvalue()


@pytest.fixture
async def upload_id(client: httpx.AsyncClient, auth: dict[str, str]) -> AsyncIterator[str]:
    response = await client.post(
        "/uploads", headers=auth, files={"file": ("app.zip", _zip(), "application/zip")}
    )
    assert response.status_code == 201, response.text
    yield response.json()["id"]


async def test_twenty_concurrent_deploys_start_exactly_one_pipeline(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    responses = await asyncio.gather(
        *(client.post(f"/deploy/{upload_id}", headers=auth, json={"replicas": 1}) for _ in range(20))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [202] + [409] * 19, [r.text for r in responses if r.status_code not in (202, 409)]
    job_id = next(r.json()["job_id"] for r in responses if r.status_code == 202)
    refusal = next(r.json()["error"] for r in responses if r.status_code == 409)
    assert job_id in refusal["message"] and refusal["details"]["job_id"] == job_id
    async with app.state.justpush.sessions() as session:
        jobs = await store.list_jobs(session, upload_id)
        audit = await store.list_audit_events(session, target=f"upload:{upload_id}")
    assert [j.id for j in jobs] == [job_id]
    results = sorted(a.result for a in audit if a.action == "deployment.deploy")
    assert results == ["refused"] * 19 + ["success"]


async def test_status_and_events_of_a_queued_deploy(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    accepted = await client.post(
        f"/deploy/{upload_id}", headers=auth, json={"env": {"A": "1"}, "secrets": {"TOKEN": "sekrit-value"}}
    )
    assert accepted.status_code == 202
    assert accepted.json()["events_url"] == f"/deploy/{upload_id}/events"
    status = (await client.get(f"/deploy/{upload_id}/status", headers=auth)).json()
    assert status["status"] == "PENDING" and status["job"]["status"] == "queued"
    assert status["api_key"] is None
    events = await client.get(f"/deploy/{upload_id}/events", headers=auth, params={"follow": "false"})
    assert events.headers["content-type"].startswith("text/event-stream")
    assert "event: status" in events.text and '"stage":"PENDING"' in events.text
    # Resuming after the last id returns nothing new.
    last_id = [line for line in events.text.splitlines() if line.startswith("id: ")][-1][4:]
    resumed = await client.get(
        f"/deploy/{upload_id}/events", headers={**auth, "Last-Event-ID": last_id}, params={"follow": "false"}
    )
    assert resumed.text == ""
    assert "sekrit-value" not in events.text and "sekrit-value" not in str(status)


async def test_another_user_gets_404(
    client: httpx.AsyncClient, upload_id: str, make_user: Callable[..., Any]
) -> None:
    _, other = await make_user("mallory")
    headers = {"Authorization": f"Bearer {other}"}
    for method, path in [
        ("POST", f"/deploy/{upload_id}"),
        ("GET", f"/deploy/{upload_id}/status"),
        ("GET", f"/deploy/{upload_id}/events"),
        ("GET", f"/deploy/{upload_id}/revisions"),
        ("DELETE", f"/deploy/{upload_id}"),
        ("GET", f"/deploy/{upload_id}/proxy/items"),
        ("POST", f"/deploy/{upload_id}/proxy/items"),
    ]:
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [{"env": {"1BAD": "x"}}, {"replicas": -1}, {"env": {"A": "1"}, "secrets": {"A": "2"}}, {"unknown": True}],
)
async def test_bad_options_are_refused_with_the_error_shape(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, body: dict[str, Any]
) -> None:
    response = await client.post(f"/deploy/{upload_id}", headers=auth, json=body)
    assert response.status_code == 422
    assert set(response.json()["error"]) == {"code", "message", "details"}


async def test_the_dockerfile_choice_is_validated_and_stored_with_the_job(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    refused = await client.post(f"/deploy/{upload_id}", headers=auth, json={"dockerfile": "mine"})
    assert refused.status_code == 422
    assert "dockerfile" in refused.text and "'auto', 'repo' or 'generated'" in refused.text
    rebuild_only = await client.post(
        f"/deploy/{upload_id}/redeploy", headers=auth, json={"dockerfile": "generated"}
    )
    assert rebuild_only.status_code == 422 and "rebuild" in rebuild_only.text
    accepted = await client.post(f"/deploy/{upload_id}", headers=auth, json={"dockerfile": "generated"})
    assert accepted.status_code == 202, accepted.text
    async with app.state.justpush.sessions() as session:
        jobs = await store.list_jobs(session, upload_id)
    assert jobs[0].options["dockerfile"] == "generated"


async def test_scale_refused_when_not_serving(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    response = await client.put(f"/deploy/{upload_id}/scale", headers=auth, json={"replicas": 2})
    assert response.status_code == 409
    assert "not serving" in response.json()["error"]["message"]


async def test_pass_through_refused_before_a_deployment(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    response = await client.get(f"/deploy/{upload_id}/proxy/items", headers=auth)
    assert response.status_code == 409
    assert "not serving" in response.json()["error"]["message"]
    assert (await client.get(f"/deploy/{upload_id}/proxy/items")).status_code == 401


async def test_an_upload_with_a_queued_job_is_not_deleted(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    assert (await client.post(f"/deploy/{upload_id}", headers=auth, json={})).status_code == 202
    refused = await client.delete(f"/uploads/{upload_id}", headers=auth)
    assert refused.status_code == 409
    assert "cancel it" in refused.json()["error"]["message"]
    assert (await client.get(f"/uploads/{upload_id}", headers=auth)).status_code == 200
    listed = (await client.get("/uploads", headers=auth)).json()
    assert [(u["id"], u["deployment_status"]) for u in listed] == [(upload_id, "PENDING")]


async def test_status_before_a_deployment_reads_nothing_live(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    body = (await client.get(f"/deploy/{upload_id}/status", headers=auth)).json()
    assert body["live"] is None and body["replicas"] is None and body["serving_revision"] is None


async def test_rollback_without_revisions_is_queued_and_revisions_are_empty(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    assert (await client.get(f"/deploy/{upload_id}/revisions", headers=auth)).json() == []


async def test_disabled_feature_answers_404_with_how_to_enable(
    make_settings: Callable[..., Settings], user_token: str
) -> None:
    from justpush.web import create_app

    app = create_app(make_settings())
    async with app.router.lifespan_context(app):
        async with app.state.justpush.sessions() as session:
            user = await store.create_user(session, "flagless")
            from justpush import security

            token = await security.issue_token(session, user)
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post("/deploy/abc", headers={"Authorization": f"Bearer {token}"})
            analyze = await http.get("/uploads", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "feature_disabled" and "deployment.enabled" in error["message"]
    assert analyze.status_code == 200


async def test_cancel_a_queued_job(client: httpx.AsyncClient, auth: dict[str, str], upload_id: str) -> None:
    assert (await client.post(f"/deploy/{upload_id}/cancel", headers=auth)).status_code == 409
    accepted = (await client.post(f"/deploy/{upload_id}", headers=auth, json={})).json()
    cancelled = await client.post(f"/deploy/{upload_id}/cancel", headers=auth)
    assert cancelled.status_code == 202 and cancelled.json()["id"] == accepted["job_id"]
    status = (await client.get(f"/deploy/{upload_id}/status", headers=auth)).json()
    assert status["status"] == "FAILED" and status["job"]["status"] == "failed"
    assert "cancelled by" in status["job"]["error"]
    # The upload is free again.
    assert (await client.post(f"/deploy/{upload_id}", headers=auth, json={})).status_code == 202


async def _claim(app: FastAPI, upload_id: str) -> str:
    """Mark the upload's queued job running, as a worker in another process would (claiming the
    oldest queued job could take another test's in a shared database)."""
    async with app.state.justpush.sessions.begin() as session:
        job = await store.active_job(session, upload_id)
        assert job is not None and job.status == "queued"
        job.status, job.worker_id = "running", "elsewhere:1"
        job.started_at = job.heartbeat_at = store.utcnow()
        return job.id


async def test_cancel_a_job_running_in_another_process_is_requested_through_the_job_row(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    await client.post(f"/deploy/{upload_id}", headers=auth, json={})
    job_id = await _claim(app, upload_id)
    first = await client.post(f"/deploy/{upload_id}/cancel", headers=auth)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["status"] == "running" and body["cancel_requested_at"] and body["cancel_requested_by"]
    # Asking twice keeps the first request.
    again = (await client.post(f"/deploy/{upload_id}/cancel", headers=auth)).json()
    assert again["cancel_requested_at"] == body["cancel_requested_at"]
    async with app.state.justpush.sessions() as session:
        assert await store.job_cancel_requester(session, job_id) == body["cancel_requested_by"]
    status = (await client.get(f"/deploy/{upload_id}/status", headers=auth)).json()
    assert status["job"]["cancel_requested_at"] == body["cancel_requested_at"]


async def test_a_running_delete_cannot_be_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    await client.post(f"/deploy/{upload_id}", headers=auth, json={})
    job_id = await _claim(app, upload_id)
    async with app.state.justpush.sessions.begin() as session:
        job = await store.get_job(session, job_id)
        job.kind = "delete"
    refused = await client.post(f"/deploy/{upload_id}/cancel", headers=auth)
    assert refused.status_code == 409
    assert "delete cannot be cancelled" in refused.json()["error"]["message"]
    async with app.state.justpush.sessions() as session:
        assert await store.job_cancel_requester(session, job_id) is None


async def test_a_needed_database_is_named_before_a_job_exists(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("requirements.txt", "fastapi\npsycopg[binary]\n")
        archive.writestr(
            "main.py",
            "import os\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
            "DB = os.getenv('DATABASE_URL', 'postgresql://db:5432/app')\n",
        )
    created = await client.post(
        "/uploads", headers=auth, files={"file": ("app.zip", buffer.getvalue(), "application/zip")}
    )
    upload_id = created.json()["id"]
    for _ in range(300):
        analysed = (await client.get(f"/analyze/{upload_id}", headers=auth)).json()
        if analysed["status"] != "running":
            break
        await asyncio.sleep(0.1)
    assert analysed["status"] == "succeeded", analysed
    assert [s["kind"] for s in analysed["profile"]["backingServices"]] == ["PostgreSQL"]
    refused = await client.post(f"/deploy/{upload_id}", headers=auth, json={})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "missing_env" and error["details"]["missing"] == ["DATABASE_URL"]
    assert error["message"] == "required environment variables have no value: DATABASE_URL (needs PostgreSQL)"
    given = await client.post(f"/deploy/{upload_id}", headers=auth, json={"secrets": {"DATABASE_URL": "x"}})
    assert given.status_code == 202, given.text


async def test_diff_of_revisions_that_do_not_exist_is_404(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str
) -> None:
    response = await client.get(f"/deploy/{upload_id}/revisions/diff?from=1&to=2", headers=auth)
    assert response.status_code == 404
    assert "has no revision 1" in response.json()["error"]["message"]
    missing = await client.get(f"/deploy/{upload_id}/revisions/diff?from=1", headers=auth)
    assert missing.status_code == 422


async def test_a_gateway_job_settling_what_kong_owes_cannot_be_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    from justpush import pipeline

    async with app.state.justpush.sessions.begin() as session:
        record = await store.ensure_analyze_result(session, upload_id)
        record.deployment_status = "DEPLOYED_WITH_WARNINGS"
        await pipeline.submit_job(
            session,
            app.state.justpush.secret_box,
            upload_id=upload_id,
            kind="gateway",
            options={"before": "DEPLOYED_WITH_WARNINGS"},
            secret_options=None,
            user_id=None,
        )
    refused = await client.post(f"/deploy/{upload_id}/cancel", headers=auth)
    assert refused.status_code == 409 and "what Kong owes" in refused.json()["error"]["message"]
    status = (await client.get(f"/deploy/{upload_id}/status", headers=auth)).json()
    assert status["status"] == "PENDING" and status["job"]["kind"] == "gateway"


async def _hold_the_write_lock(app: FastAPI, held: asyncio.Event, release: asyncio.Event) -> None:
    """A writer that holds what the pipeline's transactions hold (SQLite: the database's write lock;
    PostgreSQL: the tables a status answer used to write) until `release`."""
    async with app.state.justpush.sessions() as session:
        if session.bind.dialect.name == "sqlite":
            await session.execute(text("SELECT 1"))  # a writer session begins IMMEDIATE
        else:
            await session.execute(text("LOCK TABLE api_tokens, analyze_results IN EXCLUSIVE MODE"))
        held.set()
        await release.wait()


async def test_a_status_poll_answers_while_a_writer_holds_the_lock(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    # The first answer creates the upload's record, and the upload recorded the token's use.
    assert (await client.get(f"/deploy/{upload_id}/status", headers=auth)).status_code == 200
    held, release = asyncio.Event(), asyncio.Event()
    writer = asyncio.create_task(_hold_the_write_lock(app, held, release))
    try:
        await held.wait()
        # Before: the poll waited for the lock (up to SQLite's 30 s busy timeout).
        answer = await asyncio.wait_for(client.get(f"/deploy/{upload_id}/status", headers=auth), 5)
        assert answer.status_code == 200, answer.text
    finally:
        release.set()
        await writer


async def test_the_key_is_revealed_once_to_polls_side_by_side(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    state = app.state.justpush
    async with state.sessions() as session:
        record = await store.ensure_analyze_result(session, upload_id)
        store.set_developer_api_key(record, "jp-developer-key", state.secret_box)
        record.deployment_status, record.kong_api_id = "DEPLOYED", {"service": "service-id"}
        await session.commit()
    answers = await asyncio.gather(
        *(client.get(f"/deploy/{upload_id}/status", headers=auth) for _ in range(6))
    )
    keys = [answer.json()["api_key"] for answer in answers]
    assert keys.count("jp-developer-key") == 1 and keys.count(None) == 5, keys
    assert all(answer.json()["api_key_masked"] for answer in answers)
    async with state.sessions() as session:
        audit = await store.list_audit_events(session, target=f"upload:{upload_id}")
    assert [a.action for a in audit].count("deployment.api_key.reveal") == 1
    again = await client.get(f"/deploy/{upload_id}/status", headers=auth)
    assert again.json()["api_key"] is None


async def test_a_status_poll_reads_its_token_once(
    client: httpx.AsyncClient, auth: dict[str, str], upload_id: str, app: FastAPI
) -> None:
    assert (await client.get(f"/deploy/{upload_id}/status", headers=auth)).status_code == 200
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "api_tokens" in statement:
            statements.append(statement)

    engine = app.state.justpush.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert (await client.get(f"/deploy/{upload_id}/status", headers=auth)).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # The token and its use (recorded within the minute by the first poll): one read, no write.
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT"), statements


async def test_status_polls_share_one_cluster_client_closed_at_shutdown(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    from justpush import k8s, security
    from justpush.web import create_app

    opened: list[FakeCluster] = []

    class FakeCluster:
        def __init__(self, settings: Any) -> None:
            self.closed = False
            opened.append(self)

        async def workload_status(self, upload_id: str, *, namespace: str | None) -> k8s.WorkloadStatus:
            return k8s.WorkloadStatus(
                deployment=f"app-{upload_id}", desired=1, ready=1, updated=1, available=1
            )

        async def aclose(self) -> None:
            self.closed = True

    monkeypatch.setattr(k8s, "K8sClient", FakeCluster)
    app = create_app(make_settings(deployment={"enabled": True}, server={"worker": "none"}))
    async with app.router.lifespan_context(app):
        async with app.state.justpush.sessions() as session:
            user = await store.create_user(session, "poller")
            token = await security.issue_token(session, user)
            await session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            upload = await http.post(
                "/uploads", headers=headers, files={"file": ("a.zip", _zip(), "application/zip")}
            )
            upload_id = upload.json()["id"]
            async with app.state.justpush.sessions() as session:
                record = await store.ensure_analyze_result(session, upload_id)
                record.deployment_status = "DEPLOYED"
                record.k8s_deployment_info = {"namespace": "apps", "service": f"app-{upload_id}"}
                await session.commit()
            polls = [await http.get(f"/deploy/{upload_id}/status", headers=headers) for _ in range(3)]
        assert [p.json()["live"]["ready"] for p in polls] == [1, 1, 1]
        assert len(opened) == 1 and not opened[0].closed
    assert opened[0].closed
