"""Broken inputs end with warnings, never a crash; results round-trip through JSON."""

from __future__ import annotations

import json
from pathlib import Path

from justpush.analysis import AnalysisResult, analyze, validation_error

MAIN = (
    "from fastapi import FastAPI\n"
    "from routes import router\n"
    "app = FastAPI()\n"
    "app.include_router(router, prefix='/v1')\n"
    "@app.get('/ping')\n"
    "def ping() -> str:\n"
    "    return 'pong'\n"
)
ROUTES = (
    "from fastapi import APIRouter\n"
    "import main  # circular on purpose\n"
    "router = APIRouter()\n"
    "router.include_router(router)  # includes itself\n"
    "@router.get('/items/{item_id}')\n"
    "def item(item_id: int) -> dict:\n"
    "    return {}\n"
)


def test_broken_files_become_warnings(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    (tmp_path / "main.py").write_text(MAIN)
    (tmp_path / "routes.py").write_text(ROUTES)
    (tmp_path / "syntax.py").write_text("def broken(:\n    pass\n")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02PNG")
    (tmp_path / "latin1.py").write_bytes("NAME = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "huge.py").write_text("x = 1\n" * 200_000)
    (tmp_path / "deep.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    (tmp_path / "deep_ok.py").write_text("y = " + "[" * 90 + "]" * 90 + "\n")
    (tmp_path / "bad.toml").write_text("= nope")
    (tmp_path / "openapi.json").write_text("{not json")

    result = analyze(tmp_path)

    text = "\n".join(result.warnings)
    for name, reason in [
        ("syntax.py", "syntax error"),
        ("binary.py", "binary"),
        ("latin1.py", "UTF-8"),
        ("huge.py", "limit"),
        ("deep.py", "nested"),
        ("routes.py", "cycle"),
    ]:
        assert any(name in w and reason in w for w in result.warnings), (name, text)
    paths = result.spec["paths"]
    assert sorted(paths) == ["/ping", "/v1/items/{item_id}"]
    assert paths["/v1/items/{item_id}"]["get"]["parameters"][0]["schema"] == {"type": "integer"}
    assert result.spec_source == "generated"
    assert "openapi.json ignored: not parseable" in result.spec_reason
    assert validation_error(result.spec) is None


def test_deeply_nested_code_in_a_parsable_file(tmp_path: Path) -> None:
    # Parses, but recursive helpers on it must not take analysis down.
    nested = "def f():\n" + "".join("    " * i + "if x:\n" for i in range(1, 90)) + "    " * 90 + "pass\n"
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n" + nested)
    result = analyze(tmp_path)
    assert result.profile.framework == "flask"
    assert result.spec["paths"] == {}


def test_empty_and_unknown_upload(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = analyze(tmp_path)
    assert result.profile.language == "unknown"
    assert result.spec["paths"] == {}
    assert any("no manifest" in w for w in result.warnings)


def test_result_round_trips_through_json(apps_dir: Path) -> None:
    result = analyze(apps_dir / "python-fastapi-shop")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["profile"]["startCommand"][0] == "uvicorn"
    again = AnalysisResult.from_dict(data)
    assert again == result


def test_output_is_deterministic(apps_dir: Path) -> None:
    first = json.dumps(analyze(apps_dir / "python-django-notes").to_dict())
    second = json.dumps(analyze(apps_dir / "python-django-notes").to_dict())
    assert first == second
