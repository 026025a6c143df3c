"""Security: encryption of secrets at rest, API token hashing and authentication, the audit trail,
and the scans of what an upload would ship: committed secrets and malicious patterns."""

from ._audit import REDACTED, audit, redact
from ._crypto import KEY_FILE_NAME, SecretBox, generate_key, load_secret_box
from ._datadir import prepare_data_dir
from ._malicious import MaliciousFinding, scan_malicious
from ._secretscan import SecretFinding, scan_secrets
from ._sessions import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    SESSION_TOKEN_NAME,
    csrf_matches,
    csrf_token,
    identify_session,
)
from ._tokens import (
    NewToken,
    authenticate,
    generate_token,
    hash_token,
    identify,
    issue_token,
    revoke_token,
    revoke_user_tokens,
    token_is_live,
)

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "KEY_FILE_NAME",
    "REDACTED",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "SESSION_TOKEN_NAME",
    "MaliciousFinding",
    "NewToken",
    "SecretBox",
    "SecretFinding",
    "audit",
    "authenticate",
    "csrf_matches",
    "csrf_token",
    "generate_key",
    "generate_token",
    "hash_token",
    "identify",
    "identify_session",
    "issue_token",
    "load_secret_box",
    "prepare_data_dir",
    "redact",
    "revoke_token",
    "revoke_user_tokens",
    "scan_malicious",
    "scan_secrets",
    "token_is_live",
]
