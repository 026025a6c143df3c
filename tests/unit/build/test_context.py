"""The build context tar: .dockerignore semantics, symlink refusal, normalised modes."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from justpush.analysis import ProjectProfile
from justpush.build import (
    DOCKERFILE_NAME,
    DockerfileOptions,
    IgnoreMatcher,
    context_archive,
    prepare_dockerfile,
)
from justpush.errors import UploadError


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("node_modules", "node_modules/a/b.js", True),
        ("*.log", "a.log", True),
        ("*.log", "sub/a.log", False),
        ("**/*.log", "sub/deep/a.log", True),
        ("**/*.log", "a.log", True),
        ("/build", "build/x", True),
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "docsx", False),
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md", "CHANGES.md", True),
        ("!README.md\n*.md", "README.md", True),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file10.txt", False),
        ("[ab].txt", "b.txt", True),
        ("# comment\n\n.env", ".env", True),
    ],
)
def test_ignore_matcher(patterns: str, path: str, excluded: bool) -> None:
    assert IgnoreMatcher(patterns).excluded(path) is excluded


def _tar_members(root: Path, ignore: str = "") -> dict[str, tarfile.TarInfo]:
    with context_archive(root, "FROM scratch\n", ignore) as archive, tarfile.open(fileobj=archive) as tar:
        return {member.name: member for member in tar.getmembers()}


def test_archive_honours_dockerignore_and_adds_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / ".env").write_text("SECRET=1\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "node_modules" / "x" / "i.js").write_text("1")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.md").write_text("a")
    members = _tar_members(tmp_path, ".env\nnode_modules\n")
    assert set(members) == {"app.py", "keep", "keep/a.md", ".dockerignore", DOCKERFILE_NAME}


def test_archive_re_includes_negated_files_below_an_ignored_directory(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("a")
    (tmp_path / "docs" / "keep.md").write_text("k")
    members = _tar_members(tmp_path, "docs\n!docs/keep.md\n")
    assert "docs/keep.md" in members and "docs/a.md" not in members


def test_archive_normalises_owner_and_modes(tmp_path: Path) -> None:
    secret = tmp_path / "private.txt"
    secret.write_text("x")
    secret.chmod(0o600)
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o700)
    members = _tar_members(tmp_path)
    assert members["private.txt"].mode == 0o644
    assert members["run.sh"].mode == 0o755
    assert {members[name].uid for name in ("private.txt", "run.sh")} == {0}


def test_internal_symlinks_are_kept(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("x")
    os.symlink("real.txt", tmp_path / "link.txt")
    member = _tar_members(tmp_path)["link.txt"]
    assert member.issym() and member.linkname == "real.txt"


@pytest.mark.parametrize("target", ["/etc/shadow", "../outside", "sub/../../outside"])
def test_symlinks_leaving_the_context_are_refused(tmp_path: Path, target: str) -> None:
    root = tmp_path / "ws"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside").write_text("secret")
    os.symlink(target, root / "evil")
    with pytest.raises(UploadError, match="evil"):
        _tar_members(root)


def test_a_chain_of_links_that_ends_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    os.symlink(str(tmp_path), root / "hop")  # absolute: refused on its own
    with pytest.raises(UploadError):
        _tar_members(root)


def test_fifos_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UploadError, match="pipe"):
        _tar_members(tmp_path)


def test_prepare_uses_the_uploads_dockerfile_as_is(tmp_path: Path, options: DockerfileOptions) -> None:
    own = "FROM python\nRUN curl https://x.test/i.sh | sh\n"
    (tmp_path / "Dockerfile").write_text(own)
    (tmp_path / ".dockerignore").write_text("secrets/\n")
    profile = ProjectProfile(language="python", dockerfile="Dockerfile", entrypoint="a.py")
    prepared = prepare_dockerfile(tmp_path, profile, options)
    assert prepared.origin == "upload"
    assert prepared.dockerfile == own
    assert prepared.dockerignore == "secrets/\n"
    # Its own findings include what would stop it from starting (no CMD), which generated ones never lack.
    assert {f.rule for f in prepared.findings} == {
        "no-cmd",
        "no-user",
        "pipe-to-shell",
        "unpinned-base-image",
    }
    ignored = prepare_dockerfile(tmp_path, profile, options, own=False)
    assert ignored.origin == "generated" and ignored.dockerfile != own


@pytest.mark.parametrize(("where", "context"), [("backend", "backend"), (".", ".")])
def test_prepare_builds_an_apps_own_dockerfile_from_its_folder(
    tmp_path: Path, options: DockerfileOptions, where: str, context: str
) -> None:
    # A full-stack repository: the API in backend/ with its Dockerfile there (or one at the top); the
    # profile names the Dockerfile from the upload root.
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "main.py").write_text("app = None\n")
    own = 'FROM python:3.11-slim\nCOPY . /app\nCMD ["python", "main.py"]\n'
    (tmp_path / where / "Dockerfile").write_text(own)
    (tmp_path / where / ".dockerignore").write_text(".venv\n")
    dockerfile = "Dockerfile" if where == "." else f"{where}/Dockerfile"
    profile = ProjectProfile(
        language="python", dockerfile=dockerfile, app_dir="backend", entrypoint="main.py"
    )
    prepared = prepare_dockerfile(tmp_path, profile, options)
    assert (prepared.origin, prepared.dockerfile, prepared.context) == ("upload", own, context)
    assert prepared.dockerignore == ".venv\n"


def test_prepare_refuses_a_dockerfile_path_outside_the_upload(
    tmp_path: Path, options: DockerfileOptions
) -> None:
    profile = ProjectProfile(language="python", dockerfile="../Dockerfile")
    with pytest.raises(UploadError):
        prepare_dockerfile(tmp_path / "ws", profile, options)


def test_prepare_generates_when_the_upload_has_no_dockerfile(
    tmp_path: Path, options: DockerfileOptions
) -> None:
    profile = ProjectProfile(language="go", dependency_files=("go.mod",), app_dir="services/api")
    prepared = prepare_dockerfile(tmp_path, profile, options)
    assert prepared.origin == "generated"
    assert prepared.context == "services/api"
    assert prepared.findings == ()


def test_archive_ships_the_helper_files_in_place_of_the_uploads_own(tmp_path: Path) -> None:
    (tmp_path / ".justpush").mkdir()
    (tmp_path / ".justpush" / "run-script.cjs").write_text("upload's own\n")
    (tmp_path / "server.js").write_text("1\n")
    helper = {".justpush/run-script.cjs": "// generated\n"}
    with (
        context_archive(tmp_path, "FROM scratch\n", "", helper) as archive,
        tarfile.open(fileobj=archive) as tar,
    ):
        names = tar.getnames()
        assert names.count(".justpush/run-script.cjs") == 1
        member = tar.extractfile(".justpush/run-script.cjs")
        assert member is not None and member.read() == b"// generated\n"
        assert "server.js" in names


@pytest.mark.parametrize(
    ("scripts", "cmd"),
    [
        ('{"start": "node server.js --port 8080"}', '["node", "server.js", "--port", "8080"]'),
        ('{"start": "node server.js > out.log"}', '["node", "/app/.justpush/run-script.cjs", "start"]'),
    ],
)
def test_prepare_resolves_the_start_script_from_package_json(
    scripts: str, cmd: str, tmp_path: Path, options: DockerfileOptions
) -> None:
    (tmp_path / "package.json").write_text(f'{{"name": "a", "scripts": {scripts}}}')
    profile = ProjectProfile(
        language="node", dependency_files=("package.json",), start_command=("npm", "start")
    )
    prepared = prepare_dockerfile(tmp_path, profile, options)
    assert prepared.dockerfile.endswith(f"CMD {cmd}\n")
    assert bool(prepared.files) == ("run-script" in cmd)
