"""Which folder of a multi-project upload is the API, why, and a user's choice of it (--root / root)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from justpush.analysis import AnalysisOptions, analyze, detect, resolve_root
from justpush.analysis.detection import find_app_dir
from justpush.cli import app, exit_code_for
from justpush.errors import InvalidRootError

MONOREPO = Path(__file__).resolve().parents[2] / "fixtures" / "apps" / "monorepo-react-spring"
SPRING_POM = "<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent></project>"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


def test_a_backend_folder_wins_over_a_react_app_at_the_root() -> None:
    warnings: list[str] = []
    choice = find_app_dir(MONOREPO, warnings)
    assert choice.app_dir == "backend"
    assert choice.candidates == (".", "backend")
    assert choice.evidence is not None and choice.evidence.file == "backend/pom.xml"
    assert "declares spring-boot" in choice.evidence.note
    assert warnings == [
        "app directory: chose backend (backend/pom.xml declares spring-boot) over .; "
        "another can be chosen as root"
    ]
    result = analyze(MONOREPO)
    assert result.profile.app_dir == "backend" and result.profile.framework == "spring-boot"
    assert list(result.spec["paths"]) == ["/api/notes"]
    assert result.profile.evidence["app_dir"][0].note.startswith("app directory:")


def test_server_with_express_wins_over_a_client_without_a_framework(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "client/package.json": json.dumps({"dependencies": {"react": "18"}}),
            "server/package.json": json.dumps({"dependencies": {"express": "4"}}),
        },
    )
    choice = find_app_dir(tmp_path, [])
    assert (choice.app_dir, choice.candidates) == ("server", ("client", "server"))


def test_a_frontend_manifest_next_to_a_pom_does_not_make_the_project_node(tmp_path: Path) -> None:
    # JHipster layout: Angular's package.json and the Spring Boot pom.xml side by side at the root.
    _write(
        tmp_path,
        {"package.json": json.dumps({"dependencies": {"@angular/core": "17"}}), "pom.xml": SPRING_POM},
    )
    profile = detect(tmp_path)
    assert (profile.app_dir, profile.language, profile.framework) == (".", "java", "spring-boot")


def test_a_multi_module_build_root_stays_the_app_directory(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pom.xml": "<project><modules><module>api</module></modules></project>",
            "api/pom.xml": SPRING_POM,
            "ui/package.json": json.dumps({"dependencies": {"vue": "3"}}),
        },
    )
    assert find_app_dir(tmp_path, []).app_dir == "."


def test_a_root_manifest_with_a_framework_stays_even_with_other_candidates(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "package.json": json.dumps({"dependencies": {"express": "4"}}),
            "admin/package.json": json.dumps({"dependencies": {"koa": "2"}}),
        },
    )
    warnings: list[str] = []
    assert find_app_dir(tmp_path, warnings).app_dir == "."
    assert warnings == []


def test_resolve_root_normalises_and_refuses_what_leaves_the_upload(tmp_path: Path) -> None:
    (tmp_path / "backend" / "src").mkdir(parents=True)
    (tmp_path / "README.md").write_text("x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "escape").symlink_to(outside)
    assert resolve_root(tmp_path, "backend/") == "backend"
    assert resolve_root(tmp_path, "./backend/./src") == "backend/src"
    assert resolve_root(tmp_path, ".") == "."
    for bad, why in (
        ("../x", "'..'"),
        ("backend/../../x", "'..'"),
        ("/etc", "absolute"),
        ("C:/x", "absolute"),
        ("escape", "symlink"),
        ("missing", "not a folder"),
        ("README.md", "not a folder"),
    ):
        with pytest.raises(InvalidRootError, match=why):
            resolve_root(tmp_path, bad)


def test_analysis_options_root_overrides_detection() -> None:
    result = analyze(MONOREPO, AnalysisOptions(root="."))
    assert result.profile.app_dir == "." and result.profile.language == "node"
    assert "app_dir" in result.profile.overridden
    with pytest.raises(InvalidRootError):
        analyze(MONOREPO, AnalysisOptions(root="../"))


def test_cli_root_option_on_analyze_and_dockerfile() -> None:
    runner = CliRunner()
    detected = runner.invoke(app, ["analyze", str(MONOREPO), "--profile", "--format", "yaml"])
    assert detected.exit_code == 0, detected.output
    profile = yaml.safe_load(detected.stdout)
    assert profile["appDir"] == "backend" and profile["appDirCandidates"] == [".", "backend"]
    assert "chose backend" in detected.stderr
    chosen = runner.invoke(app, ["analyze", str(MONOREPO), "--profile", "--root", "."])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(chosen.stdout)["language"] == "node"
    refused = runner.invoke(app, ["analyze", str(MONOREPO), "--root", "../elsewhere"])
    # `main()` maps it to exit code 9 with the message; here the error itself is seen.
    assert isinstance(refused.exception, InvalidRootError)
    assert exit_code_for(refused.exception) == 9 and "'..'" in refused.exception.message
    dockerfile = runner.invoke(app, ["dockerfile", str(MONOREPO), "--root", "backend"])
    assert dockerfile.exit_code == 0, dockerfile.output
    assert "mvn" in dockerfile.stdout or "maven" in dockerfile.stdout


def test_cli_root_option_on_render_manifests() -> None:
    image = "registry.test/notes@sha256:" + "a" * 64
    args = ["render", "manifests", str(MONOREPO), "--image", image]
    backend = CliRunner().invoke(app, [*args, "--root", "backend"])
    assert backend.exit_code == 0, backend.output
    # The app is named after the chosen project's manifest: backend/pom.xml's artifactId.
    assert "app.kubernetes.io/name: notes\n" in backend.stdout
    frontend = CliRunner().invoke(app, [*args, "--root", "."])
    assert frontend.exit_code == 0, frontend.output
    assert "app.kubernetes.io/name: notes-web\n" in frontend.stdout


def test_a_package_of_the_root_python_project_is_not_another_project(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "requirements.txt": "-r app/requirements.txt\n",
            "app/__init__.py": "",
            "app/requirements.txt": "flask\n",
        },
    )
    assert find_app_dir(tmp_path, []).app_dir == "."


def test_among_equal_candidates_a_backend_named_folder_wins(tmp_path: Path) -> None:
    _write(tmp_path, {"desktop/go.mod": "module d\n", "server/go.mod": "module s\n"})
    choice = find_app_dir(tmp_path, [])
    assert (choice.app_dir, choice.candidates) == ("server", ("desktop", "server"))


def test_the_root_choice_says_why_when_there_were_other_candidates(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pom.xml": "<project><modules><module>api</module></modules></project>",
            "api/pom.xml": SPRING_POM,
        },
    )
    choice = find_app_dir(tmp_path, [])
    assert choice.evidence is not None
    assert choice.evidence.note == (
        "app directory: the root, pom.xml builds the other folders as modules; other candidates: api"
    )
    assert detect(tmp_path).evidence["app_dir"] == (choice.evidence,)


def test_a_backend_package_is_the_app_when_the_root_has_no_python_project(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/pyproject.toml": '[project]\nname = "b"\ndependencies = ["django"]\n',
            "backend/manage.py": "",
            "docs/requirements.txt": "mkdocs\n",
            "frontend/package.json": '{"dependencies": {"vue": "3"}}',
        },
    )
    assert find_app_dir(tmp_path, []).app_dir == "backend"
