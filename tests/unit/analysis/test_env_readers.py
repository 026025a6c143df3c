"""Env var readers beyond os.environ / process.env: django-environ, env-var, Joi / envalid / @fastify/env /
Zod schemas, Prisma's datasource, and `.env.example`-style files as documentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import EnvVar, Evidence, detect, profile_from_dict, profile_to_dict
from justpush.errors import GenerationError
from justpush.k8s import app_from_profile


def _found(env_vars: tuple[EnvVar, ...]) -> dict[str, tuple[bool, bool, str | None]]:
    return {v.name: (v.required, v.secret, v.default) for v in env_vars}


def _django(tmp_path: Path, settings: str, extra: str = "") -> Path:
    (tmp_path / "requirements.txt").write_text("django\ndjango-environ\n" + extra)
    (tmp_path / "manage.py").write_text(
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n"
    )
    (tmp_path / "site_cfg").mkdir()
    (tmp_path / "site_cfg" / "__init__.py").write_text("")
    (tmp_path / "site_cfg" / "settings.py").write_text(settings)
    (tmp_path / "site_cfg" / "wsgi.py").write_text("application = None\n")
    return tmp_path


def test_django_environ_reads_and_scheme_defaults(tmp_path: Path) -> None:
    settings = (
        "import environ\n"
        "env = environ.Env(DEBUG=(bool, False), ALLOWED_HOSTS=(list, []), WORKERS=int)\n"
        "environ.Env.read_env()\n"
        "ROOT_URLCONF = 'site_cfg.urls'\n"
        "INSTALLED_APPS = []\n"
        "WSGI_APPLICATION = 'site_cfg.wsgi.application'\n"
        "SECRET_KEY = env('SECRET_KEY')\n"
        "DEBUG = env('DEBUG')\n"
        "ALLOWED_HOSTS = env.list('ALLOWED_HOSTS')\n"
        "WORKERS = env('WORKERS')\n"
        "REGION = env.str('REGION', default='eu')\n"
        "TIMEOUT = env.int('TIMEOUT', 30)\n"
        "SENTRY_DSN = env.str('SENTRY_DSN', default=None)\n"
        "STRICT = env.bool('STRICT')\n"
        "DATABASES = {'default': env.db()}\n"
        "REPLICA = env.db_url('REPLICA_DATABASE_URL', default='sqlite:///replica.db')\n"
        "CACHES = {'default': env.cache_url()}\n"
    )
    _django(tmp_path, settings)
    (tmp_path / "site_cfg" / "local.py").write_text(
        "from .settings import env\n"
        "EXTRA = env('EXTRA_FLAG', bool, False)\n"
        "TOKEN = env.str('PARTNER_TOKEN')\n"
    )
    profile = detect(tmp_path)
    assert profile.framework == "django"
    assert _found(profile.env_vars) == {
        "ALLOWED_HOSTS": (False, False, None),  # (list, []): optional, the app's own default applies
        "CACHE_URL": (True, False, None),
        "DATABASE_URL": (True, True, None),
        "DEBUG": (False, False, "false"),
        "EXTRA_FLAG": (False, False, "false"),
        "PARTNER_TOKEN": (True, True, None),
        "REGION": (False, False, "eu"),
        "REPLICA_DATABASE_URL": (False, True, "sqlite:///replica.db"),
        "SECRET_KEY": (True, True, None),
        "SENTRY_DSN": (False, True, None),
        "STRICT": (True, False, None),
        "TIMEOUT": (False, False, "30"),
        "WORKERS": (True, False, None),  # a cast without a default is still required
    }
    database_url = next(v for v in profile.env_vars if v.name == "DATABASE_URL")
    assert database_url.evidence[0].file == "site_cfg/settings.py"
    assert database_url.evidence[0].line == 15
    assert database_url.evidence[0].note == "env.db() (django-environ)"


def test_a_function_named_env_is_not_django_environ(tmp_path: Path) -> None:
    settings = (
        "ROOT_URLCONF = 'site_cfg.urls'\nINSTALLED_APPS = []\n"
        "def env(name):\n    return name\n"
        "X = env('NOT_A_VARIABLE')\n"
    )
    _django(tmp_path, settings)
    assert "NOT_A_VARIABLE" not in {v.name for v in detect(tmp_path).env_vars}


def _node(tmp_path: Path, dependencies: dict[str, str], files: dict[str, str]) -> Path:
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4", **dependencies}}
    (tmp_path / "package.json").write_text(json.dumps(package))
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    return tmp_path


def test_joi_schema_validating_process_env(tmp_path: Path) -> None:
    config = (
        "const Joi = require('joi');\n"
        "const schema = Joi.object({\n"
        "  PORT: Joi.number().default(3000),\n"
        "  DB_URL: Joi.string().uri().required().description('Postgres connection URL'),\n"
        "  LOG_LEVEL: Joi.string().valid('info', 'debug'),\n"
        "  API_KEY: Joi.string().required(),\n"
        "  CACHE_TTL: Joi.number().required().default(60),\n"
        "}).unknown();\n"
        "const { value } = schema.validate(process.env);\n"
        "const body = Joi.object({ name: Joi.string().required() });\n"
        "module.exports = { value, body };\n"
    )
    _node(tmp_path, {"joi": "17"}, {"server.js": "require('./config');\n", "config.js": config})
    profile = detect(tmp_path)
    found = _found(profile.env_vars)
    assert found == {
        "API_KEY": (True, True, None),
        "CACHE_TTL": (False, False, "60"),
        "DB_URL": (True, True, None),
        "LOG_LEVEL": (False, False, None),  # Joi keys are optional unless .required()
        "PORT": (False, False, "3000"),
    }
    assert next(v for v in profile.env_vars if v.name == "DB_URL").description == "Postgres connection URL"


def test_envalid_clean_env(tmp_path: Path) -> None:
    env = (
        "import { cleanEnv, str, port, bool, url } from 'envalid';\n"
        "const validators = { EXTRA_KEY: str() };\n"
        "export const extra = cleanEnv(process.env, validators);\n"
        "export const env = cleanEnv(process.env, {\n"
        "  API_KEY: str(),\n"
        "  PORT: port({ default: 3000 }),\n"
        "  DEBUG: bool({ default: false }),\n"
        "  SENTRY_URL: url({ default: undefined }),\n"
        "  MAILER_HOST: str({ devDefault: 'localhost' }),\n"
        "  NODE_ENV: str({ choices: ['development', 'production'] }),\n"
        "});\n"
    )
    _node(tmp_path, {"envalid": "8"}, {"server.js": "require('./env');\n", "env.ts": env})
    found = _found(detect(tmp_path).env_vars)
    assert found == {
        "API_KEY": (True, True, None),
        "DEBUG": (False, False, "false"),
        "EXTRA_KEY": (True, True, None),  # validators named by a const
        "MAILER_HOST": (True, False, None),  # devDefault does not apply in production
        "NODE_ENV": (False, False, None),  # set by the platform
        "PORT": (False, False, "3000"),
        "SENTRY_URL": (False, False, None),
    }


def test_t3_create_env_zod_schema(tmp_path: Path) -> None:
    env = (
        "import { createEnv } from '@t3-oss/env-core';\n"
        "import { z } from 'zod';\n"
        "export const env = createEnv({\n"
        "  server: {\n"
        "    SMTP_HOST: z.string(),\n"
        "    SMTP_PORT: z.coerce.number().default(465),\n"
        "    SENTRY_DSN: z.string().url().optional(),\n"
        "    CACHE_TTL: z.coerce.number().catch(60),\n"
        "  },\n"
        "  client: { PUBLIC_SITE_URL: z.string().url() },\n"
        "  runtimeEnv: {\n"
        "    SMTP_HOST: process.env.SMTP_HOST,\n"
        "    SMTP_PORT: process.env.SMTP_PORT,\n"
        "    SENTRY_DSN: process.env.SENTRY_DSN,\n"
        "    CACHE_TTL: process.env.CACHE_TTL,\n"
        "  },\n"
        "});\n"
    )
    files = {"server.js": "require('./env');\n", "env.ts": env}
    _node(tmp_path, {"@t3-oss/env-core": "0.11", "zod": "3"}, files)
    found = _found(detect(tmp_path).env_vars)
    # runtimeEnv only hands the values to the schema: the schema says which are required
    assert found == {
        "CACHE_TTL": (False, False, None),
        "SENTRY_DSN": (False, True, None),  # a DSN carries its key
        "SMTP_HOST": (True, False, None),
        "SMTP_PORT": (False, False, "465"),
    }


def test_env_var_package_reads(tmp_path: Path) -> None:
    config = (
        "import { get } from 'env-var';\n"
        "import * as env from 'env-var';\n"
        "export const db = {\n"
        "  host: get('DB_HOST').required().asString(),\n"
        "  port: get('DB_PORT').default('5432').required().asPortNumber(),\n"
        "  user: env.get('DB_USER').required(false).asString(),\n"
        "  pool: env.get('DB_POOL').asIntPositive(),\n"
        "};\n"
        "const cache = new Map();\n"
        "export const hit = cache.get('NOT_A_VARIABLE');\n"
    )
    _node(tmp_path, {"env-var": "7"}, {"server.js": "require('./config');\n", "config.ts": config})
    found = _found(detect(tmp_path).env_vars)
    assert found == {
        "DB_HOST": (True, False, None),
        "DB_POOL": (False, False, None),
        "DB_PORT": (False, False, "5432"),
        "DB_USER": (False, False, None),
    }


def test_fastify_env_json_schema(tmp_path: Path) -> None:
    server = (
        "const fastify = require('fastify')();\n"
        "const schema = {\n"
        "  type: 'object',\n"
        "  required: ['JWT_SECRET', 'REDIS_HOST', 'LOG_LEVEL'],\n"
        "  properties: {\n"
        "    JWT_SECRET: { type: 'string' },\n"
        "    REDIS_HOST: { type: 'string' },\n"
        "    LOG_LEVEL: { type: 'string', default: 'info' },\n"
        "    FEATURE_X: { type: 'boolean' },\n"
        "  },\n"
        "};\n"
        "fastify.register(require('@fastify/env'), { schema, dotenv: true });\n"
        "const route = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };\n"
        "fastify.listen({ port: 3000 });\n"
    )
    _node(tmp_path, {"fastify": "4", "@fastify/env": "4"}, {"server.js": server})
    found = _found(detect(tmp_path).env_vars)
    assert found == {
        "FEATURE_X": (False, False, None),
        "JWT_SECRET": (True, True, None),
        "LOG_LEVEL": (False, False, "info"),
        "REDIS_HOST": (True, False, None),
    }


def test_a_json_schema_without_fastify_env_is_not_env(tmp_path: Path) -> None:
    server = "const s = { type: 'object', properties: { ID: { type: 'string' } } };\n"
    _node(tmp_path, {}, {"server.js": server})
    assert detect(tmp_path).env_vars == ()


PRISMA = (
    'generator client {\n  provider = "prisma-client-js"\n}\n\n'
    "datasource db {\n"
    '  provider  = "postgresql" // the production database\n'
    '  url       = env("DATABASE_URL")\n'
    '  directUrl = env("DIRECT_DB")\n'
    '  shadowDatabaseUrl = env("SHADOW_DATABASE_URL")\n'
    "}\n"
)


def test_prisma_datasource_is_a_required_variable_and_a_service(tmp_path: Path) -> None:
    _node(
        tmp_path,
        {"@prisma/client": "5"},
        {"server.js": "const app = require('express')();\n", "prisma/schema.prisma": PRISMA},
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert _found(profile.env_vars) == {
        "DATABASE_URL": (True, True, None),
        "DIRECT_DB": (True, True, None),  # a connection URL carries the password
    }
    url = next(v for v in profile.env_vars if v.name == "DATABASE_URL")
    assert [(e.file, e.line) for e in url.evidence] == [
        ("prisma/schema.prisma", 5),
        ("prisma/schema.prisma", 7),
    ]
    (service,) = profile.backing_services
    assert (service.kind, service.dependency, service.variables) == (
        "PostgreSQL",
        "Prisma datasource",
        ("DATABASE_URL", "DIRECT_DB"),
    )
    assert (service.evidence.file, service.evidence.line, service.satisfied) == (
        "prisma/schema.prisma",
        5,
        False,
    )
    assert any(
        w.startswith("needs PostgreSQL (Prisma datasource in prisma/schema.prisma:5)") for w in warnings
    )


def test_prisma_merges_into_the_driver_of_the_same_service(tmp_path: Path) -> None:
    schema = PRISMA.replace("DATABASE_URL", "APP_DB").replace("postgresql", "mysql")
    _node(
        tmp_path,
        {"mysql2": "3"},
        {"server.js": "const app = require('express')();\n", "prisma/schema.prisma": schema},
    )
    (service,) = detect(tmp_path).backing_services
    assert (service.kind, service.dependency, service.variables) == (
        "MySQL",
        "mysql2",
        ("APP_DB", "DIRECT_DB"),
    )


ENV_EXAMPLE = (
    "# Copy to .env\n"
    "\n"
    "# Secret used to sign the session tokens\n"
    "JWT_SECRET=changeme\n"
    "REGION=eu-west-1 # where the bucket lives\n"
    "# ONLY_DOCUMENTED=bar\n"
    "ONLY_DOCUMENTED=foo\n"
    "STRIPE_KEY=sk_live_abc123\n"
    "PORT=3000\n"
    "EMPTY_ONE=\n"
    "DATABASE_URL=postgres://app:app@localhost:5432/app\n"
    "UPSTREAM_URL=https://svc:hunter2@upstream.example\n"
)


def test_env_example_documents_but_never_decides_nor_deploys(tmp_path: Path) -> None:
    server = (
        "const app = require('express')();\n"
        "const secret = process.env.JWT_SECRET;\n"
        "const region = process.env.REGION;\n"
        "const upstream = process.env.UPSTREAM_URL;\n"
        "const db = new (require('pg').Pool)();\n"
        "app.listen(3000);\n"
    )
    _node(tmp_path, {"pg": "8"}, {"server.js": server, ".env.example": ENV_EXAMPLE})
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    found = {v.name: (v.required, v.secret, v.default, v.example, v.description) for v in profile.env_vars}
    assert found == {
        # Read without fallback: stays required; a secret's example value is never shown.
        "JWT_SECRET": (True, True, None, None, "Secret used to sign the session tokens"),
        "REGION": (True, False, None, "eu-west-1", "where the bucket lives"),
        # Only documented: optional, the example is a hint, not a value.
        "ONLY_DOCUMENTED": (False, False, None, "foo", None),
        "STRIPE_KEY": (False, True, None, None, None),
        "EMPTY_ONE": (False, False, None, None, None),
        # Documented only, but the pg driver needs its address: required (the example is localhost).
        "DATABASE_URL": (True, True, None, None, None),
        # Read in the code; the example carries a password, so the real value will: a secret, no hint.
        "UPSTREAM_URL": (True, True, None, None, None),
    }
    region = next(v for v in profile.env_vars if v.name == "REGION")
    assert region.evidence[-1] == Evidence(".env.example", 5, "documented in .env.example")
    assert next(v for v in profile.env_vars if v.name == "ONLY_DOCUMENTED").evidence[0].line == 7
    assert profile_from_dict(profile_to_dict(profile)).env_vars == profile.env_vars
    common = {"upload_id": "u", "app_name": "api", "image": "img"}
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, env={"REGION": "eu"}, **common)
    assert "DATABASE_URL (needs PostgreSQL), JWT_SECRET, UPSTREAM_URL" in str(caught.value)
    secrets = {"JWT_SECRET": "s", "DATABASE_URL": "postgres://db.internal/app", "UPSTREAM_URL": "u"}
    app = app_from_profile(profile, env={"REGION": "eu"}, secrets=secrets, **common)
    assert {e.name for e in app.env} == {"DATABASE_URL", "JWT_SECRET", "REGION", "UPSTREAM_URL"}


def test_env_sample_of_a_python_app_with_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text(
        "import os\nfrom flask import Flask\napp = Flask(__name__)\nLEVEL = os.getenv('LOG_LEVEL', 'info')\n"
    )
    (tmp_path / ".env.sample").write_text("# debug, info or warning\nLOG_LEVEL=debug\n")
    (var,) = detect(tmp_path).env_vars
    assert (var.name, var.required, var.default, var.example, var.description) == (
        "LOG_LEVEL",
        False,
        "info",  # the code's fallback is the value, the sample only a hint
        "debug",
        "debug, info or warning",
    )


def test_schema_defaults_that_are_development_secrets_are_never_deployed(tmp_path: Path) -> None:
    env = (
        "const { cleanEnv, str, port } = require('envalid');\n"
        "const Joi = require('joi');\n"
        "module.exports = cleanEnv(process.env, {\n"
        "  PORT: port(),\n"
        "  JWT_SECRET: str({ default: 'superSecret' }),\n"
        "});\n"
        "Joi.object({ SESSION_SECRET: Joi.string().default('keyboard cat') }).validate(process.env);\n"
    )
    test_only = "const Joi = require('joi');\nJoi.object({ TEST_DB_URL: Joi.string().required() });\n"
    _node(tmp_path, {}, {"server.js": env, "test/env.test.js": test_only})
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert _found(profile.env_vars) == {
        "JWT_SECRET": (True, True, None),
        "PORT": (False, False, "3000"),  # the platform sets it (to the detected port)
        "SESSION_SECRET": (True, True, None),
    }
    assert any(
        w.startswith("JWT_SECRET falls back to a development secret in the code (server.js:5)")
        for w in warnings
    )
    assert any(w.startswith("SESSION_SECRET falls back to a development secret") for w in warnings)


def test_django_insecure_default_is_a_development_secret(tmp_path: Path) -> None:
    settings = (
        "import environ\nenv = environ.FileAwareEnv()\nROOT_URLCONF = 'site_cfg.urls'\nINSTALLED_APPS = []\n"
        "SECRET_KEY = env('SECRET_KEY', default='django-insecure-abc123')\n"
        "HOME_DIR = env('HOME')\n"
    )
    _django(tmp_path, settings)
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert _found(profile.env_vars) == {"HOME": (False, False, None), "SECRET_KEY": (True, True, None)}
    assert any(w.startswith("SECRET_KEY falls back to a development secret") for w in warnings)


def test_prisma_schema_named_in_package_json(tmp_path: Path) -> None:
    _node(tmp_path, {"@prisma/client": "5"}, {"server.js": "", "db/main.prisma": PRISMA})
    package = json.loads((tmp_path / "package.json").read_text())
    (tmp_path / "package.json").write_text(json.dumps({**package, "prisma": {"schema": "./db/main.prisma"}}))
    (service,) = detect(tmp_path).backing_services
    assert (service.kind, service.evidence.file, service.evidence.line) == ("PostgreSQL", "db/main.prisma", 5)
    # A path leaving the app is not followed.
    (tmp_path / "package.json").write_text(json.dumps({**package, "prisma": {"schema": "../x.prisma"}}))
    assert detect(tmp_path).backing_services == ()


def test_prisma_7_reads_the_url_from_prisma_config(tmp_path: Path) -> None:
    schema = 'datasource db {\n  provider = "mysql"\n}\n'
    config = (
        "import { defineConfig, env } from 'prisma/config';\n"
        "export default defineConfig({\n"
        "  schema: 'prisma/schema.prisma',\n"
        "  datasource: { url: env('APP_DATABASE_URL') },\n"
        "});\n"
    )
    files = {"server.js": "", "prisma/schema.prisma": schema, "prisma.config.ts": config}
    _node(tmp_path, {"@prisma/client": "7"}, files)
    profile = detect(tmp_path)
    assert _found(profile.env_vars) == {"APP_DATABASE_URL": (True, True, None)}
    (var,) = profile.env_vars
    assert (var.evidence[-1].file, var.evidence[-1].line) == ("prisma.config.ts", 4)
    (service,) = profile.backing_services
    assert (service.kind, service.variables) == ("MySQL", ("APP_DATABASE_URL",))


def test_starlette_config_reads(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "settings.py").write_text(
        "from starlette.config import Config\nfrom starlette.datastructures import Secret\n\n"
        'config = Config(".env")\n'
        'DATABASE_HOSTNAME = config("DATABASE_HOSTNAME")\n'
        'DATABASE_PORT = config("DATABASE_PORT", default="5432")\n'
        'DEBUG = config("DEBUG", cast=bool, default=False)\n'
        'SIGNING_KEY = config("SIGNING_KEY", cast=Secret)\n'
    )
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n\nfrom app.settings import config\n\n"
        'WORKERS = config.get("WORKERS", int, 2)\nREGION = config("REGION", str)\n\napp = FastAPI()\n\n\n'
        '@app.get("/items")\ndef items():\n    return []\n'
    )
    found = {v.name: (v.required, v.secret, v.default) for v in detect(tmp_path).env_vars}
    assert found == {
        "DATABASE_HOSTNAME": (True, False, None),
        "DATABASE_PORT": (False, False, "5432"),
        "DEBUG": (False, False, "false"),
        "REGION": (True, False, None),
        "SIGNING_KEY": (True, True, None),
        "WORKERS": (False, False, "2"),
    }


def test_pydantic_settings_nested_models_with_a_delimiter(tmp_path: Path) -> None:
    # env_nested_delimiter="__": each field of a nested model is a variable of its own (DATABASE__HOST),
    # with the model's default; SecretStr("...") written in the code is a development secret. A nested
    # field without a default is required only while the settings field gives no default either.
    (tmp_path / "requirements.txt").write_text("fastapi\npydantic-settings\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "groups.py").write_text(
        "from pydantic import BaseModel, SecretStr\n"
        "\n"
        "class Mail(BaseModel):\n"
        "    host: str = 'mail.internal'\n"
        "    port: int = 25\n"
        "\n"
        "class Signing(BaseModel):\n"
        "    key: SecretStr = SecretStr('replace-me-please')\n"
        "    issuer: str\n"
    )
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import FastAPI\n"
        "from pydantic import Field\n"
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
        "from .groups import Mail, Signing\n"
        "\n"
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='shop_', env_nested_delimiter='__')\n"
        "    mail: Mail = Field(default_factory=Mail)\n"
        "    signing: Signing\n"
        "    debug: bool = False\n"
        "\n"
        "settings = Settings()\n"
        "app = FastAPI()\n"
    )
    profile = detect(tmp_path)
    found = _found(profile.env_vars)
    assert {name: found[name] for name in found if "__" in name} == {
        "SHOP_MAIL__HOST": (False, False, "mail.internal"),
        "SHOP_MAIL__PORT": (False, False, "25"),
        "SHOP_SIGNING__KEY": (True, True, None),
        "SHOP_SIGNING__ISSUER": (True, False, None),
    }
    # The nested models' own names (a JSON alternative) are not asked for: SHOP_SIGNING has no default.
    assert {name: found[name] for name in found if "__" not in name} == {
        "SHOP_DEBUG": (False, False, "false")
    }
    key = next(v for v in profile.env_vars if v.name == "SHOP_SIGNING__KEY")
    assert key.evidence[-1].file == "app/groups.py"
    assert key.evidence[-1].line == 8


def test_a_service_address_only_a_template_lists_is_not_asked_for_when_the_code_reads_another(
    tmp_path: Path,
) -> None:
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma" / "schema.prisma").write_text(
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    )
    # the template composes DATABASE_URL from parts for docker compose; the app connects with the URL
    (tmp_path / ".env.example").write_text(
        "DB_HOST=localhost\nDB_PORT=5432\nDATABASE_URL=postgresql://app:app@${DB_HOST}:${DB_PORT}/app\n"
    )
    _node(tmp_path, {"@prisma/client": "5"}, {"server.js": "require('express')().listen(3000);\n"})
    found = _found(detect(tmp_path).env_vars)
    assert found["DATABASE_URL"][0] is True
    assert found["DB_HOST"][0] is False
    assert found["DB_PORT"][0] is False


def test_the_projects_own_env_getters_are_reads(tmp_path: Path) -> None:
    """`get_env("X", default)`: a project function reading the variable its first parameter names,
    itself or through another (litestar-fullstack's getter returns a lambda that hands the key on)."""
    (tmp_path / "requirements.txt").write_text("fastapi\npsycopg\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "env.py").write_text(
        "import os\nfrom typing import overload\n\n"
        "def read_value(key, default=None):\n    value = os.getenv(key)\n"
        "    return default if value is None else value\n\n"
        "@overload\ndef get_env(key: str, default: int) -> int: ...\n"
        "def get_env(key, default=None):\n    return lambda: read_value(key=key, default=default)\n\n"
        "def env(name, fallback=None):\n    return os.environ[name] if name in os.environ else fallback\n\n"
        "def label(text):\n    return os.environ.get('PREFIX', '') + text\n\n"
        "def recurse(key):\n    return recurse(key)\n"
    )
    (tmp_path / "app" / "settings.py").write_text(
        "from dataclasses import dataclass, field\nfrom app.env import env, get_env, label, recurse\n\n"
        "@dataclass\nclass DatabaseSettings:\n"
        "    URL: str = field(default_factory=get_env('DATABASE_URL', 'postgresql://app@localhost/app'))\n"
        "    POOL: int = field(default_factory=get_env('DATABASE_POOL', 5))\n\n"
        "API_KEY = env('API_KEY', fallback='public-demo')\nTITLE = label('NOT_A_VARIABLE')\n"
        "LOOP = recurse('NOT_EITHER')\n"
    )
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\nfrom app.settings import DatabaseSettings\napp = FastAPI()\n"
    )
    found = _found(detect(tmp_path).env_vars)
    assert found["DATABASE_POOL"] == (False, False, "5")
    assert found["API_KEY"][2] is None and found["API_KEY"][0]  # a fallback credential is no value
    # The getter's localhost fallback is a PostgreSQL the pod does not have.
    assert found["DATABASE_URL"][0] and found["DATABASE_URL"][2] is None
    assert "NOT_A_VARIABLE" not in found and "NOT_EITHER" not in found and found["PREFIX"][2] == ""
