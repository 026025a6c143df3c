"""The diff of two revisions' configurations: changed, added and removed settings, secrets by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from justpush.web._revision_diff import SECRET_SET, diff_revisions
from justpush.web._schemas import RevisionPublic


def revision(number: int, **changes: Any) -> RevisionPublic:
    fields: dict[str, Any] = {
        "revision": number,
        "status": "deployed",
        "image": "registry.test/shop@sha256:aaa",
        "env": {"GREETING": "hi", "MODE": "prod"},
        "secret_names": ["API_TOKEN"],
        "replicas": 1,
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
        "manifests_hash": "m",
        "kong_config_hash": "k",
        "rollback_of": None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "size": "small",
        "rate_limit": {"minute": 60},
    }
    return RevisionPublic(**{**fields, **changes})


def test_identical_configurations_have_no_changes() -> None:
    assert diff_revisions(revision(1), revision(2)) == []


def test_changed_added_and_removed_settings_sorted_by_key() -> None:
    after = revision(
        2,
        env={"GREETING": "hello", "DEBUG": "1"},
        secret_names=["API_TOKEN", "DB_PASSWORD"],
        resources={"limits": {"cpu": "1", "memory": "256Mi"}},
        rate_limit=None,
        image="registry.test/shop@sha256:bbb",
    )
    changes = [(c.key, c.before, c.after) for c in diff_revisions(revision(1), after)]
    assert changes == [
        ("env.DEBUG", None, "1"),
        ("env.GREETING", "hi", "hello"),
        ("env.MODE", "prod", None),
        ("image", "registry.test/shop@sha256:aaa", "registry.test/shop@sha256:bbb"),
        ("rate_limit.minute", 60, None),
        ("resources.limits.cpu", "500m", "1"),
        ("secret.DB_PASSWORD", None, SECRET_SET),
    ]


def test_secret_values_never_appear() -> None:
    changes = diff_revisions(revision(1, secret_names=[]), revision(2))
    assert [(c.key, c.after) for c in changes] == [("secret.API_TOKEN", "(set)")]
