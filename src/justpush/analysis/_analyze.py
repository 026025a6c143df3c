"""``analyze(root, options)``: detection + extraction + spec, never crashing on broken input."""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from justpush.errors import AnalysisError, AnalysisTimeoutError

from ._files import MAX_SOURCE_BYTES, ReadLimits, check_deadline, read_limits, read_source
from ._gc import collection_paused
from ._model import (
    BackingService,
    DependencyConflict,
    EnvVar,
    Evidence,
    ExtractedApi,
    ProjectProfile,
    RuntimeLimit,
)
from ._scope import analysis_scope
from ._spec import (
    SpecDecision,
    SpecOptions,
    build_spec,
    cap_operations,
    decide,
    load_spec_text,
    spec_size,
    structure_error,
    trim_paths,
)
from .detection import detect, language_module, resolve_root

SpecSource = str  # "generated" | "existing" | "merged"


@dataclass(frozen=True)
class AnalysisOptions:
    """What the caller sets for one analysis: profile overrides, spec info, spec choice and bounds."""

    # Profile fields set by the user (values may be strings, as typed on the command line).
    overrides: Mapping[str, Any] = field(default_factory=dict)
    title: str | None = None
    version: str | None = None
    # False: always generate, even when the repository carries a valid spec.
    use_existing_spec: bool = True
    # The API's folder inside the upload, chosen by the user (validated); None: detected.
    root: str | None = None
    # Bounds (config section `analysis`); what they cut is said in the warnings.
    max_file_bytes: int = MAX_SOURCE_BYTES
    max_routes: int = 2000
    max_spec_bytes: int = 5 * 1024 * 1024
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class AnalysisResult:
    """One analysis: the detected profile, the spec kept and why, and the warnings."""

    profile: ProjectProfile
    spec: dict[str, Any]
    spec_source: SpecSource
    spec_reason: str
    warnings: tuple[str, ...] = ()
    # The repository spec file the decision is about, if any.
    spec_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable data (camelCase keys, like the REST API)."""
        return {
            "profile": profile_to_dict(self.profile),
            "spec": self.spec,
            "specSource": self.spec_source,
            "specReason": self.spec_reason,
            "specFile": self.spec_file,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisResult:
        try:
            return cls(
                profile=profile_from_dict(data["profile"]),
                spec=dict(data["spec"]),
                spec_source=str(data["specSource"]),
                spec_reason=str(data["specReason"]),
                warnings=tuple(data.get("warnings", ())),
                spec_file=data.get("specFile"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AnalysisError(f"stored analysis result is malformed: {exc}") from exc


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    return {"file": evidence.file, "line": evidence.line, "note": evidence.note}


def _evidence_from_dict(data: Mapping[str, Any]) -> Evidence:
    return Evidence(str(data["file"]), data.get("line"), str(data.get("note", "")))


# Profile fields holding records of strings and one `evidence`: stored field by field.
_FLAT_RECORDS: dict[str, type[RuntimeLimit] | type[DependencyConflict]] = {
    "runtime_limits": RuntimeLimit,
    "dependency_conflicts": DependencyConflict,
}


def _record_to_dict(record: RuntimeLimit | DependencyConflict) -> dict[str, Any]:
    return {
        f.name: _evidence_to_dict(record.evidence) if f.name == "evidence" else getattr(record, f.name)
        for f in dataclasses.fields(record)
    }


def _record_from_dict(
    kind: type[RuntimeLimit] | type[DependencyConflict], data: Mapping[str, Any]
) -> RuntimeLimit | DependencyConflict:
    values: dict[str, Any] = {
        f.name: _evidence_from_dict(data["evidence"]) if f.name == "evidence" else str(data.get(f.name, ""))
        for f in dataclasses.fields(kind)
    }
    return kind(**values)


def profile_to_dict(profile: ProjectProfile) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(ProjectProfile):
        value = getattr(profile, f.name)
        if f.name == "env_vars":
            value = [
                {
                    "name": v.name,
                    "default": v.default,
                    "secret": v.secret,
                    "required": v.required,
                    "evidence": [_evidence_to_dict(e) for e in v.evidence],
                    "example": v.example,
                    "description": v.description,
                }
                for v in value
            ]
        elif f.name == "backing_services":
            value = [
                {
                    "kind": b.kind,
                    "dependency": b.dependency,
                    "evidence": _evidence_to_dict(b.evidence),
                    "variables": list(b.variables),
                    "satisfied": b.satisfied,
                    "writtenAt": _evidence_to_dict(b.written_at) if b.written_at else None,
                }
                for b in value
            ]
        elif f.name in _FLAT_RECORDS:
            value = [_record_to_dict(record) for record in value]
        elif f.name == "evidence":
            # Keys stay snake_case: they name profile fields, as --set does.
            value = {k: [_evidence_to_dict(e) for e in v] for k, v in sorted(value.items())}
        elif isinstance(value, tuple):
            value = list(value)
        out[_camel(f.name)] = value
    return out


def profile_from_dict(data: Mapping[str, Any]) -> ProjectProfile:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(ProjectProfile):
        key = _camel(f.name)
        if key not in data:
            continue
        value = data[key]
        if f.name == "env_vars":
            value = tuple(
                EnvVar(
                    name=v["name"],
                    default=v.get("default"),
                    secret=bool(v.get("secret")),
                    required=bool(v.get("required")),
                    evidence=tuple(_evidence_from_dict(e) for e in v.get("evidence", ())),
                    example=v.get("example"),
                    description=v.get("description"),
                )
                for v in value
            )
        elif f.name == "backing_services":
            value = tuple(
                BackingService(
                    kind=str(b["kind"]),
                    dependency=str(b["dependency"]),
                    evidence=_evidence_from_dict(b["evidence"]),
                    variables=tuple(b.get("variables", ())),
                    satisfied=bool(b.get("satisfied")),
                    written_at=_evidence_from_dict(b["writtenAt"]) if b.get("writtenAt") else None,
                )
                for b in value
            )
        elif f.name in _FLAT_RECORDS:
            value = tuple(_record_from_dict(_FLAT_RECORDS[f.name], record) for record in value)
        elif f.name == "evidence":
            value = {k: tuple(_evidence_from_dict(e) for e in v) for k, v in value.items()}
        elif isinstance(value, list):
            value = tuple(value)
        values[f.name] = value
    return ProjectProfile(**values)


def analyze(root: Path, options: AnalysisOptions | None = None) -> AnalysisResult:
    """Detect the project at ``root`` and produce its OpenAPI 3.1 spec (warnings instead of crashes).

    Bounded by ``options``: files over ``max_file_bytes`` are skipped, at most ``max_routes`` operations
    and ``max_spec_bytes`` of spec are kept (with a warning), and past ``timeout_seconds`` the analysis
    stops at its next check with AnalysisTimeoutError.
    """
    options = options or AnalysisOptions()
    if not root.is_dir():
        raise AnalysisError(f"{root.name or root}: not a folder")
    deadline = time.monotonic() + options.timeout_seconds if options.timeout_seconds else None
    with (
        read_limits(ReadLimits(max_file_bytes=options.max_file_bytes, deadline=deadline)),
        collection_paused(),
        analysis_scope(),
    ):
        return _analyze(root, options)


def _analyze(root: Path, options: AnalysisOptions) -> AnalysisResult:
    warnings: list[str] = []
    overrides = dict(options.overrides)
    if options.root is not None:
        overrides["app_dir"] = resolve_root(root, options.root)
    try:
        profile = detect(root, overrides, warnings)
    except AnalysisError:
        raise
    except Exception as exc:  # a broken upload must not crash the analysis
        warnings.append(f"detection failed: {type(exc).__name__}: {exc}")
        profile = ProjectProfile(language="unknown")
    check_deadline()
    api = _extract(root, profile, warnings)
    check_deadline()
    dropped = cap_operations(api, options.max_routes)
    if dropped:
        warnings.append(
            f"{dropped} of {options.max_routes + dropped} routes dropped: the spec keeps the first "
            f"{options.max_routes} by path (analysis.maxRoutes)"
        )
    spec_options = SpecOptions(
        title=options.title or profile.name or (root.name if root.name else "API"),
        version=options.version or profile.version or "0.1.0",
    )
    generated, dropped = trim_paths(build_spec(api, spec_options), options.max_spec_bytes)
    if dropped:
        warnings.append(
            f"{dropped} paths dropped from the end of the spec to keep it within "
            f"{options.max_spec_bytes} bytes (analysis.maxSpecBytes)"
        )
    error = structure_error(generated)
    if error is not None:
        warnings.append(f"generated spec does not validate: {error}")
    check_deadline()
    decision, spec_file = _existing_spec(root, profile, generated, options, warnings)
    check_deadline()
    return AnalysisResult(
        profile=profile,
        spec=decision.spec,
        spec_source=decision.source,
        spec_reason=decision.reason,
        warnings=tuple(dict.fromkeys(warnings)),
        spec_file=spec_file,
    )


def _extract(root: Path, profile: ProjectProfile, warnings: list[str]) -> ExtractedApi:
    if profile.language == "unknown":
        return ExtractedApi()
    module = language_module(profile.language, warnings)
    if module is None:
        return ExtractedApi()
    app_root = root / profile.app_dir if profile.app_dir != "." else root
    try:
        api: ExtractedApi = module.extract(app_root, profile)
    except AnalysisTimeoutError:
        raise
    except RecursionError:
        warnings.append(f"{profile.language}: code nested too deeply to analyse; no routes extracted")
        return ExtractedApi()
    except Exception as exc:  # one extractor bug must not lose the profile
        warnings.append(
            f"{profile.language}: route extraction failed at {_raised_at(exc)} "
            f"({type(exc).__name__}: {exc}); no routes extracted"
        )
        return ExtractedApi()
    warnings.extend(api.warnings)
    if profile.framework and not api.operations:
        # Never silent: an empty spec for a detected framework is a finding, not a success.
        where = "" if profile.app_dir == "." else f" in {profile.app_dir}"
        warnings.append(f"{profile.framework} detected{where} but no routes found; the spec has no paths")
    return api


def _raised_at(exc: BaseException) -> str:
    """Where in the analyser an exception was raised: a package-relative file and line (no host paths)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "an unknown place"
    frame = frames[-1]
    parts = Path(frame.filename).parts
    shown = "/".join(parts[parts.index("justpush") :]) if "justpush" in parts else Path(frame.filename).name
    return f"{shown}:{frame.lineno}"


def _existing_spec(
    root: Path,
    profile: ProjectProfile,
    generated: dict[str, Any],
    options: AnalysisOptions,
    warnings: list[str],
) -> tuple[SpecDecision, str | None]:
    if not profile.openapi_files:
        return decide(generated, None, None), None
    # OpenAPI files before Swagger ones, then the shallowest.
    name = min(profile.openapi_files, key=lambda f: ("swagger" in f.rsplit("/", 1)[-1], f.count("/"), f))
    if not options.use_existing_spec:
        return SpecDecision(
            generated, "generated", f"{name} ignored: use of existing specs is turned off"
        ), name
    path = root / name
    problems: list[str] = []
    source = read_source(root, path, problems)
    warnings.extend(problems)
    existing: dict[str, Any] | str
    if source is None:
        # read_source says "<file>: <why>"; the decision names the file itself.
        existing = problems[-1].split(": ", 1)[-1] if problems else "unreadable"
    else:
        existing = load_spec_text(source.text, name)
    if isinstance(existing, dict) and spec_size(existing) > options.max_spec_bytes:
        existing = f"larger than {options.max_spec_bytes} bytes as JSON (analysis.maxSpecBytes)"
    try:
        decision = decide(generated, existing, name)
    except RecursionError:
        return SpecDecision(generated, "generated", f"{name} ignored: nested too deeply to validate"), name
    if decision.source == "merged" and spec_size(decision.spec) > options.max_spec_bytes:
        reason = f"{name} merged with the code's operations is larger than {options.max_spec_bytes} bytes"
        return SpecDecision(
            generated, "generated", f"{reason} (analysis.maxSpecBytes); the generated spec is used"
        ), name
    return decision, name
