"""git uploads: URL and ref checks, and a real shallow clone of a local bare repository.

Only https is allowed in production; the clone test lists "file" in `uploads.gitSchemes`, the
test-only way to exercise the real clone path without network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from justpush.config import UploadSettings
from justpush.errors import UploadError, UploadTooLargeError
from justpush.uploads import check_git_ref, check_git_url, receive_git, redact_url


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def bare_repo(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "app.py").write_text("print('v1')\n")
    git("add", ".", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1", cwd=work)
    git("checkout", "-q", "-b", "release", cwd=work)
    (work / "extra.py").write_text("x = 2\n")
    git("add", ".", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v2", cwd=work)
    bare = tmp_path / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


@pytest.mark.parametrize(
    "url",
    [
        "file:///srv/repo.git",
        "/srv/repo.git",
        "ssh://git@example.com/repo.git",
        "git@example.com:repo.git",
        "http://example.com/repo.git",
        "ext::sh -c touch% /tmp/pwned",
        "--upload-pack=touch /tmp/pwned",
        "https://",
        "https://example.com/repo with space",
        "https://example.com:99999/repo.git",
        "https://example.com:port/repo.git",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(UploadError) as info:
        check_git_url(url, UploadSettings())
    assert info.value.details["reason"] == "bad_git_url"


@pytest.mark.parametrize(
    ("url", "suggested"),
    [
        ("git@github.com:org/repo.git", "https://github.com/org/repo.git"),
        ("deploy@git.example.com:team/api", "https://git.example.com/team/api"),
        ("ssh://git@gitlab.example.com/group/app.git", "https://gitlab.example.com/group/app.git"),
    ],
)
def test_ssh_addresses_are_refused_with_the_https_address_to_use(url: str, suggested: str) -> None:
    with pytest.raises(UploadError) as info:
        check_git_url(url, UploadSettings())
    assert "SSH address" in info.value.message
    assert "HTTPS" in info.value.message
    assert suggested in info.value.message
    assert info.value.details == {"reason": "bad_git_url", "allowed": ["https"]}


@pytest.mark.parametrize("url", ["ext::sh -c x", "https://example.com/repo.git", "/srv/repo.git"])
def test_other_addresses_are_not_taken_for_ssh(url: str) -> None:
    try:
        check_git_url(url, UploadSettings(git_schemes=("https",)))
    except UploadError as exc:
        assert "SSH" not in exc.message


def test_https_url_accepted() -> None:
    assert check_git_url("https://github.com/org/repo.git", UploadSettings()) == "https"


@pytest.mark.parametrize("ref", ["-x", "a..b", "main.lock", "feature/ok/", "with space", "/abs"])
def test_refused_refs(ref: str) -> None:
    with pytest.raises(UploadError):
        check_git_ref(ref)


def test_redact_url_drops_credentials() -> None:
    assert redact_url("https://user:pw@example.com:8443/r.git") == "https://example.com:8443/r.git"


async def test_clone_local_bare_repo_at_ref(bare_repo: Path, tmp_path: Path) -> None:
    settings = UploadSettings(git_schemes=("https", "file"))
    received = await receive_git(
        f"file://{bare_repo}", "release", data_dir=tmp_path / "data", settings=settings
    )
    assert sorted(p.name for p in received.workspace.iterdir()) == ["app.py", "extra.py"]
    assert (received.files, received.source_kind) == (2, "git")
    assert received.git_commit and len(received.git_commit) == 40
    assert not (received.workspace / ".git").exists()


async def test_file_scheme_refused_by_default_even_for_a_real_repo(bare_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="not allowed"):
        await receive_git(f"file://{bare_repo}", None, data_dir=tmp_path / "data", settings=UploadSettings())
    assert not (tmp_path / "data" / "workspaces").exists()


async def test_clone_of_missing_ref_fails_cleanly(bare_repo: Path, tmp_path: Path) -> None:
    settings = UploadSettings(git_schemes=("file",))
    with pytest.raises(UploadError, match=r"git clone of .* failed"):
        await receive_git(f"file://{bare_repo}", "nope", data_dir=tmp_path / "data", settings=settings)
    assert list((tmp_path / "data" / "workspaces").iterdir()) == []


async def test_clone_over_file_limit_is_removed(bare_repo: Path, tmp_path: Path) -> None:
    settings = UploadSettings(git_schemes=("file",), max_files=1)
    with pytest.raises(UploadTooLargeError):
        await receive_git(f"file://{bare_repo}", "release", data_dir=tmp_path / "data", settings=settings)
    assert list((tmp_path / "data" / "workspaces").iterdir()) == []


async def test_clone_with_escaping_symlink_refused(tmp_path: Path) -> None:
    work = tmp_path / "evil"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    (work / "passwd").symlink_to("/etc/passwd")
    git("add", ".", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x", cwd=work)
    settings = UploadSettings(git_schemes=("file",))
    with pytest.raises(UploadError, match="symlink"):
        await receive_git(f"file://{work}", None, data_dir=tmp_path / "data", settings=settings)
    assert list((tmp_path / "data" / "workspaces").iterdir()) == []
