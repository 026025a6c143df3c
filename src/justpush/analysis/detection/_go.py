"""Go projects: go.mod, framework, Go version, main package."""

from __future__ import annotations

import re
from pathlib import Path

from .._files import evidence_path, iter_paths
from .._model import Evidence
from .._services import find_drivers
from ._facts import GO_FRAMEWORKS, Facts, line_of, read_text

# A module path in go.mod's require lines (block or single-line form).
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([a-z0-9.\-]+\.[a-z]+/[^\s]+)\s+v\S+", re.MULTILINE)


def detect_go(app_root: Path, app_dir: str, facts: Facts, warnings: list[str]) -> None:
    text = read_text(app_root / "go.mod") or ""
    where = evidence_path(app_dir, "go.mod")
    facts.set("package_manager", "go", Evidence(where, None, "go modules"))
    if (app_root / "go.sum").is_file():
        facts.set("lockfile", "go.sum", Evidence(evidence_path(app_dir, "go.sum"), None, "go.sum"))
    facts.values["dependency_files"] = tuple(n for n in ("go.mod", "go.sum") if (app_root / n).is_file())
    version = re.search(r"^go\s+(\d+\.\d+(?:\.\d+)?)", text, re.MULTILINE)
    if version:
        facts.set(
            "language_version", version.group(1), Evidence(where, line_of(text, version.group(0)), "go")
        )
    module = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    facts.values["name"] = module.group(1).rsplit("/", 1)[-1] if module else None
    framework, evidence = "net-http", Evidence(where, None, "no router library in go.mod; default net/http")
    direct = go_direct_requires(text)
    requires = _GO_REQUIRE.finditer(direct)
    facts.drivers = find_drivers(
        "go", ((m.group(1), Evidence(where, line_of(text, m.group(0)))) for m in requires)
    )
    for dep, name in GO_FRAMEWORKS:
        if dep in direct:
            framework, evidence = name, Evidence(where, line_of(text, dep), f"require {dep}")
            break
    else:
        imported = None if text else _go_imported_framework(app_root)
        if imported is not None:
            framework = imported[0]
            evidence = Evidence(evidence_path(app_dir, imported[1]), imported[2], "import")
    facts.set("framework", framework, evidence)
    main = _go_main(app_root)
    package = "."
    if main is not None:
        facts.set(
            "entrypoint",
            main[0],
            Evidence(evidence_path(app_dir, main[0]), main[1], "package main / func main"),
        )
        parent = Path(main[0]).parent.as_posix()
        package = "." if parent == "." else f"./{parent}"
    else:
        warnings.append(f"{where}: no package main with func main() found")
    build = ("go", "build", "-o", "/app/server", package)
    facts.set("build_command", build, Evidence(where, None, "go build of the main package"))
    facts.set("start_command", ("/app/server",), Evidence(where, None, "binary built by the image build"))


def go_direct_requires(go_mod: str) -> str:
    """go.mod without the `// indirect` requirements (a dependency's router is not the app's)."""
    return "\n".join(line for line in go_mod.splitlines() if "// indirect" not in line)


def _go_imported_framework(app_root: Path) -> tuple[str, str, int] | None:
    """Without go.mod (GOPATH layout): the router library the sources import, with file and line."""
    for path in iter_paths(app_root, (".go",)):
        if path.name.endswith("_test.go"):
            continue
        text = read_text(path) or ""
        for dep, name in GO_FRAMEWORKS:
            if f'"{dep}' in text:
                return name, path.relative_to(app_root).as_posix(), line_of(text, dep) or 1
    return None


def _go_main(app_root: Path) -> tuple[str, int] | None:
    found: list[tuple[int, str, int]] = []
    for path in iter_paths(app_root, (".go",)):
        if path.name.endswith("_test.go"):
            continue
        text = read_text(path) or ""
        if re.search(r"^package\s+main\b", text, re.MULTILINE) and "func main()" in text:
            rel = path.relative_to(app_root).as_posix()
            found.append((rel.count("/"), rel, line_of(text, "func main()") or 1))
    if not found:
        return None
    _, rel, line = min(found)
    return rel, line
