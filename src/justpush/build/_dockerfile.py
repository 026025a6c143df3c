"""Pure Dockerfile generation: a ProjectProfile plus DockerfileOptions in, a GeneratedDockerfile out.

The templates in ``templates/`` only lay out instructions; every decision (which files form the
dependency layer, which install command honours which lockfile, the exec-form CMD) is made here so
it can be unit-tested and stays deterministic.

Every value from the upload or the user reaches the Dockerfile validated and quoted: a value with a
control character (a newline would start a new instruction) is refused; exec-form arrays go through
the ``json`` filter, shell words through ``shlex.quote`` (the ``sh`` filter), COPY sources with
unusual characters in JSON form.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2

from justpush.analysis import ProjectProfile
from justpush.config import BuildSettings, RuntimeVersions
from justpush.errors import GenerationError

from ._runtime import RuntimeChoice, resolve_runtime
from ._scripts import resolve_build, resolve_start, script_reference
from ._tsconfig import TRANSPILE, fast_emit_build, with_skip_lib_check

# Paths inside the image; the runtime user owns nothing, so the app tree stays read-only for it.
APP_DIR = "/app"
VENV_DIR = "/opt/venv"
DEFAULT_USER_ID = 10001
# Helper files the image needs are generated into the build context under HELPERS (readable files a
# user can keep with the Dockerfile, not strings escaped into it); the Python ones go to HELPERS_DIR.
HELPERS = ".justpush"
HELPERS_DIR = "/opt/justpush"
RUN_SCRIPT = f"{HELPERS}/run-script.cjs"
# Named by the analysis's build command for a project started through babel-node (node/_start.py).
BABEL_BUILD = f"{HELPERS}/babel-build.cjs"
# The Node build stage whose image a TypeCheck runs on: the sources and all dependencies.
SOURCES_STAGE = "sources"
SLIM_VENV = "slim-venv.py"
RELINK_VENV = "relink-venv.py"

_PYTHON_REQUIREMENTS_PREFIX = "requirements"
_NODE_LOCKFILES = {
    "npm": ("package-lock.json", "npm-shrinkwrap.json"),
    "yarn": ("yarn.lock",),
    "pnpm": ("pnpm-lock.yaml",),
}
_JAVA_BUILD_TOOLS = {
    "maven": ("pom.xml",),
    "gradle": ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"),
}


@dataclass(frozen=True)
class DockerfileOptions:
    """Everything the generator needs besides the profile.

    ``base_images`` is the ``BuildSettings.base_images`` map (keys ``python``, ``python-runtime``,
    ``node``, ``node-runtime``, ``go``, ``go-runtime``, ``java``, ``java-runtime``, ``debian``,
    optionally ``maven``/``gradle`` for projects without a build-tool wrapper); an image may hold a
    ``{version}`` for the runtime version chosen from the project and ``runtimes`` (see ``_runtime``).
    """

    base_images: Mapping[str, str]
    upload_id: str
    runtimes: Mapping[str, RuntimeVersions] = field(default_factory=lambda: BuildSettings().runtimes)
    source_url: str = ""
    user_id: int = DEFAULT_USER_ID
    healthcheck: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    # package.json "scripts" of a Node project (prepare_dockerfile reads them): a start script is
    # resolved to exec form here; None = not read.
    package_scripts: Mapping[str, str] | None = None
    # tsconfig files (by name, at the app root) that leave skipLibCheck unset (prepare_dockerfile
    # reads them): a plain `tsc` build of one skips the declaration check (see _tsconfig).
    default_lib_check_tsconfigs: frozenset[str] = frozenset()
    # tsconfig files (by name, at the app root) whose JavaScript helpers/transpile.cjs may write
    # (prepare_dockerfile reads them): a plain `tsc` build of one leaves its type check to a step
    # beside the push (see _tsconfig).
    fast_emit_tsconfigs: frozenset[str] = frozenset()
    # (registry host, repository) under which JustPush pushes every deployment's image: an upload's
    # own Dockerfile may not build on one (lint rule pushed-image); None = not checked.
    pushed_to: tuple[str, str] | None = None


@dataclass(frozen=True)
class TypeCheck:
    """A check the build leaves out, to run on the image of one of its stages (`type_check_dockerfile`)
    while the image is pushed: a failure stops the deploy as a failed build would."""

    stage: str
    command: str


@dataclass(frozen=True)
class GeneratedDockerfile:
    dockerfile: str
    dockerignore: str
    # Helper files the Dockerfile COPYs, by path relative to the build context (under .justpush/).
    files: Mapping[str, str] = field(default_factory=dict)
    type_check: TypeCheck | None = None


# C0/C1 controls, DEL and the Unicode line/paragraph separators: any of them could end a Dockerfile line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# COPY sources that need no quoting; anything else uses COPY's JSON form.
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9._@+/-]+$")
# Profile fields whose values are written into the Dockerfile.
_PROFILE_FIELDS = (
    "app_dir",
    "package_manager",
    "lockfile",
    "dependency_files",
    "entrypoint",
    "start_command",
    "build_command",
)


def checked(value: str, field: str) -> str:
    """``value`` unless it holds a control character, which no generated file may contain."""
    if _CONTROL.search(value):
        raise GenerationError(
            f"{field} contains a control character ({value!r}); it cannot be written into a Dockerfile",
            details={"field": field},
        )
    return value


def _json_filter(argv: Sequence[str]) -> str:
    """An exec-form array (``CMD [...]``, ``RUN [...]``); JSON escapes every control character."""
    return json.dumps([str(arg) for arg in argv])


def _sh_filter(word: str) -> str:
    """One shell word, quoted when needed."""
    return shlex.quote(checked(str(word), "a shell word"))


@functools.cache
def default_environment() -> jinja2.Environment:
    """The Jinja environment over the packaged templates, made once so each template is compiled once
    per process; pass your own to override templates (the ``json`` and ``sh`` filters are added to it)."""
    return _with_filters(
        jinja2.Environment(
            loader=jinja2.PackageLoader("justpush.build", "templates"),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


def _with_filters(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["json"] = _json_filter
    env.filters["sh"] = _sh_filter
    return env


def _check_profile(profile: ProjectProfile) -> None:
    for name in _PROFILE_FIELDS:
        value = getattr(profile, name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str):
                checked(item, f"profile.{name}")


def render_dockerfile(
    profile: ProjectProfile,
    options: DockerfileOptions,
    environment: jinja2.Environment | None = None,
) -> GeneratedDockerfile:
    """Render a multi-stage Dockerfile and its .dockerignore for ``profile``."""
    env = _with_filters(environment) if environment is not None else default_environment()
    _check_profile(profile)
    for value in (options.upload_id, options.source_url, *options.labels.values()):
        checked(value, "a label")
    runtime = choose_runtime(profile, options)
    if runtime is not None:
        options = dataclasses.replace(options, base_images=runtime.images)
    family, context = _family_context(profile, options)
    context_dir(profile)
    common = _common_context(profile, options)
    files = context.pop("files", {})
    type_check = context.get("type_check")
    dockerfile = env.get_template(f"{family}.Dockerfile.j2").render(**common, **context)
    dockerignore = env.get_template("dockerignore.j2").render(patterns=_ignore_patterns(profile, family))
    return GeneratedDockerfile(dockerfile, dockerignore, files, type_check)


def type_check_dockerfile(
    check: TypeCheck, image_id: str, environment: jinja2.Environment | None = None
) -> str:
    """The Dockerfile that runs ``check`` on ``image_id``, the image its stage ended as."""
    env = _with_filters(environment) if environment is not None else default_environment()
    return env.get_template("type-check.Dockerfile.j2").render(image=image_id, command=check.command)


def helper_source(name: str) -> str:
    """The text of a packaged helper file (``helpers/``)."""
    return (resources.files("justpush.build") / "helpers" / name).read_text(encoding="utf-8")


def choose_runtime(profile: ProjectProfile, options: DockerfileOptions) -> RuntimeChoice | None:
    """The language version a generated image runs for ``profile`` and its base images; a
    GenerationError names a version the configured images cannot serve."""
    return resolve_runtime(profile, options.base_images, options.runtimes)


def _family_context(profile: ProjectProfile, options: DockerfileOptions) -> tuple[str, dict[str, Any]]:
    if profile.language == "python":
        return "python", _python_context(profile, options)
    if profile.language == "node":
        return "node", _node_context(profile, options)
    if profile.language == "go":
        return "go", _go_context(profile, options)
    if profile.language == "java":
        tool = _java_build_tool(profile)
        return f"java-{tool}", _java_context(profile, options, tool)
    raise GenerationError(f"no Dockerfile template for language {profile.language!r}")


def _common_context(profile: ProjectProfile, options: DockerfileOptions) -> dict[str, Any]:
    if not 1 <= profile.port <= 65535:
        raise GenerationError(f"port {profile.port} is out of range")
    if options.user_id <= 0:
        raise GenerationError("the runtime user must be non-root (user_id > 0)")
    labels = dict(options.labels)
    labels["org.opencontainers.image.revision"] = options.upload_id
    if options.source_url:
        labels["org.opencontainers.image.source"] = options.source_url
    return {
        "app_dir": APP_DIR,
        "port": profile.port,
        "user": f"{options.user_id}:{options.user_id}",
        "labels": " \\\n      ".join(f"{key}={json.dumps(labels[key])}" for key in sorted(labels)),
        "src": ".",
    }


def _image(options: DockerfileOptions, key: str) -> str:
    image = options.base_images.get(key)
    if not image:
        raise GenerationError(f"base image {key!r} is not configured")
    return image


def context_dir(profile: ProjectProfile) -> str:
    """The build context, relative to the upload root: the app directory (paths in the Dockerfile are
    relative to it, as they are in a Dockerfile the upload brings)."""
    app_dir = posixpath.normpath(profile.app_dir or ".")
    if app_dir.startswith("..") or app_dir.startswith("/"):
        raise GenerationError(f"app_dir {profile.app_dir!r} must stay inside the upload")
    return app_dir


def _dependency_files(profile: ProjectProfile) -> list[str]:
    files = set(profile.dependency_files)
    if profile.lockfile:
        files.add(profile.lockfile)
    for name in files:
        normalized = posixpath.normpath(name)
        if normalized.startswith("..") or normalized.startswith("/"):
            raise GenerationError(f"dependency file {name!r} must stay inside the app directory")
    return sorted(posixpath.normpath(name) for name in files)


def _copy_lines(profile: ProjectProfile, files: Sequence[str]) -> list[str]:
    """COPY instructions that keep each file's directory (a multi-source COPY would flatten them)."""
    by_dir: dict[str, list[str]] = {}
    for name in files:
        by_dir.setdefault(posixpath.dirname(name), []).append(name)
    lines = []
    for directory in sorted(by_dir):
        words = [*sorted(by_dir[directory]), f"./{directory}/" if directory else "./"]
        plain = all(_PLAIN_PATH.match(word) for word in words)
        lines.append(f"COPY {' '.join(words) if plain else _json_filter(words)}")
    return lines


def _healthcheck(options: DockerfileOptions, argv: Sequence[str]) -> list[str] | None:
    """The HEALTHCHECK's exec-form command (the template writes the instruction)."""
    return list(argv) if options.healthcheck else None


# -- python -------------------------------------------------------------------------------------


def _python_context(profile: ProjectProfile, options: DockerfileOptions) -> dict[str, Any]:
    deps = _dependency_files(profile)
    manager = (profile.package_manager or "pip").lower()
    tools: list[str] = []
    install: list[str] = []
    install_after_source: list[str] = []
    requirement_files: list[str] = []
    pip = "pip install --no-cache-dir"
    if manager in ("poetry", "pipenv", "uv"):
        # Export the lock into a requirements file with a throw-away tool venv, so only the app's
        # runtime dependencies reach /opt/venv.
        exporters = {
            "poetry": (
                "poetry poetry-plugin-export",
                "poetry export --only main --without-hashes -f requirements.txt -o /tmp/requirements.txt",
            ),
            "pipenv": ("pipenv", "pipenv requirements > /tmp/requirements.txt"),
            "uv": (
                "uv",
                "uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt",
            ),
        }
        packages, export = exporters[manager]
        tools.append(f"python3 -m venv /opt/tools && /opt/tools/bin/{pip} {packages}")
        install.append(f"/opt/tools/bin/{export} && {pip} -r /tmp/requirements.txt")
        requirement_files.append("/tmp/requirements.txt")
    else:
        requirements = [
            name for name in deps if posixpath.basename(name).startswith(_PYTHON_REQUIREMENTS_PREFIX)
        ]
        constraints = [name for name in deps if posixpath.basename(name).startswith("constraints")]
        constraint_args = "".join(f" -c {shlex.quote(name)}" for name in constraints)
        # Prefer the lock-like file: requirements.txt over requirements-dev.txt and friends.
        main = [name for name in requirements if posixpath.basename(name) == "requirements.txt"]
        requirement_files.extend(main or requirements[:1])
        for name in main or requirements[:1]:
            install.append(f"{pip} -r {shlex.quote(name)}{constraint_args}")
        if not requirements and any(posixpath.basename(n) in ("pyproject.toml", "setup.py") for n in deps):
            # No lock or requirements: the project installs itself, which needs its source.
            install_after_source.append(f"{pip} .")
    if profile.server_packages:
        servers = " ".join(shlex.quote(spec) for spec in profile.server_packages)
        (install_after_source or install).append(f"{pip} {servers}")
    # The installers and the dependencies' test suites are only needed to install; they stay out
    # of the runtime venv (.justpush/slim-venv.py says what goes and what stays).
    last = install_after_source or install
    if last:
        # An installer the requirements name explicitly stays.
        listed = "".join(f" {shlex.quote(name)}" for name in requirement_files)
        last[-1] += f" && python {HELPERS_DIR}/{SLIM_VENV}{listed}"
    build_commands = [" ".join(profile.build_command)] if profile.build_command else []
    start = list(profile.start_command)
    if not start:
        if not profile.entrypoint:
            raise GenerationError("python project has neither a start command nor an entrypoint")
        start = ["python", profile.entrypoint]
    check = [
        "python",
        "-c",
        f"import socket; socket.create_connection(('127.0.0.1', {profile.port}), 3).close()",
    ]
    build_packages = sorted({pkg for dep in profile.native_dependencies for pkg in _NATIVE_PYTHON[dep][0]})
    runtime_packages = sorted({pkg for dep in profile.native_dependencies for pkg in _NATIVE_PYTHON[dep][1]})
    return {
        "build_image": _image(options, "python"),
        "runtime_image": _image(options, "python-runtime"),
        "build_packages": _apt_install(build_packages, python_headers=True) if build_packages else "",
        "runtime_packages": _apt_install(runtime_packages) if runtime_packages else "",
        "venv": VENV_DIR,
        "venv_options": "" if last else " --without-pip",
        "tools": tools,
        "dependency_copies": _copy_lines(profile, deps),
        "install": install,
        "install_after_source": install_after_source,
        "build_commands": build_commands,
        # Only a project that installs itself or has a build step needs its source in the build stage.
        "source_in_build": bool(install_after_source or build_commands),
        "helpers_dir": HELPERS_DIR,
        "slim_venv": SLIM_VENV if last else "",
        "relink_venv": ["python3", f"{HELPERS_DIR}/{RELINK_VENV}", VENV_DIR],
        "compile": ["python", "-m", "compileall", "-q", "."],
        "cmd": start,
        "healthcheck": _healthcheck(options, check),
        "files": {
            f"{HELPERS}/{name}": helper_source(name)
            for name in ((SLIM_VENV,) if last else ()) + (RELINK_VENV,)
        },
    }


# Debian packages a native dependency needs: (to compile it in the build stage, to load it at run time).
_NATIVE_PYTHON: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "psycopg2": (("gcc", "libc6-dev", "libpq-dev"), ("libpq5",)),
    "mysqlclient": (("gcc", "libc6-dev", "pkg-config", "default-libmysqlclient-dev"), ("libmariadb3",)),
}
# Official python images ship Python.h; Debian's python3 needs python3-dev for it.
_PYTHON_HEADERS = (
    '{ [ -f "$(python3 -c \'import sysconfig; print(sysconfig.get_paths()["include"])\')/Python.h" ]'
    " || apt-get install -y --no-install-recommends python3-dev; }"
)


def _apt_install(packages: Sequence[str], *, python_headers: bool = False) -> str:
    steps = ["apt-get update", f"apt-get install -y --no-install-recommends {' '.join(packages)}"]
    if python_headers:
        steps.append(_PYTHON_HEADERS)
    return " && ".join([*steps, "rm -rf /var/lib/apt/lists/*"])


# -- node ---------------------------------------------------------------------------------------


_NODE_GYP_TOOLCHAIN = ("g++", "make", "python3")


def _node_install(frozen: str, unfrozen: str, lockfile: str | None, *flags: str) -> str:
    """The dependency install: from the lockfile when there is one, retried without it if that fails.
    A lockfile that no longer matches package.json (written by an older npm, edited by hand) fails a
    frozen install; the project then installs as its developers install it, and the log says why."""
    words = " ".join([*flags, "--ignore-scripts"])
    if lockfile is None:
        return f"{unfrozen} {words}"
    note = f"justpush: the install from {lockfile} failed (out of sync with package.json?); "
    note += "installing without it"
    return f"{{ {frozen} {words} \\\n    || {{ echo {shlex.quote(note)} >&2; {unfrozen} {words}; }}; }} \\\n"


def _node_context(profile: ProjectProfile, options: DockerfileOptions) -> dict[str, Any]:
    deps = _dependency_files(profile)
    if "package.json" not in deps:
        deps = sorted({*deps, "package.json"})
    manager = (profile.package_manager or "npm").lower()
    if manager not in _NODE_LOCKFILES:
        raise GenerationError(f"unsupported node package manager {manager!r}")
    lockfile = next(
        (name for name in map(posixpath.basename, deps) if name in _NODE_LOCKFILES[manager]), None
    )
    setup: list[str] = []
    if profile.native_dependencies:
        # node-gyp's toolchain (slim images have no compiler): the addons build in the dependency stage
        # and the runtime stage takes only their compiled output.
        setup.append(_apt_install(_NODE_GYP_TOOLCHAIN))
    clean = ""
    if manager == "npm":
        frozen, unfrozen, production_flag = "npm ci", "npm install", "--omit=dev"
        frozen, unfrozen = f"{frozen} --no-audit --no-fund", f"{unfrozen} --no-audit --no-fund"
    elif manager == "yarn":
        # Yarn 1 fails on a dependency's `engines` that npm only warns about (an old elastic-apm-node
        # pinned to Node 14); the runtime version already follows the project's own `engines`.
        unfrozen, production_flag = "yarn install --non-interactive --ignore-engines", "--production"
        frozen = unfrozen.replace("install", "install --frozen-lockfile", 1)
    else:
        # Corepack brings pnpm where the image has it (Node.js's own images up to 24); elsewhere (a
        # distribution's node, Node.js 25+) npm installs the version the project asks for.
        version = profile.package_manager_version or "latest"
        setup.append(
            "if command -v corepack >/dev/null; then corepack enable; "
            "else npm install -g --no-audit --no-fund "
            f"{shlex.quote('pnpm@' + checked(version, 'package_manager_version'))}; fi"
        )
        frozen, unfrozen, production_flag = "pnpm install --frozen-lockfile", "pnpm install", "--prod"
        # Without a TTY pnpm refuses to replace a --prod node_modules with a full one.
        clean = "rm -rf node_modules && "
    # The project's own install hooks (`prepare: husky install`, a postinstall that needs the source)
    # would run before the source is copied, with dev tools missing: scripts are skipped, then the
    # dependencies' own install scripts (native addons) run with `rebuild`.
    rebuild = "pnpm rebuild" if manager == "pnpm" else "npm rebuild"
    production = f"{_node_install(frozen, unfrozen, lockfile, production_flag)} && {rebuild}"
    build_install = f"{clean}{_node_install(frozen, unfrozen, lockfile)} && {rebuild}"
    scripts = options.package_scripts
    build_commands = [" ".join(profile.build_command)] if profile.build_command else []
    if profile.typescript and not build_commands:
        # Without a build script, tsc compiles the project by its tsconfig.json.
        has_build = scripts is None or "build" in scripts
        build_commands = [f"{manager} run build" if has_build else "./node_modules/.bin/tsc"]
    if len(build_commands) == 1 and scripts is not None:
        build_commands = [resolve_build(scripts, build_commands[0].split()) or build_commands[0]]
    skip_lib_check = None
    files: dict[str, str] = {}
    type_check = None
    if len(build_commands) == 1:
        skip_lib_check = with_skip_lib_check(build_commands[0], options.default_lib_check_tsconfigs)
        build_commands = [skip_lib_check or build_commands[0]]
        fast_emit = fast_emit_build(build_commands[0], options.fast_emit_tsconfigs)
        if fast_emit is not None:
            build_commands = [fast_emit[0]]
            type_check = TypeCheck(stage=SOURCES_STAGE, command=fast_emit[1])
            files[TRANSPILE] = helper_source("transpile.cjs")
    if any(BABEL_BUILD in command for command in build_commands):
        files[BABEL_BUILD] = helper_source(posixpath.basename(BABEL_BUILD))
    start = list(profile.start_command)
    if not start:
        start = ["node", profile.entrypoint] if profile.entrypoint else ["npm", "start"]
    reference = script_reference(start)
    if reference is not None:
        name, extra = reference
        if scripts is None:
            raise GenerationError(
                f"the start command {shlex.join(start)!r} runs a package.json script: "
                "DockerfileOptions.package_scripts must hold the project's scripts"
            )
        resolved = resolve_start(scripts, name, extra)
        if resolved is None:
            # The runtime image need not have npm/yarn/pnpm (a slim one has only node).
            files[RUN_SCRIPT] = helper_source("run-script.cjs")
            resolved = ["node", f"{APP_DIR}/{RUN_SCRIPT}", name, *extra]
        start = resolved
    runtime_checks: list[list[str]] = []
    script = next((arg for arg in start[1:] if not arg.startswith("-")), "") if start[0] == "node" else ""
    if script.endswith((".js", ".cjs")) and not build_commands and not files:
        runtime_checks.append(["node", "--check", script])
    check = [
        "node",
        "-e",
        f"require('net').connect({profile.port}, '127.0.0.1')"
        ".on('connect', () => process.exit(0)).on('error', () => process.exit(1))",
    ]
    return {
        "build_image": _image(options, "node"),
        "runtime_image": _image(options, "node-runtime"),
        "setup": setup,
        "dependency_copies": _copy_lines(profile, deps),
        "install_production": production,
        "install_build": build_install,
        "build_commands": build_commands,
        "skip_lib_check": skip_lib_check is not None,
        "type_check": type_check,
        "sources_stage": SOURCES_STAGE,
        "build_leftovers": [name for name in (TRANSPILE, BABEL_BUILD) if name in files],
        "keep_build_dependencies": list(profile.runtime_dev_dependencies) if build_commands else [],
        "runtime_checks": runtime_checks,
        "cmd": start,
        "healthcheck": _healthcheck(options, check),
        "files": files,
    }


# -- go -----------------------------------------------------------------------------------------


def _go_context(profile: ProjectProfile, options: DockerfileOptions) -> dict[str, Any]:
    deps = [name for name in _dependency_files(profile) if posixpath.basename(name) in ("go.mod", "go.sum")]
    if "go.mod" not in deps:
        deps = sorted({*deps, "go.mod"})
    package = "."
    if profile.entrypoint:
        entry = posixpath.normpath(profile.entrypoint)
        directory = posixpath.dirname(entry) if entry.endswith(".go") else entry
        package = f"./{directory}" if directory not in ("", ".") else "."
    binary = f"{APP_DIR}/server"
    # The first word of a Go start command names the binary we build; its arguments are kept.
    args = list(profile.start_command[1:])
    return {
        "build_image": _image(options, "go"),
        "runtime_image": _image(options, "go-runtime"),
        "dependency_copies": _copy_lines(profile, deps),
        # Nothing to download without go.sum; vendored modules build offline.
        "download": "go.sum" in deps and "vendor/modules.txt" not in profile.dependency_files,
        "package": package,
        "binary": binary,
        "cmd": [binary, *args],
    }


# -- java ---------------------------------------------------------------------------------------


def _java_build_tool(profile: ProjectProfile) -> str:
    manager = (profile.package_manager or "").lower()
    if manager in _JAVA_BUILD_TOOLS:
        return manager
    names = {posixpath.basename(name) for name in profile.dependency_files}
    for tool, manifests in _JAVA_BUILD_TOOLS.items():
        if names.intersection(manifests):
            return tool
    return "jdk"


_HEALTHCHECK_JAVA = (
    "public class HealthCheck { public static void main(String[] a) throws Exception {"
    ' new java.net.Socket("127.0.0.1", Integer.parseInt(a[0])).close(); } }'
)


def _java_context(profile: ProjectProfile, options: DockerfileOptions, tool: str) -> dict[str, Any]:
    deps = _dependency_files(profile)
    names = {posixpath.basename(name) for name in deps}
    wrapper = {"maven": "mvnw", "gradle": "gradlew"}.get(tool)
    uses_wrapper = wrapper in names if wrapper else False
    command = f"./{wrapper}" if uses_wrapper else {"maven": "mvn", "gradle": "gradle"}.get(tool, "")
    build_image = _image(options, "java")
    if tool in ("maven", "gradle") and not uses_wrapper:
        # Without a wrapper the build tool must come from its own image.
        build_image = options.base_images.get(tool) or build_image
    main_source = ""
    if tool == "jdk":
        main_source = posixpath.normpath(profile.entrypoint or "Main.java")
        if not main_source.endswith(".java"):
            raise GenerationError(f"java entrypoint {profile.entrypoint!r} is not a .java file")
    jvm = ["java", "-XX:MaxRAMPercentage=75", "-jar", f"{APP_DIR}/app.jar"]
    start = list(profile.start_command)
    # Arguments after `-jar <file>` in the detected command are kept; the jar itself is ours.
    if "-jar" in start and start.index("-jar") + 2 <= len(start):
        jvm += start[start.index("-jar") + 2 :]
    check = ["java", "-cp", "/opt/justpush", "HealthCheck", str(profile.port)]
    return {
        "module": _java_module(profile, deps),
        "build_image": build_image,
        "runtime_image": _image(options, "java-runtime"),
        "tool": tool,
        "wrapper": command,
        "dependency_copies": _copy_lines(profile, deps),
        "main_source": main_source,
        "healthcheck_source": json.dumps(_HEALTHCHECK_JAVA) if options.healthcheck else "",
        "cmd": jvm,
        "healthcheck": _healthcheck(options, check),
    }


def _java_module(profile: ProjectProfile, deps: Sequence[str]) -> str:
    """The module of a multi-module build that holds the app's main class ("" for a single module)."""
    entrypoint = posixpath.normpath(profile.entrypoint or "")
    module = entrypoint.split("/src/", 1)[0] if "/src/" in entrypoint else ""
    builds = {f"{module}/{name}" for name in ("pom.xml", "build.gradle", "build.gradle.kts")}
    if not module or not builds.intersection(deps):
        return ""
    if not _PLAIN_PATH.match(module) or module.startswith(("..", "/")):
        raise GenerationError(f"java module folder {module!r} is not a plain relative path")
    return module


# -- .dockerignore ------------------------------------------------------------------------------

_IGNORE_COMMON = (
    "**/.DS_Store",
    "**/*.log",
    ".dockerignore",
    ".env",
    ".env.*",
    ".git",
    ".gitignore",
    ".hg",
    ".idea",
    ".svn",
    ".vscode",
    "Dockerfile",
    "Dockerfile.*",
    "docker-compose*.yml",
)
_IGNORE_FAMILY = {
    "python": (
        "**/*.py[cod]",
        "**/__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".venv",
        "venv",
    ),
    "node": (".npm", "coverage", "node_modules", "npm-debug.log*"),
    "go": ("bin", "vendor/**/*_test.go"),
    "java-jdk": ("**/*.class", "out"),
    "java-maven": ("**/*.class", "**/target"),
    "java-gradle": ("**/*.class", "**/.gradle", "**/build"),
}


def _ignore_patterns(profile: ProjectProfile, family: str) -> list[str]:
    patterns = set(_IGNORE_COMMON) | set(_IGNORE_FAMILY.get(family, ()))
    if family == "node" and (profile.build_command or profile.typescript):
        # Build output is produced in the image; a committed copy would only shadow it.
        patterns.add("dist")
    # A dependency file must never be ignored by a broad pattern, or the dependency layer breaks.
    keep = sorted(f"!{name}" for name in _dependency_files(profile))
    return [*sorted(patterns), *keep]
