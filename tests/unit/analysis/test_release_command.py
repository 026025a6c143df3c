"""The release command: given in a Procfile / app.json, or detected from the migration tool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import detect, profile_from_dict, profile_to_dict

FASTAPI = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/ping')\ndef ping():\n    return {}\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _package(deps: dict[str, str], scripts: dict[str, str] | None = None) -> str:
    return json.dumps(
        {"name": "api", "dependencies": {"express": "^4", "pg": "^8", **deps}, "scripts": scripts or {}},
        indent=2,
    )


@pytest.mark.parametrize(
    ("files", "command", "where"),
    [
        (
            {
                "requirements.txt": "fastapi\n",
                "main.py": FASTAPI,
                "Procfile": "web: uvicorn main:app\nrelease: python seed.py --once\n",
            },
            ("python", "seed.py", "--once"),
            ("Procfile", 2),
        ),
        (
            {
                "requirements.txt": "fastapi\n",
                "main.py": FASTAPI,
                "Procfile": "release: ./bin/migrate && echo done\n",
            },
            ("sh", "-c", "./bin/migrate && echo done"),
            ("Procfile", 1),
        ),
        (
            {
                "requirements.txt": "fastapi\npsycopg2-binary\n",
                "main.py": FASTAPI,
                "app.json": json.dumps({"scripts": {"postdeploy": "python manage.py migrate"}}, indent=2),
            },
            ("python", "manage.py", "migrate"),
            ("app.json", 3),
        ),
        (
            {"requirements.txt": "Django>=4\npsycopg2-binary\n", "manage.py": "import django\n"},
            ("python", "manage.py", "migrate", "--noinput"),
            ("manage.py", None),
        ),
        (
            {
                "requirements.txt": "fastapi\nalembic\nasyncpg\n",
                "main.py": FASTAPI,
                "alembic.ini": "[alembic]\n",
            },
            ("alembic", "upgrade", "head"),
            ("alembic.ini", None),
        ),
        (
            {
                "requirements.txt": "flask\nFlask_Migrate\nalembic\nPyMySQL\n",
                "app.py": "from flask import Flask\napp = Flask(__name__)\n",
                "migrations/env.py": "",
                "migrations/alembic.ini": "",
            },
            ("flask", "--app", "app:app", "db", "upgrade"),
            ("migrations/env.py", None),
        ),
        (
            {"package.json": _package({"@prisma/client": "^5"}), "index.js": "", "prisma/schema.prisma": ""},
            ("npx", "--no-install", "prisma", "migrate", "deploy"),
            ("prisma/schema.prisma", None),
        ),
        (
            {
                "package.json": _package(
                    {"knex": "^3"}, {"start": "node index.js", "migrate": "knex migrate:latest"}
                ),
                "index.js": "",
            },
            ("npm", "run", "migrate"),
            ("package.json", 10),
        ),
        (
            {
                "package.json": _package(
                    {"typeorm": "^0.3"}, {"migration:run": "typeorm migration:run -d ds.js"}
                ),
                "index.js": "",
            },
            ("npm", "run", "migration:run"),
            ("package.json", 9),
        ),
    ],
    ids=[
        "procfile",
        "procfile-shell",
        "app-json",
        "django",
        "alembic",
        "flask-migrate",
        "prisma",
        "knex",
        "typeorm",
    ],
)
def test_the_release_command_is_found_with_its_evidence(
    tmp_path: Path, files: dict[str, str], command: tuple[str, ...], where: tuple[str, int | None]
) -> None:
    profile = detect(_write(tmp_path, files))
    assert profile.release_command == command
    (evidence,) = profile.evidence["release_command"]
    assert (evidence.file, evidence.line) == where
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(profile)))) == profile


@pytest.mark.parametrize(
    "files",
    [
        # A postdeploy that only seeds is not a release step.
        {
            "requirements.txt": "fastapi\n",
            "main.py": FASTAPI,
            "app.json": '{"scripts": {"postdeploy": "python seed.py"}}',
        },
        # manage.py without Django, alembic.ini without alembic, Knex without a migrate script.
        {"requirements.txt": "fastapi\n", "main.py": FASTAPI, "manage.py": "", "alembic.ini": ""},
        {"package.json": _package({"knex": "^3"}, {"start": "node index.js"}), "index.js": ""},
        {"package.json": _package({}, {"migrate": "node migrate.js"}), "index.js": ""},
        {"package.json": _package({"prisma": "^5"}), "index.js": ""},
    ],
    ids=["seed-only", "tool-files-without-deps", "knex-no-script", "script-without-tool", "prisma-no-schema"],
)
def test_no_release_command_without_clear_evidence(tmp_path: Path, files: dict[str, str]) -> None:
    profile = detect(_write(tmp_path, files))
    assert profile.release_command == ()
    assert "release_command" not in profile.evidence


def test_the_user_sets_or_clears_the_release_command(tmp_path: Path) -> None:
    _write(tmp_path, {"requirements.txt": "Django\npsycopg\n", "manage.py": ""})
    assert detect(tmp_path, {"release_command": "python manage.py migrate app"}).release_command == (
        "python",
        "manage.py",
        "migrate",
        "app",
    )
    cleared = detect(tmp_path, {"release_command": ""})
    assert cleared.release_command == () and "release_command" in cleared.overridden


@pytest.mark.parametrize(
    ("deps", "warned"),
    [
        ({"dependencies": {"prisma": "^5", "pg": "^8"}}, False),
        ({"dependencies": {"pg": "^8"}, "devDependencies": {"prisma": "^5"}}, True),
    ],
)
def test_a_release_tool_only_among_dev_dependencies_is_warned_about(
    tmp_path: Path, deps: dict[str, dict[str, str]], warned: bool
) -> None:
    _write(
        tmp_path,
        {"package.json": json.dumps({"name": "api", **deps}), "index.js": "", "prisma/schema.prisma": ""},
    )
    warnings: list[str] = []
    assert detect(tmp_path, warnings=warnings).release_command[:3] == ("npx", "--no-install", "prisma")
    assert any("needs prisma, a devDependency" in w for w in warnings) is warned


def test_detected_migrations_without_a_database_server_are_not_run(tmp_path: Path) -> None:
    # SQLite lives in each pod: a release pod migrating its own copy changes nothing the app sees.
    _write(tmp_path, {"requirements.txt": "Django\n", "manage.py": ""})
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert profile.release_command == ()
    assert any(w.startswith("manage.py: Django project") and "no database server" in w for w in warnings)
    # A release command the user gives still runs.
    _write(tmp_path, {"Procfile": "release: python manage.py migrate\n"})
    assert detect(tmp_path).release_command == ("python", "manage.py", "migrate")


def test_migrations_of_a_sqlite_file_in_the_pod_run_in_each_pod(tmp_path: Path) -> None:
    # A Django starter: psycopg installed, its PostgreSQL settings commented out, SQLite in use. A
    # release pod migrating its own copy would change nothing the app sees: each pod migrates its own.
    fixture = Path(__file__).parents[2] / "fixtures" / "apps" / "python-django-sqlite-psycopg"
    warnings: list[str] = []
    profile = detect(fixture, warnings=warnings)
    assert [s.kind for s in profile.backing_services] == ["PostgreSQL"]
    migrate = ("python", "manage.py", "migrate", "--noinput")
    assert (profile.release_command, profile.release_in_pod) == (migrate, True)
    assert any(
        w.startswith("manage.py: Django project") and "so each pod runs it before the app starts" in w
        for w in warnings
    )
    # Once a variable configures the server, its migrations run once, before the rollout.
    settings = (fixture / "site_config" / "settings.py").read_text()
    _write(tmp_path, {p.relative_to(fixture).as_posix(): p.read_text() for p in fixture.rglob("*.*")})
    configured = settings.replace('"NAME": BASE_DIR', '"HOST": os.environ["PGHOST"], "NAME": BASE_DIR')
    _write(tmp_path, {"site_config/settings.py": configured})
    served = detect(tmp_path)
    assert (served.release_command, served.release_in_pod) == (migrate, False)


def test_app_json_postdeploy_without_a_database_server_is_dropped_with_a_warning(tmp_path: Path) -> None:
    # Heroku runs postdeploy against its database add-on; here the app falls back to SQLite in each pod.
    files = {
        "requirements.txt": "flask\nflask-sqlalchemy\n",
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "app.json": json.dumps({"scripts": {"postdeploy": "flask db upgrade && flask seed"}}),
    }
    warnings: list[str] = []
    profile = detect(_write(tmp_path, files), warnings=warnings)
    assert profile.release_command == ()
    expected = "app.json: app.json postdeploy migrates, but no database server is in use"
    assert any(w.startswith(expected) for w in warnings), warnings
