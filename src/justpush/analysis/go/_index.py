"""Package-aware index of a Go module: functions, methods, types and constants by package directory.

Go code names things in other packages as `pkg.Name`, where `pkg` is an import of a path below the
module path in go.mod; the index maps those imports to package directories so that same-named
functions in different packages (`admin.NewAPI`, `app.NewAPI`) stay apart.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import tree_sitter
import tree_sitter_go

from .._treesitter import Node, Parsed, field_, named_children, text, walk
from ._syntax import go_string


@dataclass(frozen=True)
class GoFile:
    """A parsed Go file, its package folder and its imports."""

    parsed: Parsed
    package: str  # the package directory relative to the analysed root ("." for the root)
    imports: dict[str, str]  # import alias -> import path


@dataclass(frozen=True)
class Func:
    """A Go function or method declaration."""

    file: GoFile
    node: Node  # function_declaration, method_declaration
    receiver: str  # receiver type name, "" for a plain function
    name: str

    @property
    def key(self) -> str:
        return f"{self.file.package}:{self.receiver + '.' if self.receiver else ''}{self.name}"


@dataclass(frozen=True)
class Call:
    """A call found by the census, with its callee spelled out once: `x.f(...)` → ("x", "f")."""

    file: GoFile
    owner: Func | None  # the top-level function it is in
    node: Node
    operand: str
    name: str


@dataclass(frozen=True)
class TypeRef:
    """A named type declared in the analysed sources."""

    package: str
    name: str


@dataclass
class GoIndex:
    """What the app's Go files declare: functions, types and package-level values."""

    files: list[GoFile]
    module: str = ""
    functions: dict[tuple[str, str, str], Func] = field(default_factory=dict)
    by_name: dict[str, list[Func]] = field(default_factory=dict)
    types: dict[tuple[str, str], Node] = field(default_factory=dict)
    values: dict[tuple[str, str], tuple[GoFile, Node]] = field(default_factory=dict)
    package_dirs: set[str] = field(default_factory=set)
    # Package variables declared with a type (`var DB *gorm.DB`).
    var_types: dict[tuple[str, str], tuple[GoFile, Node]] = field(default_factory=dict)
    # The file declaring each type: its imports give meaning to the field types it names.
    type_files: dict[tuple[str, str], GoFile] = field(default_factory=dict)
    # Every call, assignment and keyed literal element, with its file and top-level function: one
    # walk of each tree serves all the scans that look for them.
    calls: list[Call] = field(default_factory=list)
    assignments: list[tuple[GoFile, Node]] = field(default_factory=list)
    keyed: list[tuple[GoFile, Node]] = field(default_factory=list)

    @classmethod
    def build(cls, parsed: list[Parsed], go_mod: str | None) -> GoIndex:
        module = re.search(r"^module\s+(\S+)", go_mod or "", re.MULTILINE)
        files = [_go_file(p) for p in parsed]
        index = cls(files, module.group(1) if module else "")
        for gofile in files:
            index.package_dirs.add(gofile.package)
            tops: list[Func] = []
            for node in named_children(gofile.parsed.root):
                if node.type in ("function_declaration", "method_declaration"):
                    receiver = receiver_type(node)
                    func = Func(gofile, node, receiver, text(field_(node, "name")))
                    index.functions.setdefault((gofile.package, receiver, func.name), func)
                    index.by_name.setdefault(func.name, []).append(func)
                    tops.append(func)
                    continue
                elif node.type == "type_declaration":
                    for spec in named_children(node):
                        if spec.type in ("type_spec", "type_alias"):
                            key = (gofile.package, text(field_(spec, "name")))
                            index.types.setdefault(key, spec)
                            index.type_files.setdefault(key, gofile)
                elif node.type in ("const_declaration", "var_declaration"):
                    for spec in walk(node):
                        if spec.type in ("const_spec", "var_spec"):
                            values = named_children(field_(spec, "value"))
                            for name_node, value in zip(
                                spec.children_by_field_name("name"), values, strict=False
                            ):
                                index.values.setdefault((gofile.package, text(name_node)), (gofile, value))
                            declared = field_(spec, "type")
                            if declared is not None:
                                for name_node in spec.children_by_field_name("name"):
                                    key = (gofile.package, text(name_node))
                                    index.var_types.setdefault(key, (gofile, declared))
            index._census(gofile, tops)
        index._alias_package_names()
        return index

    def _census(self, gofile: GoFile, tops: list[Func]) -> None:
        starts = [f.node.start_byte for f in tops]
        captures = tree_sitter.QueryCursor(_census_query()).captures(gofile.parsed.root)
        for node in sorted(captures.get("call", []), key=lambda n: n.start_byte):
            i = bisect.bisect_right(starts, node.start_byte) - 1
            owner = tops[i] if i >= 0 and node.end_byte <= tops[i].node.end_byte else None
            self.calls.append(Call(gofile, owner, node, *_callee_fast(node)))
        self.assignments.extend(
            (gofile, n) for n in sorted(captures.get("assign", []), key=lambda n: n.start_byte)
        )
        self.keyed.extend((gofile, n) for n in sorted(captures.get("keyed", []), key=lambda n: n.start_byte))

    def _alias_package_names(self) -> None:
        """Local imports also answer to the package clause's name (`package handler` in handlers/)."""
        names: dict[str, str] = {}
        for gofile in self.files:
            clause = next((c for c in named_children(gofile.parsed.root) if c.type == "package_clause"), None)
            if clause is not None and named_children(clause):
                names.setdefault(gofile.package, text(named_children(clause)[0]))
        for gofile in self.files:
            for path in list(gofile.imports.values()):
                package = self.package_of(gofile, next(a for a, p in gofile.imports.items() if p == path))
                name = names.get(package or "")
                if name and name not in gofile.imports:
                    gofile.imports[name] = path

    def package_of(self, gofile: GoFile, alias: str) -> str | None:
        """The package directory an import alias of this file refers to; None if not in the sources."""
        path = gofile.imports.get(alias)
        if path is None:
            return None
        if self.module and (path == self.module or path.startswith(self.module + "/")):
            rel = path[len(self.module) + 1 :] or "."
            return rel if rel in self.package_dirs else None
        # No go.mod (GOPATH layout) or a module above the analysed folder: the longest suffix that is a
        # package directory here.
        parts = path.split("/")
        for start in range(1, len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in self.package_dirs:
                return candidate
        return None

    def function(self, gofile: GoFile, expr: Node | None) -> Func | None:
        """The plain function an identifier or `pkg.Func` selector names."""
        if expr is None:
            return None
        if expr.type == "identifier":
            return self.functions.get((gofile.package, "", text(expr)))
        if expr.type == "selector_expression":
            operand = field_(expr, "operand")
            if operand is not None and operand.type == "identifier":
                package = self.package_of(gofile, text(operand))
                if package is not None:
                    return self.functions.get((package, "", text(field_(expr, "field"))))
        return None

    def method(self, owner: TypeRef, name: str) -> Func | None:
        """A method of a named type, including one promoted from an embedded struct."""
        seen: set[TypeRef] = set()
        todo = [owner]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            found = self.functions.get((current.package, current.name, name))
            if found is not None:
                return found
            spec = self.types.get((current.package, current.name))
            body = field_(spec, "type") if spec is not None else None
            if body is not None and body.type == "struct_type":
                for decl in walk(body):
                    if decl.type == "field_declaration" and not decl.children_by_field_name("name"):
                        embedded = self.type_ref(
                            current.package, self.declaring_file(current), field_(decl, "type")
                        )
                        if embedded is not None:
                            todo.append(embedded)
        return None

    def methods_named(self, name: str) -> list[Func]:
        return [f for f in self.by_name.get(name, []) if f.receiver]

    def type_ref(self, package: str, gofile: GoFile | None, node: Node | None) -> TypeRef | None:
        """A type expression (`T`, `*T`, `pkg.T`) as a TypeRef, when the type is declared here."""
        while node is not None and node.type in ("pointer_type", "parenthesized_type"):
            inner = named_children(node)
            node = inner[0] if inner else None
        if node is None:
            return None
        if node.type == "type_identifier" and (package, text(node)) in self.types:
            return TypeRef(package, text(node))
        if node.type == "qualified_type" and gofile is not None:
            target = self.package_of(gofile, text(field_(node, "package")))
            name = text(field_(node, "name"))
            if target is not None and (target, name) in self.types:
                return TypeRef(target, name)
        if node.type == "generic_type":
            return self.type_ref(package, gofile, field_(node, "type"))
        return None

    def struct_field_type(self, owner: TypeRef, name: str) -> tuple[GoFile | None, Node] | None:
        """The declared type of a struct field (promoted fields of embedded structs included)."""
        found = self._struct_field(owner, name)
        type_node = field_(found[1], "type") if found is not None else None
        return (found[0], type_node) if found is not None and type_node is not None else None

    def struct_field_tag(self, owner: TypeRef, name: str) -> str:
        """A struct field's tag (`yaml:"push_uri" default:"/api/push"`), "" when it has none."""
        found = self._struct_field(owner, name)
        tag = field_(found[1], "tag") if found is not None else None
        return text(tag)[1:-1] if tag is not None else ""

    def _struct_field(self, owner: TypeRef, name: str) -> tuple[GoFile | None, Node] | None:
        seen: set[TypeRef] = set()
        todo = [owner]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            spec = self.types.get((current.package, current.name))
            body = field_(spec, "type") if spec is not None else None
            if body is None or body.type != "struct_type":
                continue
            gofile = self.declaring_file(current)
            for decl in walk(body):
                if decl.type != "field_declaration":
                    continue
                names = [text(n) for n in decl.children_by_field_name("name")]
                type_node = field_(decl, "type")
                if type_node is None:
                    continue
                if name in names or (not names and text(type_node).lstrip("*").split(".")[-1] == name):
                    return gofile, decl
                if not names:
                    embedded = self.type_ref(current.package, gofile, type_node)
                    if embedded is not None:
                        todo.append(embedded)
        return None

    def struct_fields(self, owner: TypeRef) -> list[str]:
        """A struct's field names in declaration order (positional composite literals follow it)."""
        spec = self.types.get((owner.package, owner.name))
        body = field_(spec, "type") if spec is not None else None
        names: list[str] = []
        if body is None or body.type != "struct_type":
            return names
        for decl in walk(body):
            if decl.type == "field_declaration":
                declared = [text(n) for n in decl.children_by_field_name("name")]
                names.extend(declared or [text(field_(decl, "type")).lstrip("*").split(".")[-1]])
        return names

    def element_type(self, package: str, gofile: GoFile | None, node: Node | None) -> TypeRef | None:
        """The element type of a slice, array or map type (`[]Route`, a named `type Routes []Route`)."""
        if node is not None and node.type in ("slice_type", "array_type", "map_type"):
            return self.type_ref(
                package, gofile, field_(node, "value" if node.type == "map_type" else "element")
            )
        named = self.type_ref(package, gofile, node)
        spec = self.types.get((named.package, named.name)) if named is not None else None
        underlying = field_(spec, "type") if spec is not None else None
        if (
            named is None
            or underlying is None
            or underlying.type not in ("slice_type", "array_type", "map_type")
        ):
            return None
        return self.element_type(named.package, self.declaring_file(named), underlying)

    def value(self, gofile: GoFile, expr: Node) -> tuple[GoFile, Node] | None:
        """The initialiser of a package-level const/var named by `X` or `pkg.X`."""
        if expr.type == "identifier":
            return self.values.get((gofile.package, text(expr)))
        if expr.type == "selector_expression":
            operand = field_(expr, "operand")
            if operand is not None and operand.type == "identifier":
                package = self.package_of(gofile, text(operand))
                if package is not None:
                    return self.values.get((package, text(field_(expr, "field"))))
        return None

    def declaring_file(self, owner: TypeRef) -> GoFile | None:
        return self.type_files.get((owner.package, owner.name))


@functools.cache
def _census_query() -> tree_sitter.Query:
    """Calls, assignments and keyed literal elements, found by tree-sitter (much faster than a walk)."""
    language = tree_sitter.Language(tree_sitter_go.language())
    return tree_sitter.Query(
        language, "(call_expression) @call (assignment_statement) @assign (keyed_element) @keyed"
    )


def _callee_fast(call: Node) -> tuple[str, str]:
    fn = call.child_by_field_name("function")
    if fn is None:
        return "", ""
    if fn.type == "selector_expression":
        operand = fn.child_by_field_name("operand")
        name = fn.child_by_field_name("field")
        return (
            operand.text.decode(errors="replace") if operand is not None and operand.text else "",
            name.text.decode(errors="replace") if name is not None and name.text else "",
        )
    return "", fn.text.decode(errors="replace") if fn.text else ""


def receiver_type(fn: Node) -> str:
    if fn.type != "method_declaration":
        return ""
    receiver = field_(fn, "receiver")
    for decl in named_children(receiver):
        type_node = field_(decl, "type")
        while type_node is not None and type_node.type in ("pointer_type", "generic_type"):
            inner = named_children(type_node)
            type_node = inner[0] if inner else None
        if type_node is not None:
            return text(type_node)
    return ""


def _go_file(parsed: Parsed) -> GoFile:
    imports: dict[str, str] = {}
    for node in named_children(parsed.root):
        if node.type != "import_declaration":
            continue
        for spec in walk(node):
            if spec.type != "import_spec":
                continue
            path = go_string(field_(spec, "path"))
            if not path:
                continue
            alias_node = field_(spec, "name")
            alias = text(alias_node) if alias_node is not None else _default_alias(path)
            if alias not in ("_", "."):
                imports[alias] = path
    package = PurePosixPath(parsed.path).parent.as_posix()
    return GoFile(parsed, package or ".", imports)


def _default_alias(path: str) -> str:
    """The package name Go assumes for an import path: its last element, without a /vN suffix."""
    parts = path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    return re.sub(r"^go-|[.-]go$", "", last).replace("-", "_").replace(".", "_")
