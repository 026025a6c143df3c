"""Migrations: up, down, up again, and the models match them (autogenerate finds no difference)."""

from __future__ import annotations

from justpush import store


def test_upgrade_downgrade_upgrade_and_no_model_drift(db_url: str) -> None:
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()
    assert store.schema_differences(db_url) == []
    store.downgrade(db_url, "base")
    assert store.current_revision(db_url) is None
    assert store.schema_differences(db_url) != []
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()
    assert store.schema_differences(db_url) == []


def test_url_normalisation() -> None:
    assert store.sync_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert store.sync_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert store.async_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert store.async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
