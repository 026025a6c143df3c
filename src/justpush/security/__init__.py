"""Security: encryption of secrets at rest, API token hashing and authentication, the audit trail."""

from ._audit import REDACTED, audit, redact
from ._crypto import KEY_FILE_NAME, SecretBox, generate_key, load_secret_box
from ._tokens import NewToken, authenticate, generate_token, hash_token, issue_token

__all__ = [
    "KEY_FILE_NAME",
    "REDACTED",
    "NewToken",
    "SecretBox",
    "audit",
    "authenticate",
    "generate_key",
    "generate_token",
    "hash_token",
    "issue_token",
    "load_secret_box",
    "redact",
]
