"""The Java sources of a project, indexed cheaply and parsed lazily.

Type declarations are found with a regex over the text, so only the files a framework module asks
for (controllers, and the types and constants they refer to) are parsed; parse trees are cached per
file content, so extract, scan_env and find_port share them. Test sources never enter the index.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter
import tree_sitter_java

from .._files import SourceFile, iter_paths, read_source
from .._treesitter import Node, Parsed, field_, line, named_children, text, walk

_TYPE_DECL = re.compile(r"\b(?:class|interface|enum|record|@interface)\s+([A-Za-z_]\w*)")
_TYPE_NODES = (
    "class_declaration",
    "record_declaration",
    "enum_declaration",
    "interface_declaration",
    "annotation_type_declaration",
)
# Source sets of tests: their controllers and handlers are never part of the running server.
_TEST_DIRS = re.compile(r"(^|/)src/(test|it|testFixtures|integrationTest|integration-test)(/|$)")
_TEST_FILES = re.compile(r"(Tests?|IT|TestCase)\.java$")


def is_test_source(path: str) -> bool:
    return bool(_TEST_DIRS.search(path) or _TEST_FILES.search(path))


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_java.language()))


# Bounded: a server analyses many uploads; one analysis needs its own files only.
@functools.lru_cache(maxsize=512)
def _tree(source: str) -> tree_sitter.Tree:
    return _parser().parse(source.encode("utf-8", errors="replace"))


_CONFIG_SUFFIXES = (".properties", ".yml", ".yaml")


def is_spring_config(path: str) -> bool:
    """application*.properties|yml and bootstrap*: Spring Boot's own configuration files."""
    name = path.rsplit("/", 1)[-1]
    return name.endswith(_CONFIG_SUFFIXES) and name.startswith(("application", "bootstrap"))


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Main Java sources and Spring config files, found in one walk, with their mtimes and sizes."""
    stamps: list[tuple[str, int, int]] = []
    for path in iter_paths(root, (".java", *_CONFIG_SUFFIXES)):
        relative = path.relative_to(root).as_posix()
        if is_test_source(relative) or not (relative.endswith(".java") or is_spring_config(relative)):
            continue
        stat = path.stat()
        stamps.append((relative, stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


@dataclass(frozen=True)
class _Sources:
    """The app's Java sources and configuration files, read once, and which files declare which type."""

    files: dict[str, SourceFile]
    configs: tuple[SourceFile, ...]
    # Simple type name -> files whose text declares it.
    declared: dict[str, list[str]]
    warnings: tuple[str, ...]


@functools.lru_cache(maxsize=2)
def _read_all(root: Path, stamp: tuple[tuple[str, int, int], ...]) -> _Sources:
    """Main sources, read once for extract, scan_env and find_port (keyed by mtimes and sizes)."""
    warnings: list[str] = []
    files: dict[str, SourceFile] = {}
    configs: list[SourceFile] = []
    declared: dict[str, list[str]] = {}
    for relative, _, _ in stamp:
        source = read_source(root, root / relative, warnings)
        if source is not None and not relative.endswith(".java"):
            configs.append(source)
        elif source is not None:
            files[relative] = source
            for match in _TYPE_DECL.finditer(source.text):
                declared.setdefault(match.group(1), []).append(relative)
    return _Sources(files, tuple(configs), declared, tuple(warnings))


@dataclass
class TypeDecl:
    """A class, interface, enum or record, with its static final String-able constants."""

    name: str
    file: str
    node: Node
    constants: dict[str, Node] = field(default_factory=dict)


class SourceIndex:
    def __init__(self, root: Path, warnings: list[str]) -> None:
        self.root = root
        self.warnings = warnings
        try:
            found = _read_all(root, _stamp(root))
        except OSError as exc:
            warnings.append(f"java sources could not be listed ({exc.strerror})")
            found = _Sources({}, (), {}, ())
        warnings.extend(found.warnings)
        # Shared with other analyses of the same files: read only, never mutated.
        self.sources = found.files
        self.configs = found.configs
        self._declared = found.declared
        self._parsed: dict[str, Parsed] = {}
        self._types: dict[str, list[TypeDecl]] = {}
        self._indexed: set[str] = set()

    def files_containing(self, *needles: str) -> list[str]:
        return [p for p, s in self.sources.items() if any(n in s.text for n in needles)]

    def parsed(self, path: str) -> Parsed:
        found = self._parsed.get(path)
        if found is None:
            root = _tree(self.sources[path].text).root_node
            if root.has_error:
                bad = next((n for n in walk(root) if n.is_error or n.is_missing), root)
                self.warnings.append(f"{path}:{line(bad)}: syntax error, analysed what could be parsed")
            found = self._parsed[path] = Parsed(path, root)
            self._index_types(found)
        return found

    def _index_types(self, parsed: Parsed) -> None:
        if parsed.path in self._indexed:
            return
        self._indexed.add(parsed.path)
        # Type declarations sit at the top level or inside other types' bodies, never in method bodies.
        pending = list(named_children(parsed.root))
        while pending:
            node = pending.pop()
            if node.type not in _TYPE_NODES:
                continue
            decl = TypeDecl(text(field_(node, "name")), parsed.path, node)
            for member in named_children(field_(node, "body")):
                if member.type in _TYPE_NODES:
                    pending.append(member)
                elif member.type in ("field_declaration", "constant_declaration"):
                    mods = text(next((c for c in member.children if c.type == "modifiers"), None))
                    if node.type == "interface_declaration" or ("static" in mods and "final" in mods):
                        for declarator in member.children_by_field_name("declarator"):
                            value = field_(declarator, "value")
                            if value is not None:
                                decl.constants[text(field_(declarator, "name"))] = value
            self._types.setdefault(decl.name, []).append(decl)

    def types(self, name: str) -> list[TypeDecl]:
        """Every declaration of a simple type name in the project (parsing the files that declare it)."""
        for path in self._declared.get(name, ()):
            self.parsed(path)
        return self._types.get(name, [])

    def type_(self, name: str, near: str = "") -> TypeDecl | None:
        """The declaration of a type name, preferring one in the same file, then the same folder."""
        found = self.types(name)
        if not found:
            return None
        folder = near.rsplit("/", 1)[0]
        return min(found, key=lambda t: (t.file != near, t.file.rsplit("/", 1)[0] != folder, t.file))

    def names_with_constant(self, constant: str) -> list[TypeDecl]:
        """Types declaring a constant of that name, among files whose text mentions it."""
        out: list[TypeDecl] = []
        for type_name, paths in self._declared.items():
            if any(constant in self.sources[p].text for p in paths):
                out.extend(t for t in self.types(type_name) if constant in t.constants)
        return out

    def imports(self, path: str) -> list[tuple[str, bool, bool]]:
        """(dotted name, static, on-demand `.*`) of a file's import declarations."""
        out: list[tuple[str, bool, bool]] = []
        for node in named_children(self.parsed(path).root):
            if node.type == "import_declaration":
                raw = text(node)
                name = next(
                    (text(c) for c in node.named_children if c.type in ("scoped_identifier", "identifier")),
                    "",
                )
                out.append((name, " static " in f" {raw} ", raw.rstrip(";").strip().endswith(".*")))
        return out


def enclosing_type(node: Node) -> Node | None:
    current = node.parent
    while current is not None and current.type not in _TYPE_NODES:
        current = current.parent
    return current
