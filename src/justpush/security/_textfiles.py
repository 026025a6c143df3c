"""The text of the files a scan is given: what ships in the build context, read once, bounded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

# (relative path, path) pairs, as `build.context_files` yields them.
Files = Iterable[tuple[str, Path]]

# Folders of installed dependencies and VCS data: not the developer's code (and their contents are
# reinstalled from the manifests in the image anyway).
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", "vendor"})


def text_files(files: Files, *, max_file_bytes: int) -> Iterator[tuple[str, str]]:
    """(relative path, text) of each file that is text, at most ``max_file_bytes`` and not under a
    dependency folder."""
    for relative, path in files:
        if SKIPPED_DIRS.intersection(relative.split("/")[:-1]):
            continue
        try:
            if path.stat().st_size > max_file_bytes:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        yield relative, data.decode("utf-8", errors="replace")
