"""Kubernetes resource quantities ("250m", "128Mi") as numbers."""

from __future__ import annotations

import re

from justpush.errors import GenerationError

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(n|u|m|k|M|G)?$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|m)?$")
_CPU_FACTOR = {None: 1e9, "n": 1.0, "u": 1e3, "m": 1e6, "k": 1e12, "M": 1e15, "G": 1e18}
_MEMORY_FACTOR = {
    None: 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 1024.0,
    "Mi": 1024.0**2,
    "Gi": 1024.0**3,
    "Ti": 1024.0**4,
}


def cpu_nanocores(quantity: str) -> int:
    """A CPU quantity ("250m", "12345n", "2") in nanocores."""
    match = _CPU.match(quantity.strip())
    if match is None:
        raise GenerationError(f"not a CPU quantity: {quantity!r}")
    return round(float(match.group(1)) * _CPU_FACTOR[match.group(2)])


def memory_bytes(quantity: str) -> int:
    """A memory quantity ("128Mi", "1G", "1024") in bytes."""
    match = _MEMORY.match(quantity.strip())
    if match is None:
        raise GenerationError(f"not a memory quantity: {quantity!r}")
    return round(float(match.group(1)) * _MEMORY_FACTOR[match.group(2)])
