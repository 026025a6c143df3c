"""How credentials reach git: the token through GIT_ASKPASS reading the environment, the SSH key as a
private file; neither in git's arguments."""

from __future__ import annotations

import shlex
import stat
import subprocess
from pathlib import Path

from pydantic import SecretStr

from justpush import uploads
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


def test_ssh_connects_to_the_address_checked_and_checks_the_key_by_name(tmp_path: Path) -> None:
    resolved = uploads.ResolvedHost("git.example", 22, ("203.0.113.7", "2001:db8::7"))
    git = _Git(
        tmp_path,
        "ssh://git@git.example/deploy.git",
        "ssh://git@git.example/deploy.git",
        GitopsSettings(),
        GitCredentials(ssh_key=SecretStr(KEY), known_hosts="git.example ssh-ed25519 AAAA\n"),
        resolved,
    )
    # A second lookup of the name could answer an internal address (DNS rebinding): ssh does not make one.
    command = shlex.split(git.env["GIT_SSH_COMMAND"])
    assert "HostName=203.0.113.7" in command and "HostKeyAlias=git.example" in command
    # A host the operator allowed by name is left to ssh's own lookup.
    other = tmp_path / "other"
    other.mkdir()
    by_name = uploads.ResolvedHost("git.internal", 22, (), allowed_by_name=True)
    git = _Git(
        other,
        "ssh://git@git.internal/d.git",
        "ssh://git@git.internal/d.git",
        GitopsSettings(),
        GitCredentials(),
        by_name,
    )
    assert not any(word.startswith("HostName=") for word in shlex.split(git.env["GIT_SSH_COMMAND"]))
