"""Which release command a deploy runs: the detected one, the user's, or none."""

from __future__ import annotations

import pytest

from justpush.analysis import ProjectProfile
from justpush.pipeline._options import DeployOptions, RedeployOptions
from justpush.pipeline._release import Release
from justpush.pipeline._release_phase import MASK, masker

DETECTED = ("python", "manage.py", "migrate", "--noinput")


def _release(option: str | None, detected: tuple[str, ...] = DETECTED, *, in_pod: bool = False) -> Release:
    return Release(
        app_name="api",
        profile=ProjectProfile(language="python", release_command=detected, release_in_pod=in_pod),
        spec={},
        image="registry.example/api@sha256:" + "0" * 64,
        options=DeployOptions(release=option),
        upload_id="u1",
    )


@pytest.mark.parametrize(
    ("option", "detected", "expected"),
    [
        (None, DETECTED, DETECTED),
        (None, (), ()),
        ("none", DETECTED, ()),
        (" None ", DETECTED, ()),
        ("", DETECTED, ()),
        ("alembic upgrade head", DETECTED, ("alembic", "upgrade", "head")),
        ("npm run migrate && npm run seed", (), ("sh", "-c", "npm run migrate && npm run seed")),
    ],
)
def test_the_option_overrides_or_disables_the_detected_command(
    option: str | None, detected: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert _release(option, detected).release_command() == expected


def test_a_release_in_each_pod_is_an_init_container_after_the_seed_of_the_apps_folder() -> None:
    release = _release(None, in_pod=True)
    app = release.app()
    assert app.init_command == DETECTED
    assert _release(None).app().init_command == ()
    assert _release("none", in_pod=True).app().init_command == ()


@pytest.mark.parametrize(
    ("env", "secrets", "in_pod"),
    [
        ({"DATABASE_URL": "sqlite:////tmp/app.db"}, {}, True),
        ({}, {"DATABASE_URL": "sqlite+aiosqlite:///data/app.db"}, True),
        ({"DATABASE_URL": "file:./dev.db"}, {}, True),
        ({"DATABASE_URL": "postgresql://app@db.example.net/app"}, {}, False),
        ({"SITE": "https://example.net"}, {}, False),
    ],
)
def test_a_database_file_the_user_points_the_app_at_makes_each_pod_run_the_release(
    env: dict[str, str], secrets: dict[str, str], in_pod: bool
) -> None:
    release = Release(
        app_name="api",
        profile=ProjectProfile(language="python", release_command=DETECTED),
        spec={},
        image="registry.example/api@sha256:" + "0" * 64,
        options=DeployOptions(env=env, secrets=secrets),
        upload_id="u1",
    )
    assert release.release_in_pod() is in_pod
    assert release.app().init_command == (DETECTED if in_pod else ())


@pytest.mark.parametrize("model", [DeployOptions, RedeployOptions])
def test_a_release_command_with_a_control_character_is_refused(model: type[DeployOptions]) -> None:
    with pytest.raises(ValueError, match="control characters are not allowed in release"):
        model.model_validate({"release": "migrate\nrm -rf /"})


def test_secret_values_are_masked_in_release_lines() -> None:
    mask = masker(["postgres://app:s3cret@db/app", "s3cret", "abc"])
    assert mask("connecting to postgres://app:s3cret@db/app") == f"connecting to {MASK}"
    assert mask("password s3cret rejected") == f"password {MASK} rejected"
    # Values too short to be told from ordinary text are left alone.
    assert mask("abc migrations") == "abc migrations"
