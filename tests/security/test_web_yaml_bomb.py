"""Issue 11, item 2: a YAML alias bomb in an uploaded openapi.yaml, and spec serialisation on the event loop.

A few hundred bytes of nested aliases expand to tens of megabytes once serialised; the loader must refuse
them before anything is built, and a large (legitimate) spec must be encoded off the event loop so that
/healthz keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from justpush import store
from justpush.analysis import AnalysisOptions, analyze
from justpush.analysis._files import read_source
from justpush.analysis._spec import load_spec_text

from .web_support import FLASK_APP, analyse, upload


def alias_bomb(levels: int = 7, fan_out: int = 9) -> str:
    """The classic "billion laughs": each level a list of `fan_out` aliases to the level below."""
    lines = ["openapi: 3.1.0", "info: {title: bomb, version: '1'}", 'a0: &a0 ["lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*a{level - 1}"] * fan_out)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    lines.append("paths: {}")
    lines.append(f"x-bomb: *a{levels}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_by_the_loader() -> None:
    text = alias_bomb()
    assert len(text) < 1000
    started = time.monotonic()
    loaded = load_spec_text(text, "openapi.yaml")
    assert isinstance(loaded, str), "the alias bomb was loaded"
    assert "alias" in loaded
    assert time.monotonic() - started < 2


def test_recursive_alias_is_refused() -> None:
    loaded = load_spec_text("openapi: 3.1.0\nx: &a [*a]\n", "openapi.yaml")
    assert isinstance(loaded, str) and "recursive" in loaded


def test_few_aliases_still_load() -> None:
    text = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nx-common: &c {type: string}\nx-use: [*c, *c]\n"
    loaded = load_spec_text(text, "openapi.yaml")
    assert isinstance(loaded, dict) and loaded["x-use"] == [{"type": "string"}] * 2


def test_alias_bomb_in_an_upload_is_ignored_with_the_reason(tmp_path: Any) -> None:
    (tmp_path / "app.py").write_bytes(FLASK_APP)
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "openapi.yaml").write_text(alias_bomb())
    result = analyze(tmp_path)
    assert result.spec_source == "generated"
    assert "openapi.yaml ignored" in result.spec_reason and "alias" in result.spec_reason
    assert "x-bomb" not in result.spec


def mapping_bomb(levels: int = 6, fan_out: int = 9) -> str:
    lines = ["a0: &a0 {k0: v, k1: v, k2: v, k3: v}"]
    for level in range(1, levels + 1):
        items = ", ".join(f"m{i}: *a{level - 1}" for i in range(fan_out))
        lines.append(f"a{level}: &a{level} {{{items}}}")
    return "\n".join([*lines, "server: {port: 8080}"]) + "\n"


def test_alias_bomb_in_any_yaml_source_is_skipped(tmp_path: Any) -> None:
    """A Spring application.yml is walked by the Java front-end: 600 bytes of aliases cost it a minute."""
    (tmp_path / "pom.xml").write_text(
        "<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>demo</artifactId>"
        "<version>1</version><dependencies><dependency><groupId>org.springframework.boot</groupId>"
        "<artifactId>spring-boot-starter-web</artifactId></dependency></dependencies></project>"
    )
    resources = tmp_path / "src" / "main" / "resources"
    resources.mkdir(parents=True)
    (resources / "application.yml").write_text(mapping_bomb())
    started = time.monotonic()
    result = analyze(tmp_path)
    assert time.monotonic() - started < 10
    assert result.profile.framework == "spring-boot"
    # Every front-end reads sources through read_source, which skips the file and says why.
    warnings: list[str] = []
    assert read_source(tmp_path, resources / "application.yml", warnings) is None
    assert warnings and "alias" in warnings[0], warnings


def test_a_repository_spec_over_the_byte_cap_is_ignored(tmp_path: Any) -> None:
    (tmp_path / "app.py").write_bytes(FLASK_APP)
    (tmp_path / "requirements.txt").write_text("flask\n")
    # Within the node limit, but 40 aliases of a 10 KB list make a spec of about 400 KB as JSON.
    items = ", ".join(["'" + "x" * 100 + "'"] * 100)
    big = f"openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-a: &a [{items}]\n"
    big += "x-b: [" + ", ".join(["*a"] * 40) + "]\n"
    (tmp_path / "openapi.yaml").write_text(big)
    result = analyze(tmp_path, AnalysisOptions(max_spec_bytes=100_000))
    assert result.spec_source == "generated"
    assert "larger than 100000 bytes" in result.spec_reason


@pytest.fixture
def analyzer() -> Any:
    return None  # the real analysis


async def test_alias_bomb_upload_through_the_api(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    upload_id = await upload(
        client,
        auth,
        {"app.py": FLASK_APP, "requirements.txt": b"flask\n", "openapi.yaml": alias_bomb().encode()},
    )
    body = await analyse(client, auth, upload_id)
    assert body["status"] == "succeeded", body
    assert body["spec_source"] == "generated" and "alias" in body["spec_reason"]
    started = time.monotonic()
    response = await client.get(f"/analyze/{upload_id}/openapi.yaml", headers=auth)
    assert response.status_code == 200 and len(response.content) < 100_000
    assert time.monotonic() - started < 5


def large_spec(paths: int) -> dict[str, Any]:
    operation = {
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {}}}}},
        "parameters": [{"name": f"p{i}", "in": "query", "schema": {"type": "string"}} for i in range(8)],
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "large", "version": "1"},
        "paths": {f"/r{i}": {"get": {**operation, "operationId": f"r{i}"}} for i in range(paths)},
    }


def _size_for_seconds(seconds: float) -> int:
    """A spec size whose YAML encoding (as the route does it) takes about `seconds` on this machine."""
    probe = large_spec(400)
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        yaml.safe_dump(probe, sort_keys=False, allow_unicode=True)
        timings.append(time.perf_counter() - started)
    per_unit = max(min(timings) / 400, 1e-6)
    return min(max(600, int(seconds / per_unit)), 40_000)


async def test_healthz_answers_while_a_large_spec_is_serialised(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    upload_id = await upload(client, auth, {"app.py": FLASK_APP})
    # The analysis every upload gets on arrival must not overwrite the large spec or share the machine.
    while (await client.get(f"/analyze/{upload_id}", headers=auth)).json()["status"] == "running":
        await asyncio.sleep(0.1)
    async with app.state.justpush.sessions() as session:
        row = await store.ensure_analyze_result(session, upload_id)
        store.record_analysis(
            row,
            {
                "profile": {},
                "spec": large_spec(_size_for_seconds(3.0)),
                "specSource": "generated",
                "specReason": "test",
            },
        )
        await session.commit()

    yaml_done = asyncio.Event()

    async def fetch_yaml() -> float:
        started = time.monotonic()
        try:
            response = await client.get(f"/analyze/{upload_id}/openapi.yaml", headers=auth)
        finally:
            yaml_done.set()
        assert response.status_code == 200, response.text
        return time.monotonic() - started

    async def ping_health_meanwhile() -> float:
        """The longest wait between two /healthz answers while the YAML request runs (a ping every
        50 ms): a blocked event loop delays the next ping as it would delay any other client's request."""
        slowest, last = 0.0, time.monotonic()
        while not yaml_done.is_set():
            assert (await client.get("/healthz")).status_code == 200
            now = time.monotonic()
            slowest, last = max(slowest, now - last), now
            await asyncio.sleep(0.05)
        return slowest

    yaml_seconds, health_seconds = await asyncio.gather(fetch_yaml(), ping_health_meanwhile())
    assert yaml_seconds > 1.0, "the spec is too small to show a stall"
    # Off the loop the worker thread still competes for the GIL, so answers slow down, but they never
    # wait for the whole encoding as they do when it runs on the loop.
    assert health_seconds < yaml_seconds / 2, (
        f"/healthz waited {health_seconds:.2f} s while the YAML took {yaml_seconds:.2f} s"
    )
