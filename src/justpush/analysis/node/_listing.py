"""What a directory listing in the code returns, so that a loop requiring each file can be unrolled.

`fs.readdirSync(path.join(__dirname, 'routes'))` gives the names of the folder's modules (and of its
subfolders that have an index module); `glob.sync('src/routes/*.js')` the paths that match, as glob
writes them. `.filter()` and `.map()` callbacks are applied when the resolver can evaluate them; a
filter it cannot evaluate keeps the item. The module doing the listing never lists itself: a folder's
index that mounts its siblings leaves itself out, or would recurse at run time.
"""

from __future__ import annotations

import json
import posixpath
import re

from .._treesitter import Node, field_, named_children, parse_text, text
from ._project import Module
from ._resolve import Bindings, Resolver
from ._syntax import FUNCTIONS, args, member, object_props, param_names, returned, unwrap

_FS_PACKAGES = ("fs", "node:fs", "fs-extra", "graceful-fs")
_GLOB_PACKAGES = ("glob", "fast-glob", "globby", "tiny-glob/sync")
_GLOB_FUNCTIONS = ("sync", "globSync", "globbySync")
_SOURCE = re.compile(r"\.(?:[cm]?js|jsx|tsx?)$")
_NOT_LOADED = re.compile(r"\.d\.ts$|\.(?:test|spec)\.[cm]?[jt]sx?$")
_INDEX = re.compile(r"index\.(?:[cm]?js|jsx|tsx?)$")


def listed(resolver: Resolver, module: Module, expr: Node | None, code: str) -> list[str] | None:
    """The strings a listing expression evaluates to, or None when it is not a listing the analysis
    can follow. ``code`` is the loop's text: TypeScript sources are listed under their compiled `.js`
    names when the loop looks for `.js` files (it runs over the build's output)."""
    return _listed(resolver, module, expr, code, 0)


def string_nodes(values: list[str]) -> Node:
    """An array literal of these strings: what a loop over them binds its variable to."""
    program = parse_text("javascript", f"[{', '.join(json.dumps(v) for v in values)}];")
    return named_children(named_children(program)[0])[0]


def _listed(resolver: Resolver, module: Module, expr: Node | None, code: str, depth: int) -> list[str] | None:
    expr = unwrap(expr)
    if expr is None or depth > 8:
        return None
    if expr.type == "identifier":
        found = resolver.named(module, expr)
        if found is not None:
            return _listed(resolver, found[0], found[1], code, depth + 1)
        call = _listing_callback(expr)
        return _listed(resolver, module, call, code, depth + 1) if call is not None else None
    if expr.type != "call_expression":
        return None
    fn = field_(expr, "function")
    given = args(expr)
    obj, prop = member(fn)
    if prop in ("filter", "map") and obj is not None and given:
        items = _listed(resolver, module, obj, code, depth + 1)
        callback = resolver.project.function(module, given[0])
        if items is None or callback is None:
            return None
        return (
            _filtered(resolver, callback, items) if prop == "filter" else _mapped(resolver, callback, items)
        )
    last = unwrap(given[-1]) if given else None
    if last is not None and last.type in FUNCTIONS:
        given = given[:-1]  # the callback of `fs.readdir(dir, (err, files) => ...)`
    if _callee(module, fn, _FS_PACKAGES, ("readdirSync", "readdir")) and given:
        folder = resolver.path(module, given[0])
        return _entries(resolver, module, folder, code) if folder is not None else None
    if _callee(module, fn, _GLOB_PACKAGES, _GLOB_FUNCTIONS) and given:
        return _globbed(resolver, module, given)
    return None


def _listing_callback(name: Node) -> Node | None:
    """The call whose callback receives this name as its result: `files` in
    `fs.readdir(dir, (err, files) => ...)` or `glob(pattern, (err, matches) => ...)`."""
    wanted = text(name)
    fn = name.parent
    while fn is not None and not (fn.type in FUNCTIONS and wanted in param_names(fn)):
        fn = fn.parent
    if fn is None or param_names(fn).index(wanted) != 1:
        return None
    holder = fn.parent
    call = holder.parent if holder is not None and holder.type == "arguments" else None
    return call if call is not None and call.type == "call_expression" else None


def _callee(module: Module, fn: Node | None, packages: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """`fs.readdirSync` / `readdirSync` imported from one of the packages; a glob package's default
    export (`glob(pattern, callback)`)."""
    fn = unwrap(fn)
    if fn is None:
        return False
    if fn.type == "identifier":
        imported = module.imports.get(text(fn))
        whole = packages is _GLOB_PACKAGES and imported is not None and imported[1] in ("*", "default")
        return imported is not None and imported[0] in packages and (imported[1] in names or whole)
    obj, prop = member(fn)
    holder = module.imports.get(text(obj))
    known = holder[0] in packages if holder is not None else text(obj) in ("fs", "glob")
    return prop in names and known


def _entries(resolver: Resolver, module: Module, folder: str, code: str) -> list[str]:
    base = posixpath.normpath(folder.lstrip("/") or ".")
    prefix = "" if base == "." else base + "/"
    as_js = ".js" in code and ".ts" not in code
    names: set[str] = set()
    for path in resolver.project.modules:
        if not path.startswith(prefix) or path == module.path or _NOT_LOADED.search(path):
            continue
        head, nested, rest = path[len(prefix) :].partition("/")
        if nested and _INDEX.fullmatch(rest):
            names.add(head)
        elif not nested and _SOURCE.search(head):
            names.add(re.sub(r"\.tsx?$", ".js", head) if as_js else head)
    return sorted(names)


def _globbed(resolver: Resolver, module: Module, given: list[Node]) -> list[str] | None:
    pattern = resolver.path(module, given[0])
    if pattern is None:
        return None
    options = object_props(unwrap(given[1])) if len(given) > 1 else {}
    cwd = resolver.path(module, options["cwd"]) if "cwd" in options else "/"
    if cwd is None:
        return None
    absolute = text(options.get("absolute")) == "true" or pattern.startswith("/")
    anchor = posixpath.normpath(cwd.lstrip("/") or ".")
    matcher = _glob_regex(_anchored(pattern, anchor))
    ignored = [_glob_regex(_anchored(p, anchor)) for p in _ignore_patterns(resolver, module, options)]
    # A pattern matches folders too (`${__dirname}/*` lists each module's folder).
    candidates = {p for p in resolver.project.modules if not _NOT_LOADED.search(p)}
    candidates |= {folder for p in candidates for folder in _folders(p)}
    found: list[str] = []
    for path in sorted(candidates - {module.path}):
        if matcher.fullmatch(path) and not any(i.fullmatch(path) for i in ignored):
            found.append("/" + path if absolute else posixpath.relpath(path, anchor))
    return found


def _folders(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _anchored(pattern: str, anchor: str) -> str:
    full = pattern if pattern.startswith("/") else posixpath.join("/" + anchor, pattern)
    return posixpath.normpath(full).lstrip("/")


def _ignore_patterns(resolver: Resolver, module: Module, options: dict[str, Node]) -> list[str]:
    ignore = options.get("ignore")
    if ignore is None:
        return []
    return resolver.strings(module, ignore) or []


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "{" and "}" in pattern[i:]:
            end = pattern.index("}", i)
            parts.append("(?:" + "|".join(re.escape(p) for p in pattern[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


def _filtered(resolver: Resolver, callback: tuple[Module, Node], items: list[str]) -> list[str]:
    module, fn = callback
    names = param_names(fn)
    body = returned(fn)
    if not names or not names[0] or body is None:
        return items
    values = named_children(string_nodes(items))
    kept: list[str] = []
    for item, value in zip(items, values, strict=True):
        if _truth(resolver, module, body, {names[0]: (module, value)}) is not False:
            kept.append(item)
    return kept


def _mapped(resolver: Resolver, callback: tuple[Module, Node], items: list[str]) -> list[str] | None:
    module, fn = callback
    names = param_names(fn)
    body = returned(fn)
    if not names or not names[0] or body is None or fn.type not in FUNCTIONS:
        return None
    values = named_children(string_nodes(items))
    mapped = [resolver.string(module, body, {names[0]: (module, v)}) for v in values]
    return [m for m in mapped if m is not None] if all(m is not None for m in mapped) else None


def _truth(resolver: Resolver, module: Module, expr: Node | None, bindings: Bindings) -> bool | None:
    """What a filter's condition gives for one item, or None when it cannot be evaluated."""
    expr = unwrap(expr)
    if expr is None:
        return None
    if expr.type == "unary_expression" and text(field_(expr, "operator")) == "!":
        inner = _truth(resolver, module, field_(expr, "argument"), bindings)
        return None if inner is None else not inner
    if expr.type == "binary_expression":
        operator = text(field_(expr, "operator"))
        left_node, right_node = field_(expr, "left"), field_(expr, "right")
        if operator in ("&&", "||"):
            left = _truth(resolver, module, left_node, bindings)
            right = _truth(resolver, module, right_node, bindings)
            decisive = operator == "||"
            if decisive in (left, right):
                return decisive
            return None if None in (left, right) else not decisive
        if operator in ("===", "==", "!==", "!=", "<", ">", "<=", ">="):
            left_value = resolver.string(module, left_node, bindings)
            right_value = resolver.string(module, right_node, bindings)
            if left_value is None or right_value is None:
                return None
            return _compare(operator, left_value, right_value)
    value = resolver.string(module, expr, bindings)
    return {"true": True, "false": False}.get(value or "")


def _compare(operator: str, left: str, right: str) -> bool | None:
    if operator in ("===", "=="):
        return left == right
    if operator in ("!==", "!="):
        return left != right
    try:
        a, b = int(left), int(right)
    except ValueError:
        return None
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[operator]
