"""The difference between two revisions' configurations, setting by setting (pure).

Settings are flattened to dotted keys (`env.GREETING`, `resources.limits.cpu`, `rate_limit.minute`);
secrets are compared by name only, as their values are never read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._schemas import ConfigChangePublic, RevisionPublic

SECRET_SET = "(set)"


def _flatten(prefix: str, value: Mapping[str, Any] | None, into: dict[str, Any]) -> None:
    for key, item in (value or {}).items():
        name = f"{prefix}.{key}"
        if isinstance(item, Mapping):
            _flatten(name, item, into)
        elif item is not None:
            into[name] = item


def config_of(revision: RevisionPublic) -> dict[str, Any]:
    """The revision's settings as dotted keys; absent or null settings are left out."""
    config: dict[str, Any] = {
        "image": revision.image,
        "replicas": revision.replicas,
        "size": revision.size,
        "read_only_root": revision.read_only_root,
    }
    _flatten("env", revision.env, config)
    _flatten("resources", revision.resources, config)
    _flatten("rate_limit", revision.rate_limit, config)
    config.update({f"secret.{name}": SECRET_SET for name in revision.secret_names})
    return {key: value for key, value in config.items() if value is not None}


def diff_revisions(before: RevisionPublic, after: RevisionPublic) -> list[ConfigChangePublic]:
    """Every setting that differs, sorted by key; `before` / `after` is null where the setting is absent."""
    old, new = config_of(before), config_of(after)
    return [
        ConfigChangePublic(key=key, before=old.get(key), after=new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]
