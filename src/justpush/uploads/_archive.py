"""Safe extraction of zip and tar(.gz) archives into an empty workspace folder.

Rules (each refusal is an UploadError, or UploadTooLargeError for limits):
- names: no absolute paths, drive letters (`C:`), `..` components, NUL bytes or backslashes;
- duplicates: a name may appear once, compared case-insensitively, because the tree must mean the
  same thing on case-insensitive file systems (macOS, Windows build hosts) and two entries for one
  path would let the later one silently replace reviewed content; a file may not also be a folder;
- links: symlinks are kept only when relative and still inside the workspace after extraction
  (projects use them, e.g. a shared config); they are created after every file, so nothing is ever
  written through a link. Hardlinks must name an earlier regular file of the archive and are
  extracted as a copy. Devices, FIFOs and other special entries are refused;
- limits: entry count, total decompressed bytes (counted while decompressing, never trusting
  headers) and the ratio of decompressed bytes to archive bytes. Extraction stops at the first
  byte over a limit.
The caller removes the workspace when this raises; nothing is written outside it.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from justpush.config import UploadSettings
from justpush.errors import UploadError, UploadTooLargeError

CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


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


def safe_relative_name(name: str) -> str | None:
    """The normalised relative POSIX path of an archive entry; None for the root itself ("./")."""
    reason = None
    if "\x00" in name:
        reason = "contains a NUL byte"
    elif "\\" in name:
        reason = "contains a backslash"
    elif name.startswith("/"):
        reason = "is an absolute path"
    elif _DRIVE.match(name):
        reason = "starts with a drive letter"
    elif ".." in name.split("/"):
        reason = "contains '..' (path traversal)"
    if reason is not None:
        raise UploadError(
            f"archive entry '{name}' {reason}", details={"entry": name, "reason": "unsafe_path"}
        )
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts) if parts else None


@dataclass
class _Extractor:
    root: Path
    limits: UploadSettings
    archive_bytes: int
    files: int = 0
    total: int = 0
    # casefolded path -> "file" | "dir"
    kinds: dict[str, str] = field(default_factory=dict)
    regular: dict[str, Path] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)

    # -- bookkeeping -----------------------------------------------------------------------------

    def _claim(self, name: str, kind: str) -> None:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth]).casefold()
            if self.kinds.get(parent) == "file":
                raise UploadError(
                    f"archive entry '{name}' is below '{'/'.join(parts[:depth])}', which is a file",
                    details={"entry": name, "reason": "duplicate_name"},
                )
            self.kinds[parent] = "dir"
        key = name.casefold()
        previous = self.kinds.get(key)
        if previous is not None and not (previous == "dir" and kind == "dir"):
            raise UploadError(
                f"archive entry '{name}' appears more than once (names are compared case-insensitively)",
                details={"entry": name, "reason": "duplicate_name"},
            )
        self.kinds[key] = kind
        if kind != "dir":
            self.files += 1
            if self.files > self.limits.max_files:
                raise UploadTooLargeError(
                    f"the archive has more than {self.limits.max_files} files",
                    details={"limit": self.limits.max_files, "reason": "too_many_files"},
                )

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
        self._claim(name, "dir")
        (self.root / name).mkdir(parents=True, exist_ok=True)

    def file(self, name: str, source: IO[bytes], mode: int) -> None:
        self._claim(name, "file")
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # Only the executable bit survives: no setuid, no world-writable files.
        perms = 0o755 if mode & 0o111 else 0o644
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, perms)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                self._count(len(chunk))
                out.write(chunk)
        self.regular[name.casefold()] = target

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
        escapes = (
            not target
            or target.startswith("/")
            or "\\" in target
            or "\x00" in target
            or bool(_DRIVE.match(target))
            or posixpath.normpath(posixpath.join(posixpath.dirname(name), target)).split("/")[0] == ".."
        )
        if escapes:
            raise UploadError(
                f"archive entry '{name}' is a symlink to '{target}', outside the upload",
                details={"entry": name, "reason": "unsafe_link"},
            )
        self._claim(name, "link")
        self.links.append((name, target))

    def finish_links(self) -> None:
        """Create the symlinks last, then check where they really resolve (chains of links included)."""
        for name, target in self.links:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, path)
        real_root = self.root.resolve()
        for name, target in self.links:
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
        declared_files = sum(1 for m in members if not m.is_dir())
        if declared_files > ex.limits.max_files:
            raise UploadTooLargeError(
                f"the archive has more than {ex.limits.max_files} files",
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
            except (zipfile.BadZipFile, NotImplementedError, EOFError) as exc:
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
    ex = _Extractor(root=workspace, limits=limits, archive_bytes=archive.stat().st_size)
    if kind == "zip":
        _extract_zip(archive, ex)
    else:
        _extract_tar(archive, ex)
    ex.finish_links()
    if ex.files == 0:
        raise UploadError("the archive contains no files", details={"reason": "empty"})
    return TreeStats(files=ex.files, bytes=ex.total)


def measure_tree(root: Path, limits: UploadSettings) -> TreeStats:
    """Count a checked-out tree against the limits and refuse links leaving it (used after git clone)."""
    files = total = 0
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
        for filename in filenames:
            path = Path(dirpath, filename)
            info = path.lstat()
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                continue
            files += 1
            total += info.st_size
        if files > limits.max_files:
            raise UploadTooLargeError(
                f"the repository has more than {limits.max_files} files",
                details={"limit": limits.max_files, "reason": "too_many_files"},
            )
        if total > limits.max_bytes:
            raise UploadTooLargeError(
                f"the repository is larger than {limits.max_bytes} bytes",
                details={"limit": limits.max_bytes, "reason": "too_large"},
            )
    return TreeStats(files=files, bytes=total)
