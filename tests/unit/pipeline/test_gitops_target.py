"""Where a GitOps export goes: the request over the settings; the operator's credentials only to the
operator's repository, branch and folder."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from justpush.config import GitopsSettings
from justpush.errors import ConfigError, ForbiddenError
from justpush.pipeline import gitops_target

OPERATOR = GitopsSettings(
    repo_url="https://git.example/ops/deploy.git",
    branch="prod",
    path="apps/{upload_id}",
    token=SecretStr("operator-token"),
)


def test_the_settings_fill_what_the_request_leaves_out() -> None:
    target = gitops_target(OPERATOR, "u1")
    assert (target.repo_url, target.branch, target.path, target.tool) == (
        OPERATOR.repo_url,
        "prod",
        "apps/u1",
        "argocd",
    )
    assert (
        target.credentials.token is not None
        and target.credentials.token.get_secret_value() == "operator-token"
    )


def test_another_repository_never_gets_the_operators_token() -> None:
    target = gitops_target(OPERATOR, "u1", repo_url="https://evil.example/collect.git", path="x")
    assert target.credentials.token is None and target.credentials.ssh_key is None
    own = gitops_target(
        OPERATOR, "u1", repo_url="https://git.example/me.git", token=SecretStr("mine"), branch="dev"
    )
    assert own.credentials.token is not None and own.credentials.token.get_secret_value() == "mine"
    assert (own.branch, own.path) == ("dev", "apps/u1")


@pytest.mark.parametrize(("branch", "path"), [("main", None), (None, "apps/u2"), (None, "")])
def test_the_operators_credentials_write_only_the_uploads_own_folder(
    branch: str | None, path: str | None
) -> None:
    with pytest.raises(ForbiddenError, match="configured credentials commit only to prod:apps/u1"):
        gitops_target(OPERATOR, "u1", branch=branch, path=path)
    # With a token of one's own, the same target is the user's choice.
    target = gitops_target(OPERATOR, "u1", branch=branch, path=path, token=SecretStr("mine"))
    assert target.credentials.token is not None and target.credentials.token.get_secret_value() == "mine"


def test_no_repository_anywhere_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no repository to commit to"):
        gitops_target(GitopsSettings(), "u1")
