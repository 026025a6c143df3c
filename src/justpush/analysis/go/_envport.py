"""Environment variables a Go program reads and the port it listens on."""

from __future__ import annotations

import re

from .._model import EnvVar, Evidence
from .._treesitter import Node, env_var, evidence, field_, named_children, text, walk
from ._index import GoFile, GoIndex
from ._resolve import Ctx, Resolver
from ._syntax import args, function_scope, go_string

_ENV_READS = {("os", "Getenv"), ("os", "LookupEnv")}
_LISTEN = {
    ("http", "ListenAndServe"),
    ("http", "ListenAndServeTLS"),
    ("", "Run"),
    ("", "Start"),
    ("", "Listen"),
    ("net", "Listen"),
    ("", "RunTLS"),
    ("", "StartTLS"),
    ("", "ListenTLS"),
}


def env_reads(index: GoIndex, resolver: Resolver) -> list[EnvVar]:
    """os.Getenv / os.LookupEnv reads (with the fallback applied right after) and getenv-style helpers."""
    found: list[EnvVar] = []
    for call in index.calls:
        operand, name, node = call.operand, call.name, call.node
        if (operand, name) not in _ENV_READS and (operand or name not in resolver.env_helpers):
            continue
        path = call.file.parsed.path
        arguments = args(node)
        if not arguments:
            continue
        if (operand, name) in _ENV_READS:
            var_name = go_string(arguments[0])
            if var_name is None:
                continue
            default = _go_default(node)
            required = default is None and name == "Getenv" and not _only_tested(node)
            found.append(env_var(var_name, default, evidence(path, node), required=required))
        elif not operand and name in resolver.env_helpers:
            name_i, default_i = resolver.env_helpers[name]
            var_name = go_string(arguments[name_i]) if len(arguments) > name_i else None
            if var_name is None:
                continue
            default = None
            if default_i is not None and len(arguments) > default_i:
                default_node = arguments[default_i]
                default = go_string(default_node)
                if default is None and default_node.type in ("int_literal", "true", "false"):
                    default = text(default_node)
            required = default is None and not _only_tested(node)
            # `os.Getenv("APP_" + name)` first, a deprecated `os.Getenv(name)` after: the first is the one.
            prefix = resolver.env_prefixes.get(name, "")
            found.append(env_var(prefix + var_name, default, evidence(path, node), required=required))
    return found


def _only_tested(call: Node) -> bool:
    """A read the code tests for presence or compares with a value, so an unset variable is a case it
    handles: `if os.Getenv("X") == "true"`, `v := os.Getenv("X")` … `if v != "" {…}`. Not evidence:
    `key != os.Getenv("X")`, nor `v == ""`, which as often refuses to go on (`log.Fatal`, a 401)."""
    parent = call.parent
    if parent is not None and parent.type == "binary_expression":
        return _tests_presence(parent, text(call))
    holder = parent.parent if parent is not None else None
    if holder is None or holder.type not in ("short_var_declaration", "var_spec", "assignment_statement"):
        return False
    left = named_children(field_(holder, "left")) or holder.children_by_field_name("name")
    position = next((i for i, value in enumerate(named_children(parent)) if value == call), None)
    if position is None or position >= len(left):
        return False
    name = text(left[position])
    if _fallback_for(holder, name):
        return True
    return any(
        node.type == "binary_expression" and (_tests_presence(node, name) or _fills_when_empty(node, name))
        for node in walk(function_scope(holder))
    )


def _fallback_for(assignment: Node, target: str) -> bool:
    """`if cfg.URL == "" { cfg.URL = os.Getenv("X") }`: the read only fills a value given another way."""
    statement = assignment.parent
    while statement is not None and statement.type == "block":
        statement = statement.parent
    if statement is None or statement.type != "if_statement":
        return False
    return text(field_(statement, "condition")).replace(" ", "") == f'{target}==""'


def _fills_when_empty(comparison: Node, name: str) -> bool:
    """`if v == "" { v = filepath.Join(home, ".x") }`: a computed fallback."""
    if text(comparison).replace(" ", "") != f'{name}==""':
        return False
    statement = comparison.parent
    if statement is None or statement.type != "if_statement":
        return False
    return any(
        node.type == "assignment_statement" and text(field_(node, "left")) == name
        for node in walk(field_(statement, "consequence") or statement)
    )


def _tests_presence(comparison: Node, operand: str) -> bool:
    """`operand != ""`, or operand compared with a non-empty string literal (either side)."""
    operator = text(field_(comparison, "operator"))
    left, right = field_(comparison, "left"), field_(comparison, "right")
    other = right if text(left) == operand else left if text(right) == operand else None
    literal = go_string(other) if other is not None else None
    return operator in ("==", "!=") and literal is not None and (literal != "" or operator == "!=")


def _go_default(call: Node) -> str | None:
    """A fallback applied right after reading: `if v == "" { v = "d" }`, `if !ok {…}`, cmp.Or(…, "d")."""
    arg_list = call.parent
    outer = arg_list.parent if arg_list is not None else None
    if outer is not None and outer.type == "call_expression" and text(field_(outer, "function")) == "cmp.Or":
        for arg in args(outer)[1:]:
            if (value := go_string(arg)) is not None:
                return value
    holder = call.parent.parent if call.parent is not None else None
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return None
    names = [text(n) for n in named_children(field_(holder, "left"))]
    if not names:
        return None
    scope = holder.parent
    if scope is not None and scope.type == "if_statement":
        condition = text(field_(scope, "condition")).replace(" ", "")
        if condition in (f'{names[0]}!=""', names[-1]):
            # `if v := os.Getenv("X"); v != "" { return v }` falls through to `return "default"`.
            after = scope.next_named_sibling
            if after is not None and after.type == "return_statement":
                returned = named_children(after)
                if returned and returned[0].type == "expression_list":
                    returned = named_children(returned[0])
                return go_string(returned[0]) if returned else None
            return None
        candidates = [scope]
    else:
        candidates = []
        sibling = holder.next_named_sibling
        for _ in range(3):
            if sibling is None:
                break
            candidates.append(sibling)
            sibling = sibling.next_named_sibling
    for stmt in candidates:
        if stmt.type != "if_statement":
            continue
        condition = text(field_(stmt, "condition")).replace(" ", "")
        if condition not in (f'{names[0]}==""', f"!{names[-1]}", f"len({names[0]})==0"):
            continue
        for node in walk(field_(stmt, "consequence") or stmt):
            if node.type == "assignment_statement" and text(field_(node, "left")) == names[0]:
                assigned = named_children(field_(node, "right"))
                if assigned and (literal := go_string(assigned[0])) is not None:
                    return literal
    return None


def port_candidates(index: GoIndex, resolver: Resolver) -> list[tuple[int, Evidence]]:
    """Ports from ListenAndServe / Run / Start / Listen / http.Server{Addr}, following env defaults."""
    found: list[tuple[GoFile, Node, Node]] = []
    for call in index.calls:
        gofile, node, operand, name = call.file, call.node, call.operand, call.name
        if (operand if operand in ("http", "net") else "", name) not in _LISTEN:
            continue
        arguments = args(node)
        if name == "Run" and not arguments and operand:
            # gin's Run() without an address listens on :8080 (or $PORT).
            found.append((gofile, node, node))
        elif arguments:
            found.append((gofile, node, arguments[-1] if operand == "net" else arguments[0]))
    for gofile, node in index.keyed:
        children = named_children(node)
        if len(children) == 2 and text(children[0]) == "Addr":
            value_node = children[1]
            if value_node.type == "literal_element" and named_children(value_node):
                value_node = named_children(value_node)[0]
            found.append((gofile, node, value_node))
    candidates: list[tuple[int, Evidence]] = []
    for gofile, node, addr in sorted(found, key=lambda f: (f[0].parsed.path, f[1].start_byte)):
        if addr is node:
            candidates.append((8080, evidence(gofile.parsed.path, node, "gin Run() default :8080")))
            continue
        value = resolver.string(addr, Ctx(gofile))
        match = re.search(r":(\d{1,5})$", value or "")
        # Port 0 asks the system for any free port: nothing a deployment can route to.
        if match and 0 < int(match.group(1)) < 65536:
            candidates.append((int(match.group(1)), evidence(gofile.parsed.path, node)))
    return candidates
