"""Environment variables the code reads: secret-vs-plain classification and merging of duplicates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from ._model import EnvVar, Evidence

# Name parts that mark a value as a secret (matched on "_"/"-"/"." separated words).
_SECRET_WORDS = frozenset(
    {
        "KEY",
        "APIKEY",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PWD",
        "PASS",
        "PASSPHRASE",
        "DSN",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "PRIVATE",
        "SALT",
        "PEPPER",
        "JWT",
        "HMAC",
    }
)
# Substrings that mark a secret even inside a compound word (SECRETKEY, DBPASSWORD, APITOKEN).
_SECRET_SUBSTRINGS = ("SECRET", "PASSWORD", "PASSWD", "TOKEN", "CREDENTIAL", "PRIVATE", "APIKEY")
# Connection URLs conventionally carry a password.
_SECRET_NAMES = frozenset({"DATABASE_URL", "DB_URL", "REDIS_URL", "MONGO_URL", "MONGODB_URI", "AMQP_URL"})
_URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:[^/@\s]+@", re.IGNORECASE)
# A last word that makes the name a location, label or setting of a secret rather than the secret itself
# (TOKEN_URL, JWT_ALGORITHM, ACCESS_TOKEN_EXPIRE_MINUTES, PASSWORD_MIN_LENGTH).
_PLAIN_WORDS = frozenset(
    {
        "PUBLIC", "FILE", "PATH", "URL", "ID", "NAME", "HEADER", "EXPIRE", "EXPIRES", "EXPIRY", "TTL",
        "ALGORITHM", "ALGORITHMS", "ALG", "ISSUER", "AUDIENCE", "LENGTH", "SIZE", "COUNT", "ROUNDS",
        "TIMEOUT", "LIFETIME", "DURATION", "SECONDS", "MINUTES", "HOURS", "DAYS", "MS", "ENABLED",
    }
)  # fmt: skip


def is_secret_name(name: str, default: str | None = None) -> bool:
    """Whether an env var should go to a Secret rather than a ConfigMap, judged by its name (and default)."""
    upper = name.upper()
    if upper in _SECRET_NAMES or upper.endswith(("_DATABASE_URL", "_DSN")):
        return True
    if default is not None and _URL_WITH_PASSWORD.match(default):
        return True
    words = [w for w in re.split(r"[_.\-]+", upper) if w]
    if not words:
        return False
    # "TOKEN_URL", "SECRET_FILE", "API_KEY_HEADER": the last word says it is a location/name, not the secret.
    if words[-1] in _PLAIN_WORDS and len(words) > 1:
        return False
    if any(w in _SECRET_WORDS for w in words):
        return True
    return any(s in upper for s in _SECRET_SUBSTRINGS)


def make_env_var(
    name: str,
    default: str | None,
    required: bool,
    evidence: Evidence,
    *,
    secret: bool | None = None,
) -> EnvVar:
    """An EnvVar with its secret flag derived from the name unless the code declares it (e.g. SecretStr)."""
    is_secret = is_secret_name(name, default) if secret is None else secret
    return EnvVar(name=name, default=default, secret=is_secret, required=required, evidence=(evidence,))


# Set by the runtime, the image or the deployment (PORT is set to the detected port): never asked of the
# user, never a secret (PWD is the working directory, not a password).
_PROVIDED = frozenset(
    {
        "HOME",
        "HOSTNAME",
        "INIT_CWD",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "LANG",
        "NODE_ENV",
        "PATH",
        "PORT",
        "PWD",
        "PYTHONPATH",
        "PYTHONUNBUFFERED",
        "SHELL",
        "TEMP",
        "TERM",
        "TMP",
        "TMPDIR",
        "USER",
        "npm_lifecycle_event",
        "npm_package_name",
        "npm_package_version",
    }
)
_TEST_FILE = re.compile(
    r"(^|/)(tests?|__tests__|__mocks__|spec|e2e|cypress)/"
    r"|(^|/)(test_[^/]*\.py|[^/]*_test\.(py|go)|conftest\.py|[^/]*\.(test|spec)\.[cm]?[jt]sx?)$"
)
# Words naming the secret itself (not its lifetime, algorithm or location).
_CREDENTIAL_WORDS = frozenset(
    {
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "TOKEN",
        "KEY",
        "APIKEY",
        "SALT",
        "PEPPER",
    }
)
_NOT_CREDENTIAL_LAST = _PLAIN_WORDS | {
    "IN",
    "EXPIRY",
    "EXPIRATION",
    "LENGTH",
    "ALGORITHM",
    "ALG",
    "TYPE",
    "PREFIX",
    "ISSUER",
    "AUDIENCE",
    "ROUNDS",
    "SIZE",
}
# Words that are only a credential as the name's last word: `REFRESH_TOKEN_IN_COOKIE` is a switch,
# `THROTTLE_PASS_RESET_PATTERN` a rate.
_WEAK_CREDENTIAL_WORDS = frozenset({"TOKEN", "KEY", "APIKEY", "PASS", "SALT", "PEPPER"})
# Before a final KEY: the name of a field or attribute to look up (`LDAP_DISPLAY_NAME_KEY = "displayName"`).
_LOOKUP_KEY_WORDS = frozenset(
    {"NAME", "EMAIL", "MAIL", "FIELD", "ATTR", "ATTRIBUTE", "COLUMN", "CLAIM", "LOOKUP", "SORT", "PARTITION"}
)
DEVELOPMENT_SECRET = "falls back to a development secret in the code"
_NOT_SECRET_VALUE = re.compile(
    r"^(\d+[a-z]{0,2}|true|false|yes|no|on|off|enabled|disabled|none|null|undefined)$", re.IGNORECASE
)


def is_provided(name: str) -> bool:
    """Whether the runtime, the image or the deployment sets this variable."""
    return name in _PROVIDED


def required_reason(notes: Iterable[str]) -> str | None:
    """Why a variable needs a value although the code may have a fallback (from its evidence notes): a
    development secret, or a backing service a pod cannot reach at the fallback address."""
    return next((n for n in notes if n == DEVELOPMENT_SECRET or n.startswith("needs ")), None)


def is_development_secret(name: str, default: str) -> bool:
    """Whether a code fallback is a credential written into the code (`JWT_SECRET || 'superSecret'`,
    a URL with a password): it must never become the deployment's value."""
    if _URL_WITH_PASSWORD.match(default):
        return True
    if not default.strip() or _NOT_SECRET_VALUE.match(default.strip()):
        return False
    words = [w for w in re.split(r"[_.\-]+", name.upper()) if w]
    if not words or words[-1] in _NOT_CREDENTIAL_LAST:
        return False
    if words[-1] == "KEY" and len(words) > 1 and words[-2] in _LOOKUP_KEY_WORDS:
        return False
    credential = words[-1] in _CREDENTIAL_WORDS or any(
        w in _CREDENTIAL_WORDS and w not in _WEAK_CREDENTIAL_WORDS for w in words
    )
    return credential or any(s in name.upper() for s in ("SECRET", "PASSWORD", "PASSWD", "APIKEY"))


def refine_env_vars(found: Iterable[EnvVar], port: int, warnings: list[str]) -> list[EnvVar]:
    """What the deployment must supply: no variable only tests read, none the platform provides (PORT
    gets the detected port), and no development secret copied from the code: such a variable is a
    required secret, with a warning."""
    refined: list[EnvVar] = []
    for var in found:
        if var.evidence and all(_TEST_FILE.search(e.file) for e in var.evidence):
            continue
        if var.name in _PROVIDED:
            default = str(port) if var.name == "PORT" and var.default is None else var.default
            refined.append(replace(var, default=default, required=False, secret=False))
        elif var.default is not None and is_development_secret(var.name, var.default):
            first = var.evidence[0] if var.evidence else Evidence("")
            where = f" ({first.file}:{first.line})" if first.line else ""
            warnings.append(f"{var.name} falls back to a development secret in the code{where}; set a value")
            note = Evidence(first.file, first.line, DEVELOPMENT_SECRET)
            refined.append(
                replace(var, default=None, secret=True, required=True, evidence=(note, *var.evidence))
            )
        else:
            refined.append(var)
    return refined


# Noted on a read whose fallback is an expression the analysis does not evaluate (`BASE_DIR / "db"`).
COMPUTED_FALLBACK = "falls back to a computed value"
# ... and on one whose expression starts with an embedded database's URL (`"sqlite:///" + path`).
COMPUTED_EMBEDDED_FALLBACK = "falls back to a computed SQLite URL"


def _fallback(var: EnvVar) -> str | None:
    """What a read falls back to, for telling reads apart: its default, a computed one, or None."""
    if var.default is None and any(
        e.note.endswith((COMPUTED_FALLBACK, COMPUTED_EMBEDDED_FALLBACK)) for e in var.evidence
    ):
        return COMPUTED_FALLBACK
    return var.default


def falls_back_to_embedded_database(var: EnvVar) -> bool:
    """Whether a read of the variable falls back to a SQLite URL the code builds (a file path it joins)."""
    return any(e.note.endswith(COMPUTED_EMBEDDED_FALLBACK) for e in var.evidence)


def merge_env_vars(found: Iterable[EnvVar]) -> list[EnvVar]:
    """One EnvVar per name, sorted: required only while no read has a default. Reads that fall back to
    different values (`DB_NAME` is "hc" for PostgreSQL and a file path for SQLite) keep no default: each
    read's own fallback applies unless the user sets one, and none is deployed in its place."""
    merged: dict[str, EnvVar] = {}
    conflicting: set[str] = set()
    for var in found:
        old = merged.get(var.name)
        if old is None:
            merged[var.name] = var
            continue
        ours, theirs = _fallback(old), _fallback(var)
        if ours is not None and theirs is not None and ours != theirs:
            conflicting.add(var.name)
        default = None if var.name in conflicting else old.default if old.default is not None else var.default
        evidence = tuple(sorted(set(old.evidence + var.evidence), key=_evidence_key))
        merged[var.name] = EnvVar(
            name=var.name,
            default=default,
            secret=old.secret or var.secret,
            required=(old.required or var.required) and default is None,
            evidence=evidence,
            example=old.example if old.example is not None else var.example,
            description=old.description or var.description,
        )
    return [merged[name] for name in sorted(merged)]


def _evidence_key(evidence: Evidence) -> tuple[str, int, str]:
    return (evidence.file, evidence.line or 0, evidence.note)
