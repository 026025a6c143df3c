"""Exports of a deployment for tools other than JustPush: a Terraform module and a GitOps tree
(pure generators), and the client that commits a tree to a Git repository (`client.py`)."""

from ._gitops import DECK_API_KEY, DECK_API_KEY_ENV, GitopsOptions, GitopsTool, render_gitops
from ._terraform import TerraformOptions, render_terraform
from .client import CommitResult, GitCredentials, GitopsPublisher, check_tree_path

__all__ = [
    "DECK_API_KEY",
    "DECK_API_KEY_ENV",
    "CommitResult",
    "GitCredentials",
    "GitopsOptions",
    "GitopsPublisher",
    "GitopsTool",
    "TerraformOptions",
    "check_tree_path",
    "render_gitops",
    "render_terraform",
]
