"""False "required" variables do not stop a deployment, and development secrets in code fallbacks are
never deployed: the variable becomes a required secret with a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import DEVELOPMENT_SECRET, EnvVar, Evidence, detect
from justpush.analysis._env import is_development_secret, make_env_var, refine_env_vars
from justpush.errors import GenerationError
from justpush.k8s import app_from_profile


def var(
    name: str, default: str | None = None, file: str = "src/app.js", required: bool | None = None
) -> EnvVar:
    return make_env_var(
        name, default, default is None if required is None else required, Evidence(file, 4, "read")
    )


def test_platform_variables_are_never_required_nor_secret() -> None:
    warnings: list[str] = []
    refined = refine_env_vars(
        [var("PWD"), var("HOME"), var("NODE_ENV"), var("PORT"), var("HOSTNAME")], 8000, warnings
    )
    assert [(v.name, v.required, v.secret, v.default) for v in refined] == [
        ("PWD", False, False, None),
        ("HOME", False, False, None),
        ("NODE_ENV", False, False, None),
        ("PORT", False, False, "8000"),  # the detected port, so the app listens where the Service sends
        ("HOSTNAME", False, False, None),
    ]
    assert warnings == []


@pytest.mark.parametrize(
    "file",
    [
        "tests/test_api.py",
        "app/conftest.py",
        "pkg/handler_test.go",
        "src/user.spec.ts",
        "__tests__/a.js",
        "e2e/x.ts",
    ],
)
def test_variables_read_only_by_tests_are_dropped(file: str) -> None:
    assert refine_env_vars([var("TEST_DB", file=file)], 3000, []) == []
    # One read outside the tests keeps it.
    mixed = EnvVar("TEST_DB", required=True, evidence=(Evidence(file, 1), Evidence("src/db.ts", 2)))
    assert refine_env_vars([mixed], 3000, []) == [mixed]


@pytest.mark.parametrize(
    ("name", "default", "development"),
    [
        ("JWT_SECRET", "superSecret", True),
        ("SECRET_KEY", "change-me", True),
        ("FLASK_SECRET_KEY", "dev", True),
        ("DB_PASSWORD", "postgres", True),
        ("API_KEY", "abc123", True),
        ("DATABASE_URL", "postgres://app:pw@localhost:5432/app", True),  # a credential in a URL
        ("DATABASE_URL", "sqlite:///./app.db", False),
        ("JWT_EXPIRES_IN", "1d", False),
        ("TOKEN_TTL", "3600", False),
        ("JWT_ALGORITHM", "HS256", False),
        ("API_KEY", "", False),  # an empty fallback means "optional"
        ("LOG_LEVEL", "debug", False),
        ("BCRYPT_SALT_ROUNDS", "10", False),
        ("ACCESS_TOKEN_SECRET", "s3cr3t", True),
        ("SECRET_KEY_BASE", "dev-base", True),
        # A credential word inside the name of a switch, a rate or a lookup key is not a credential.
        ("REFRESH_TOKEN_IN_COOKIE", "yes", False),
        ("TOKEN_IN_BODY", "no", False),
        ("THROTTLE_PASS_RESET_PATTERN", "10/hour", False),
        ("LDAP_DISPLAY_NAME_KEY", "displayName", False),
        ("LDAP_EMAIL_KEY", "mail", False),
    ],
)
def test_development_secrets(name: str, default: str, development: bool) -> None:
    assert is_development_secret(name, default) is development


def test_development_secret_becomes_a_required_secret_with_a_warning() -> None:
    warnings: list[str] = []
    (refined,) = refine_env_vars([var("JWT_SECRET", "superSecret")], 3000, warnings)
    assert (refined.default, refined.secret, refined.required) == (None, True, True)
    assert refined.evidence[0] == Evidence("src/app.js", 4, DEVELOPMENT_SECRET)
    assert warnings == [
        "JWT_SECRET falls back to a development secret in the code (src/app.js:4); set a value"
    ]


def test_the_code_fallback_is_never_deployed(tmp_path: Path) -> None:
    server = (
        "const express = require('express');\n"
        "const app = express();\n"
        "const secret = process.env.JWT_SECRET || 'superSecret';\n"
        "const home = process.env.HOME;\n"
        "if (process.env.SENTRY_DSN) { require('x').init(process.env.SENTRY_DSN); }\n"
        "const mode = process.env.APP_MODE === 'strict';\n"
        "const region = process.env.REGION;\n"
        "const admin = (req) => req.headers.k === process.env.ADMIN_TOKEN;\n"
        "app.listen(process.env.PORT);\n"
    )
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4"}}
    test = "test('x', () => process.env.TEST_ONLY_TOKEN);\n"
    (tmp_path / "package.json").write_text(json.dumps(package))
    (tmp_path / "server.js").write_text(server)
    (tmp_path / "server.test.js").write_text(test)
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    found = {v.name: (v.required, v.secret, v.default) for v in profile.env_vars}
    assert found == {
        "ADMIN_TOKEN": (True, True, None),  # compared with a request value: needed
        "APP_MODE": (False, False, None),
        "HOME": (False, False, None),
        "JWT_SECRET": (True, True, None),
        "PORT": (False, False, "3000"),
        "REGION": (True, False, None),
        "SENTRY_DSN": (False, True, None),
    }
    assert any(w.startswith("JWT_SECRET falls back to a development secret") for w in warnings)
    common = {"upload_id": "u", "app_name": "api", "image": "img"}
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, env={"REGION": "eu"}, secrets={"ADMIN_TOKEN": "t"}, **common)
    assert str(caught.value) == (
        "required environment variables have no value: "
        "JWT_SECRET (falls back to a development secret in the code)"
    )
    secrets = {"JWT_SECRET": "s3cr3t-value", "ADMIN_TOKEN": "t"}
    app = app_from_profile(profile, env={"REGION": "eu"}, secrets=secrets, **common)
    assert {(e.name, e.value, e.secret) for e in app.env} == {
        ("ADMIN_TOKEN", "t", True),
        ("JWT_SECRET", "s3cr3t-value", True),
        ("PORT", "3000", False),
        ("REGION", "eu", False),
    }


def test_python_or_fallback_and_getenv_default(tmp_path: Path) -> None:
    code = (
        "import os\nfrom flask import Flask\n\napp = Flask(__name__)\n"
        "app.secret_key = os.getenv('SECRET_KEY', 'change-me')\n"
        "region = os.environ.get('REGION') or 'eu-west-1'\n"
        "cwd = os.environ['PWD']\n"
    )
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text(code)
    profile = detect(tmp_path)
    found = {v.name: (v.required, v.secret, v.default) for v in profile.env_vars}
    assert found == {
        "PWD": (False, False, None),
        "REGION": (False, False, "eu-west-1"),
        "SECRET_KEY": (True, True, None),
    }


def test_a_computed_fallback_makes_a_node_variable_optional(tmp_path: Path) -> None:
    # A Koa logger config: the level falls back to an expression, not a literal.
    config = (
        "const env = process.env.NODE_ENV || 'development';\n"
        "module.exports = {\n"
        "  enabled: process.env.LOG_ENABLED || ['production', 'development'].includes(env),\n"
        "  level: process.env.LOG_LEVEL ?? (env === 'production' ? 'info' : 'debug'),\n"
        "  name: process.env.APP_NAME,\n"
        "};\n"
    )
    server = (
        "const Koa = require('koa');\nconst config = require('./config');\n"
        "const app = new Koa();\napp.use((ctx) => { ctx.body = config.name; });\napp.listen(3000);\n"
    )
    package = {"name": "api", "main": "server.js", "dependencies": {"koa": "2"}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    (tmp_path / "config.js").write_text(config)
    (tmp_path / "server.js").write_text(server)
    found = {v.name: (v.required, v.default) for v in detect(tmp_path).env_vars}
    assert found["LOG_ENABLED"] == (False, None)
    assert found["LOG_LEVEL"] == (False, None)
    assert found["APP_NAME"] == (True, None)


def test_a_python_variable_the_code_tests_for_is_optional(tmp_path: Path) -> None:
    # `if "X" in os.environ: return os.environ["X"]` copes without X; a plain read elsewhere still needs Y.
    code = (
        "import os\nfrom flask import Flask\n\napp = Flask(__name__)\nBUILD = 'BUILD_ID'\n\n\n"
        "def build():\n    if BUILD in os.environ:\n        return os.environ[BUILD]\n    return 'dev'\n\n\n"
        "def version():\n    return 'tagged' if 'VERSION' not in os.environ else os.environ['VERSION']\n\n\n"
        "TOKEN = os.environ['API_TOKEN']\n"
    )
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text(code)
    found = {v.name: v.required for v in detect(tmp_path).env_vars}
    assert found == {"API_TOKEN": True, "BUILD_ID": False, "VERSION": False}


def test_node_variables_the_code_sets_or_a_test_runner_reads_are_not_asked_for(tmp_path: Path) -> None:
    server = (
        "const express = require('express');\n"
        "process.env.TZ = 'UTC';\n"
        "process.env.RETRIES ??= '3';\n"
        "const app = express();\n"
        "app.get('/', (req, res) => res.json({ region: process.env.REGION }));\n"
        "app.listen(3000);\n"
    )
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4"}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    (tmp_path / "server.js").write_text(server)
    jest = "process.env.JEST_DB_URL;\nexport default { preset: 'ts-jest' };\n"
    (tmp_path / "jest.config.ts").write_text(jest)
    (tmp_path / "apps" / "api").mkdir(parents=True)
    (tmp_path / "apps" / "api" / "vitest.config.mts").write_text("const url = process.env.VITEST_API;\n")
    found = {v.name: v.required for v in detect(tmp_path).env_vars}
    assert found == {"REGION": True}


def test_a_fallback_after_an_optional_method_call_makes_a_node_variable_optional(tmp_path: Path) -> None:
    server = (
        "const express = require('express');\n"
        "const origins = process.env.CORS_ORIGINS?.split(',') || ['http://localhost:3000'];\n"
        "const mode = process.env.CACHE_MODE?.toLowerCase() ?? 'memory';\n"
        "const hosts = process.env.ALLOWED_HOSTS.split(',');\n"
        "express().listen(3000);\n"
    )
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4"}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    (tmp_path / "server.js").write_text(server)
    found = {v.name: v.required for v in detect(tmp_path).env_vars}
    # without `?.` the code fails on a missing variable before any fallback
    assert found == {"ALLOWED_HOSTS": True, "CACHE_MODE": False, "CORS_ORIGINS": False}


def test_a_node_variable_inside_a_fallback_chain_is_optional(tmp_path: Path) -> None:
    server = (
        "const express = require('express');\n"
        "const port = process.env.PORT || process.env.ALT_PORT || 8080;\n"
        "const host = process.env.HOST_A || process.env.HOST_B;\n"
        "express().listen(port, host);\n"
    )
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4"}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    (tmp_path / "server.js").write_text(server)
    found = {v.name: (v.required, v.default) for v in detect(tmp_path).env_vars}
    # the last of a chain without a literal still decides: HOST_B is needed when HOST_A is missing
    assert found["ALT_PORT"] == (False, "8080")
    assert found["HOST_A"] == (False, None)
    assert found["HOST_B"] == (True, None)
