"""Start scripts that need development tools at run time become a build-stage build plus `node <output>`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import detect
from justpush.analysis.node._start import BuiltStart, built_start


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def package(
    scripts: dict[str, str], dev: tuple[str, ...] = (), deps: tuple[str, ...] = ()
) -> dict[str, object]:
    return {
        "name": "app",
        "scripts": scripts,
        "dependencies": {name: "*" for name in deps},
        "devDependencies": {name: "*" for name in dev},
    }


NEST_DEV = ("@nestjs/cli", "typescript")


def test_nest_template_uses_its_start_prod_script(tmp_path: Path) -> None:
    scripts = {"build": "nest build", "start": "nest start", "start:prod": "node dist/main"}
    built = built_start(tmp_path, package(scripts, NEST_DEV, ("@nestjs/core",)), "npm")
    assert built == BuiltStart(("node", "dist/main"), "npm run build", built.note if built else "")


def test_nest_entry_file_and_out_dir_from_its_configs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "nest-cli.json": '{"sourceRoot": "src", "entryFile": "server"}',
            # tsconfig allows comments and trailing commas.
            "tsconfig.json": '{\n  // output\n  "compilerOptions": {"outDir": "./build", /* x */},\n}\n',
        },
    )
    built = built_start(tmp_path, package({"start": "nest start --watch"}, NEST_DEV), "yarn")
    assert built is not None
    assert (built.start, built.build) == (("node", "build/server.js"), "./node_modules/.bin/nest build")
    with_build = built_start(
        tmp_path, package({"start": "nest start", "build": "nest build"}, NEST_DEV), "yarn"
    )
    assert with_build is not None and with_build.build == "yarn run build"


@pytest.mark.parametrize(
    ("files", "output"),
    [
        ({"tsconfig.json": '{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}'}, "dist/main.js"),
        # No rootDir: tsc's common folder of the sources (spec files do not count).
        ({"tsconfig.json": '{"compilerOptions": {"outDir": "dist"}}', "src/x.spec.ts": ""}, "dist/main.js"),
        (
            {"tsconfig.json": '{"compilerOptions": {"outDir": "dist"}}', "scripts/seed.ts": ""},
            "dist/src/main.js",
        ),
        # outDir inherited through `extends`.
        (
            {
                "tsconfig.base.json": '{"compilerOptions": {"outDir": "out"}}',
                "tsconfig.json": '{"extends": "./tsconfig.base", "compilerOptions": {"rootDir": "src"}}',
            },
            "out/main.js",
        ),
    ],
)
def test_ts_node_source_maps_to_the_compiled_file(tmp_path: Path, files: dict[str, str], output: str) -> None:
    write(tmp_path, {"src/main.ts": "", "src/routes/a.ts": "", **files})
    built = built_start(tmp_path, package({"start": "ts-node src/main.ts"}, ("ts-node", "typescript")), "npm")
    assert built is not None
    assert (built.start, built.build) == (("node", output), "./node_modules/.bin/tsc")


@pytest.mark.parametrize(
    ("scripts", "start", "build"),
    [
        (
            {"build": "tsc", "start": "npm run build && node dist/main.js"},
            ("node", "dist/main.js"),
            "npm run build",
        ),
        (
            {"start": "tsc -p . && node dist/index.js"},
            ("node", "dist/index.js"),
            "./node_modules/.bin/tsc -p .",
        ),
        # `npm run` chains are followed; env assignments and cross-env dropped.
        (
            {
                "start": "npm run serve",
                "serve": "cross-env NODE_ENV=production tsx src/index.ts",
                "build": "tsc",
            },
            ("node", "dist/index.js"),
            "npm run build",
        ),
        ({"start": "vite-node src/index.ts", "build": "tsc"}, ("node", "dist/index.js"), "npm run build"),
        ({"start": "nodemon server.js"}, ("node", "server.js"), ""),
    ],
)
def test_script_shapes(tmp_path: Path, scripts: dict[str, str], start: tuple[str, ...], build: str) -> None:
    write(tmp_path, {"tsconfig.json": '{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}'})
    built = built_start(tmp_path, package(scripts, ("typescript", "tsx", "vite-node", "nodemon")), "npm")
    assert built is not None
    assert (built.start, built.build) == (start, build)


def test_nx_serve_uses_the_build_targets_output(tmp_path: Path) -> None:
    project = {
        "targets": {"build": {"options": {"outputPath": "dist/apps/api", "main": "apps/api/src/main.ts"}}}
    }
    write(tmp_path, {"apps/api/project.json": json.dumps(project)})
    built = built_start(tmp_path, package({"start": "nx serve api"}, ("nx",)), "npm")
    assert built is not None
    assert (built.start, built.build) == (
        ("node", "dist/apps/api/main.js"),
        "./node_modules/.bin/nx build api",
    )


@pytest.mark.parametrize(
    ("scripts", "deps"),
    [
        ({"start": "node server.js"}, ()),  # plain node needs nothing
        ({"start": "ts-node src/main.ts"}, ("ts-node", "typescript")),  # a production dependency: it is there
        ({"start": "next start"}, ()),  # not a CLI this knows to replace
        ({"start": "ts-node src/main.ts"}, ()),  # nothing that could compile it
    ],
)
def test_left_alone(tmp_path: Path, scripts: dict[str, str], deps: tuple[str, ...]) -> None:
    assert built_start(tmp_path, package(scripts, (), deps), "npm") is None


def test_detect_replaces_the_start_and_says_so(tmp_path: Path) -> None:
    scripts = {"build": "nest build", "start": "nest start"}
    write(
        tmp_path,
        {
            "package.json": json.dumps(package(scripts, NEST_DEV, ("@nestjs/core",)), indent=2),
            "tsconfig.json": '{"compilerOptions": {"outDir": "./dist"}}',
            "src/main.ts": "",
        },
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert profile.start_command == ("node", "dist/main.js")
    assert profile.build_command == ("npm", "run", "build")
    assert "nest" in profile.evidence["start_command"][0].note
    assert any("needs development tools at run time" in w and "node dist/main.js" in w for w in warnings)


def test_tsconfig_extends_outside_the_upload_is_not_read(tmp_path: Path) -> None:
    app = tmp_path / "app"
    write(tmp_path, {"tsconfig.outside.json": '{"compilerOptions": {"outDir": "leaked"}}'})
    write(app, {"src/main.ts": "", "tsconfig.json": '{"extends": "../tsconfig.outside.json"}'})
    built = built_start(app, package({"start": "ts-node src/main.ts"}, ("ts-node", "typescript")), "npm")
    assert built is not None and built.start == ("node", "main.js")


def test_without_a_start_script_start_prod_starts_the_build(tmp_path: Path) -> None:
    scripts = {"build": "tsup", "start:dev": "tsx watch src/index.ts", "start:prod": "node dist/index.js"}
    project = {**package(scripts, ("tsup", "tsx", "typescript")), "main": "index.ts"}
    write(tmp_path, {"package.json": json.dumps(project, indent=2), "src/index.ts": ""})
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert profile.start_command == ("node", "dist/index.js")
    assert profile.evidence["start_command"][0].note == "scripts.start:prod"
    assert profile.build_command == ("npm", "run", "build")
    # A TypeScript main that is not there is not the entry: the conventional one is.
    assert profile.entrypoint == "src/index.ts"
    assert any("main names 'index.ts', which the upload does not have" in w for w in warnings)


@pytest.mark.parametrize(
    ("build", "main", "start"),
    [
        # Node runs JavaScript: a TypeScript entry starts as the file a tsc build writes for it.
        ("tsc", None, ("node", "dist/server.js")),
        ("tsc -p tsconfig.json", "src/server.ts", ("node", "dist/server.js")),
        ("rm -rf dist && tsc", None, ("node", "dist/server.js")),
        # Not tsc: where the JavaScript goes is the tool's own business.
        ("tsup", None, ("node", "src/server.ts")),
        # A JavaScript main may be the build's output.
        ("tsc", "dist/server.js", ("node", "dist/server.js")),
    ],
)
def test_without_start_scripts_a_typescript_entry_starts_built(
    tmp_path: Path, build: str, main: str | None, start: tuple[str, ...]
) -> None:
    project = {**package({"build": build}, ("typescript",)), **({"main": main} if main else {})}
    write(
        tmp_path,
        {
            "package.json": json.dumps(project),
            "tsconfig.json": '{"compilerOptions": {"outDir": "dist"}, "include": ["src"]}',
            "src/server.ts": "",
        },
    )
    assert detect(tmp_path).start_command == start


@pytest.mark.parametrize(
    ("files", "dependencies", "expected"),
    [
        # Babel 6 in package.json, transform-runtime's helpers and source maps in production only.
        (
            {
                "package.json.babel": '{"plugins": ["transform-runtime"], '
                '"env": {"production": {"plugins": ["source-map-support"]}}}'
            },
            {},
            ("babel-runtime", "source-map-support"),
        ),
        (
            {
                ".babelrc": "{\n  // helpers\n"
                '  "plugins": [["@babel/plugin-transform-runtime", {"corejs": false}]]\n}'
            },
            {},
            ("@babel/runtime",),
        ),
        (
            {"babel.config.js": "module.exports = { plugins: ['@babel/transform-runtime'] };"},
            {},
            ("@babel/runtime",),
        ),
        # Listed under dependencies, the production install has it.
        ({".babelrc": '{"plugins": ["@babel/plugin-transform-runtime"]}'}, {"@babel/runtime": "7"}, ()),
        ({".babelrc": '{"presets": ["@babel/preset-env"]}'}, {}, ()),
    ],
)
def test_babel_helpers_only_development_dependencies_install(
    tmp_path: Path, files: dict[str, str], dependencies: dict[str, str], expected: tuple[str, ...]
) -> None:
    project: dict[str, object] = {
        **package({"build": "babel src -d dist", "start": "node dist/server.js"}, ("@babel/cli",)),
        "dependencies": dependencies,
    }
    if "package.json.babel" in files:
        project["babel"] = json.loads(files.pop("package.json.babel"))
    write(tmp_path, {"package.json": json.dumps(project), "src/server.js": "", **files})
    warnings: list[str] = []
    assert detect(tmp_path, warnings=warnings).runtime_dev_dependencies == expected
    assert any("only the development dependencies install" in w for w in warnings) == bool(expected)


@pytest.mark.parametrize(
    ("script", "dev", "start", "folders"),
    [
        (
            "nodemon --exec babel-node src/index.js",
            ("@babel/core", "@babel/node"),
            "dist/index.js",
            "src dist",
        ),
        (
            "babel-node ./server/app.js --presets env",
            ("babel-core", "babel-cli"),
            "dist/app.js",
            "server dist",
        ),
        (
            "nodemon --exec 'babel-node src/main.js'",
            ("@babel/core", "@babel/node"),
            "dist/main.js",
            "src dist",
        ),
        # Sources in a folder named dist: the compiled ones go beside it.
        ("node -r @babel/register dist/index.js", ("@babel/core",), "dist-babel/index.js", "dist dist-babel"),
    ],
)
def test_sources_run_through_babel_are_compiled_once_in_the_image(
    tmp_path: Path, script: str, dev: tuple[str, ...], start: str, folders: str
) -> None:
    built = built_start(tmp_path, package({"start": script}, dev), "npm")
    assert built is not None and built.start == ("node", start)
    assert built.build == f"node .justpush/babel-build.cjs {folders}"


@pytest.mark.parametrize(
    ("script", "dev"),
    [
        # Without Babel's core among the dependencies nothing could compile it.
        ("nodemon --exec babel-node src/index.js", ("nodemon",)),
        # A source at the project's root: compiling "." would take the whole project.
        ("babel-node index.js", ("@babel/core", "@babel/node")),
    ],
)
def test_babel_starts_left_alone(tmp_path: Path, script: str, dev: tuple[str, ...]) -> None:
    built = built_start(tmp_path, package({"start": script}, dev), "npm")
    assert built is None or "babel-build" not in built.build
