"""Shared fixtures: settings with a temporary data dir, the test database, the app, a client, a user.

The database is SQLite in the test's tmp_path by default. With `JUSTPUSH_TEST_DB=postgres` the
store and web tests run on `JUSTPUSH_TEST_DATABASE_URL` instead (CI runs the suite both ways), in a
schema created for this test session and dropped after it, so parallel runs never share tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from justpush.config import Settings

TEST_DB = os.environ.get("JUSTPUSH_TEST_DB", "sqlite")
POSTGRES_URL_VARIABLE = "JUSTPUSH_TEST_DATABASE_URL"


def postgres_schema_url(base: str, schema: str) -> str:
    """`base` with every connection's search_path set to `schema`."""
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


SCHEMA_PREFIX = "jp_test_"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_abandoned_schemas(conn: Any) -> None:
    """Drop schemas left by earlier sessions on this machine whose process is gone (killed runs)."""
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (SCHEMA_PREFIX.replace("_", r"\_") + "%",)
    ).fetchall()
    for (name,) in rows:
        pid = name.removeprefix(SCHEMA_PREFIX).split("_", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema in the testenv PostgreSQL for this session; skips when it is not configured."""
    base = os.environ.get(POSTGRES_URL_VARIABLE)
    if not base:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set (source the testenv env file)")
    import psycopg

    libpq_url = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"{SCHEMA_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        drop_abandoned_schemas(conn)
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with psycopg.connect(libpq_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """The database for store and web tests: PostgreSQL when JUSTPUSH_TEST_DB=postgres, else SQLite."""
    if TEST_DB == "postgres":
        if not os.environ.get(POSTGRES_URL_VARIABLE):
            pytest.fail(f"JUSTPUSH_TEST_DB=postgres needs {POSTGRES_URL_VARIABLE}")
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{(tmp_path / 'justpush.db').as_posix()}"


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Any, db_url: str) -> SettingsFactory:
    """`make_settings(uploads={"maxBytes": 10})`: settings with a tmp data dir and the test database."""

    def make(**sections: dict[str, Any]) -> Settings:
        data: dict[str, Any] = {
            "server": {"dataDir": str(tmp_path / "data")},
            "database": {"url": db_url},
        }
        for section, values in sections.items():
            data.setdefault(section, {}).update(values)
        return Settings.model_validate(data)

    return make


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
def analyzer() -> Any:
    """The analyzer the app uses; None means `justpush.analysis.analyze`. Override in a test module."""
    return None


@pytest.fixture
async def app(settings: Settings, analyzer: Any) -> AsyncIterator[FastAPI]:
    """The application with its lifespan running (database migrated, state created)."""
    from justpush.web import create_app

    application = create_app(settings, analyzer=analyzer)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://justpush.test") as http:
        yield http


@pytest.fixture
async def make_user(app: FastAPI) -> Callable[..., Any]:
    """`await make_user("name")` -> (user id, token); names get a random suffix (shared PostgreSQL)."""
    from justpush import security, store

    async def make(name: str = "user") -> tuple[int, str]:
        async with app.state.justpush.sessions() as session:
            user = await store.create_user(session, f"{name}-{secrets.token_hex(4)}")
            token = await security.issue_token(session, user)
            await session.commit()
            return user.id, token

    return make


@pytest.fixture
async def user_token(make_user: Callable[..., Any]) -> str:
    _, token = await make_user("alice")
    assert isinstance(token, str)
    return token


@pytest.fixture
def auth(user_token: str) -> dict[str, str]:
    """Headers authenticating as the `user_token` user."""
    return {"Authorization": f"Bearer {user_token}"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that touches the database is marked `db`, so CI can run exactly those on PostgreSQL.

    Browser tests are marked `ui`, and tests that deploy onto the cluster `cluster`. The PostgreSQL pass
    leaves both out unless a module is marked `both_databases` (job claims, leases, recovery, tenancy and
    one full lifecycle): the others reach the store through the same queries the store and web tests
    already run on both databases, and they are the slowest."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "db_url" in fixtures:
            item.add_marker(pytest.mark.db)
        if "page" in fixtures:
            item.add_marker(pytest.mark.ui)
        if "namespace" in fixtures:
            item.add_marker(pytest.mark.cluster)
