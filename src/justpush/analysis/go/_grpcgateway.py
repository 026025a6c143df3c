"""grpc-gateway: the HTTP routes a `pb.Register<Service>Handler{Server,FromEndpoint,Client}(ctx, gwmux, ...)`
call serves, read from the `google.api.http` options of that service's rpcs in the upload's .proto files
(the generated *.pb.gw.go only holds them as compiled patterns). The request's scalar fields that neither
the path binds nor the body takes (`body: "*"` takes them all) are query parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .._files import iter_sources
from .._model import HttpMethod, Operation, Parameter
from .._treesitter import RouteDecl, build_operation, to_template
from ._index import GoIndex

_REGISTER = re.compile(r"^Register(\w+?)Handler(?:Server|FromEndpoint|Client)?$")
# Strings first, so that `"/v1/{name=users/*/settings/*}"` holds no comment.
_COMMENT = re.compile(r"(\"(?:[^\"\\\n]|\\.)*\")|//[^\n]*|/\*.*?\*/", re.DOTALL)
_SERVICE = re.compile(r"\bservice\s+(\w+)\s*\{")
_RPC = re.compile(r"\brpc\s+(\w+)\s*\(\s*(?:stream\s+)?([\w.]+)\s*\)\s*returns\s*\([^)]*\)\s*\{")
_RULE = re.compile(r"\b(get|put|post|delete|patch)\s*:\s*\"([^\"]+)\"")
_BODY = re.compile(r"\bbody\s*:\s*\"([^\"]*)\"")
_MESSAGE = re.compile(r"\bmessage\s+(\w+)\s*\{")
_FIELD = re.compile(r"^\s*(?:optional\s+|repeated\s+)?([\w.]+(?:<[^>]*>)?)\s+(\w+)\s*=\s*\d+", re.MULTILINE)
_ENUM = re.compile(r"\benum\s+(\w+)\s*\{")
# Field types a single query parameter carries (a message field would be `field.sub=`).
_SCALARS = frozenset(
    {
        *("double", "float", "bool", "string", "bytes"),
        *(f"{kind}{bits}" for kind in ("int", "uint", "sint", "fixed", "sfixed") for bits in (32, 64)),
    }
)
# `{name=projects/*/books/*}` binds the field `name` to the segments the pattern matches.
_VARIABLE = re.compile(r"\{([\w.]+)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class _Rule:
    """One `google.api.http` binding of an RPC: its method, path template, body field and request."""

    method: HttpMethod
    path: str
    body: str | None
    request: str
    file: str
    line: int


def gateway_operations(root: Path, index: GoIndex, warnings: list[str]) -> list[Operation]:
    """The operations of the services the Go code registers on a grpc-gateway mux."""
    services = {m.group(1) for call in index.calls if (m := _REGISTER.match(call.name))}
    if not services:
        return []
    rules: dict[str, list[_Rule]] = {}
    fields: dict[str, list[tuple[str, str]]] = {}
    enums: set[str] = set()
    for source in iter_sources(root, (".proto",), warnings):
        text = _COMMENT.sub(lambda m: m.group(1) or re.sub(r"[^\n]", " ", m.group(0)), source.text)
        enums.update(_ENUM.findall(text))
        for message in _MESSAGE.finditer(text):
            fields.setdefault(message.group(1), _FIELD.findall(_flat(_block(text, message.end() - 1))))
        for service in _SERVICE.finditer(text):
            if service.group(1) not in services:
                continue
            start = service.end() - 1
            block = _block(text, start)
            for rpc in _RPC.finditer(block):
                options = _block(block, rpc.end() - 1)
                body_rule = _BODY.search(options)
                for verb in _RULE.finditer(options):
                    line = text.count("\n", 0, start + rpc.start()) + 1
                    rules.setdefault(service.group(1), []).append(
                        _Rule(
                            verb.group(1),  # type: ignore[arg-type]
                            verb.group(2),
                            body_rule.group(1) if body_rule else None,
                            rpc.group(2).rsplit(".", 1)[-1],
                            source.path,
                            line,
                        )
                    )
    operations: list[Operation] = []
    seen: set[tuple[str, str]] = set()
    for registered in sorted(services):
        if registered not in rules:
            warnings.append(
                f"grpc-gateway service {registered} is registered but no .proto file in the upload declares"
                " its google.api.http routes"
            )
        for rule in rules.get(registered, []):
            template, notes = to_template(_VARIABLE.sub(_expand, rule.path))
            if (rule.method, template) in seen:
                continue
            seen.add((rule.method, template))
            bound = {m.group(1).split(".")[0] for m in _VARIABLE.finditer(rule.path)}
            scalars = [
                name
                for kind, name in fields.get(rule.request, [])
                if kind in _SCALARS or kind.rsplit(".", 1)[-1] in enums
            ]
            query = [] if rule.body == "*" else [name for name in scalars if name not in bound]
            decl = RouteDecl(rule.method, rule.path, rule.file, rule.line)
            decl.parameters = tuple(Parameter(field, "query") for field in query if field != rule.body)
            operations.append(build_operation(rule.method, template, decl, None, notes))
    return operations


def _expand(variable: re.Match[str]) -> str:
    """`{name=shelves/*/books/*}` → `shelves/{name}/books/{name_2}`, `{path=**}` → `{path...}`."""
    field, pattern = variable.group(1), variable.group(2)
    if not pattern:
        return "{" + field + "}"
    out: list[str] = []
    for segment in pattern.split("/"):
        if segment == "**":
            out.append("{" + field + "...}")
        elif segment == "*":
            count = sum(s.startswith("{") for s in out) + 1
            out.append("{" + field + ("" if count == 1 else f"_{count}") + "}")
        else:
            out.append(segment)
    return "/".join(out)


def _block(text: str, open_brace: int) -> str:
    """The text between the brace at open_brace and its match (comments already blanked)."""
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_brace + 1 : i]
    return text[open_brace + 1 :]


def _flat(body: str) -> str:
    """A message body without its nested messages and enums (their fields are not the request's)."""
    out = body
    for nested in re.finditer(r"\b(?:message|enum)\s+\w+\s*\{", body):
        out = out.replace(_block(body, nested.end() - 1), "")
    return out
