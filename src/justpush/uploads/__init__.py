"""Uploads: zip / tar(.gz) archives or a git URL, received into an isolated workspace per upload id.

Hostile input is refused with UploadError / UploadTooLargeError; see `_archive` for the exact rules.
"""

from ._address import ResolvedHost, curl_resolve_option, resolve_git_host
from ._archive import TreeStats, detect_format, extract_archive, measure_tree
from ._git import check_git_ref, check_git_url, clone, git_config_options, redact_url
from ._service import (
    ReceivedUpload,
    new_upload_id,
    receive_archive,
    receive_git,
    record_upload,
    remove_workspace,
    save_stream,
    workspace_path,
    workspaces_root,
)
from ._tree import TreePlan, safe_relative_name

__all__ = [
    "ReceivedUpload",
    "ResolvedHost",
    "TreePlan",
    "TreeStats",
    "check_git_ref",
    "check_git_url",
    "clone",
    "curl_resolve_option",
    "detect_format",
    "extract_archive",
    "git_config_options",
    "measure_tree",
    "new_upload_id",
    "receive_archive",
    "receive_git",
    "record_upload",
    "redact_url",
    "remove_workspace",
    "resolve_git_host",
    "safe_relative_name",
    "save_stream",
    "workspace_path",
    "workspaces_root",
]
