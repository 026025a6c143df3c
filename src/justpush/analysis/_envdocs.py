"""`.env.example`-style files as documentation of the variables an app knows.

The rule: such a file documents, it never decides.
- A variable the code reads keeps what the code says (required or not) and gains the example value as a
  hint and the comment above it as its description.
- A variable only the file lists is shown as optional: nothing the analysis saw reads it, and a template
  often lists variables of other tools (compose, scripts). A backing service may still require it (a
  PostgreSQL driver and DATABASE_URL documented here: "needs PostgreSQL").
- The example value is never deployed, and never shown for a secret (a template can hold a real key).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ._env import is_provided, is_secret_name
from ._files import evidence_path, read_source
from ._model import EnvVar, Evidence

TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env")
_INLINE_COMMENT = re.compile(r"\s#\s*(?P<text>.*)$")
_MAX_DESCRIPTION = 200
_COMMENTED_OUT = re.compile(r"^(export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=")


@dataclass(frozen=True)
class Documented:
    """A variable an env template lists, with its example value and comment."""

    name: str
    example: str | None
    description: str | None
    evidence: Evidence


def _description(lines: list[str], index: int, value: str) -> str | None:
    """The comment lines right above the assignment (or its inline comment)."""
    above: list[str] = []
    at = index - 1
    while at >= 0 and lines[at].lstrip().startswith("#"):
        comment = lines[at].lstrip().lstrip("#").strip()
        # `# STORAGE=s3`: an alternative value commented out, not a description.
        if not _COMMENTED_OUT.match(comment):
            above.insert(0, comment)
        at -= 1
    text = " ".join(part for part in above if part)
    line = lines[index].strip() if index < len(lines) else ""
    if not text and "#" not in value and (inline := _INLINE_COMMENT.search(line)):
        text = inline.group("text").strip()
    return text[:_MAX_DESCRIPTION] or None


def read_env_templates(root: Path, app_dir: str, warnings: list[str]) -> list[Documented]:
    """The variables the templates under ``root`` (the app directory) list, first file first."""
    found: dict[str, Documented] = {}
    for name in TEMPLATES:
        path = root / name
        if not path.is_file():
            continue
        source = read_source(root, path, warnings)
        if source is None:
            continue
        # Imported here: most apps have no env template.
        from dotenv.parser import parse_stream

        lines = source.text.splitlines()
        shown = evidence_path(app_dir, name)
        for binding in parse_stream(io.StringIO(source.text)):
            if binding.key is None or binding.error or binding.key in found:
                continue
            # The binding's original text starts with the blank lines before it.
            original = binding.original.string
            index = binding.original.line - 1 + original[: len(original) - len(original.lstrip())].count("\n")
            value = binding.value or ""
            found[binding.key] = Documented(
                binding.key,
                value or None,
                _description(lines, index, value),
                Evidence(shown, index + 1, f"documented in {name}"),
            )
    return list(found.values())


def document_env_vars(env_vars: list[EnvVar], documented: list[Documented]) -> list[EnvVar]:
    """The code's variables with their documentation, plus the documented-only ones (optional)."""
    by_name = {var.name: var for var in env_vars}
    for doc in documented:
        var = by_name.get(doc.name)
        if var is None:
            if is_provided(doc.name):
                continue
            var = EnvVar(doc.name, secret=is_secret_name(doc.name, doc.example))
        # An example URL with a password says the real value will carry one too.
        secret = var.secret or is_secret_name(doc.name, doc.example)
        by_name[doc.name] = replace(
            var,
            secret=secret,
            example=var.example if var.example is not None else (None if secret else doc.example),
            description=var.description or doc.description,
            evidence=(*var.evidence, doc.evidence),
        )
    return [by_name[name] for name in sorted(by_name)]
