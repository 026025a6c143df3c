"""GitopsPublisher against a real git server on loopback: commit, clone back, diff-only updates, and
refused pushes (the branch moved, wrong credentials) that change nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from justpush.config import GitopsSettings
from justpush.errors import GitAuthError, GitError, GitRejectedError, UploadError
from justpush.exports import GitCredentials, GitopsPublisher

from .gitserver import GitServer, git, git_server

TREE = {
    "README.md": "# orders\n",
    "manifests/kustomization.yaml": "resources:\n- deployment-orders.yaml\n",
    "manifests/deployment-orders.yaml": "kind: Deployment\nspec:\n  replicas: 1\n",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with git_server(tmp_path / "server") as running:
        running.create("deploy")
        yield running


@pytest.fixture
def publisher() -> GitopsPublisher:
    return GitopsPublisher(
        GitopsSettings(schemes=("http",), allowed_hosts=("127.0.0.1/32",), timeout_seconds=30)
    )


def _credentials(server: GitServer, token: str | None = None) -> GitCredentials:
    return GitCredentials(username=server.username, token=SecretStr(token or server.password))


def _clone(server: GitServer, into: Path, branch: str = "main") -> dict[str, str]:
    url = server.repo_url("deploy").replace("http://", f"http://{server.username}:{server.password}@")
    git("clone", "-q", "--branch", branch, url, str(into))
    return {
        str(p.relative_to(into)): p.read_text()
        for p in sorted(into.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(into).parts
    }


def _seed(server: GitServer, work: Path) -> str:
    """Someone else's file on main, outside the exported folder."""
    url = server.repo_url("deploy").replace("http://", f"http://{server.username}:{server.password}@")
    git("init", "-q", "-b", "main", str(work))
    (work / "other").mkdir()
    (work / "other" / "app.yaml").write_text("kept: true\n")
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "someone else's app", cwd=work)
    git("push", "-q", url, "main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


async def test_commit_clone_back_then_only_the_diff(
    server: GitServer, publisher: GitopsPublisher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seeded = _seed(server, tmp_path / "seed")
    url = server.repo_url("deploy")
    first = await publisher.publish(
        url, "main", "apps/u1", TREE, "justpush: orders upload u1 revision 1\n", _credentials(server)
    )
    assert first.changed and server.head("deploy") == first.commit
    assert set(first.files) == {f"apps/u1/{name}" for name in TREE}
    tree = _clone(server, tmp_path / "clone1")
    assert tree == {"other/app.yaml": "kept: true\n", **{f"apps/u1/{k}": v for k, v in TREE.items()}}
    assert git("log", "-1", "--format=%s%n%P", cwd=tmp_path / "clone1").split() == [
        "justpush:",
        "orders",
        "upload",
        "u1",
        "revision",
        "1",
        seeded,
    ]

    # A change of one object and one removed file: the commit holds exactly that.
    changed = {k: v for k, v in TREE.items() if k != "README.md"}
    changed["manifests/deployment-orders.yaml"] = "kind: Deployment\nspec:\n  replicas: 3\n"
    second = await publisher.publish(
        url, "main", "apps/u1", changed, "justpush: orders upload u1 revision 2\n", _credentials(server)
    )
    assert second.changed
    assert sorted(second.files) == ["apps/u1/README.md", "apps/u1/manifests/deployment-orders.yaml"]
    clone2 = tmp_path / "clone2"
    tree = _clone(server, clone2)
    assert tree["apps/u1/manifests/deployment-orders.yaml"].endswith("replicas: 3\n")
    assert "apps/u1/README.md" not in tree and tree["other/app.yaml"] == "kept: true\n"
    assert git("diff", "--name-status", f"{first.commit}..{second.commit}", cwd=clone2).split() == [
        "D",
        "apps/u1/README.md",
        "M",
        "apps/u1/manifests/deployment-orders.yaml",
    ]

    # The same tree again: no commit at all.
    third = await publisher.publish(
        url, "main", "apps/u1", changed, "justpush: again\n", _credentials(server)
    )
    assert not third.changed and third.commit == second.commit == server.head("deploy")
    assert server.password not in caplog.text


async def test_a_new_branch_in_an_empty_repository(
    server: GitServer, publisher: GitopsPublisher, tmp_path: Path
) -> None:
    result = await publisher.publish(
        server.repo_url("deploy"), "prod", "", TREE, "first\n", _credentials(server)
    )
    assert result.changed and server.head("deploy", "prod") == result.commit
    assert _clone(server, tmp_path / "clone", "prod") == TREE


@pytest.mark.parametrize("moment", ["before the push", "during the push"])
async def test_branch_moved_since_it_was_read_is_rejected_and_changes_nothing(
    server: GitServer, publisher: GitopsPublisher, tmp_path: Path, moment: str
) -> None:
    _seed(server, tmp_path / "seed")
    url = server.repo_url("deploy")
    pusher = tmp_path / "seed"
    auth_url = url.replace("http://", f"http://{server.username}:{server.password}@")

    def someone_pushes() -> None:
        (pusher / "late.txt").write_text("late\n")
        git("add", ".", cwd=pusher)
        git("commit", "-q", "-m", "a concurrent change", cwd=pusher)
        git("push", "-q", auth_url, "main", cwd=pusher)

    (server.before_push if moment == "before the push" else server.before_update).append(someone_pushes)
    with pytest.raises(GitRejectedError, match="branch moved since it was read") as caught:
        await publisher.publish(url, "main", "apps/u1", TREE, "justpush: x\n", _credentials(server))
    assert caught.value.details["reason"] == "non_fast_forward"
    assert server.head("deploy") == git("rev-parse", "HEAD", cwd=pusher).strip()
    assert "apps/u1/README.md" not in _clone(server, tmp_path / "clone")


async def test_wrong_credentials_are_refused_and_change_nothing(
    server: GitServer, publisher: GitopsPublisher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    head = _seed(server, tmp_path / "seed")
    with pytest.raises(GitAuthError, match="refused the credentials") as caught:
        await publisher.publish(
            server.repo_url("deploy"), "main", "x", TREE, "m\n", _credentials(server, "wrong-token-value")
        )
    assert "wrong-token-value" not in f"{caught.value.message} {caught.value.detail} {caplog.text}"
    assert server.head("deploy") == head
    with pytest.raises(GitAuthError):
        await publisher.publish(server.repo_url("deploy"), "main", "x", TREE, "m\n", GitCredentials())
    assert server.head("deploy") == head


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///tmp/repo.git", "scheme 'file' is not allowed"),
        ("http://deployer:pw@127.0.0.1:1/deploy.git", "holds a password"),
        ("http://10.0.0.1/deploy.git", "internal address"),
    ],
)
async def test_refused_urls(publisher: GitopsPublisher, url: str, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        await publisher.publish(url, "main", "x", TREE, "m\n", GitCredentials())


async def test_refused_branch_and_path(server: GitServer, publisher: GitopsPublisher) -> None:
    with pytest.raises(UploadError, match="not a valid branch"):
        await publisher.publish(server.repo_url("deploy"), "-f", "x", TREE, "m\n", _credentials(server))
    with pytest.raises(UploadError, match="plain relative folder"):
        await publisher.publish(server.repo_url("deploy"), "main", "../up", TREE, "m\n", _credentials(server))
    assert server.head("deploy") == ""


async def test_a_server_that_stops_answering_is_given_up_on_in_time(
    server: GitServer, tmp_path: Path
) -> None:
    head = _seed(server, tmp_path / "seed")
    publisher = GitopsPublisher(
        GitopsSettings(schemes=("http",), allowed_hosts=("127.0.0.1/32",), timeout_seconds=2)
    )
    server.before_push.append(lambda: time.sleep(6))
    started = time.monotonic()
    with pytest.raises(GitError, match="took longer than 2s"):
        await publisher.publish(server.repo_url("deploy"), "main", "x", TREE, "m\n", _credentials(server))
    assert time.monotonic() - started < 5
    time.sleep(4.5)  # the stalled request ends; the branch is still as it was
    assert server.head("deploy") == head
