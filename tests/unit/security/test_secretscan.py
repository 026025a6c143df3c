"""The committed-secret scan: each rule finds its token, previews never hold the secret, ignored and
binary files are skipped. Tokens are assembled at run time so no secret-shaped string is committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from justpush.build import context_files
from justpush.security import scan_secrets

ALNUM = "Q7x9Lm2Pz4Kw8Rt6Vb3Nc5Hd1Jf0Gs7Ya9Ue2Io4Tp6Qr8Wm3Ek5Zl"
TOKENS = {
    "private-key": "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    "aws-access-key-id": "AKIA" + ALNUM.upper()[:16],
    "aws-secret-access-key": "aws_secret_access_key = " + ALNUM[:40],
    "github-token": "ghp_" + ALNUM[:36],
    "gitlab-token": "glpat-" + ALNUM[:20],
    "slack-token": "xoxb-" + "1234567890-" + ALNUM[:24],
    "stripe-live-key": "sk_live_" + ALNUM[:24],
    "google-api-key": "AIza" + ALNUM[:35],
}


@pytest.mark.parametrize("rule", sorted(TOKENS))
def test_each_rule_finds_its_token_and_shows_only_its_prefix(tmp_path: Path, rule: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.py").write_text(f"import os\n\nVALUE = '{TOKENS[rule]}'\n")
    (finding,) = scan_secrets(context_files(tmp_path, ""))
    assert (finding.path, finding.line, finding.rule) == ("src/config.py", 3, rule)
    secret_part = TOKENS[rule][-16:]
    assert secret_part not in finding.preview and secret_part not in finding.message()


def test_lookalikes_are_not_findings(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "API_KEY = os.environ['API_KEY']\n"
        "example = 'AKIAEXAMPLE'\n"
        "token = 'ghp_short'\n"
        "-----BEGIN PUBLIC KEY-----\n"
        "-----BEGIN CERTIFICATE-----\n"
    )
    assert scan_secrets(context_files(tmp_path, "")) == []


def test_files_left_out_of_the_image_are_not_scanned(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TOKEN={TOKENS['github-token']}\n")
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    (tmp_path / "node_modules" / "pkg" / "test.js").write_text(f"'{TOKENS['slack-token']}'\n")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "deploy.pem").write_text(TOKENS["private-key"] + "\n")
    (tmp_path / "blob.bin").write_bytes(b"\0\1" + TOKENS["aws-access-key-id"].encode())
    assert scan_secrets(context_files(tmp_path, ".env\nkeys/\n")) == []
    assert [f.path for f in scan_secrets(context_files(tmp_path, ""))] == [".env", "keys/deploy.pem"]
