"""--skipLibCheck for a plain tsc build: which tsconfigs leave it unset, and the command it changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from justpush.analysis import ProjectProfile
from justpush.build import DockerfileOptions, prepare_dockerfile, render_dockerfile
from justpush.build._tsconfig import (
    default_lib_check_tsconfigs,
    fast_emit_build,
    fast_emit_tsconfigs,
    with_skip_lib_check,
)

TSC = "./node_modules/.bin/tsc"
COMMENT = "# --skipLibCheck: the .d.ts files are most of tsc's time and change no JavaScript"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"tsconfig.json": '{"compilerOptions": {"strict": true}}'}, {"tsconfig.json"}),
        # tsc's JSON: comments and trailing commas.
        ({"tsconfig.json": '{\n  // c\n  "compilerOptions": {"strict": true,},\n}'}, {"tsconfig.json"}),
        ({"tsconfig.json": '{"compilerOptions": {"skipLibCheck": true}}'}, set()),
        # An explicit false is the project's choice: the full check stays.
        ({"tsconfig.json": '{"compilerOptions": {"skipLibCheck": false}}'}, set()),
        (
            {
                "tsconfig.json": '{"extends": "./tsconfig.base", "compilerOptions": {}}',
                "tsconfig.base.json": '{"compilerOptions": {"skipLibCheck": false}}',
            },
            set(),
        ),
        (
            {
                "tsconfig.build.json": '{"extends": ["./configs/a.json", "./configs/b"]}',
                "configs/a.json": "{}",
                "configs/b.json": '{"compilerOptions": {"outDir": "dist"}}',
            },
            {"tsconfig.build.json"},
        ),
        # A package's config is not installed when the Dockerfile is generated: unknown, left alone.
        ({"tsconfig.json": '{"extends": "@tsconfig/node18/tsconfig.json"}'}, set()),
        ({"tsconfig.json": '{"extends": "./missing.json"}'}, set()),
        ({"tsconfig.json": "{not json"}, set()),
        ({"tsconfig.json": "[]"}, set()),
        # skipLibCheck skips the project's own declaration files too: they keep the full check.
        ({"tsconfig.json": "{}", "src/types/env.d.ts": "declare const x: number;"}, set()),
        ({"tsconfig.json": "{}", "node_modules/a/index.d.ts": "export {};"}, {"tsconfig.json"}),
        ({"jsconfig.json": "{}"}, set()),
    ],
)
def test_tsconfigs_that_leave_skip_lib_check_unset(
    tmp_path: Path, files: dict[str, str], expected: set[str]
) -> None:
    assert default_lib_check_tsconfigs(_write(tmp_path, files)) == expected


def test_an_extends_that_leaves_the_project_is_not_followed(tmp_path: Path) -> None:
    _write(tmp_path, {"base.json": "{}", "app/tsconfig.json": '{"extends": "../base.json"}'})
    assert default_lib_check_tsconfigs(tmp_path / "app") == set()


def test_a_symlinked_tsconfig_is_not_read(tmp_path: Path) -> None:
    _write(tmp_path, {"outside/tsconfig.json": "{}", "app/src/a.ts": ""})
    (tmp_path / "app" / "tsconfig.json").symlink_to(tmp_path / "outside" / "tsconfig.json")
    assert default_lib_check_tsconfigs(tmp_path / "app") == set()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (TSC, f"{TSC} --skipLibCheck"),
        (f"{TSC} -p tsconfig.json", f"{TSC} -p tsconfig.json --skipLibCheck"),
        (f"{TSC} --project ./tsconfig.build.json", f"{TSC} --project ./tsconfig.build.json --skipLibCheck"),
        (f"{TSC} -p .", f"{TSC} -p . --skipLibCheck"),
        # Not one of the tsconfigs that leave it unset.
        (f"{TSC} -p tsconfig.lib.json", None),
        (f"{TSC} -p src", None),
        # Already chosen on the command line, either way.
        (f"{TSC} --skipLibCheck false", None),
        # A project-references build takes no compiler options; files named on the command line
        # compile without the tsconfig.
        (f"{TSC} -b", None),
        (f"{TSC} --build tsconfig.json", None),
        (f"{TSC} src/main.ts", None),
        ("npm run build", None),
        ("node build.js", None),
    ],
)
def test_the_flag_goes_on_a_plain_tsc_of_such_a_tsconfig(command: str, expected: str | None) -> None:
    assert with_skip_lib_check(command, {"tsconfig.json", "tsconfig.build.json"}) == expected


def _typescript_profile() -> ProjectProfile:
    return ProjectProfile(
        language="node",
        package_manager="npm",
        dependency_files=("package.json",),
        start_command=("node", "dist/main.js"),
        port=3000,
        typescript=True,
    )


@pytest.mark.parametrize(
    ("script", "tsconfigs", "run"),
    [
        ("tsc", frozenset({"tsconfig.json"}), f"RUN {TSC} --skipLibCheck && rm -rf node_modules"),
        ("tsc", frozenset(), f"RUN {TSC} && rm -rf node_modules"),
        ("tsc && cp a dist/", frozenset({"tsconfig.json"}), "RUN npm run build && rm -rf node_modules"),
    ],
)
def test_the_dockerfile_says_why_it_skips_the_lib_check(
    options: DockerfileOptions, script: str, tsconfigs: frozenset[str], run: str
) -> None:
    options = dataclasses.replace(
        options, package_scripts={"build": script}, default_lib_check_tsconfigs=tsconfigs
    )
    lines = render_dockerfile(_typescript_profile(), options).dockerfile.splitlines()
    assert run in lines
    commented = lines[lines.index(run) - 1].startswith(COMMENT)
    assert commented is ("--skipLibCheck" in run)


@pytest.mark.parametrize(("setting", "skips"), [("", True), (', "skipLibCheck": false', False)])
def test_prepare_dockerfile_reads_the_projects_tsconfig(
    tmp_path: Path, options: DockerfileOptions, setting: str, skips: bool
) -> None:
    _write(
        tmp_path,
        {
            "package.json": '{"scripts": {"build": "tsc -p tsconfig.json"}}',
            "tsconfig.json": '{"compilerOptions": {"outDir": "dist"' + setting + "}}",
            "src/main.ts": "export const a: number = 1;\n",
        },
    )
    dockerfile = prepare_dockerfile(tmp_path, _typescript_profile(), options).dockerfile
    # The helper builds it (a plain tsc of a tsconfig it may emit), with tsc's own arguments.
    assert (f"RUN {TRANSPILE} -p tsconfig.json --skipLibCheck && rm -rf node_modules" in dockerfile) is skips
    assert ("--skipLibCheck: the .d.ts files are most of tsc's time" in dockerfile) is skips


# -- the emit without the type check ---------------------------------------------------------------

TRANSPILE = "node .justpush/transpile.cjs"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"tsconfig.json": '{"compilerOptions": {"isolatedModules": true}}'}, {"tsconfig.json"}),
        ({"tsconfig.json": '{"compilerOptions": {"verbatimModuleSyntax": true}}'}, {"tsconfig.json"}),
        # Without isolatedModules the helper emits from the project's own files (its scan decides).
        ({"tsconfig.json": '{"compilerOptions": {"strict": true}}'}, {"tsconfig.json"}),
        ({"tsconfig.json": '{"compilerOptions": {"isolatedModules": false}}'}, {"tsconfig.json"}),
        # Through the project's own extends chain; the file's own value wins over its parent's.
        (
            {
                "tsconfig.json": '{"extends": "./tsconfig.base", "compilerOptions": {}}',
                "tsconfig.base.json": '{"compilerOptions": {"outFile": "a.js"}}',
            },
            set(),
        ),
        (
            {
                "tsconfig.json": '{"extends": "./tsconfig.base", "compilerOptions": {"outFile": null}}',
                "tsconfig.base.json": '{"compilerOptions": {"outFile": "a.js"}}',
            },
            {"tsconfig.json"},
        ),
        # A later entry of an extends list overrides an earlier one.
        (
            {
                "tsconfig.json": '{"extends": ["./a.json", "./b.json"]}',
                "a.json": '{"compilerOptions": {"composite": false}}',
                "b.json": '{"compilerOptions": {"composite": true}}',
            },
            set(),
        ),
        # A package's config is not installed yet: left to the helper, which reads it resolved.
        ({"tsconfig.json": '{"extends": "@tsconfig/node18/tsconfig.json"}'}, {"tsconfig.json"}),
        # What the helper would leave to tsc anyway: each file's format from its package.json, one
        # output file, a composite project, decorator metadata, no emit.
        (
            {"tsconfig.json": '{"compilerOptions": {"isolatedModules": true, "module": "NodeNext"}}'},
            set(),
        ),
        (
            {"tsconfig.json": '{"compilerOptions": {"module": "ES2022"}}'},
            {"tsconfig.json"},
        ),
        ({"tsconfig.json": '{"compilerOptions": {"outFile": "a.js"}}'}, set()),
        ({"tsconfig.json": '{"compilerOptions": {"composite": true}}'}, set()),
        ({"tsconfig.json": '{"compilerOptions": {"emitDecoratorMetadata": 1}}'}, set()),
        ({"tsconfig.json": '{"compilerOptions": {"noEmit": false}}'}, {"tsconfig.json"}),
        (
            {
                "tsconfig.json": '{"extends": "./base", "compilerOptions": {"isolatedModules": true}}',
                "base.json": '{"compilerOptions": {"noEmit": true}}',
            },
            set(),
        ),
        ({"tsconfig.json": "not json"}, set()),
    ],
)
def test_tsconfigs_the_helper_may_emit(tmp_path: Path, files: dict[str, str], expected: set[str]) -> None:

    assert fast_emit_tsconfigs(_write(tmp_path, files)) == expected


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            f"{TSC} -p tsconfig.json --skipLibCheck",
            (
                f"{TRANSPILE} -p tsconfig.json --skipLibCheck",
                f"{TRANSPILE} --check -p tsconfig.json --skipLibCheck",
            ),
        ),
        (TSC, (TRANSPILE, f"{TRANSPILE} --check")),
        (f"{TSC} -p other.json", None),
        (f"{TSC} --build", None),
        (f"{TSC} src/main.ts", None),
        ("npm run build", None),
    ],
)
def test_a_plain_tsc_of_such_a_tsconfig_is_left_to_the_helper(
    command: str, expected: tuple[str, str] | None
) -> None:

    assert fast_emit_build(command, frozenset({"tsconfig.json"})) == expected


def test_the_dockerfile_leaves_the_type_check_to_a_step_beside_the_push(options: DockerfileOptions) -> None:
    options = dataclasses.replace(
        options,
        package_scripts={"build": "tsc -p tsconfig.json"},
        default_lib_check_tsconfigs=frozenset({"tsconfig.json"}),
        fast_emit_tsconfigs=frozenset({"tsconfig.json"}),
    )
    generated = render_dockerfile(_typescript_profile(), options)
    lines = generated.dockerfile.splitlines()
    assert generated.type_check is not None
    assert generated.type_check.stage == "sources"
    assert generated.type_check.command == f"{TRANSPILE} --check -p tsconfig.json --skipLibCheck"
    assert generated.files[".justpush/transpile.cjs"].startswith("'use strict';")
    # The stage the check runs on ends with the sources and all dependencies; the emit and the
    # removal of the development dependencies are one step of the stage the runtime copies.
    stages = [line for line in lines if line.startswith("FROM ")]
    assert stages[1:3] == ["FROM deps AS sources", "FROM sources AS build"]
    assert lines[lines.index("FROM deps AS sources") + 2] == "COPY . ."
    emit = f"RUN {TRANSPILE} -p tsconfig.json --skipLibCheck && rm -rf node_modules .justpush/transpile.cjs"
    assert lines.index("FROM sources AS build") < lines.index(emit)
    assert "COPY --from=build /app /app" in lines
    assert f"#   {generated.type_check.command}" in lines  # the comment names it


def test_with_a_whole_program_tsconfig_tsc_builds_and_checks_as_before(options: DockerfileOptions) -> None:
    options = dataclasses.replace(options, package_scripts={"build": "tsc"}, fast_emit_tsconfigs=frozenset())
    generated = render_dockerfile(_typescript_profile(), options)
    assert generated.type_check is None
    assert f"RUN {TSC} && rm -rf node_modules" in generated.dockerfile.splitlines()
    assert "AS sources" not in generated.dockerfile
    assert not generated.files


def test_prepare_dockerfile_reads_the_tsconfigs(tmp_path: Path, options: DockerfileOptions) -> None:
    _write(
        tmp_path,
        {
            "package.json": '{"scripts": {"build": "tsc"}}',
            "tsconfig.json": '{"compilerOptions": {"outDir": "dist"}}',
            "src/main.ts": "export const a: number = 1;\n",
        },
    )
    prepared = prepare_dockerfile(tmp_path, _typescript_profile(), options)
    assert prepared.type_check is not None
    assert f"RUN {TRANSPILE} --skipLibCheck" in prepared.dockerfile
