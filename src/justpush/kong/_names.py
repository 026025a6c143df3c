"""Stable identities: UUIDv5 ids, slugs, and unique names."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable

# Fixed forever: changing it would give every Kong entity JustPush ever created a new id.
NAMESPACE = uuid.UUID("6f1c1a2e-3b4d-5e6f-8a9b-0c1d2e3f4a5b")

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def entity_id(upload_id: str, entity: str) -> str:
    """UUIDv5 of ``upload:<id>:<entity>``; ``entity`` names what the object is, not what it is called."""
    return str(uuid.uuid5(NAMESPACE, f"upload:{upload_id}:{entity}"))


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str, *, separator: str = "-") -> str:
    """Lower-case ASCII words joined by ``separator``; camelCase is split (getUserById → get-user-by-id)."""
    words = _NON_SLUG.split(_CAMEL.sub(" ", ascii_fold(text)).lower())
    return separator.join(w for w in words if w)


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def unique_names(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map each key to a unique name from (key, wanted name) pairs.

    Every member of a clashing group gets a suffix hashed from its own key, so a name never depends on
    which other operations exist (adding an operation does not rename an unrelated one).
    """
    pairs = sorted(items)
    counts: dict[str, int] = {}
    for _, name in pairs:
        counts[name] = counts.get(name, 0) + 1
    result: dict[str, str] = {}
    taken: set[str] = set()
    for key, name in pairs:
        candidate = name if counts[name] == 1 else f"{name}-{short_hash(key)}"
        n = 2
        base = candidate
        while candidate in taken:
            candidate = f"{base}-{n}"
            n += 1
        taken.add(candidate)
        result[key] = candidate
    return result
