"""Safe extraction of zip and tar(.gz) archives into an empty workspace folder.

Rules (each refusal is an UploadError, or UploadTooLargeError for limits):
- names, entry counts and links follow `_tree.TreePlan`: no `..`, absolute paths, drive letters, NUL
  bytes, backslashes or over-long names; every entry (folders too) counts against `maxFiles`; nothing
  is ever below a symlink; duplicates (compared case-insensitively) and a file used as a folder are
  refused;
- links: symlinks are kept only when relative and still inside the workspace, resolved against the
  whole tree including the archive's other links; they are created after every file, once all of
  them are checked, so nothing is ever written through a link. Empty folders are created at the end
  too, so an archive refused at the entry limit has cost no disk for them. Hardlinks must name an earlier
  regular file of the archive and are extracted as a copy. Devices, FIFOs and other special entries
  are refused;
- writing: every folder on the way to an entry is opened with O_NOFOLLOW relative to the workspace's
  own descriptor, so even a link that slipped through could not redirect a write;
- limits: total decompressed bytes (counted while decompressing, never trusting headers) and the
  ratio of decompressed bytes to archive bytes. Extraction stops at the first byte over a limit.
The caller removes the workspace when this raises; nothing is written outside it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from justpush.config import UploadSettings
from justpush.errors import UploadError, UploadTooLargeError

from ._tree import TreePlan, safe_relative_name

CHUNK = 64 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class TreeStats:
    files: int
    bytes: int


def detect_format(path: Path) -> str:
    """ "zip" or "tar" from the content (never from the file name); UploadError for anything else."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
        return "tar"
    if len(head) == 512 and head[257:262] == b"ustar":
        return "tar"
    raise UploadError("the upload is not a zip or tar archive", details={"reason": "not_an_archive"})


@contextlib.contextmanager
def _open_dir(root_fd: int, parts: list[str]) -> Iterator[int]:
    """A descriptor of folder `parts` below `root_fd`, creating missing folders, never following links."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            try:
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                os.mkdir(part, 0o755, dir_fd=fd)
                next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        yield fd
    finally:
        os.close(fd)


@dataclass
class _Extractor:
    root: Path
    root_fd: int
    limits: UploadSettings
    archive_bytes: int
    plan: TreePlan
    total: int = 0
    regular: dict[str, Path] = field(default_factory=dict)
    directories: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.plan.files

    def _count(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_bytes:
            raise UploadTooLargeError(
                f"the archive expands to more than {self.limits.max_bytes} bytes",
                details={"limit": self.limits.max_bytes, "reason": "too_large"},
            )
        if (
            self.total > self.limits.ratio_check_min_bytes
            and self.total > self.limits.max_compression_ratio * max(self.archive_bytes, 1)
        ):
            raise UploadTooLargeError(
                f"the archive expands more than {self.limits.max_compression_ratio:g} times "
                "its size (compression bomb)",
                details={"limit": self.limits.max_compression_ratio, "reason": "compression_ratio"},
            )

    def check_declared(self, size: int) -> None:
        """Refuse early from a header's size; the real count happens while decompressing."""
        saved = self.total
        self._count(size)
        self.total = saved

    # -- writing ---------------------------------------------------------------------------------

    def directory(self, name: str) -> None:
        # Created at the end: a folder bomb is refused at the entry limit having written nothing.
        self.plan.claim(name, "dir")
        self.directories.append(name)

    def file(self, name: str, source: IO[bytes], mode: int) -> None:
        self.plan.claim(name, "file")
        *parents, leaf = name.split("/")
        # Only the executable bit survives: no setuid, no world-writable files.
        perms = 0o755 if mode & 0o111 else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with _open_dir(self.root_fd, parents) as parent_fd:
            fd = os.open(leaf, flags, perms, dir_fd=parent_fd)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                self._count(len(chunk))
                out.write(chunk)
        self.regular[name.casefold()] = self.root / name

    def hardlink(self, name: str, target_name: str) -> None:
        target = safe_relative_name(target_name)
        existing = self.regular.get(target.casefold()) if target else None
        if existing is None:
            raise UploadError(
                f"archive entry '{name}' is a hardlink to '{target_name}', which is not an earlier "
                "file of the archive",
                details={"entry": name, "reason": "unsafe_link"},
            )
        with existing.open("rb") as source:
            self.file(name, source, existing.stat().st_mode)

    def symlink(self, name: str, target: str) -> None:
        self.plan.add_link(name, target)

    def finish(self) -> None:
        """Create the empty folders, check every link against the whole tree, then create the links."""
        for name in self.directories:
            with _open_dir(self.root_fd, name.split("/")):
                pass
        self.plan.check_links()
        for name, target in self.plan.links.items():
            *parents, leaf = name.split("/")
            with _open_dir(self.root_fd, parents) as parent_fd:
                os.symlink(target, leaf, dir_fd=parent_fd)
        # Defence in depth: the kernel's answer must agree with the plan's.
        real_root = self.root.resolve()
        for name, target in self.plan.links.items():
            resolved = Path(os.path.realpath(self.root / name))
            if resolved != real_root and real_root not in resolved.parents:
                raise UploadError(
                    f"archive entry '{name}' is a symlink to '{target}', which resolves outside the upload",
                    details={"entry": name, "reason": "unsafe_link"},
                )


def _extract_zip(path: Path, ex: _Extractor) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError(f"the zip archive is corrupt: {exc}", details={"reason": "corrupt"}) from exc
    with archive:
        members = archive.infolist()
        # Every member counts, folders included; implied parent folders are counted while extracting.
        if len(members) > ex.limits.max_files:
            raise UploadTooLargeError(
                f"the archive has more than {ex.limits.max_files} entries (files, folders and links)",
                details={"limit": ex.limits.max_files, "reason": "too_many_files"},
            )
        ex.check_declared(sum(m.file_size for m in members))
        for info in members:
            name = safe_relative_name(info.filename)
            if name is None:
                continue
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            try:
                if info.is_dir() or kind == stat.S_IFDIR:
                    ex.directory(name)
                elif kind == stat.S_IFLNK:
                    if info.file_size > 4096:
                        raise UploadError(
                            f"archive entry '{name}' is a symlink with an oversized target",
                            details={"entry": name, "reason": "unsafe_link"},
                        )
                    ex.symlink(name, archive.read(info).decode("utf-8", errors="replace"))
                elif kind in (0, stat.S_IFREG):
                    with archive.open(info) as source:
                        ex.file(name, source, mode)
                else:
                    raise UploadError(
                        f"archive entry '{name}' is a device, FIFO or socket",
                        details={"entry": name, "reason": "special_file"},
                    )
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError) as exc:
                raise UploadError(
                    f"archive entry '{name}' cannot be read: {exc}",
                    details={"entry": name, "reason": "corrupt"},
                ) from exc


def _extract_tar(path: Path, ex: _Extractor) -> None:
    try:
        # Stream mode reads sequentially, so a bomb is stopped at the running total, never scanned first.
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                name = safe_relative_name(member.name)
                if name is None:
                    continue
                if member.isdir():
                    ex.directory(name)
                elif member.issym():
                    ex.symlink(name, member.linkname)
                elif member.islnk():
                    ex.hardlink(name, member.linkname)
                elif member.isreg():
                    ex.check_declared(member.size)
                    source = archive.extractfile(member)
                    if source is None:
                        raise UploadError(
                            f"archive entry '{name}' has no data",
                            details={"entry": name, "reason": "corrupt"},
                        )
                    ex.file(name, source, member.mode)
                else:
                    raise UploadError(
                        f"archive entry '{name}' is a device, FIFO or other special file",
                        details={"entry": name, "reason": "special_file"},
                    )
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UploadError(f"the tar archive is corrupt: {exc}", details={"reason": "corrupt"}) from exc


def extract_archive(archive: Path, workspace: Path, limits: UploadSettings) -> TreeStats:
    """Extract `archive` into the empty folder `workspace` (blocking); returns the file count and bytes."""
    kind = detect_format(archive)
    root_fd = os.open(workspace, _DIR_FLAGS)
    try:
        ex = _Extractor(
            root=workspace,
            root_fd=root_fd,
            limits=limits,
            archive_bytes=archive.stat().st_size,
            plan=TreePlan(max_entries=limits.max_files),
        )
        if kind == "zip":
            _extract_zip(archive, ex)
        else:
            _extract_tar(archive, ex)
        try:
            ex.finish()
        except OSError as exc:
            raise UploadError(
                f"the archive's folders or links cannot be created: {exc.strerror}",
                details={"reason": "corrupt"},
            ) from exc
    finally:
        os.close(root_fd)
    if ex.files == 0:
        raise UploadError("the archive contains no files", details={"reason": "empty"})
    return TreeStats(files=ex.files, bytes=ex.total)


def measure_tree(root: Path, limits: UploadSettings) -> TreeStats:
    """Count a checked-out tree against the limits (every entry, folders too) and refuse links leaving it."""
    files = entries = total = 0
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in (*dirnames, *filenames):
            path = Path(dirpath, entry)
            if path.is_symlink():
                resolved = Path(os.path.realpath(path))
                if resolved != real_root and real_root not in resolved.parents:
                    relative = path.relative_to(root).as_posix()
                    raise UploadError(
                        f"'{relative}' is a symlink that resolves outside the upload",
                        details={"entry": relative, "reason": "unsafe_link"},
                    )
        entries += len(dirnames) + len(filenames)
        for filename in filenames:
            info = Path(dirpath, filename).lstat()
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                continue
            files += 1
            total += info.st_size
        if entries > limits.max_files:
            raise UploadTooLargeError(
                f"the repository has more than {limits.max_files} entries (files, folders and links)",
                details={"limit": limits.max_files, "reason": "too_many_files"},
            )
        if total > limits.max_bytes:
            raise UploadTooLargeError(
                f"the repository is larger than {limits.max_bytes} bytes",
                details={"limit": limits.max_bytes, "reason": "too_large"},
            )
    return TreeStats(files=files, bytes=total)
