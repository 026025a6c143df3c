"""Spring Boot configuration files: application*/bootstrap* .properties and .yml, profiles, placeholders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from ._index import SourceIndex

PLACEHOLDER = re.compile(r"\$\{([^}:]+)(?::([^}]*))?\}")
_MAX_EXPANSIONS = 10


@dataclass(frozen=True)
class ConfigFile:
    """One Spring configuration file (application*.properties or .yml), flattened."""

    path: str
    profile: str | None
    # Flattened key -> (value, line).
    values: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class SpringConfig:
    """The app's Spring configuration files and the profiles they activate."""

    files: list[ConfigFile]
    _active: list[str] | None = None

    @property
    def active_profiles(self) -> list[str]:
        """spring.profiles.active of the base files (its own placeholders expanded without profiles)."""
        if self._active is None:
            self._active = []
            raw = self._raw("spring.profiles.active", profiles=())
            if raw is not None:
                value = self.expand(raw[0])[0]
                self._active = [p.strip() for p in value.split(",") if p.strip()]
        return self._active

    def applies(self, config_file: ConfigFile) -> bool:
        """A base file, or the file of an active profile (`default` when none is set)."""
        active = self.active_profiles or ["default"]
        return config_file.profile is None or config_file.profile in active

    def inactive_files(self) -> list[ConfigFile]:
        return [f for f in self.files if not self.applies(f)]

    def _raw(self, key: str, profiles: tuple[str, ...] | None = None) -> tuple[str, str, int] | None:
        """Value, file, line: an active profile's file wins over the base file, shallower files first."""
        active = self.active_profiles if profiles is None else list(profiles)
        ranked = sorted(
            self.files,
            key=lambda f: (
                -(active.index(f.profile) + 1) if f.profile in active else 0,
                f.path.count("/"),
                f.path,
            ),
        )
        for config in ranked:
            if config.profile is not None and config.profile not in active:
                continue
            if key in config.values:
                value, number = config.values[key]
                return value, config.path, number
        return None

    def get(self, key: str) -> tuple[str, str, int] | None:
        """A property's value with its placeholders expanded (None when absent or not knowable)."""
        raw = self._raw(key)
        if raw is None:
            return None
        value, unknown = self.expand(raw[0])
        return None if unknown else (value, raw[1], raw[2])

    def defined(self, key: str) -> str | None:
        raw = self._raw(key)
        return raw[0] if raw else None

    def expand(self, value: str, depth: int = 0) -> tuple[str, list[str]]:
        """`${key:default}` replaced by the key's value, else its default; unknown keys are returned."""
        unknown: list[str] = []

        def replace(match: re.Match[str]) -> str:
            key, default = match.group(1), match.group(2)
            raw = self._raw(key) if depth < _MAX_EXPANSIONS else None
            if raw is not None:
                inner, missing = self.expand(raw[0], depth + 1)
                if not missing:
                    return inner
            if default is not None:
                return default
            unknown.append(key)
            return match.group(0)

        return PLACEHOLDER.sub(replace, value), unknown


def load_config(index: SourceIndex, warnings: list[str]) -> SpringConfig:
    files: list[ConfigFile] = []
    for source in index.configs:
        name = source.path.rsplit("/", 1)[-1]
        stem = name.rsplit(".", 1)[0]
        profile = stem.split("-", 1)[1] if "-" in stem else None
        if name.endswith(".properties"):
            files.append(ConfigFile(source.path, profile, _properties(source.text)))
            continue
        try:
            documents = list(yaml.safe_load_all(source.text))
        except yaml.YAMLError as exc:
            warnings.append(f"{source.path}: invalid YAML ({exc.__class__.__name__}), skipped")
            continue
        for document in documents:
            values: dict[str, tuple[str, int]] = {}
            _flatten(document, "", values, source.text)
            # A `---` document activated by spring.config.activate.on-profile acts as a profile file.
            on = values.pop("spring.config.activate.on-profile", None) or values.pop("spring.profiles", None)
            files.append(ConfigFile(source.path, on[0] if on else profile, values))
    return SpringConfig(files)


def _properties(raw: str) -> dict[str, tuple[str, int]]:
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "!")):
            continue
        parts = re.split(r"\s*[=:]\s*", stripped, maxsplit=1)
        values[parts[0]] = (parts[1] if len(parts) > 1 else "", number)
    return values


def _flatten(value: object, prefix: str, into: dict[str, tuple[str, int]], raw: str) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), into, raw)
    elif value is not None and not isinstance(value, list):
        leaf = prefix.rsplit(".", 1)[-1]
        match = re.search(rf"^\s*{re.escape(leaf)}\s*:", raw, re.MULTILINE)
        into.setdefault(
            prefix,
            (
                str(value).lower() if isinstance(value, bool) else str(value),
                raw[: match.start()].count("\n") + 1 if match else 1,
            ),
        )
