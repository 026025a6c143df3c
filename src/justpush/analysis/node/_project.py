"""The parsed project: every source file with its imports, exports, functions, classes and constants.

Only server sources are read (``_sources``). Parsing is cached per root and file set, so extract,
scan_env and find_port on one upload parse it once.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

from .._files import iter_paths
from .._scope import once_per_analysis
from .._treesitter import Grammar, Node, Parsed, field_, line, named_children, parse_all, text, walk
from ._aliases import PathAliases
from ._sources import browser_projects, grammar_for
from ._syntax import (
    FUNCTIONS,
    args,
    class_field,
    class_function,
    enclosing_class,
    member,
    object_props,
    string,
    unwrap,
)

SUFFIXES = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
_RESOLVE_SUFFIXES = ("", ".ts", ".js", ".tsx", ".jsx", ".mjs", ".cjs", "/index.ts", "/index.js")


@dataclass
class Module:
    """One parsed JavaScript or TypeScript module and what it imports, exports and defines."""

    parsed: Parsed
    # local name -> (resolved file or package name, exported name; "*" = the whole module)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Node] = field(default_factory=dict)
    classes: dict[str, Node] = field(default_factory=dict)
    # `const name = <expression>`: what a route, prefix or schema may refer to by name.
    values: dict[str, Node] = field(default_factory=dict)
    # `export * from './x'`: files whose exports this module passes on
    star_exports: list[str] = field(default_factory=list)
    # `const { apiURL } = keys.app`: name -> (the destructured expression, the keys down to the name)
    picks: dict[str, tuple[Node, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.parsed.path

    def mentions(self, *words: str) -> bool:
        """Whether the source contains any of the words: a cheap filter before walking the tree."""
        source = self.parsed.root.text or b""
        return any(word.encode() in source for word in words)


class Project:
    """All parsed files with their imports/exports and the TypeScript types they declare."""

    def __init__(self, root: Path, files: list[Parsed]) -> None:
        self.root = root
        self.aliases = PathAliases.read(root)
        self.modules = {p.path: Module(p) for p in files}
        self.types: dict[str, Node] = {}
        self.classes: dict[str, tuple[Module, Node]] = {}
        for module in self.modules.values():
            self._index(module)

    def resolve_file(self, importer: str, spec: str) -> str:
        """The project file an import names (relative, from the project root as the resolver writes
        `__dirname`-based paths, or through tsconfig `paths`/`baseUrl`), else spec."""
        if spec.startswith("/"):
            base = posixpath.normpath(spec.lstrip("/"))
            return self._existing(base) or spec
        if not spec.startswith("."):
            for base in self.aliases.candidates(spec):
                found = self._existing(base)
                if found is not None:
                    return found
            return spec
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
        return self._existing(base) or base

    def _existing(self, base: str) -> str | None:
        for suffix in _RESOLVE_SUFFIXES:
            candidate = base + suffix
            if candidate in self.modules:
                return candidate
        stem = re.sub(r"\.[cm]?js$", "", base)
        for suffix in (".ts", ".tsx", "/index.ts"):
            if stem + suffix in self.modules:
                return stem + suffix
        return None

    def _index(self, module: Module) -> None:
        for node in _declarations(module.parsed):
            kind = node.type
            if kind == "import_statement":
                self._import(module, node)
            elif kind == "variable_declarator":
                self._declarator(module, node)
            elif kind in ("function_declaration", "generator_function_declaration"):
                module.functions.setdefault(text(field_(node, "name")), node)
            elif kind in ("class_declaration", "abstract_class_declaration", "class"):
                name = text(field_(node, "name"))
                if name:
                    module.classes.setdefault(name, node)
                    self.types.setdefault(name, node)
                    self.classes.setdefault(name, (module, node))
            elif kind in ("interface_declaration", "type_alias_declaration", "enum_declaration"):
                self.types.setdefault(text(field_(node, "name")), node)
                if kind == "enum_declaration":
                    module.values.setdefault(text(field_(node, "name")), node)
            elif kind == "export_statement":
                self._export(module, node)
            elif kind == "assignment_expression":
                left, right = field_(node, "left"), unwrap(field_(node, "right"))
                obj, prop = member(left)
                if right is None:
                    continue
                if text(left) == "module.exports":
                    module.values.setdefault("module.exports", right)
                    if right.type == "call_expression" and text(field_(right, "function")) == "require":
                        # `module.exports = require('./routes')`: an index re-exporting a module's names
                        spec = string(next(iter(args(right)), None)) or ""
                        module.star_exports.append(self.resolve_file(module.path, spec))
                    if right.type == "object":
                        for key, value in object_props(right).items():
                            # `module.exports = { listUsers: { query: {...} } }`: an inline value is
                            # exported under a name of its own, so importers can read it.
                            named = value.type in ("identifier", "shorthand_property_identifier")
                            module.exports[key] = text(value) if named else self._local_name(module, value)
                    else:
                        module.exports["default"] = self._local_name(module, right)
                elif text(obj) in ("exports", "module.exports"):
                    module.exports[prop] = self._local_name(module, right)
                    if right.type not in FUNCTIONS:
                        module.values.setdefault(prop, right)

    def _import(self, module: Module, node: Node) -> None:
        source = string(field_(node, "source")) or ""
        target = self.resolve_file(module.path, source)
        for clause in walk(node):
            if clause.type == "import_clause":
                for part in named_children(clause):
                    if part.type == "identifier":
                        module.imports[text(part)] = (target, "default")
                    elif part.type == "namespace_import":
                        module.imports[text(named_children(part)[-1])] = (target, "*")
            elif clause.type == "import_specifier":
                name = text(field_(clause, "name"))
                module.imports[text(field_(clause, "alias") or field_(clause, "name"))] = (target, name)

    def _declarator(self, module: Module, node: Node) -> None:
        value = unwrap(field_(node, "value"))
        name_node = field_(node, "name")
        if value is None or name_node is None:
            return
        if value.type == "call_expression" and text(field_(value, "function")) == "require":
            target = self.resolve_file(module.path, string(next(iter(args(value)), None)) or "")
            if name_node.type == "identifier":
                module.imports[text(name_node)] = (target, "*")
            else:
                for part in named_children(name_node):
                    if part.type == "shorthand_property_identifier_pattern":
                        module.imports[text(part)] = (target, text(part))
                    elif part.type == "pair_pattern":
                        module.imports[text(field_(part, "value"))] = (target, text(field_(part, "key")))
            return
        if name_node.type == "object_pattern":
            for name, keys in pattern_names(name_node):
                module.picks.setdefault(name, (value, keys))
            return
        if name_node.type != "identifier":
            return
        name = text(name_node)
        if value.type in FUNCTIONS:
            module.functions.setdefault(name, value)
            return
        module.values.setdefault(name, value)
        wrapped = wrapped_function(value)
        if wrapped is not None:
            # `const getUsers = catchAsync(async (req, res) => ...)`, `fp(async (fastify) => ...)`
            module.functions.setdefault(name, wrapped)

    def _local_name(self, module: Module, value: Node) -> str:
        if value.type in FUNCTIONS:
            name = text(field_(value, "name")) or f"anon@{line(value)}:{value.start_point[1]}"
            module.functions.setdefault(name, value)
            return name
        if value.type == "identifier":
            return text(value)
        # `export default Router().use(...)`: an expression; the router walker aliases it.
        name = f"expr@{line(value)}:{value.start_point[1]}"
        module.values.setdefault(name, value)
        wrapped = wrapped_function(value)
        if wrapped is not None:
            module.functions.setdefault(name, wrapped)
        return name

    def _export(self, module: Module, node: Node) -> None:
        source = field_(node, "source")
        if source is not None:
            # `export * from './utils'` / `export { a as b } from './x'`
            target = self.resolve_file(module.path, string(source) or "")
            specs = _export_specifiers(node)
            if not specs:
                module.star_exports.append(target)
            for spec in specs:
                name = text(field_(spec, "name"))
                alias = text(field_(spec, "alias") or field_(spec, "name"))
                module.imports.setdefault(alias, (target, name))
                module.exports[alias] = alias
            return
        declaration = field_(node, "declaration")
        value = unwrap(field_(node, "value"))
        is_default = any(c.type == "default" for c in node.children)
        if declaration is not None:
            # only the declaration's own names: `export class X` holds declarators of its own
            names = [
                text(field_(d, "name"))
                for d in named_children(declaration)
                if d.type == "variable_declarator"
            ]
            own = text(field_(declaration, "name"))
            for name in names or [own]:
                module.exports[name] = name
            if is_default:
                module.exports["default"] = own
        elif value is not None:
            module.exports["default"] = self._local_name(module, value)
        for spec in _export_specifiers(node):
            local = text(field_(spec, "name"))
            module.exports[text(field_(spec, "alias") or field_(spec, "name"))] = local

    def exported(self, target: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """(file, local name) an export refers to; `*` means the module's default/module.exports value."""
        module = self.modules.get(target)
        if module is None or depth > 16:
            return None
        local = module.exports.get("default" if name in ("*", "default") else name)
        if local is None:
            for other in module.star_exports if name not in ("*", "default") else ():
                found = self.exported(other, name, depth + 1)
                if found is not None:
                    return found
            return None
        if local in module.imports and module.imports[local][0] in self.modules:
            return self.exported(*module.imports[local], depth + 1)
        return target, local

    def function(self, module: Module, expr: Node | None, depth: int = 0) -> tuple[Module, Node] | None:
        """The function an identifier, `ns.fn` or `require('./x')` refers to, following imports; a
        member of exported object literals (`posts.drafts.list`, a shorthand method) last, as it costs
        most."""
        expr = unwrap(expr)
        if expr is None or depth > 8:
            return None
        found = self._function(module, expr, depth)
        if found is not None or expr.type != "member_expression":
            return found
        obj, prop = member(expr)
        holder = self._object_literal(module, obj, depth)
        value = object_props(holder[1]).get(prop) if holder is not None else None
        if holder is not None and value is not None and value.type in (*FUNCTIONS, "method_definition"):
            return holder[0], value
        return None

    def _function(self, module: Module, expr: Node, depth: int) -> tuple[Module, Node] | None:
        if expr.type in FUNCTIONS or expr.type == "method_definition":
            return module, expr
        target: tuple[str, str] | None = None
        if expr.type == "identifier":
            name = text(expr)
            if name in module.functions:
                return module, module.functions[name]
            if name in module.imports:
                target = self.exported(*module.imports[name])
        elif expr.type == "member_expression":
            obj, prop = member(expr)
            static = self._static_method(module, obj, prop)
            if static is not None:
                return static
            if (
                obj is not None
                and obj.type == "call_expression"
                and text(field_(obj, "function")) == "require"
            ):
                # `require('./sign-up').register(router)`
                file = self.resolve_file(module.path, string(next(iter(args(obj)), None)) or "")
                target = self.exported(file, prop)
                owner = self.modules.get(target[0]) if target else None
                found = owner.functions.get(target[1]) if owner and target else None
                return (owner, found) if owner is not None and found is not None else None
            if obj is not None and obj.type == "this":
                cls = enclosing_class(expr)
                found_fn = class_function(cls, prop) if cls is not None else None
                if found_fn is not None:
                    return module, found_fn
            holder = (
                self.class_of(module, obj) if obj is not None and obj.type == "member_expression" else None
            )
            if holder is not None:
                # `this.user.getUsers` with `user = new UserController()`
                method_fn = class_function(holder[1], prop)
                return (holder[0], method_fn) if method_fn is not None else None
            if obj is not None and text(obj) in module.imports:
                file, _ = module.imports[text(obj)]
                target = self.exported(file, prop)
                instance = self._exported_instance(file) if target is None else None
                if instance is not None:
                    # `module.exports = new Shop()`, then `Shop.list`: the class's method
                    method_fn = class_function(instance[1], prop)
                    return (instance[0], method_fn) if method_fn is not None else None
            elif obj is not None and obj.type == "identifier":
                literal = unwrap(local_value(obj) or module.values.get(text(obj)))
                if literal is not None and literal.type == "object":
                    # `const controller = { list: async (req, res) => ... }`
                    return self.function(module, object_props(literal).get(prop), depth + 1)
                instance = self.class_of(module, literal) if literal is not None else None
                if instance is not None:
                    # `const controller = new TaskController()`, then `controller.list`
                    method_fn = class_function(instance[1], prop)
                    return (instance[0], method_fn) if method_fn is not None else None
        elif expr.type == "call_expression":
            bound, method = member(field_(expr, "function"))
            if method == "bind" and bound is not None:
                # `controller.list.bind(controller)`
                return self.function(module, bound, depth + 1)
            if text(field_(expr, "function")) == "require":
                file = self.resolve_file(module.path, string(next(iter(args(expr)), None)) or "")
                target = self.exported(file, "*")
            else:
                wrapped = wrapped_function(expr)
                if wrapped is not None:
                    return module, wrapped
                # `asyncHandler(controller.list)`: the wrapped function passed by name
                given = args(expr)
                return self.function(module, given[-1], depth + 1) if given else None
        if target is None:
            return None
        other = self.modules[target[0]]
        found = other.functions.get(target[1])
        return (other, found) if found is not None else None

    def _object_literal(self, module: Module, expr: Node | None, depth: int) -> tuple[Module, Node] | None:
        """The object literal a name or a member chain of object literals denotes (through imports)."""
        expr = unwrap(expr)
        if expr is None or depth > 8:
            return None
        if expr.type == "object":
            return module, expr
        if expr.type in ("identifier", "shorthand_property_identifier"):
            # A module's constant or import (`const posts = require('./posts')`: the module's export);
            # a parameter or a local is not an object of handlers other modules use.
            found = self.value(module, text(expr))
            return self._object_literal(found[0], found[1], depth + 1) if found is not None else None
        if expr.type == "call_expression" and text(field_(expr, "function")) == "require":
            # `require('../controllers').articles`: the object that module exports
            file = self.resolve_file(module.path, string(next(iter(args(expr)), None)) or "")
            other = self.modules.get(file)
            whole = other.values.get("module.exports") if other is not None else None
            return self._object_literal(other, whole, depth + 1) if other and whole is not None else None
        if expr.type == "member_expression":
            obj, prop = member(expr)
            holder = self._object_literal(module, obj, depth + 1)
            value = object_props(holder[1]).get(prop) if holder is not None else None
            return self._object_literal(holder[0], value, depth + 1) if holder and value is not None else None
        return None

    def _exported_instance(self, file: str) -> tuple[Module, Node] | None:
        """The class of the instance a module exports whole (`module.exports = new Shop()`)."""
        target = self.exported(file, "*")
        owner = self.modules.get(target[0]) if target is not None else None
        value = unwrap(owner.values.get(target[1])) if owner is not None and target is not None else None
        if owner is None or value is None or value.type != "new_expression":
            return None
        return self.class_of(owner, value)

    def _static_method(self, module: Module, obj: Node | None, prop: str) -> tuple[Module, Node] | None:
        """`NotesController.list`: a method of a class declared here or imported."""
        if obj is None or obj.type != "identifier":
            return None
        name = text(obj)
        owner: Module | None = module if name in module.classes else None
        if owner is None and name in module.imports:
            target = self.exported(*module.imports[name])
            if target is not None and target[1] in self.modules[target[0]].classes:
                owner, name = self.modules[target[0]], target[1]
        if owner is None:
            return None
        found = class_function(owner.classes[name], prop)
        return (owner, found) if found is not None else None

    def class_of(self, module: Module, expr: Node | None) -> tuple[Module, Node] | None:
        """The class an expression instantiates or names: `new UserController()`, `this.user` (a field
        initialised so), `UserController` — declared here or imported."""
        expr = unwrap(expr)
        if expr is None:
            return None
        if expr.type == "new_expression":
            return self.class_of(module, field_(expr, "constructor"))
        if expr.type == "member_expression":
            obj, prop = member(expr)
            cls = enclosing_class(expr) if obj is not None and obj.type == "this" else None
            return self.class_of(module, class_field(cls, prop)) if cls is not None else None
        if expr.type != "identifier":
            return None
        name = text(expr)
        if name in module.classes:
            return module, module.classes[name]
        if name in module.imports:
            target = self.exported(*module.imports[name])
            if target is not None and target[1] in self.modules[target[0]].classes:
                owner = self.modules[target[0]]
                return owner, owner.classes[target[1]]
        return None

    def exported_classes(self, file: str, depth: int = 0) -> list[tuple[Module, Node]]:
        """Every class a module exports, its `export * from` files' too (`Object.values(controllers)`
        over `import * as controllers from './controllers'`)."""
        module = self.modules.get(file)
        if module is None or depth > 8:
            return []
        found: list[tuple[Module, Node]] = []
        for name in module.exports:
            target = self.exported(file, name)
            owner = self.modules.get(target[0]) if target is not None else None
            if target is not None and owner is not None and target[1] in owner.classes:
                found.append((owner, owner.classes[target[1]]))
        for other in module.star_exports:
            found.extend(self.exported_classes(other, depth + 1))
        return found

    def value(self, module: Module, name: str, depth: int = 0) -> tuple[Module, Node] | None:
        """The expression a constant name refers to, in this module or through an import."""
        if name in module.values:
            return module, module.values[name]
        if name in module.imports and depth < 16:
            file, exported = module.imports[name]
            if exported == "*" and file in self.modules:
                # `const config = require('./config')`: the whole `module.exports` value
                other = self.modules[file]
                whole = other.values.get("module.exports")
                if whole is not None:
                    return other, whole
            target = self.exported(file, exported)
            if target is not None:
                other = self.modules[target[0]]
                if target[1] in other.values:
                    return other, other.values[target[1]]
                if target[1] in other.imports:
                    return self.value(other, target[1], depth + 1)
        return None

    def package_of(self, module: Module, name: str) -> str:
        return module.imports.get(name, ("", ""))[0]

    def method(self, class_name: str, method_name: str) -> tuple[Module, Node] | None:
        """A class's method by name (the class found anywhere in the project)."""
        found = self.classes.get(class_name)
        if found is None:
            return None
        module, cls = found
        for item in named_children(field_(cls, "body")):
            if item.type == "method_definition" and text(field_(item, "name")) == method_name:
                return module, item
        return None


_INDEXED = (
    "import_statement",
    "variable_declarator",
    "function_declaration",
    "generator_function_declaration",
    "class_declaration",
    "abstract_class_declaration",
    "class",
    "interface_declaration",
    "type_alias_declaration",
    "enum_declaration",
    "export_statement",
    "assignment_expression",
)


@functools.cache
def _query(grammar: Grammar, kinds: tuple[str, ...]) -> tree_sitter.Query:
    factory = {
        "javascript": tree_sitter_javascript.language,
        "typescript": tree_sitter_typescript.language_typescript,
        "tsx": tree_sitter_typescript.language_tsx,
    }[grammar]
    language = tree_sitter.Language(factory())
    known = [k for k in kinds if language.id_for_node_kind(k, True)]
    return tree_sitter.Query(language, "[" + " ".join(f"({k})" for k in known) + "] @node")


def nodes_of(parsed: Parsed, kinds: tuple[str, ...]) -> list[Node]:
    """The nodes of these kinds, in source order (as ``walk`` meets them), found by a tree-sitter query:
    much faster than a walk in Python."""
    grammar = grammar_for(parsed.path) or "javascript"
    found = tree_sitter.QueryCursor(_query(grammar, kinds)).captures(parsed.root).get("node", [])
    return sorted(found, key=lambda n: (n.start_byte, -n.end_byte))


def _declarations(parsed: Parsed) -> list[Node]:
    """The nodes the index reads."""
    return nodes_of(parsed, _INDEXED)


def _export_specifiers(node: Node) -> list[Node]:
    """`export { a, b as c }`: only the export clause is read, never a declaration's body."""
    return [
        spec
        for clause in named_children(node)
        if clause.type == "export_clause"
        for spec in named_children(clause)
        if spec.type == "export_specifier"
    ]


def wrapped_function(call: Node) -> Node | None:
    """The function literal passed last to a wrapper call: `asyncHandler(async (req, res) => ...)`."""
    call = unwrap(call) or call
    if call.type != "call_expression":
        return None
    given = args(call)
    last = unwrap(given[-1]) if given else None
    return last if last is not None and last.type in FUNCTIONS else None


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []
    for path in iter_paths(root, (*SUFFIXES, "package.json")):
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((path.as_posix(), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=2)
def _cached(root: Path, signature: tuple[tuple[str, int, int], ...]) -> tuple[Project, tuple[str, ...]]:
    del signature  # part of the cache key only: any changed file parses the project again
    warnings: list[str] = []
    browser = browser_projects(root)

    def choose(path: str) -> Grammar | None:
        return None if path.startswith(browser) else grammar_for(path)

    project = Project(root, parse_all(root, SUFFIXES, choose, warnings))
    return project, tuple(warnings)


def load(root: Path, warnings: list[str]) -> Project:
    """The project under root, parsed once per set of file versions; parse warnings are appended."""
    resolved = root.resolve()
    # Detection, extraction and the env/port scans all load it: one walk for the signature per analysis.
    project, found = once_per_analysis(
        ("node-project", str(resolved)), lambda: _cached(resolved, _signature(root))
    )
    warnings.extend(found)
    return project


def local_value(name: Node) -> Node | None:
    """The value a `const`/`let` of the enclosing blocks gives an identifier (the nearest one)."""
    found = local_binding(name)
    return found[0] if found is not None and not found[1] else None


def local_binding(name: Node) -> tuple[Node, tuple[str, ...]] | None:
    """The declaration of the enclosing blocks (the nearest one) that binds an identifier: its value and,
    for a destructuring one (`const { port, prefix } = config.get('app')`), the keys down to the name."""
    wanted = text(name)
    block = name.parent
    while block is not None:
        if block.type in ("statement_block", "program"):
            for statement in named_children(block):
                if statement.type not in ("lexical_declaration", "variable_declaration"):
                    continue
                for declarator in named_children(statement):
                    value = field_(declarator, "value")
                    target = field_(declarator, "name")
                    if declarator.type != "variable_declarator" or value is None or target is None:
                        continue
                    if target.type == "identifier" and text(target) == wanted:
                        return value, ()
                    if target.type == "object_pattern":
                        keys = dict(pattern_names(target)).get(wanted)
                        if keys is not None:
                            return value, keys
        block = block.parent
    return None


def pattern_names(pattern: Node, outer: tuple[str, ...] = ()) -> list[tuple[str, tuple[str, ...]]]:
    """The names an object pattern binds, each with the keys that lead to it: `{ a, b: c, d: { e } }`
    gives a <- (a,), c <- (b,), e <- (d, e)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for part in named_children(pattern):
        if part.type == "shorthand_property_identifier_pattern":
            found.append((text(part), (*outer, text(part))))
        elif part.type == "object_assignment_pattern":
            # `{ prefix = '/api' }`: the default is left to the caller's fallback handling
            left = field_(part, "left")
            if left is not None and left.type == "shorthand_property_identifier_pattern":
                found.append((text(left), (*outer, text(left))))
        elif part.type == "pair_pattern":
            key_node, value = field_(part, "key"), field_(part, "value")
            key = string(key_node) or text(key_node)
            if value is not None and value.type == "identifier":
                found.append((text(value), (*outer, key)))
            elif value is not None and value.type == "object_pattern":
                found.extend(pattern_names(value, (*outer, key)))
    return found
