"""`--set field=value`: a profile field the user overrides (`justpush analyze`, `justpush deploy`)."""

from typing import Any

from justpush.errors import AnalysisError


def parse_sets(values: list[str]) -> dict[str, Any]:
    """field -> value (a string; the analysis coerces it to the field's type)."""
    overrides: dict[str, Any] = {}
    for item in values:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise AnalysisError(f"--set expects field=value, got {item!r}")
        overrides[field.strip()] = value
    return overrides
