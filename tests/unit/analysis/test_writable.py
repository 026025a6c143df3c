"""Folders an app writes to next to its code are found, with where and why; tests and /tmp are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from justpush.analysis import ProjectProfile, analyze, database_file_folder
from justpush.analysis._writable import find_writable_paths
from justpush.k8s import app_from_profile


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"db.py": 'URL = os.getenv("DATABASE_URL", "sqlite:///./app.db")\n'}, ["."]),
        ({"db.py": 'engine = create_engine("sqlite+aiosqlite:///data/app.db")\n'}, ["data"]),
        ({"db.py": 'engine = create_engine("sqlite:////var/lib/app/app.db")\n'}, ["/var/lib/app"]),
        ({"db.py": 'engine = create_engine("sqlite:///:memory:")\n'}, []),
        ({"db.py": 'engine = create_engine("sqlite:////tmp/app.db")\n'}, []),
        (
            {
                "site/settings.py": "DATABASES = {'default': {'NAME': BASE_DIR / 'db.sqlite3'}}\n"
                "MEDIA_ROOT = os.path.join(BASE_DIR, 'media')\n"
            },
            [".", "media"],
        ),
        (
            {
                "project/app.py": "basedir = Path(__file__).resolve().parent\n"
                "url = os.getenv('DATABASE_URL', f\"sqlite:///{basedir / 'app.db'}\")\n",
                "config.py": "basedir = os.path.abspath(os.path.dirname(__file__))\n"
                "URI = os.environ.get('DATABASE_URL') or 'sqlite:///' + os.path.join(basedir, 'data/x.db')\n",
                "other.py": "URI = 'sqlite:///' + os.path.join(somewhere, 'elsewhere.db')\n",
            },
            ["data", "project"],
        ),
        ({"app.py": "app.config['UPLOAD_FOLDER'] = 'static/uploads'\n"}, ["static/uploads"]),
        ({"server.js": "const upload = multer({ dest: 'uploads/' });\n"}, ["uploads"]),
        ({"db.js": "const db = new sqlite3.Database('./var/data.sqlite');\n"}, ["var"]),
        (
            {"prisma/schema.prisma": 'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n'},
            ["prisma"],
        ),
        ({"notes.py": 'db = sqlite3.connect("notes.db")\n'}, ["."]),
        ({"main.go": 'db, err := sql.Open("sqlite3", "./foo.db")\n'}, ["."]),
        (
            {"src/main/resources/application.properties": "spring.datasource.url=jdbc:h2:file:./data/demo\n"},
            ["data"],
        ),
        ({"tests/test_db.py": 'engine = create_engine("sqlite:///./test.db")\n'}, []),
        ({"db.py": 'engine = create_engine(f"sqlite:///{path}")\n'}, []),
        ({"db.py": 'engine = create_engine("sqlite:///../elsewhere.db")\n'}, []),
        # Flask's instance folder sits next to the top-level package that creates the app.
        (
            {
                "blog/__init__.py": "app = Flask(__name__, instance_relative_config=True)\n",
                "blog/views.py": "",
            },
            ["instance"],
        ),
        (
            {
                "web/shop/__init__.py": "",
                "web/shop/factory.py": "os.makedirs(app.instance_path, exist_ok=True)\n",
            },
            ["web/instance"],
        ),
        ({"app.py": "db = os.path.join(app.instance_path, 'app.db')\n"}, ["instance"]),
        ({"app.py": "app = Flask(__name__, instance_path='/srv/x', instance_relative_config=True)\n"}, []),
        ({"app.py": "app = Flask(__name__, instance_relative_config=False)\n"}, []),
    ],
)
def test_writable_paths(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    _write(tmp_path, files)
    suffix = Path(next(iter(files))).suffix
    language = {".py": "python", ".js": "node", ".prisma": "node", ".go": "go"}.get(suffix, "java")
    assert [found.path for found in find_writable_paths(tmp_path, ".", language, [])] == sorted(expected)


def test_only_the_apps_own_language_is_read(tmp_path: Path) -> None:
    # A Java app shipping a tool's Python scripts: they write nothing of the app's.
    _write(
        tmp_path,
        {
            "src/main/resources/application.properties": "spring.datasource.url=jdbc:h2:file:./data/demo\n",
            "office/program/helper.py": 'db = sqlite3.connect("cache/office.db")\n',
        },
    )
    assert [found.path for found in find_writable_paths(tmp_path, ".", "java", [])] == ["data"]
    assert [found.path for found in find_writable_paths(tmp_path, ".", "python", [])] == ["cache"]


def test_profile_carries_them_with_evidence_and_a_warning(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "requirements.txt": "fastapi\nsqlalchemy\n",
            "main.py": 'from fastapi import FastAPI\napp = FastAPI()\nURL = "sqlite:///./notes.db"\n',
        },
    )
    result = analyze(tmp_path)
    assert result.profile.writable_paths == (".",)
    (evidence,) = result.profile.evidence["writable_paths"]
    assert (evidence.file, evidence.line) == ("main.py", 3)
    assert any("main.py:3" in w and "lost when the pod restarts" in w for w in result.warnings)


def test_flask_instance_folder_of_an_app_factory() -> None:
    # The Flask tutorial's layout: the factory makes `instance/` (its SQLite file) next to the package.
    fixture = Path(__file__).parents[2] / "fixtures" / "apps" / "python-flask-instance"
    result = analyze(fixture)
    assert result.profile.writable_paths == ("instance",)
    (evidence,) = result.profile.evidence["writable_paths"]
    assert (evidence.file, evidence.line, evidence.note) == ("notes/__init__.py", 8, "Flask instance folder")


@pytest.mark.parametrize(
    ("value", "folder"),
    [
        ("file:dev.db", "."),
        ("file:./data/app.db", "data"),
        ("file:///var/lib/api/app.db", "/var/lib/api"),
        ("sqlite:///./notes.db", "."),
        ("sqlite+aiosqlite:///db/app.sqlite3", "db"),
        ("file:///tmp/app.db", None),
        ("sqlite:///:memory:", None),
        ("file:../outside.db", None),
        ("postgresql://db.internal/app", None),
        ("libsql://api.turso.io", None),
        ("debug", None),
    ],
)
def test_the_folder_a_variable_value_puts_a_database_file_in(value: str, folder: str | None) -> None:
    assert database_file_folder(value) == folder


def test_a_users_database_file_value_makes_its_folder_writable() -> None:
    # The code reads `process.env.DATABASE_URL`; only the value the user sets names the file.
    profile = ProjectProfile(language="node", port=3000, writable_paths=("uploads",))
    common = {"upload_id": "u", "app_name": "api", "image": "img"}
    app = app_from_profile(
        profile, env={"DATABASE_URL": "file:./data/dev.db", "LOG_LEVEL": "debug"}, **common
    )
    assert app.writable_paths == ("data", "uploads")
    secret = app_from_profile(profile, secrets={"DATABASE_URL": "sqlite:///app.db"}, **common)
    assert secret.writable_paths == (".", "uploads")
    assert app_from_profile(
        profile, env={"DATABASE_URL": "libsql://x.turso.io"}, **common
    ).writable_paths == ("uploads",)
