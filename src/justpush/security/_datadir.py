"""The data directory (`server.dataDir`) is private to the server's user: 0700 folders; the files
holding secrets (database, key) are created 0600 where they are created.

It holds the SQLite database (env values, encrypted secrets), the encryption key and every upload's
source code. Modes are set where each folder or file is created, not through a process-wide umask:
the umask would also change what the server writes elsewhere, and the private folders already keep
everyone else away from the files below them (which keep 0644 / 0755; the build context sets its
own modes anyway).
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_DIR_MODE = 0o700
# Folders of the data dir that earlier versions created with 0755.
_SUBFOLDERS = ("workspaces", "tmp")


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data dir (0700), or make an existing one and its folders private again."""
    data_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    folders = [data_dir, *(data_dir / name for name in _SUBFOLDERS)]
    for folder in folders:
        if not folder.is_dir() or (folder != data_dir and folder.is_symlink()):
            continue
        try:
            folder.chmod(PRIVATE_DIR_MODE)
        except PermissionError as exc:
            # Owned by another user (e.g. a mounted volume): the server still works, the operator is told.
            logger.warning(
                "%s cannot be made private (mode 0700): %s",
                folder,
                exc.strerror,
                extra={"stage": "startup", "path": folder.as_posix()},
            )
