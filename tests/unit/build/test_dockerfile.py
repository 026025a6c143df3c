"""Properties every generated Dockerfile must have, checked across languages."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import jinja2
import pytest

from justpush.analysis import ProjectProfile, detect
from justpush.build import DockerfileOptions, IgnoreMatcher, lint_dockerfile, render_dockerfile
from justpush.errors import GenerationError

PROFILES = {
    "python": ProjectProfile(
        language="python",
        package_manager="pip",
        dependency_files=("requirements.txt",),
        start_command=("uvicorn", "main:app", "--port", "8000"),
        port=8000,
    ),
    "node": ProjectProfile(
        language="node",
        package_manager="npm",
        dependency_files=("package.json", "package-lock.json"),
        start_command=("node", "index.js"),
        port=3000,
    ),
    "go": ProjectProfile(language="go", dependency_files=("go.mod", "go.sum"), port=8081),
    "java": ProjectProfile(language="java", entrypoint="src/App.java", port=8082),
}


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(" ", 1)[0], line.split(" ", 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _final_stage(text: str) -> list[tuple[str, str]]:
    instructions = _instructions(text)
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


@pytest.mark.parametrize("language", sorted(PROFILES))
def test_generated_dockerfile_is_multi_stage_non_root_and_lint_clean(
    language: str, options: DockerfileOptions
) -> None:
    profile = PROFILES[language]
    text = render_dockerfile(profile, options).dockerfile
    instructions = _instructions(text)
    assert sum(keyword == "FROM" for keyword, _ in instructions) >= 2
    final = _final_stage(text)
    users = [args for keyword, args in final if keyword == "USER"]
    assert users == ["10001:10001"]
    assert ("EXPOSE", str(profile.port)) in final
    cmd = [args for keyword, args in final if keyword == "CMD"]
    assert len(cmd) == 1 and isinstance(json.loads(cmd[0]), list)
    assert lint_dockerfile(text) == []


@pytest.mark.parametrize("language", ["go", "node", "python"])
def test_dependency_manifests_are_installed_before_the_source_is_copied(
    language: str, options: DockerfileOptions
) -> None:
    text = render_dockerfile(PROFILES[language], options).dockerfile
    instructions = _instructions(text)
    source_copy = next(i for i, item in enumerate(instructions) if item == ("COPY", ". ."))
    first_dependency = next(
        i
        for i, (keyword, args) in enumerate(instructions)
        if keyword == "COPY" and any(name in args for name in PROFILES[language].dependency_files)
    )
    assert first_dependency < source_copy


def test_output_is_deterministic_and_labels_sorted(options: DockerfileOptions) -> None:
    opts = dataclasses.replace(options, labels={"z.label": "1", "a.label": "2"}, source_url="https://s")
    first = render_dockerfile(PROFILES["python"], opts)
    second = render_dockerfile(PROFILES["python"], opts)
    assert first == second
    label_line = text_after(first.dockerfile, "LABEL ")
    keys = re.findall(r"([\w.]+)=\"", label_line)
    assert keys == sorted(keys)
    assert "org.opencontainers.image.revision" in keys
    assert "created" not in first.dockerfile


def text_after(text: str, marker: str) -> str:
    return text[text.index(marker) :].split("\nCMD", 1)[0]


def test_labels_follow_the_layers_so_a_new_upload_reuses_the_cache(options: DockerfileOptions) -> None:
    first = render_dockerfile(PROFILES["node"], options).dockerfile
    second = render_dockerfile(PROFILES["node"], dataclasses.replace(options, upload_id="up-2")).dockerfile
    differing = [a for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b]
    assert len(differing) == 1 and differing[0].startswith("LABEL")
    assert first.index("LABEL") > first.index("COPY . .")


@pytest.mark.parametrize(
    ("lockfile", "expected"),
    [("package-lock.json", "npm ci"), (None, "npm install")],
)
def test_npm_ci_only_with_a_lockfile(lockfile: str | None, expected: str, options: DockerfileOptions) -> None:
    files = ("package.json", lockfile) if lockfile else ("package.json",)
    profile = ProjectProfile(language="node", dependency_files=files, start_command=("node", "a.js"))
    text = render_dockerfile(profile, options).dockerfile
    assert expected in text
    assert ("npm ci" in text) == (lockfile is not None)


@pytest.mark.parametrize(("files", "download"), [(("go.mod",), False), (("go.mod", "go.sum"), True)])
def test_go_mod_download_only_with_go_sum(
    files: tuple[str, ...], download: bool, options: DockerfileOptions
) -> None:
    text = render_dockerfile(ProjectProfile(language="go", dependency_files=files), options).dockerfile
    assert ("go mod download" in text) == download
    assert "CGO_ENABLED=0" in text
    assert "HEALTHCHECK" not in text


def test_healthcheck_never_uses_curl(options: DockerfileOptions) -> None:
    for profile in PROFILES.values():
        text = render_dockerfile(profile, options).dockerfile
        assert "curl" not in text and "wget" not in text


def test_base_images_come_from_the_options(options: DockerfileOptions) -> None:
    images = {**options.base_images, "python": "mirror.test/py:1", "python-runtime": "mirror.test/py:1-slim"}
    text = render_dockerfile(PROFILES["python"], dataclasses.replace(options, base_images=images)).dockerfile
    assert [args for keyword, args in _instructions(text) if keyword == "FROM"] == [
        "mirror.test/py:1 AS build",
        "mirror.test/py:1-slim",
    ]


def test_dockerignore_keeps_secrets_out_and_dependency_files_in(options: DockerfileOptions) -> None:
    ignore = IgnoreMatcher(render_dockerfile(PROFILES["node"], options).dockerignore)
    assert ignore.excluded(".env")
    assert ignore.excluded(".git/config")
    assert ignore.excluded("node_modules/express/index.js")
    assert not ignore.excluded("package-lock.json")
    assert not ignore.excluded("index.js")


def test_an_injected_environment_overrides_templates(options: DockerfileOptions) -> None:
    env = jinja2.Environment(
        loader=jinja2.DictLoader(
            {"go.Dockerfile.j2": "FROM {{ build_image }}\nCMD {{ cmd | json }}\n", "dockerignore.j2": "x\n"}
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    generated = render_dockerfile(PROFILES["go"], options, env)
    assert generated.dockerfile == 'FROM golang:1.23\nCMD ["/app/server"]\n'
    assert generated.dockerignore == "x\n"


@pytest.mark.parametrize("language", ["node", "python"])
def test_runtime_stage_runs_nothing_through_a_shell(language: str, options: DockerfileOptions) -> None:
    # A distroless runtime image has no /bin/sh: every RUN of the final stage must be exec form.
    profile = dataclasses.replace(PROFILES[language], start_command=())
    if language == "node":
        profile = dataclasses.replace(profile, start_command=("npm", "start"))
        options = dataclasses.replace(options, package_scripts={"start": "node server.js | tee log"})
    else:
        profile = dataclasses.replace(profile, entrypoint="main.py")
    for current in (PROFILES[language], profile):
        runs = [
            args
            for keyword, args in _final_stage(render_dockerfile(current, options).dockerfile)
            if keyword == "RUN"
        ]
        assert all(isinstance(json.loads(args), list) for args in runs)
        assert runs or language == "node"


@pytest.mark.parametrize("language", sorted(PROFILES))
def test_cmd_is_the_last_instruction_after_the_labels(language: str, options: DockerfileOptions) -> None:
    final = _final_stage(render_dockerfile(PROFILES[language], options).dockerfile)
    keywords = [keyword for keyword, _ in final]
    assert keywords[-2:] == ["LABEL", "CMD"]
    assert keywords.count("CMD") == 1 and keywords.count("USER") == 1


def test_python_compiles_as_root_then_drops_to_the_runtime_user(options: DockerfileOptions) -> None:
    final = _final_stage(render_dockerfile(PROFILES["python"], options).dockerfile)
    keywords = [keyword for keyword, _ in final]
    compile_step = final.index(("RUN", '["python", "-m", "compileall", "-q", "."]'))
    assert keywords.index("USER") > compile_step > final.index(("COPY", ". ."))
    assert keywords[keywords.index("USER") + 1 :] == ["LABEL", "CMD"]


def test_the_venv_is_slimmed_after_the_last_install(options: DockerfileOptions) -> None:
    generated = render_dockerfile(PROFILES["python"], options)
    assert (
        "pip install --no-cache-dir -r requirements.txt && python /opt/justpush/slim-venv.py requirements.txt"
        in (generated.dockerfile)
    )
    assert "COPY .justpush/slim-venv.py /opt/justpush/" in generated.dockerfile
    assert generated.files[".justpush/slim-venv.py"].startswith('"""Generated by JustPush')
    bare = render_dockerfile(ProjectProfile(language="python", entrypoint="main.py"), options)
    assert "RUN python3 -m venv --without-pip /opt/venv" in bare.dockerfile
    assert "slim-venv" not in bare.dockerfile and sorted(bare.files) == [".justpush/relink-venv.py"]


def _fake_distribution(site: Path, name: str, requires: tuple[str, ...] = ()) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    lines = [f"Name: {name}", "Version: 1.0", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("Metadata-Version: 2.1\n" + "\n".join(lines) + "\n")


@pytest.mark.parametrize("setuptools_needed", ["no", "required by a package", "listed in requirements"])
def test_slim_venv_drops_installers_and_unimported_tests(
    setuptools_needed: str, options: DockerfileOptions, tmp_path: Path
) -> None:
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(venv_dir)
    python = venv_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # setuptools is what 3.11's venv brings; pip's own install of it is what the slim step removes.
    subprocess.run([python, "-m", "pip", "--version"], check=True, capture_output=True)
    for package, init in (("plain", ""), ("selftest", "from .tests import helpers\n")):
        (site / package / "sub" / "tests").mkdir(parents=True)
        (site / package / "__init__.py").write_text(init)
        (site / package / "sub" / "tests" / "test_x.py").write_text("")
        requires = ("setuptools>=40",) if setuptools_needed == "required by a package" else ("click",)
        _fake_distribution(site, package, requires)
    (tmp_path / "requirements.txt").write_text("-r base.txt\nflask==3.0.3  # web\n")
    listed = "Setuptools==65.5.0\n" if setuptools_needed == "listed in requirements" else ""
    (tmp_path / "base.txt").write_text(f"# base\n{listed}click\n")
    generated = render_dockerfile(PROFILES["python"], options)
    assert "&& python /opt/justpush/slim-venv.py requirements.txt\n" in generated.dockerfile
    script = tmp_path / "slim-venv.py"
    script.write_text(generated.files[".justpush/slim-venv.py"])
    subprocess.run(
        [python, script, "requirements.txt"], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    names = {path.name.split("-")[0] for path in site.glob("*.dist-info")}
    assert "pip" not in names
    assert ("setuptools" in names) == (setuptools_needed != "no")
    assert not (site / "plain" / "sub" / "tests").exists()
    assert (site / "selftest" / "sub" / "tests" / "test_x.py").exists()
    subprocess.run([python, "-c", "import plain, json"], check=True, cwd=tmp_path)


def _relink_command(options: DockerfileOptions, venv_dir: Path, tmp_path: Path) -> list[str]:
    generated = render_dockerfile(PROFILES["python"], options)
    final = _final_stage(generated.dockerfile)
    relink = next(json.loads(args) for keyword, args in final if keyword == "RUN" and "venv" in args)
    assert relink == ["python3", "/opt/justpush/relink-venv.py", "/opt/venv"]
    assert ("COPY", ".justpush/relink-venv.py /opt/justpush/") in final
    script = tmp_path / "relink-venv.py"
    script.write_text(generated.files[".justpush/relink-venv.py"])
    return [sys.executable, str(script), str(venv_dir)]


def test_the_venv_is_relinked_to_the_runtime_interpreter(options: DockerfileOptions, tmp_path: Path) -> None:
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(venv_dir)
    # As if the build image kept its interpreter somewhere this image does not have it.
    for link in (venv_dir / "bin").glob("python*"):
        link.unlink()
        link.symlink_to("/nonexistent/bin/python3")
    subprocess.run(_relink_command(options, venv_dir, tmp_path), check=True, capture_output=True)
    prefix = subprocess.run(
        [venv_dir / "bin" / "python", "-c", "import sys; print(sys.prefix)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(prefix) == venv_dir


def test_the_venv_relink_refuses_another_python_version(options: DockerfileOptions, tmp_path: Path) -> None:
    venv_dir = tmp_path / "venv"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(venv_dir)
    config = venv_dir / "pyvenv.cfg"
    config.write_text(re.sub(r"(?m)^version = .*$", "version = 3.7.17", config.read_text()))
    result = subprocess.run(_relink_command(options, venv_dir, tmp_path), capture_output=True, text=True)
    assert result.returncode != 0
    assert "installed with Python 3.7" in result.stderr


def _node(
    options: DockerfileOptions, start: tuple[str, ...], scripts: dict[str, str]
) -> tuple[list[str], Any]:
    profile = ProjectProfile(language="node", dependency_files=("package.json",), start_command=start)
    generated = render_dockerfile(profile, dataclasses.replace(options, package_scripts=scripts))
    cmd = [args for keyword, args in _instructions(generated.dockerfile) if keyword == "CMD"][-1]
    return json.loads(cmd), generated


@pytest.mark.parametrize(
    ("start", "scripts", "expected"),
    [
        (("npm", "start"), {"start": "node server.js"}, ["node", "server.js"]),
        (
            ("yarn", "start"),
            {"start": "node  -r dotenv/config  server.js"},
            ["node", "-r", "dotenv/config", "server.js"],
        ),
        # Through another script, with the extra arguments of both.
        (
            ("npm", "run", "serve", "--", "--port", "3"),
            {"serve": "npm start -- --verbose", "start": "node app.js"},
            ["node", "app.js", "--verbose", "--port", "3"],
        ),
    ],
)
def test_plain_node_start_scripts_become_exec_form(
    start: tuple[str, ...], scripts: dict[str, str], expected: list[str], options: DockerfileOptions
) -> None:
    cmd, generated = _node(options, start, scripts)
    assert cmd == expected
    assert not generated.files and "run-script" not in generated.dockerfile


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (("npm", "start"), ["start"]),
        (("pnpm", "run", "serve", "--", "--port", "3"), ["serve", "--port", "3"]),
    ],
)
def test_other_start_scripts_run_through_the_shipped_launcher(
    start: tuple[str, ...], expected: list[str], options: DockerfileOptions
) -> None:
    cmd, generated = _node(options, start, {"start": "NODE_ENV=x node a.js", "serve": "node a.js && b"})
    assert cmd == ["node", "/app/.justpush/run-script.cjs", *expected]
    assert sorted(generated.files) == [".justpush/run-script.cjs"]
    assert "run-script.cjs" in generated.files[".justpush/run-script.cjs"]


def test_a_missing_start_script_is_refused_at_generation(options: DockerfileOptions) -> None:
    with pytest.raises(GenerationError, match=r'package\.json has no "start" script'):
        _node(options, ("npm", "start"), {"build": "tsc"})


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "tsc -p tsconfig.build.json",
            "RUN ./node_modules/.bin/tsc -p tsconfig.build.json && rm -rf node_modules",
        ),
        ("tsc && cp -r assets dist/", "RUN npm run build && rm -rf node_modules"),
        ("webpack", "RUN npm run build && rm -rf node_modules"),
    ],
)
def test_a_plain_tsc_build_script_runs_without_npm(
    script: str, expected: str, options: DockerfileOptions
) -> None:
    profile = dataclasses.replace(PROFILES["node"], typescript=True, start_command=("node", "dist/index.js"))
    text = render_dockerfile(
        profile, dataclasses.replace(options, package_scripts={"build": script})
    ).dockerfile
    assert expected in text


def test_a_tsconfig_without_a_build_script_is_compiled_by_tsc(options: DockerfileOptions) -> None:
    profile = dataclasses.replace(PROFILES["node"], typescript=True, start_command=("node", "dist/index.js"))
    text = render_dockerfile(profile, dataclasses.replace(options, package_scripts={"start": "x"})).dockerfile
    assert "RUN ./node_modules/.bin/tsc && rm -rf node_modules" in text
    assert "npm run build" not in text


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the launcher")
@pytest.mark.parametrize(
    ("script", "code", "output"),
    [
        # A plain `node` script runs without a shell and gets the extra arguments.
        ("node child.js a b", 3, "child a,b,extra"),
        # Anything else goes through sh, with npm's lifecycle variables and node_modules/.bin on PATH.
        (
            "echo $npm_lifecycle_event-$npm_package_version && tool",
            0,
            "serve-1.2.3\nbin tool extra",
        ),
    ],
)
def test_the_launcher_runs_the_script_like_npm(
    script: str, code: int, output: str, options: DockerfileOptions, tmp_path: Path
) -> None:
    cmd, generated = _node(options, ("npm", "run", "serve"), {"serve": "node a.js | cat"})
    (tmp_path / "run-script.cjs").write_text(generated.files[".justpush/run-script.cjs"])
    (tmp_path / "package.json").write_text(json.dumps({"version": "1.2.3", "scripts": {"serve": script}}))
    (tmp_path / "child.js").write_text(
        "console.log('child ' + process.argv.slice(2).join(',')); process.exit(3);\n"
    )
    tool = tmp_path / "node_modules" / ".bin" / "tool"
    tool.parent.mkdir(parents=True)
    tool.write_text('#!/bin/sh\necho bin tool "$@"\n')
    tool.chmod(0o755)
    result = subprocess.run(
        ["node", str(tmp_path / "run-script.cjs"), *cmd[2:], "extra"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout.strip()) == (code, output)


def test_native_python_dependencies_get_build_tools_and_runtime_libraries(options: DockerfileOptions) -> None:
    profile = ProjectProfile(
        language="python",
        package_manager="pip",
        dependency_files=("requirements.txt",),
        native_dependencies=("mysqlclient", "psycopg2"),
        entrypoint="app.py",
        port=8000,
    )
    build, runtime = render_dockerfile(profile, options).dockerfile.split("\nFROM ", 2)[1:]
    install = "apt-get install -y --no-install-recommends "
    assert install + "default-libmysqlclient-dev gcc libc6-dev libpq-dev pkg-config" in build
    assert "python3-dev" in build  # only when the image lacks Python.h
    assert install + "libmariadb3 libpq5 &&" in runtime
    assert "gcc" not in runtime and "-dev" not in runtime
    plain = render_dockerfile(dataclasses.replace(profile, native_dependencies=()), options).dockerfile
    assert "apt-get" not in plain


def test_a_node_native_addon_gets_node_gyp_toolchain_in_the_dependency_stage(
    options: DockerfileOptions,
) -> None:
    # bcrypt compiles with node-gyp when no prebuilt binary can be fetched; slim images have no compiler.
    fixture = Path(__file__).parents[2] / "fixtures" / "build-apps" / "node-native-addon"
    profile = detect(fixture)
    assert profile.native_dependencies == ("bcrypt",)
    (evidence,) = profile.evidence["native_dependencies"]
    assert (evidence.file, evidence.line) == ("package.json", 6)
    scripts = json.loads((fixture / "package.json").read_text())["scripts"]
    options = dataclasses.replace(options, package_scripts=scripts)
    deps, runtime = render_dockerfile(profile, options).dockerfile.split("\nFROM ", 2)[1:]
    toolchain = "apt-get install -y --no-install-recommends g++ make python3"
    assert toolchain in deps and deps.index(toolchain) < deps.index("npm install")
    assert "apt-get" not in runtime
    plain = render_dockerfile(dataclasses.replace(profile, native_dependencies=()), options).dockerfile
    assert "apt-get" not in plain


@pytest.mark.parametrize(
    ("package", "lockfile", "version", "evidence"),
    [
        (
            {"packageManager": "pnpm@9.12.3+sha512.abc"},
            "lockfileVersion: '9.0'\n",
            "9.12.3",
            "packageManager",
        ),
        ({}, "lockfileVersion: '9.0'\n\nsettings:\n", "9", "lockfileVersion 9.0"),
        ({}, "lockfileVersion: '6.0'\n", "8", "lockfileVersion 6.0"),
        ({}, "lockfileVersion: 5.4\n", "7", "lockfileVersion 5.4"),
        ({"packageManager": "yarn@4.1.0"}, "", None, None),
    ],
)
def test_pnpm_is_installed_with_npm_where_the_image_has_no_corepack(
    tmp_path: Path,
    options: DockerfileOptions,
    package: dict[str, str],
    lockfile: str,
    version: str | None,
    evidence: str | None,
) -> None:
    manifest = {"name": "api", "scripts": {"start": "node server.js"}, "dependencies": {"hono": "^4"}}
    (tmp_path / "package.json").write_text(json.dumps({**manifest, **package}, indent=2))
    (tmp_path / "pnpm-lock.yaml").write_text(lockfile)
    (tmp_path / "server.js").write_text("require('http').createServer().listen(3000)\n")
    profile = detect(tmp_path)
    assert (profile.package_manager, profile.package_manager_version) == ("pnpm", version)
    assert [e.note for e in profile.evidence.get("package_manager_version", ())] == (
        [evidence] if evidence else []
    )
    options = dataclasses.replace(options, package_scripts=manifest["scripts"])
    deps = render_dockerfile(profile, options).dockerfile.split("\nFROM ", 2)[1]
    expected = (
        "RUN if command -v corepack >/dev/null; then corepack enable; "
        f"else npm install -g --no-audit --no-fund pnpm@{version or 'latest'}; fi\n"
    )
    assert expected in deps
    # A version from a stored or edited profile never reaches the shell unquoted.
    hostile = dataclasses.replace(profile, package_manager_version="9; touch /x")
    assert "'pnpm@9; touch /x'" in render_dockerfile(hostile, options).dockerfile
