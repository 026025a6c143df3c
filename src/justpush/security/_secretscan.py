"""Secrets committed to the source tree: private keys and provider tokens that would ship in the image.

Only patterns that are nearly never wrong (a private-key header, the fixed prefixes of AWS, GitHub,
GitLab, Slack, Stripe and Google credentials), so a warning is worth reading. A finding carries the
file, the line and the rule, never the secret: its preview is the public prefix of the token only.
The files are the build context's (``build.context_files``), the same walk the tar sent to Docker uses.
detect-secrets was weighed: its provider plugins cover the same prefixes (no Google key), and its
entropy and keyword plugins are exactly the noisy guesses this scan leaves out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._textfiles import Files, text_files

_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "private-key",
        "private key",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
    ),
    ("aws-access-key-id", "AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "aws-secret-access-key",
        "AWS secret access key",
        re.compile(r"(?i)aws_?secret_?access_?key\W{0,4}[=:]\s*[\"']?[A-Za-z0-9/+=]{40}\b"),
    ),
    ("github-token", "GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_\w{82})\b")),
    ("gitlab-token", "GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b")),
    ("slack-token", "Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("stripe-live-key", "Stripe live key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{24,}\b")),
    ("google-api-key", "Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
)
_PREVIEW_CHARS = 4


@dataclass(frozen=True)
class SecretFinding:
    path: str
    line: int
    rule: str
    description: str
    # The token's public prefix and its length; never the secret.
    preview: str

    def message(self) -> str:
        return f"{self.path}:{self.line}: {self.description} ({self.preview})"


def _preview(rule: str, secret: str) -> str:
    if rule == "private-key":
        return secret
    return f"{secret[:_PREVIEW_CHARS]}… {len(secret)} chars"


def scan_secrets(
    files: Files, *, max_file_bytes: int = 1024 * 1024, max_findings: int = 50
) -> list[SecretFinding]:
    """Findings in ``files`` (the build context's, from ``build.context_files``) that are text."""
    findings: list[SecretFinding] = []
    for relative, content in text_files(files, max_file_bytes=max_file_bytes):
        for number, text in enumerate(content.splitlines(), start=1):
            for rule, description, pattern in _RULES:
                match = pattern.search(text)
                if match is not None:
                    preview = _preview(rule, match.group(0))
                    findings.append(SecretFinding(relative, number, rule, description, preview))
                    if len(findings) >= max_findings:
                        return findings
    return findings
