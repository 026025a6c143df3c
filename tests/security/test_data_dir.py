"""Issue 11 item 14: the data dir, workspaces, database and key are private to the server's user, and
SQL logging at DEBUG never shows bound parameters (env values)."""

from __future__ import annotations

import io
import logging
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from justpush.logging import configure_logging
from tests.conftest import SettingsFactory
from tests.security.support import app_client


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def app_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "print('hi')\n")
    return buffer.getvalue()


async def test_data_dir_database_key_and_workspaces_are_private(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    # The default database: a SQLite file inside the data dir.
    settings = make_settings(database={"url": ""})
    data = settings.server.data_dir
    async with app_client(settings) as (client, auth):
        response = await client.post(
            "/uploads", headers=auth, files={"file": ("app.zip", app_zip(), "application/zip")}
        )
        assert response.status_code == 201, response.text
        workspace = data / "workspaces" / response.json()["id"]
        assert mode(data) == 0o700
        assert mode(data / "workspaces") == 0o700
        assert mode(workspace) == 0o700
        assert mode(data / "tmp") == 0o700
        assert mode(data / "encryption.key") == 0o600
        databases = sorted(data.glob("justpush.db*"))
        assert data / "justpush.db" in databases
        for database in databases:
            assert mode(database) == 0o600, database.name
        # Files inside a workspace keep their usual modes; the private folders above protect them.
        assert mode(workspace / "app.py") == 0o644


async def test_existing_world_readable_data_dir_is_made_private(make_settings: SettingsFactory) -> None:
    settings = make_settings(database={"url": ""})
    data = settings.server.data_dir
    (data / "workspaces" / "old").mkdir(parents=True, mode=0o755)
    data.chmod(0o755)
    (data / "workspaces").chmod(0o755)
    (data / "justpush.db").touch(mode=0o644)
    (data / "justpush.db").chmod(0o644)
    async with app_client(settings):
        assert (mode(data), mode(data / "workspaces"), mode(data / "justpush.db")) == (0o700, 0o700, 0o600)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    engine_logger = logging.getLogger("sqlalchemy.engine")
    saved_engine_level = engine_logger.level
    stream = io.StringIO()
    configure_logging("DEBUG", "console", stream=stream)
    # An operator debugging SQL turns SQLAlchemy's statement log on as well.
    engine_logger.setLevel(logging.INFO)
    yield stream
    engine_logger.setLevel(saved_engine_level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


async def test_debug_logging_never_shows_bound_parameters(
    make_settings: SettingsFactory, debug_log: io.StringIO
) -> None:
    settings = make_settings(server={"logLevel": "DEBUG", "worker": "none"}, deployment={"enabled": True})
    async with app_client(settings) as (client, auth):
        response = await client.post(
            "/uploads", headers=auth, files={"file": ("app.zip", app_zip(), "application/zip")}
        )
        upload_id = response.json()["id"]
        response = await client.post(
            f"/deploy/{upload_id}",
            headers=auth,
            json={"env": {"DB_PASSWORD": "plain-env-value-7f3a"}, "secrets": {"API_KEY": "secret-9c1e"}},
        )
        assert response.status_code == 202, response.text
    logged = debug_log.getvalue()
    # The SQL statements are logged at this level (so the check below can fail)…
    assert "INSERT INTO deployment_jobs" in logged
    # …but never the values bound to them.
    assert "plain-env-value-7f3a" not in logged
    assert "secret-9c1e" not in logged
    assert auth["Authorization"].split()[1] not in logged
