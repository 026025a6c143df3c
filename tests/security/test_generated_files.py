"""Issue 11 item 10: no value from an upload or a user can add instructions to a generated Dockerfile.

A newline in a directory name or in a `build_command` override used to start a new instruction.
Now values with control characters are refused (a 422 naming the field at the API, a GenerationError
in the generator), exec-form arrays are JSON, shell words are quoted.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shlex
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from justpush.analysis import ProjectProfile, analyze
from justpush.build import DockerfileOptions, render_dockerfile
from justpush.config import Settings
from justpush.errors import GenerationError

INJECTED = "RUN touch /pwned"
OPTIONS = DockerfileOptions(
    base_images=Settings().build.base_images, upload_id="u1", source_url="https://example.com/a.git"
)
PYTHON = ProjectProfile(
    language="python",
    package_manager="pip",
    dependency_files=("requirements.txt",),
    start_command=("uvicorn", "main:app", "--port", "8000"),
    port=8000,
)
GO = ProjectProfile(language="go", dependency_files=("go.mod",), port=8080)
NODE = ProjectProfile(
    language="node",
    package_manager="npm",
    dependency_files=("package.json",),
    start_command=("npm", "start"),
    port=3000,
)


def _instructions(dockerfile: str) -> list[str]:
    """The instruction keyword of every logical line (continuations joined)."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    return [line.split()[0] for line in joined.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    ("profile", "field", "value"),
    [
        (PYTHON, "dependency_files", ("requirements.txt", f"deps\n{INJECTED}\n#/requirements.txt")),
        (PYTHON, "build_command", ("python", f"build.py\n{INJECTED}")),
        (PYTHON, "start_command", ("uvicorn", f"main:app\r\n{INJECTED}")),
        (GO, "entrypoint", f"cmd/api\n{INJECTED}\n#/main.go"),
        (NODE, "start_command", ("npm", "run", f"serve\u2028{INJECTED}")),
        (NODE, "lockfile", f"package-lock.json\n{INJECTED}"),
    ],
)
def test_control_characters_in_profile_values_are_refused(
    profile: ProjectProfile, field: str, value: object
) -> None:
    hostile = dataclasses.replace(profile, **{field: value})
    with pytest.raises(GenerationError) as info:
        render_dockerfile(hostile, OPTIONS)
    assert f"profile.{field}" in info.value.message


def test_a_directory_named_with_a_newline_in_an_upload_adds_no_instruction(tmp_path: Path) -> None:
    """The real path: a Go upload whose main package sits in a directory with a newline in its name."""
    (tmp_path / "go.mod").write_text("module example.com/api\n\ngo 1.22\n")
    main = tmp_path / "cmd" / f"api\n{INJECTED}\n#"
    main.mkdir(parents=True)
    (main / "main.go").write_text(
        'package main\n\nimport "net/http"\n\nfunc main() {\n'
        '\thttp.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {})\n'
        '\thttp.ListenAndServe(":8080", nil)\n}\n'
    )
    profile = analyze(tmp_path).profile
    assert "\n" in (profile.entrypoint or "")
    with pytest.raises(GenerationError, match=r"profile\.entrypoint"):
        render_dockerfile(profile, OPTIONS)


def test_values_are_quoted_exec_forms_are_json_and_copy_uses_json_form() -> None:
    odd = dataclasses.replace(
        PYTHON,
        dependency_files=("requirements.txt", "constraints $(id).txt", "deps dir/requirements-dev.txt"),
        start_command=("python", "-c", 'print("it\'s") ; rm -rf /', "ü"),
    )
    dockerfile = render_dockerfile(odd, OPTIONS).dockerfile
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == list(odd.start_command)
    assert 'COPY ["deps dir/requirements-dev.txt", "./deps dir/"]' in dockerfile
    install = next(line for line in dockerfile.splitlines() if "pip install" in line and "-r" in line)
    assert shlex.split(install.removeprefix("RUN "))[:6] == [
        "pip",
        "install",
        "--no-cache-dir",
        "-r",
        "requirements.txt",
        "-c",
    ]
    assert "'constraints $(id).txt'" in install
    go = render_dockerfile(dataclasses.replace(GO, entrypoint="cmd/my api/main.go"), OPTIONS).dockerfile
    build = next(line for line in go.splitlines() if line.startswith("RUN go build"))
    assert shlex.split(build)[-1] == "./cmd/my api"
    assert _instructions(go).count("RUN") == 1


def test_a_node_script_name_reaches_no_shell() -> None:
    name = "x$(touch /pwned)`id`"
    hostile = dataclasses.replace(NODE, start_command=("npm", "run", name))
    scripts = {name: "node a.js; touch /pwned", "build": "tsc $(touch /pwned)"}
    options = dataclasses.replace(OPTIONS, package_scripts=scripts)
    dockerfile = render_dockerfile(dataclasses.replace(hostile, typescript=True), options).dockerfile
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd.removeprefix("CMD ")) == ["node", "/app/.justpush/run-script.cjs", name]
    # A build script with shell syntax is never resolved into the Dockerfile; npm runs it by name.
    assert "pwned" not in dockerfile.replace(cmd, "")


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(deployment={"enabled": True}, server={"worker": "none"})


@pytest.mark.parametrize(
    "profile",
    [
        {"build_command": f"npm run build\n{INJECTED}"},
        {"build_command": ["npm", "run", f"build\n{INJECTED}"]},
        {"start_command": f"node index.js\r{INJECTED}"},
        {"entrypoint": "main.py\x00"},
    ],
)
async def test_overrides_with_control_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], profile: dict[str, object]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "print('hi')\n")
    upload = await client.post(
        "/uploads", headers=auth, files={"file": ("app.zip", buffer.getvalue(), "application/zip")}
    )
    upload_id = upload.json()["id"]
    response = await client.post(f"/deploy/{upload_id}", headers=auth, json={"profile": profile})
    assert response.status_code == 422, response.text
    (field,) = profile
    assert f"profile.{field}" in response.json()["error"]["message"]
    status = await client.get(f"/deploy/{upload_id}/status", headers=auth)
    assert status.json()["job"] is None
