"""Secret-vs-plain classification of env var names and merging of repeated reads."""

from __future__ import annotations

import pytest

from justpush.analysis import Evidence, is_secret_name
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
