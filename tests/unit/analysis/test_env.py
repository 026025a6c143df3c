"""Secret-vs-plain classification of env var names and merging of repeated reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from justpush.analysis import Evidence, detect, is_secret_name
from justpush.analysis._env import make_env_var, merge_env_vars


@pytest.mark.parametrize(
    "name",
    ["API_KEY", "STRIPE_SECRET", "GITHUB_TOKEN", "DB_PASSWORD", "SMTP_PASSWD", "SENTRY_DSN", "DATABASE_URL",
     "GOOGLE_APPLICATION_CREDENTIALS", "JWT_PRIVATE_KEY", "APIKEY", "secretKey", "JWT_SECRET",
     "SECURITY__JWT_SECRET_KEY", "REFRESH_TOKEN_SECRET"],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["PORT", "DEBUG", "LOG_LEVEL", "API_KEY_HEADER", "TOKEN_URL", "AWS_ACCESS_KEY_ID", "JWT_ALGORITHM",
     "SECURITY__JWT_ALGORITHM", "ACCESS_TOKEN_EXPIRE_MINUTES", "JWT_SECRET_KEY_EXPIRE_MINUTES_COUNT",
     "PASSWORD_MIN_LENGTH", "BCRYPT_ROUNDS", "REFRESH_TOKEN_LIFETIME"],
)  # fmt: skip
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)


def test_url_with_password_default_is_secret() -> None:
    assert is_secret_name("BROKER", "amqp://user:pa55@rabbit:5672/")
    assert not is_secret_name("BROKER", "amqp://rabbit:5672/")


def test_merge_keeps_first_default_and_all_evidence() -> None:
    a = make_env_var("TIMEOUT", None, True, Evidence("a.py", 3))
    b = make_env_var("TIMEOUT", "30", False, Evidence("b.py", 1))
    c = make_env_var("HOST", None, False, Evidence("a.py", 9))
    merged = merge_env_vars([a, b, c])
    assert [v.name for v in merged] == ["HOST", "TIMEOUT"]
    timeout = merged[1]
    assert (timeout.default, timeout.required) == ("30", False)
    assert timeout.evidence == (Evidence("a.py", 3), Evidence("b.py", 1))


def test_reads_falling_back_to_different_values_keep_no_default() -> None:
    postgres = make_env_var("DB_NAME", "hc", False, Evidence("settings.py", 40))
    sqlite = make_env_var("DB_NAME", "/app/hc.sqlite", False, Evidence("settings.py", 52))
    again = make_env_var("DB_NAME", "hc", False, Evidence("settings.py", 60))
    (merged,) = merge_env_vars([postgres, sqlite, again])
    # Neither is deployed in place of the other; none is asked for either.
    assert (merged.default, merged.required) == (None, False)
    assert len(merged.evidence) == 3
    same = merge_env_vars([postgres, again])
    assert same[0].default == "hc"
    # A read with no fallback still makes the variable required.
    bare = make_env_var("DB_NAME", None, True, Evidence("worker.py", 5))
    assert merge_env_vars([postgres, sqlite, bare])[0].required


def test_a_computed_fallback_differs_from_a_literal_one(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask>=3\n")
    (tmp_path / "app.py").write_text(
        "import os\nfrom pathlib import Path\nfrom flask import Flask\n\napp = Flask(__name__)\n"
        "BASE_DIR = Path(__file__).parent\n"
        "if os.getenv('DB') == 'postgres':\n    NAME = os.getenv('DB_NAME', 'api')\n"
        "else:\n    NAME = os.getenv('DB_NAME', str(BASE_DIR / 'api.sqlite3'))\n"
        "TIMEOUT = os.getenv('TIMEOUT', None)\nRETRIES = os.getenv('RETRIES', '3')\n"
    )
    env = {v.name: v for v in detect(tmp_path).env_vars}
    assert (env["DB_NAME"].default, env["DB_NAME"].required) == (None, False)
    assert "falls back to a computed value" in env["DB_NAME"].evidence[1].note
    assert env["RETRIES"].default == "3" and env["TIMEOUT"].default is None
    assert not any("computed" in e.note for e in env["TIMEOUT"].evidence)
