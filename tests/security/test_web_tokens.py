"""Issue 11, item 11: tokens can be revoked (CLI and API), a revoked token is refused at once, open event
streams close soon after revocation or after their upload is deleted, and open streams per user are capped."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from fastapi import FastAPI
from typer.testing import CliRunner

from justpush.cli import app as cli_app
from justpush.config import Settings

from .web_support import FLASK_APP, upload

RECHECK_SECONDS = 0.2
STREAM_LIMIT = 2


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    settings: Settings = make_settings(
        api={"streamRecheckSeconds": RECHECK_SECONDS, "maxStreamsPerUser": STREAM_LIMIT},
        deployment={"enabled": True},
        server={"worker": "none"},
    )
    return settings


@pytest.fixture
def cli_config(tmp_path: Path, settings: Settings) -> Path:
    """A config file for the CLI naming the app's database."""
    path = tmp_path / "cli-config.yaml"
    path.write_text(
        yaml.safe_dump(
            {"server": {"dataDir": str(settings.server.data_dir)}, "database": {"url": settings.database.url}}
        )
    )
    return path


async def cli(config: Path, *args: str) -> str:
    # The CLI runs its own event loop: give it a thread.
    result = await anyio.to_thread.run_sync(
        lambda: CliRunner().invoke(cli_app, ["--config", str(config), *args], catch_exceptions=False)
    )
    assert result.exit_code == 0, result.output
    output: str = result.stdout
    return output


async def me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def test_cli_revoke_refuses_every_token_of_the_user_at_once(
    client: httpx.AsyncClient, cli_config: Path
) -> None:
    first = (await cli(cli_config, "users", "create", "mallory-rev")).strip()
    second = (await cli(cli_config, "users", "token", "mallory-rev")).strip()
    other = (await cli(cli_config, "users", "create", "trent-rev")).strip()
    assert first != second and second.startswith("jp_")
    assert [await me(client, t) for t in (first, second, other)] == [200, 200, 200]
    await cli(cli_config, "users", "revoke", "mallory-rev")
    assert [await me(client, t) for t in (first, second, other)] == [401, 401, 200]
    fresh = (await cli(cli_config, "users", "token", "mallory-rev")).strip()
    assert await me(client, fresh) == 200


async def test_delete_tokens_current_revokes_only_that_token(
    client: httpx.AsyncClient, cli_config: Path
) -> None:
    first = (await cli(cli_config, "users", "create", "peggy-rev")).strip()
    second = (await cli(cli_config, "users", "token", "peggy-rev")).strip()
    response = await client.delete("/tokens/current", headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 204, response.text
    assert await me(client, first) == 401
    assert await me(client, second) == 200
    again = await client.delete("/tokens/current", headers={"Authorization": f"Bearer {first}"})
    assert again.status_code == 401


async def open_stream(client: httpx.AsyncClient, auth: dict[str, str], upload_id: str) -> httpx.Response:
    return await client.get(f"/deploy/{upload_id}/events", headers=auth, params={"follow": "true"})


async def test_an_open_event_stream_closes_after_its_token_is_revoked(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    stream = asyncio.create_task(open_stream(client, auth, upload_id))
    await asyncio.sleep(0.5)
    assert not stream.done(), "a following stream ended by itself"
    assert (await client.delete("/tokens/current", headers=auth)).status_code == 204
    with anyio.fail_after(5):
        response = await stream
    assert response.status_code == 200


async def test_an_open_event_stream_closes_after_its_upload_is_deleted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    stream = asyncio.create_task(open_stream(client, auth, upload_id))
    await asyncio.sleep(0.5)
    assert not stream.done()
    assert (await client.delete(f"/uploads/{upload_id}", headers=auth)).status_code == 204
    with anyio.fail_after(5):
        await stream


async def test_open_streams_per_user_are_capped(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str], make_user: Any
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    streams = [asyncio.create_task(open_stream(client, auth, upload_id)) for _ in range(STREAM_LIMIT)]
    await asyncio.sleep(0.5)
    refused = await open_stream(client, auth, upload_id)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_requests"
    # Another user is not affected by this user's streams.
    _, other = await make_user("victor")
    other_auth = {"Authorization": f"Bearer {other}"}
    other_upload = await upload(client, other_auth, {"app.py": FLASK_APP})
    response = await client.get(
        f"/deploy/{other_upload}/events", headers=other_auth, params={"follow": "false"}
    )
    assert response.status_code == 200
    # Closing the streams gives the slots back.
    assert (await client.delete(f"/uploads/{upload_id}", headers=auth)).status_code == 204
    with anyio.fail_after(5):
        await asyncio.gather(*streams)
    assert not app.state.justpush.open_streams
