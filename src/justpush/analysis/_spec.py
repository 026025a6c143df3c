"""ExtractedApi -> a deterministic OpenAPI 3.1.0 document, its validation, and what to do with a repo spec."""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from ._model import ExtractedApi, Operation, Parameter, with_parameters_of

OPENAPI_VERSION = "3.1.0"
UNRESOLVED = "x-justpush-unresolved"
_METHOD_ORDER = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PATH_PARAM = re.compile(r"\{([^}/]+)\}")
_OPERATION_ID = re.compile(r"[^A-Za-z0-9_]+")


@dataclass(frozen=True)
class SpecOptions:
    """The document's title, version and description where the code declares none."""

    title: str = "API"
    version: str = "0.1.0"
    description: str | None = None


def build_spec(api: ExtractedApi, options: SpecOptions | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document for what an extractor found: sorted paths, unique operationIds."""
    options = options or SpecOptions()
    info: dict[str, Any] = {"title": api.title or options.title, "version": api.version or options.version}
    if options.description:
        info["description"] = options.description
    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    kept: dict[tuple[str, str], Operation] = {}
    duplicates: list[str] = []
    for op in sorted(api.operations, key=_op_sort_key):
        key = (op.path, op.method)
        if key in kept:
            duplicates.append(f"{op.method.upper()} {op.path}")
            kept[key] = with_parameters_of(kept[key], op)
            continue
        kept[key] = op
    for op in kept.values():
        paths.setdefault(op.path, {})[op.method] = _operation(op, used_ids)
    ordered_paths = {
        path: {m: paths[path][m] for m in _METHOD_ORDER if m in paths[path]} for path in sorted(paths)
    }
    doc: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info}
    if api.servers:
        doc["servers"] = api.servers
    doc["paths"] = ordered_paths
    components: dict[str, Any] = {}
    if api.schemas:
        components["schemas"] = {name: api.schemas[name] for name in sorted(api.schemas)}
    if api.security_schemes:
        components["securitySchemes"] = {n: api.security_schemes[n] for n in sorted(api.security_schemes)}
    if components:
        doc["components"] = components
    if api.default_security is not None:
        doc["security"] = api.default_security
    tags = sorted({tag for op in api.operations for tag in op.tags})
    if tags:
        doc["tags"] = [{"name": tag} for tag in tags]
    if duplicates:
        doc[UNRESOLVED] = {"duplicates": sorted(set(duplicates))}
    return doc


def _op_sort_key(op: Operation) -> tuple[str, int, str, int]:
    evidence = op.evidence
    return (
        op.path,
        _METHOD_ORDER.index(op.method),
        evidence.file if evidence else "",
        (evidence.line or 0) if evidence else 0,
    )


def _operation(op: Operation, used_ids: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if op.tags:
        out["tags"] = list(op.tags)
    if op.summary:
        out["summary"] = op.summary
    out["operationId"] = _unique_id(op, used_ids)
    parameters = _parameters(op)
    if parameters:
        out["parameters"] = parameters
    if op.request_body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {op.request_content_type: {"schema": op.request_body}},
        }
    out["responses"] = _responses(op)
    if op.security is not None:
        out["security"] = op.security
    if op.deprecated:
        out["deprecated"] = True
    if op.unresolved:
        out[UNRESOLVED] = dict(sorted(op.unresolved.items()))
    if op.evidence is not None:
        out["x-justpush-source"] = (
            f"{op.evidence.file}:{op.evidence.line}" if op.evidence.line else op.evidence.file
        )
    return out


def _unique_id(op: Operation, used: set[str]) -> str:
    base = op.operation_id or f"{op.method} {op.path}"
    base = _OPERATION_ID.sub("_", base).strip("_") or op.method
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base}_{n}"
        n += 1
    used.add(candidate)
    return candidate


def _parameters(op: Operation) -> list[dict[str, Any]]:
    declared = {p.name for p in op.parameters if p.location == "path"}
    params: list[Parameter] = list(op.parameters)
    for name in _PATH_PARAM.findall(op.path):
        if name not in declared:
            params.append(Parameter(name, "path", {"type": "string", UNRESOLVED: "type not declared"}, True))
    in_path = set(_PATH_PARAM.findall(op.path))
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for param in params:
        if (param.location, param.name) in seen:
            continue
        if param.location == "path" and param.name not in in_path:
            continue
        seen.add((param.location, param.name))
        item: dict[str, Any] = {"name": param.name, "in": param.location}
        if param.description:
            item["description"] = param.description
        item["required"] = True if param.location == "path" else param.required
        item["schema"] = param.schema
        out.append(item)
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
    return sorted(out, key=lambda p: (order[p["in"]], p["name"]))


def _responses(op: Operation) -> dict[str, Any]:
    responses = op.responses or {"200": None}
    out: dict[str, Any] = {}
    for status in sorted(responses):
        schema = responses[status]
        try:
            description = HTTPStatus(int(status)).phrase
        except ValueError:
            description = "Response"
        item: dict[str, Any] = {"description": description}
        if schema is not None:
            item["content"] = {"application/json": {"schema": schema}}
        out[status] = item
    return out


# ---- validation ---------------------------------------------------------------------------------
def validation_error(spec: dict[str, Any]) -> str | None:
    """None when ``spec`` is a valid OpenAPI 3.0/3.1 document, else the validator's message.

    openapi-spec-validator walks the document in pure Python (about a millisecond per operation), which
    makes large documents slow. Above ``_FULL_VALIDATION_MAX_PATHS`` paths the document's skeleton (schema
    objects emptied) is checked against the OpenAPI JSON Schema with jsonschema-rs, plus the rules that
    schema cannot express (path parameters match their template, operationIds are unique); each distinct
    schema object is meta-checked once, and local ``$ref`` targets are checked to exist.
    """
    paths = spec.get("paths")
    if not isinstance(paths, dict) or len(paths) <= _FULL_VALIDATION_MAX_PATHS:
        return _validate_one(spec)
    return structure_error(spec)


def structure_error(spec: dict[str, Any]) -> str | None:
    """The skeleton check of ``validation_error`` on a document of any size.

    It is how the analysis checks the spec it generated itself: jsonschema-rs loads in milliseconds where
    openapi-spec-validator (with jsonschema, referencing and requests) takes about a third of a second, more
    than the analysis of a small app. A document from the repository, used as written, gets
    ``validation_error``.
    """
    import jsonschema_rs

    schemas: list[tuple[str, Any]] = []
    skeleton = _hollow(spec, "#", schemas)
    error = _validate_skeleton(skeleton)
    if error is not None:
        return error
    checked: set[str] = set()
    refs: set[str] = set()
    for where, schema in schemas:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in checked:
            continue
        checked.add(key)
        _collect_refs(schema, refs)
        try:
            jsonschema_rs.meta.validate(schema)
        except (jsonschema_rs.ValidationError, ValueError) as exc:
            return f"invalid schema at {where}: {str(exc).splitlines()[0]}"
    for ref in sorted(refs):
        if ref.startswith("#/") and _pointer(spec, ref[2:]) is None:
            return f"unresolvable $ref {ref}"
    return None


_FULL_VALIDATION_MAX_PATHS = 100
_EMPTY_SCHEMA: dict[str, Any] = {}


def _hollow(node: Any, where: str, schemas: list[tuple[str, Any]]) -> Any:
    """A copy of the document with every schema object replaced by ``{}`` (collected in ``schemas``)."""
    # One shared empty schema: the validator skips schema objects it has already meta-checked (by identity).
    empty: dict[str, Any] = _EMPTY_SCHEMA
    if isinstance(node, list):
        return [_hollow(v, f"{where}/{i}", schemas) for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        here = f"{where}/{key}"
        if key == "schema" and isinstance(value, dict):
            schemas.append((here, value))
            out[key] = empty
        elif key == "schemas" and where == "#/components" and isinstance(value, dict):
            schemas.extend((f"{here}/{name}", schema) for name, schema in value.items())
            out[key] = dict.fromkeys(value, empty)
        else:
            out[key] = _hollow(value, here, schemas)
    return out


def _collect_refs(node: Any, refs: set[str]) -> None:
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                refs.add(ref)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _pointer(doc: Any, pointer: str) -> Any:
    current = doc
    for raw in pointer.split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return None
    return current


@functools.cache
def _document_validator(version: str) -> Any:
    """jsonschema-rs validator for the OpenAPI document schema of a 3.0 or 3.1 document."""
    import jsonschema_rs

    # The schema file openapi-spec-validator ships, read without importing the package (whose import loads
    # the whole validator).
    found = importlib.util.find_spec("openapi_spec_validator")
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("openapi-spec-validator is not installed")
    folder = "v3.1" if version.startswith("3.1") else "v3.0"
    path = Path(found.submodule_search_locations[0], "resources", "schemas", folder, "schema.json")
    return jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


def _validate_skeleton(skeleton: dict[str, Any]) -> str | None:
    version = str(skeleton.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        return _validate_one(skeleton)
    error = next(iter(_document_validator(version).iter_errors(skeleton)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.instance_path)
        return f"{error.message}" + (f" (at {where})" if where else "")
    return _operation_rules(skeleton)


_TEMPLATE_PARAM = re.compile(r"{([^}/]+)}")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operation_rules(spec: dict[str, Any]) -> str | None:
    """What the OpenAPI schema cannot say: each templated path parameter is declared `in: path`, each
    declared path parameter is in the template, and no operationId is used twice."""
    seen: dict[str, str] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = {p.get("name") for p in item.get("parameters") or [] if p.get("in") == "path"}
        templated = set(_TEMPLATE_PARAM.findall(path))
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            own = operation.get("parameters") or []
            declared = shared | {p.get("name") for p in own if p.get("in") == "path"}
            where = f"{method.upper()} {path}"
            if templated - declared:
                return f"path parameter {sorted(templated - declared)[0]!r} of {where} is not declared"
            if declared - templated:
                return f"path parameter {sorted(declared - templated)[0]!r} of {where} is not in the path"
            operation_id = operation.get("operationId")
            if isinstance(operation_id, str):
                if operation_id in seen:
                    return f"operationId {operation_id!r} is used by {seen[operation_id]} and {where}"
                seen[operation_id] = where
    return None


def _validate_one(spec: dict[str, Any]) -> str | None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError, ValidatorDetectError

    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) if hasattr(exc, "absolute_path") else ""
        return f"{exc.message}" + (f" (at {where})" if where else "")
    except ValidatorDetectError:
        return "no `openapi` or `swagger` version field: not an OpenAPI document"
    except (ValueError, TypeError, KeyError, LookupError, RecursionError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# ---- bounds --------------------------------------------------------------------------------------
def cap_operations(api: ExtractedApi, max_routes: int) -> int:
    """Keep at most ``max_routes`` operations (the first by path and method); how many were dropped."""
    dropped = len(api.operations) - max_routes
    if dropped <= 0:
        return 0
    api.operations = sorted(api.operations, key=_op_sort_key)[:max_routes]
    return dropped


def spec_size(spec: dict[str, Any]) -> int:
    """Bytes of the document as compact JSON, as it is stored and served."""
    return len(json.dumps(spec, separators=(",", ":"), ensure_ascii=False, default=str).encode())


def trim_paths(spec: dict[str, Any], max_bytes: int) -> tuple[dict[str, Any], int]:
    """The document with its trailing paths dropped until it fits in ``max_bytes``; how many were dropped."""
    paths = spec.get("paths") or {}
    if spec_size(spec) <= max_bytes or not isinstance(paths, dict):
        return spec, 0
    budget = max_bytes - spec_size({**spec, "paths": {}})
    kept: dict[str, Any] = {}
    for path, item in paths.items():
        cost = spec_size({path: item}) + 1
        if cost > budget:
            break
        budget -= cost
        kept[path] = item
    return {**spec, "paths": kept}, len(paths) - len(kept)


# ---- an existing spec ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecDecision:
    """The spec an analysis keeps, where it comes from (generated, existing, merged) and why."""

    spec: dict[str, Any]
    source: str  # generated | existing | merged
    reason: str


def load_spec_text(text: str, name: str) -> dict[str, Any] | str:
    """The parsed document, or a message saying why it could not be read."""
    import yaml

    from . import _yaml

    try:
        data = json.loads(text) if name.endswith(".json") else _yaml.load(text)
    except (ValueError, yaml.YAMLError) as exc:
        return f"not parseable: {str(exc).splitlines()[0]}"
    except RecursionError:
        return "nested too deeply to read"
    if not isinstance(data, dict):
        return "not a mapping at the top level"
    return data


def decide(
    generated: dict[str, Any], existing: dict[str, Any] | str | None, existing_name: str | None
) -> SpecDecision:
    """Use, merge or ignore the repository's own spec, with the reason."""
    if existing is None or existing_name is None:
        return SpecDecision(generated, "generated", "no OpenAPI/Swagger file in the repository")
    if isinstance(existing, str):
        return SpecDecision(generated, "generated", f"{existing_name} ignored: {existing}")
    if "swagger" in existing:
        return SpecDecision(
            generated,
            "generated",
            f"{existing_name} ignored: Swagger {existing.get('swagger')} is not OpenAPI 3",
        )
    error = validation_error(existing)
    if error is not None:
        return SpecDecision(generated, "generated", f"{existing_name} ignored: invalid OpenAPI ({error})")
    code_ops = _operation_keys(generated)
    file_ops = _operation_keys(existing)
    missing = sorted(code_ops - file_ops)
    if not missing:
        extra = len(file_ops - code_ops)
        detail = f"; it also documents {extra} operation(s) the analysis did not find" if extra else ""
        return SpecDecision(
            existing,
            "existing",
            f"{existing_name} is valid and covers all {len(code_ops)} operation(s) found in the code{detail}",
        )
    merged = _merge(existing, generated, {(p, m) for m, p in missing})
    error = validation_error(merged)
    shown = ", ".join(f"{m.upper()} {p}" for m, p in missing[:5]) + (" …" if len(missing) > 5 else "")
    if error is not None:
        return SpecDecision(
            generated,
            "generated",
            f"{existing_name} is valid but misses {len(missing)} operation(s) ({shown}) and merging failed "
            f"validation ({error}); the generated spec is used",
        )
    return SpecDecision(
        merged,
        "merged",
        f"{existing_name} is valid but misses {len(missing)} operation(s) found in the code ({shown}); "
        "they were added to it",
    )


def _normal_path(path: str) -> str:
    return _PATH_PARAM.sub("{}", path).rstrip("/") or "/"


def _operation_keys(spec: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, normalised path) pairs; paths compared without param names or trailing slash."""
    keys: set[tuple[str, str]] = set()
    paths = spec.get("paths") or {}
    if not isinstance(paths, dict):
        return keys
    for path, item in paths.items():
        if isinstance(item, dict):
            for method in item:
                if method in _METHOD_ORDER:
                    keys.add((method, _normal_path(str(path))))
    return keys


def _merge(
    existing: dict[str, Any], generated: dict[str, Any], wanted: set[tuple[str, str]]
) -> dict[str, Any]:
    """The existing document (upgraded to 3.1) plus the generated operations it lacks and their components."""
    merged = _upgrade_to_31(copy.deepcopy(existing))
    paths = merged.setdefault("paths", {})
    by_normal = {_normal_path(p): p for p in paths}
    renames: dict[str, str] = {}
    components = merged.setdefault("components", {})
    for section in ("schemas", "securitySchemes"):
        source = generated.get("components", {}).get(section, {})
        target = components.setdefault(section, {})
        for name, value in source.items():
            if name in target and target[name] != value:
                renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{name}_generated"
                target[f"{name}_generated"] = value
            else:
                target.setdefault(name, value)
        if not target:
            del components[section]
    if not components:
        del merged["components"]
    for path, item in generated.get("paths", {}).items():
        normal = _normal_path(path)
        for method, operation in item.items():
            if (normal, method) not in wanted:
                continue
            target_path = by_normal.get(normal, path)
            paths.setdefault(target_path, {})[method] = _rename_refs(operation, renames)
    merged["paths"] = {p: paths[p] for p in sorted(paths)}
    return merged


def _rename_refs(value: Any, renames: dict[str, str]) -> Any:
    if not renames:
        return value
    if isinstance(value, dict):
        return {
            k: (renames.get(v, v) if k == "$ref" and isinstance(v, str) else _rename_refs(v, renames))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rename_refs(v, renames) for v in value]
    return value


def _upgrade_to_31(doc: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 -> 3.1 for what commonly differs: nullable, boolean exclusive bounds, example."""
    if str(doc.get("openapi", "")).startswith("3.1"):
        return doc
    doc["openapi"] = OPENAPI_VERSION
    return _upgrade_node(doc)  # type: ignore[no-any-return]


def _upgrade_node(node: Any) -> Any:
    if isinstance(node, list):
        return [_upgrade_node(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _upgrade_node(v) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(bound) is True and limit in out:
            out[bound] = out.pop(limit)
        elif out.get(bound) is False:
            del out[bound]
    return out
