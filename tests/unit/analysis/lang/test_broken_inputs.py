"""Broken sources end in warnings, never in an exception."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from justpush.analysis import ProjectProfile
from justpush.analysis import go as _go
from justpush.analysis import java as _java
from justpush.analysis import node as _node

CASES: list[tuple[ModuleType, str, str]] = [
    (_node, "node", "js"),
    (_node, "node", "ts"),
    (_java, "java", "java"),
    (_go, "go", "go"),
]
SYNTAX_ERRORS = {
    "js": "const app = express();\napp.get('/ok', (req, res) => res.json({}));\napp.get('/x', (req => {\n",
    "ts": "interface A { a: string\nconst app = express();\napp.get('/ok', h);\n",
    "java": '@RestController class C { @GetMapping("/ok") String ok() { return ""; }\n void broken( {\n',
    "go": 'package main\nfunc main() {\n r := gin.Default()\n r.GET("/ok", h)\n if {\n}\n',
}
DEEP = {
    "js": "const x = " + "[" * 3000 + "]" * 3000 + ";\n",
    "ts": "const x = " + "(" * 3000 + "1" + ")" * 3000 + ";\n",
    "java": "class D { int f() { return " + "(" * 3000 + "1" + ")" * 3000 + "; } }\n",
    "go": "package main\nfunc f() {\n" + "{" * 3000 + "}" * 3000 + "\n}\n",
}


def _run(module: ModuleType, language: str, root: Path) -> list[str]:
    profile = ProjectProfile(language=language)  # type: ignore[arg-type]
    api = module.extract(root, profile)
    module.scan_env(root, profile)
    module.find_port(root, profile)
    return list(api.warnings)


@pytest.mark.parametrize(("module", "language", "ext"), CASES)
def test_syntax_error_warns_and_keeps_what_parsed(
    module: ModuleType, language: str, ext: str, tmp_path: Path
) -> None:
    (tmp_path / f"main.{ext}").write_text(SYNTAX_ERRORS[ext])
    warnings = _run(module, language, tmp_path)
    assert any("syntax error" in w and f"main.{ext}" in w for w in warnings)


@pytest.mark.parametrize(("module", "language", "ext"), CASES)
def test_binary_non_utf8_and_huge_files_warn(
    module: ModuleType, language: str, ext: str, tmp_path: Path
) -> None:
    (tmp_path / f"bin.{ext}").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / f"latin.{ext}").write_bytes("// caf\u00e9\n".encode("latin-1"))
    (tmp_path / f"huge.{ext}").write_text("// x\n" * 300_000)
    warnings = _run(module, language, tmp_path)
    joined = "\n".join(warnings)
    assert f"bin.{ext}: skipped, binary" in joined
    assert f"latin.{ext}: not valid UTF-8" in joined
    assert f"huge.{ext}: skipped" in joined


@pytest.mark.parametrize(("module", "language", "ext"), CASES)
def test_deep_nesting_does_not_crash(module: ModuleType, language: str, ext: str, tmp_path: Path) -> None:
    (tmp_path / f"deep.{ext}").write_text(DEEP[ext])
    _run(module, language, tmp_path)


def test_deeply_nested_router_code_warns(tmp_path: Path) -> None:
    body = "".join("if (a) {\n" for _ in range(200)) + "app.get('/deep', h);\n" + "}\n" * 200
    (tmp_path / "app.js").write_text("const app = require('express')();\nfunction f() {\n" + body + "}\n")
    warnings = _run(_node, "node", tmp_path)
    assert any("nesting too deep" in w for w in warnings)


def test_circular_router_imports_terminate(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text(
        "const express = require('express');\nconst b = require('./b');\nconst a = express.Router();\n"
        "a.use('/b', b);\na.get('/x', h);\nmodule.exports = a;\n"
    )
    (tmp_path / "b.js").write_text(
        "const express = require('express');\nconst a = require('./a');\nconst b = express.Router();\n"
        "b.use('/a', a);\nb.get('/y', h);\nmodule.exports = b;\n"
    )
    api = _node.extract(tmp_path, ProjectProfile(language="node"))
    assert any("cycle" in w for w in api.warnings)


def test_non_literal_route_path_is_skipped_with_warning(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text(
        'package main\nfunc main() {\n r := gin.Default()\n r.GET(pathFromConfig(), h)\n r.GET("/ok", h)\n}\n'
    )
    api = _go.extract(tmp_path, ProjectProfile(language="go"))
    assert [op.path for op in api.operations] == ["/ok"]
    assert any(w.startswith("main.go:4:") and "pathFromConfig()" in w for w in api.warnings)
