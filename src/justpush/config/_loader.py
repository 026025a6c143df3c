"""Layered loading of `app-config.yaml`: defaults < app-config.yaml < app-config.local.yaml < environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr, ValidationError

from justpush.errors import ConfigError

from ._settings import Section, Settings

ENV_PREFIX = "JUSTPUSH_"
CONFIG_PATH_VARIABLE = "JUSTPUSH_CONFIG"
DEFAULT_CONFIG_PATH = Path("app-config.yaml")
MASK = "********"

# ${VAR} or ${VAR:-default}; "$${" escapes a literal "${".
_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute(value: Any, environ: Mapping[str, str], key: str = "") -> Any:
    """Replace `${VAR}` / `${VAR:-default}` in every string of a parsed YAML tree."""
    if isinstance(value, dict):
        return {k: substitute(v, environ, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, environ, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(
            f"configuration key '{key}' references environment variable '{name}', which is not set",
            details={"key": key, "variable": name},
        )

    return _REFERENCE.sub(replace, value)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    return data


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _camel(snake: str) -> str:
    head, *rest = snake.lower().split("_")
    return head + "".join(part.title() for part in rest)


def environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """`JUSTPUSH_KONG__ADMIN_URL=…` becomes `{"kong": {"adminUrl": …}}`; values are parsed as YAML scalars."""
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_PATH_VARIABLE or "__" not in name:
            continue
        path = [_camel(part) for part in name[len(ENV_PREFIX) :].split("__")]
        if path[0] == "build" and len(path) == 3 and path[1] == "baseImages":
            path[2] = name.split("__")[-1].lower().replace("_", "-")
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        try:
            value = yaml.safe_load(raw) if raw else raw
        except yaml.YAMLError:
            value = raw
        # Secrets and URLs stay strings even when YAML would read them as numbers or booleans.
        node[path[-1]] = value if isinstance(value, bool | int | float | list) else raw
    return tree


def resolve_config_path(path: Path | str | None, environ: Mapping[str, str]) -> Path:
    if path is not None:
        return Path(path)
    if environ.get(CONFIG_PATH_VARIABLE):
        return Path(environ[CONFIG_PATH_VARIABLE])
    return DEFAULT_CONFIG_PATH


def load(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load the effective settings. An explicitly named file must exist; the default one may be absent."""
    environ = {} if environ is None else environ
    explicit = path is not None or bool(environ.get(CONFIG_PATH_VARIABLE))
    config_path = resolve_config_path(path, environ)
    data: dict[str, Any] = {}
    if config_path.exists():
        data = _read_yaml(config_path)
    elif explicit:
        raise ConfigError(f"configuration file {config_path} does not exist")
    local_path = config_path.with_name(config_path.stem + ".local" + config_path.suffix)
    if local_path.exists():
        data = _merge(data, _read_yaml(local_path))
    data = _merge(substitute(data, environ), environment_overrides(environ))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"key": ".".join(str(p) for p in err["loc"]), "message": err["msg"]} for err in exc.errors()
        ]
        summary = "; ".join(f"{p['key']}: {p['message']}" for p in problems)
        raise ConfigError(f"invalid configuration: {summary}", details={"problems": problems}) from exc


def _masked(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, Section):
        return {
            name: _masked(getattr(value, attr))
            for attr, field in type(value).model_fields.items()
            for name in [field.alias or attr]
        }
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_masked(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, str):
        return mask_url_credentials(value)
    return value


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective configuration as YAML-ready data, every secret replaced by a mask."""
    dumped: dict[str, Any] = _masked(settings)
    dumped["database"]["url"] = mask_url_credentials(settings.database_url)
    return dumped


_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)(?P<rest>.*)$", re.DOTALL)


def mask_url_credentials(value: str) -> str:
    """`scheme://user:pass@host…` -> `scheme://user:********@host…`; a lone user part is masked whole,
    since it is often a token (`https://<token>@host`). Any other string is returned unchanged."""
    match = _URL.match(value)
    if match is None or "@" not in match["authority"]:
        return value
    userinfo, _, host = match["authority"].rpartition("@")
    user, colon, _ = userinfo.partition(":")
    masked = f"{user}:{MASK}" if colon else MASK
    return f"{match['scheme']}{masked}@{host}{match['rest']}"
