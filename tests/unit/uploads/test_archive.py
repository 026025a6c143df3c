"""Every hostile-archive rule has a test here that fails when the protection is removed."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from justpush.config import UploadSettings
from justpush.errors import UploadError, UploadTooLargeError
from justpush.uploads import extract_archive


def zip_bytes(entries: list[tuple[str, bytes]], *, symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for info, data in members:
            if data is not None:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def tar_entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.mode = 0o644
    return info


Write = Callable[[bytes], Path]


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())


def test_zip_extracts_tree(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    archive = write_archive(zip_bytes([("app/main.py", b"print('hi')\n"), ("README.md", b"# x\n")]))
    stats = extract_archive(archive, workspace, limits)
    assert (stats.files, stats.bytes) == (2, 16)
    assert (workspace / "app" / "main.py").read_text() == "print('hi')\n"
    assert files_under(workspace) == ["README.md", "app/main.py"]


def test_tar_gz_extracts_tree_and_keeps_executable_bit(
    write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    script = tar_entry("run.sh")
    script.mode = 0o4755  # setuid must not survive
    archive = write_archive(tar_bytes([(tar_entry("src", tarfile.DIRTYPE), None), (script, b"#!/bin/sh\n")]))
    stats = extract_archive(archive, workspace, limits)
    assert stats.files == 1
    assert (workspace / "run.sh").stat().st_mode & 0o7777 == 0o755
    assert (workspace / "src").is_dir()


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/etc/evil.py", "C:/evil.py", "C:evil.py"])
def test_zip_path_traversal_refused(
    name: str, write_archive: Write, workspace: Path, limits: UploadSettings, tmp_path: Path
) -> None:
    archive = write_archive(zip_bytes([("ok.py", b"x"), (name, b"evil")]))
    with pytest.raises(UploadError, match=r"path traversal|absolute|drive letter"):
        extract_archive(archive, workspace, limits)
    assert not list(tmp_path.rglob("evil.py"))


@pytest.mark.parametrize("name", ["../evil.py", "/tmp/evil.py", "D:\\evil.py"])
def test_tar_path_traversal_refused(
    name: str, write_archive: Write, workspace: Path, limits: UploadSettings, tmp_path: Path
) -> None:
    archive = write_archive(tar_bytes([(tar_entry(name), b"evil")]))
    with pytest.raises(UploadError) as info:
        extract_archive(archive, workspace, limits)
    assert info.value.details["reason"] == "unsafe_path"
    assert not list(tmp_path.rglob("evil.py"))


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside", "sub/../../x"])
def test_tar_symlink_escaping_refused(
    target: str, write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    archive = write_archive(tar_bytes([(tar_entry("link", tarfile.SYMTYPE, target), None)]))
    with pytest.raises(UploadError, match="symlink") as info:
        extract_archive(archive, workspace, limits)
    assert info.value.details["reason"] == "unsafe_link"


def test_zip_symlink_escaping_refused(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    archive = write_archive(zip_bytes([("a.py", b"x")], symlinks={"link": "../../etc/passwd"}))
    with pytest.raises(UploadError, match="symlink"):
        extract_archive(archive, workspace, limits)


def test_chained_symlinks_resolving_outside_refused(
    write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    # Each target looks inside on its own; together they climb out ("b" is the root, "a" goes above it).
    archive = write_archive(
        tar_bytes(
            [
                (tar_entry("f.txt"), b"x"),
                (tar_entry("d", tarfile.DIRTYPE), None),
                (tar_entry("d/b", tarfile.SYMTYPE, ".."), None),
                (tar_entry("d/a", tarfile.SYMTYPE, "b/../x"), None),
            ]
        )
    )
    with pytest.raises(UploadError, match="resolves outside"):
        extract_archive(archive, workspace, limits)


def test_in_tree_symlink_kept(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    archive = write_archive(
        tar_bytes(
            [
                (tar_entry("conf/base.yaml"), b"a: 1\n"),
                (tar_entry("app.yaml", tarfile.SYMTYPE, "conf/base.yaml"), None),
            ]
        )
    )
    extract_archive(archive, workspace, limits)
    assert os.readlink(workspace / "app.yaml") == "conf/base.yaml"
    assert (workspace / "app.yaml").read_text() == "a: 1\n"


def test_hardlink_outside_refused(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    archive = write_archive(tar_bytes([(tar_entry("passwd", tarfile.LNKTYPE, "/etc/passwd"), None)]))
    with pytest.raises(UploadError, match=r"hardlink|absolute"):
        extract_archive(archive, workspace, limits)
    assert not (workspace / "passwd").exists()


def test_hardlink_to_unknown_member_refused(
    write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    archive = write_archive(tar_bytes([(tar_entry("copy", tarfile.LNKTYPE, "not-there.txt"), None)]))
    with pytest.raises(UploadError, match="hardlink"):
        extract_archive(archive, workspace, limits)


def test_hardlink_in_tree_becomes_copy(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    archive = write_archive(
        tar_bytes([(tar_entry("a.txt"), b"data"), (tar_entry("b.txt", tarfile.LNKTYPE, "a.txt"), None)])
    )
    extract_archive(archive, workspace, limits)
    assert (workspace / "b.txt").read_bytes() == b"data"
    assert (workspace / "a.txt").stat().st_ino != (workspace / "b.txt").stat().st_ino


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos_refused(
    kind: bytes, write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    archive = write_archive(tar_bytes([(tar_entry("dev", kind), None)]))
    with pytest.raises(UploadError, match=r"device|FIFO") as info:
        extract_archive(archive, workspace, limits)
    assert info.value.details["reason"] == "special_file"
    assert not (workspace / "dev").exists()


def test_over_byte_limit_refused(write_archive: Write, workspace: Path) -> None:
    limits = UploadSettings(max_bytes=1000, max_files=10, max_compression_ratio=1e6)
    archive = write_archive(zip_bytes([("big.bin", os.urandom(2000))]))
    with pytest.raises(UploadTooLargeError, match="more than 1000 bytes"):
        extract_archive(archive, workspace, limits)


def test_tar_over_byte_limit_refused(write_archive: Write, workspace: Path) -> None:
    limits = UploadSettings(max_bytes=1000, max_files=10, max_compression_ratio=1e6)
    archive = write_archive(tar_bytes([(tar_entry("a"), os.urandom(600)), (tar_entry("b"), os.urandom(600))]))
    with pytest.raises(UploadTooLargeError):
        extract_archive(archive, workspace, limits)


def test_over_file_count_refused(write_archive: Write, workspace: Path) -> None:
    limits = UploadSettings(max_files=3)
    archive = write_archive(zip_bytes([(f"f{i}.py", b"x") for i in range(4)]))
    with pytest.raises(UploadTooLargeError, match="more than 3 entries"):
        extract_archive(archive, workspace, limits)


def test_tar_over_file_count_refused(write_archive: Write, workspace: Path) -> None:
    limits = UploadSettings(max_files=3)
    archive = write_archive(tar_bytes([(tar_entry(f"f{i}.py"), b"x") for i in range(4)]))
    with pytest.raises(UploadTooLargeError, match="more than 3 entries"):
        extract_archive(archive, workspace, limits)


def test_zip_bomb_of_zeros_refused(write_archive: Write, workspace: Path) -> None:
    # 64 MiB of zeros deflate to ~64 KiB: a ratio near 1000, far over the limit of 100.
    limits = UploadSettings(max_bytes=1024**3, max_compression_ratio=100)
    archive = write_archive(zip_bytes([("zeros.bin", bytes(64 * 1024 * 1024))]))
    assert archive.stat().st_size < 1024 * 1024
    with pytest.raises(UploadTooLargeError, match="compression bomb"):
        extract_archive(archive, workspace, limits)
    assert files_under(workspace) == [] or (workspace / "zeros.bin").stat().st_size < 64 * 1024 * 1024


def test_tar_gz_bomb_stops_while_decompressing(write_archive: Write, workspace: Path) -> None:
    # Many small members: no single header is alarming, the running total is.
    limits = UploadSettings(max_bytes=1024**3, max_files=10_000, max_compression_ratio=100)
    members = [(tar_entry(f"z{i}.bin"), bytes(1024 * 1024)) for i in range(40)]
    archive = write_archive(tar_bytes(members))
    with pytest.raises(UploadTooLargeError, match="compression bomb"):
        extract_archive(archive, workspace, limits)
    extracted = sum(p.stat().st_size for p in workspace.rglob("*") if p.is_file())
    assert extracted < 40 * 1024 * 1024


def test_small_compressible_archive_allowed(write_archive: Write, workspace: Path) -> None:
    limits = UploadSettings(max_compression_ratio=2)
    archive = write_archive(zip_bytes([("data.json", b"[" + b"0," * 50_000 + b"0]")]))
    assert extract_archive(archive, workspace, limits).files == 1


@pytest.mark.parametrize("data", [b"hello, not an archive", b"", b"\x1f\x8b\x08\x00garbage-gzip-data"])
def test_non_archive_refused(
    data: bytes, write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    with pytest.raises(UploadError, match=r"not a zip or tar|not a readable|corrupt"):
        extract_archive(write_archive(data), workspace, limits)


@pytest.mark.parametrize("second", ["app.py", "APP.py", "./app.py"])
def test_duplicate_names_refused(
    second: str, write_archive: Write, workspace: Path, limits: UploadSettings
) -> None:
    archive = write_archive(tar_bytes([(tar_entry("app.py"), b"good"), (tar_entry(second), b"evil")]))
    with pytest.raises(UploadError, match="more than once") as info:
        extract_archive(archive, workspace, limits)
    assert info.value.details["reason"] == "duplicate_name"


def test_zip_duplicate_names_refused(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    with pytest.warns(UserWarning):  # zipfile itself warns about the duplicate
        data = zip_bytes([("app.py", b"good"), ("app.py", b"evil")])
    with pytest.raises(UploadError, match="more than once"):
        extract_archive(write_archive(data), workspace, limits)


def test_file_used_as_folder_refused(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    archive = write_archive(tar_bytes([(tar_entry("a"), b"x"), (tar_entry("a/b"), b"y")]))
    with pytest.raises(UploadError, match="which is a file"):
        extract_archive(archive, workspace, limits)


def test_empty_archive_refused(write_archive: Write, workspace: Path, limits: UploadSettings) -> None:
    with pytest.raises(UploadError, match="no files"):
        extract_archive(write_archive(zip_bytes([])), workspace, limits)
