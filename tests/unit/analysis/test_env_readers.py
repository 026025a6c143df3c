"""Env var readers beyond os.environ / process.env: django-environ, Joi / envalid / @fastify/env
schemas, Prisma's datasource, and `.env.example`-style files as documentation."""

from __future__ import annotations

from pathlib import Path

from justpush.analysis import EnvVar, detect


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
