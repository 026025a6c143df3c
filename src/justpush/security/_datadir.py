"""The data directory (`server.dataDir`) is private to the server's user: 0700 folders; the files
holding secrets (database, key) are created 0600 where they are created.

It holds the SQLite database (env values, encrypted secrets), the encryption key and every upload's
source code. Modes are set where each folder or file is created, not through a process-wide umask:
the umask would also change what the server writes elsewhere, and the private folders already keep
everyone else away from the files below them (which keep 0644 / 0755; the build context sets its
own modes anyway).
"""

from __future__ import annotations

from pathlib import Path

PRIVATE_DIR_MODE = 0o700
# Folders of the data dir that earlier versions created with 0755.
_SUBFOLDERS = ("workspaces", "tmp")


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data dir (0700), or make an existing one and its folders private again."""
    data_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    data_dir.chmod(PRIVATE_DIR_MODE)
    for name in _SUBFOLDERS:
        folder = data_dir / name
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(PRIVATE_DIR_MODE)
