"""app_from_profile: the one adapter from an analysis profile."""

from __future__ import annotations

import pytest

from justpush.analysis import EnvVar, ProjectProfile
from justpush.errors import GenerationError
from justpush.k8s import EnvEntry, app_from_profile

PROFILE = ProjectProfile(
    language="java",
    framework="spring-boot",
    port=8081,
    env_vars=(
        EnvVar("SERVER_MODE", default="prod"),
        EnvVar("DB_PASSWORD", secret=True, required=True),
        EnvVar("FEATURE_X", default="off"),
        EnvVar("API_TOKEN", secret=True, default="dev-token"),
    ),
)


def test_profile_defaults_then_user_values() -> None:
    app = app_from_profile(
        PROFILE,
        upload_id="u1",
        app_name="shop",
        image="r/shop@sha256:" + "a" * 64,
        env={"FEATURE_X": "on", "DB_PASSWORD": "pw"},
    )
    assert app.runtime == "java" and app.port == 8081 and app.framework == "spring-boot"
    assert app.env == (
        EnvEntry("API_TOKEN", "dev-token", secret=True),
        EnvEntry("DB_PASSWORD", "pw", secret=True),
        EnvEntry("FEATURE_X", "on"),
        EnvEntry("SERVER_MODE", "prod"),
    )


def test_secrets_argument_is_always_secret() -> None:
    app = app_from_profile(
        PROFILE,
        upload_id="u1",
        app_name="shop",
        image="r/shop:1",
        secrets={"DB_PASSWORD": "pw", "EXTRA": "x"},
    )
    assert {e.name for e in app.env if e.secret} == {"API_TOKEN", "DB_PASSWORD", "EXTRA"}


def test_missing_required_variables() -> None:
    with pytest.raises(GenerationError, match="DB_PASSWORD"):
        app_from_profile(PROFILE, upload_id="u1", app_name="shop", image="r/shop:1")
    app = app_from_profile(PROFILE, upload_id="u1", app_name="shop", image="r/shop:1", require_env=False)
    assert "DB_PASSWORD" not in {e.name for e in app.env}


def test_unknown_language_maps_to_unknown_runtime() -> None:
    app = app_from_profile(ProjectProfile(language="unknown"), upload_id="u1", app_name="x", image="r/x:1")
    assert app.runtime == "unknown" and app.port == 8080
