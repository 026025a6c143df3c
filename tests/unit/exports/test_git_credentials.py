"""How credentials reach git: the token through GIT_ASKPASS reading the environment, the SSH key as a
private file; neither in git's arguments."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from pydantic import SecretStr

from justpush.config import GitopsSettings
from justpush.exports import GitCredentials
from justpush.exports.client import _Git

TOKEN = "glpat-token-value-123"
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-material\n-----END OPENSSH PRIVATE KEY-----"


def _git(tmp_path: Path, credentials: GitCredentials) -> _Git:
    return _Git(
        tmp_path,
        "https://git.example/deploy.git",
        "https://git.example/deploy.git",
        GitopsSettings(),
        credentials,
        None,
    )


def test_the_token_is_answered_by_askpass_from_the_environment_only(tmp_path: Path) -> None:
    git = _git(tmp_path, GitCredentials(username="deployer", token=SecretStr(TOKEN)))
    askpass = git.env["GIT_ASKPASS"]
    assert TOKEN not in " ".join(git.config) and TOKEN not in Path(askpass).read_text()
    assert [name for name, value in git.env.items() if TOKEN in value] == ["JUSTPUSH_GIT_PASSWORD"]
    ask = lambda prompt: subprocess.run([askpass, prompt], env=git.env, capture_output=True, text=True).stdout  # noqa: E731
    assert ask("Username for 'https://git.example': ") == "deployer\n"
    assert ask("Password for 'https://deployer@git.example': ") == f"{TOKEN}\n"
    # No helper, terminal prompt or user configuration can add credentials of their own.
    assert "credential.helper=" in git.config and git.env["GIT_TERMINAL_PROMPT"] == "0"
    assert git.env["GIT_CONFIG_NOSYSTEM"] == "1"


def test_without_a_token_git_gets_no_password(tmp_path: Path) -> None:
    git = _git(tmp_path, GitCredentials())
    assert git.env["GIT_ASKPASS"] == "/bin/false" and "JUSTPUSH_GIT_PASSWORD" not in git.env


def test_the_ssh_key_is_a_private_file_and_host_keys_are_checked(tmp_path: Path) -> None:
    git = _git(tmp_path, GitCredentials(ssh_key=SecretStr(KEY), known_hosts="git.example ssh-ed25519 AAAA\n"))
    command = git.env["GIT_SSH_COMMAND"].split()
    key = Path(command[command.index("-i") + 1])
    assert key.read_text() == KEY + "\n" and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "StrictHostKeyChecking=yes" in command and "BatchMode=yes" in command
    assert KEY not in " ".join(git.config) and not any("key-material" in v for v in git.env.values())
    other = tmp_path / "other"
    other.mkdir()
    unknown = _git(other, GitCredentials(ssh_key=SecretStr(KEY)))
    assert "StrictHostKeyChecking=accept-new" in unknown.env["GIT_SSH_COMMAND"]
