"""Issue 11 items 5 and 12 (archives): every entry counts against the limits, and names the file
system cannot hold are a 400, never a 500."""

from __future__ import annotations

import gzip
import tarfile
import time
from pathlib import Path

import httpx
import pytest

from justpush.config import Settings, UploadSettings
from justpush.errors import UploadTooLargeError
from justpush.uploads import extract_archive
from tests.conftest import SettingsFactory
from tests.security.support import Entry, app_client, post_archive, tar_archive, zip_archive

BUILDERS = {"tar": tar_archive, "zip": zip_archive}


def _dir_header_template() -> bytes:
    header = bytearray(512)
    header[100:108] = b"0000755\0"
    header[108:116] = header[116:124] = b"0000000\0"
    header[124:136] = header[136:148] = b"00000000000\0"
    header[148:156] = b" " * 8
    header[156:157] = b"5"
    header[257:265] = b"ustar\x0000"
    return bytes(header)


_DIR_HEADER = _dir_header_template()


def _dir_header(name: str) -> bytes:
    """A ustar header for an empty folder, built directly: tarfile needs 20 s for 100,000 of them."""
    raw = name.encode()
    checksum = b"%06o\0 " % (sum(_DIR_HEADER) + sum(raw))
    return raw.ljust(100, b"\0") + _DIR_HEADER[100:148] + checksum + _DIR_HEADER[156:]


def directory_bomb(count: int) -> bytes:
    """`count` folder entries and one file, gzipped (100,000 folders: about 700 KB)."""
    data = b"print(1)\n"
    file_info = tarfile.TarInfo("main.py")
    file_info.size = len(data)
    body = b"".join(_dir_header(f"d{index}") for index in range(count))
    body += file_info.tobuf(tarfile.USTAR_FORMAT) + data.ljust(512, b"\0") + b"\0" * 1024
    return gzip.compress(body, compresslevel=6)


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """The app of this module allows 1,000 entries per upload."""
    return make_settings(uploads={"maxFiles": 1000})


async def test_directory_bomb_is_413_and_leaves_no_workspace(
    client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    started = time.monotonic()
    response = await post_archive(client, auth, directory_bomb(20_000))
    elapsed = time.monotonic() - started
    assert response.status_code == 413, response.text
    assert response.json()["error"]["details"] == {"limit": 1000, "reason": "too_many_files"}
    assert list((settings.server.data_dir / "workspaces").iterdir()) == []
    # Stopped at the limit, not after creating every folder.
    assert elapsed < 30


async def test_the_reported_directory_bomb_is_refused_with_default_limits(
    make_settings: SettingsFactory,
) -> None:
    """The report's case: a sub-MB archive of 100,000 folders, accepted before as "1 file"."""
    settings = make_settings()
    bomb = directory_bomb(100_000)
    assert len(bomb) < 1_000_000
    async with app_client(settings) as (client, auth):
        response = await post_archive(client, auth, bomb)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["details"]["limit"] == settings.uploads.max_files
    assert list((settings.server.data_dir / "workspaces").iterdir()) == []


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_folders_count_against_max_files(kind: str, tmp_path: Path) -> None:
    archive = tmp_path / "upload"
    entries: list[Entry] = [(f"d{i}", "dir", "") for i in range(10)] + [("main.py", "file", "x")]
    archive.write_bytes(BUILDERS[kind](entries))
    (tmp_path / "ws").mkdir()
    with pytest.raises(UploadTooLargeError, match="more than 5 entries"):
        extract_archive(archive, tmp_path / "ws", UploadSettings(max_files=5))


def test_implied_parent_folders_count_against_max_files(tmp_path: Path) -> None:
    archive = tmp_path / "upload"
    deep = "/".join(f"d{i}" for i in range(50)) + "/main.py"
    archive.write_bytes(tar_archive([(deep, "file", "x")]))
    (tmp_path / "ws").mkdir()
    with pytest.raises(UploadTooLargeError):
        extract_archive(archive, tmp_path / "ws", UploadSettings(max_files=20))
    assert not (tmp_path / "ws" / Path(*(f"d{i}" for i in range(20)))).exists()


@pytest.mark.parametrize("kind", ["tar", "zip"])
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("n" * 256 + ".py", "name_too_long"),
        ("é" * 200 + ".py", "name_too_long"),  # 400 bytes in UTF-8, 203 characters
        ("/".join(["d" * 200] * 21) + "/x.py", "name_too_long"),  # 4,226 bytes
    ],
)
async def test_overlong_names_are_400(
    kind: str, name: str, reason: str, client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    entries: list[Entry] = [("main.py", "file", "x"), (name, "file", "y")]
    response = await post_archive(client, auth, BUILDERS[kind](entries))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["reason"] == reason
    assert list((settings.server.data_dir / "workspaces").iterdir()) == []


@pytest.mark.parametrize("kind", ["tar", "zip"])
async def test_entry_below_a_link_to_the_root_is_400(
    kind: str, client: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    entries: list[Entry] = [("main.py", "file", "x"), ("l", "link", "."), ("l/x", "file", "y")]
    response = await post_archive(client, auth, BUILDERS[kind](entries))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"]["reason"] == "unsafe_link"
    assert list((settings.server.data_dir / "workspaces").iterdir()) == []
