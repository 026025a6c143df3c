"""Shallow `git clone` of a remote repository into a workspace: scheme and address allow-lists,
no user or system git configuration, bounded in bytes and time while cloning, and the tree checked
against the upload rules before it is checked out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from justpush.config import UploadSettings
from justpush.errors import UploadError, UploadTooLargeError

from ._address import ResolvedHost, curl_resolve_option, resolve_git_host, unreachable
from ._tree import MAX_PATH_BYTES, TreePlan, safe_relative_name

logger = logging.getLogger(__name__)

# Branch or tag names: git's own rules are looser, but nothing legitimate needs more than this.
_REF = re.compile(r"^[A-Za-z0-9._/+-]{1,200}$")
# git's scp-like SSH address, `[user@]host:path`: no scheme, a colon before the first slash.
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>[^:].*)$")
# How often a running clone's size is checked against uploads.maxBytes.
WATCH_INTERVAL_SECONDS = 0.2
CHUNK = 64 * 1024


def check_git_url(url: str, settings: UploadSettings) -> str:
    """The URL's scheme after validation; UploadError for anything not on `uploads.gitSchemes`."""
    if not url or url.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UploadError("git_url is not a valid URL", details={"reason": "bad_git_url"})
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    ssh = _ssh_address(url, scheme, parts.hostname, parts.path)
    if ssh is not None and "ssh" not in settings.git_schemes:
        host, path = ssh
        raise UploadError(
            f"git_url is an SSH address; the server clones over HTTPS only: use "
            f"https://{host}/{path.lstrip('/')} instead",
            details={"reason": "bad_git_url", "allowed": list(settings.git_schemes)},
        )
    if "::" in url.split("/", 1)[0] or scheme not in settings.git_schemes:
        allowed = ", ".join(settings.git_schemes)
        raise UploadError(
            f"git_url scheme '{scheme or url.split(':', 1)[0]}' is not allowed (allowed: {allowed})",
            details={"reason": "bad_git_url", "allowed": list(settings.git_schemes)},
        )
    if scheme != "file" and not parts.hostname:
        raise UploadError("git_url has no host", details={"reason": "bad_git_url"})
    try:
        parts.port  # noqa: B018 - urllib validates the port only when it is read
    except ValueError as exc:
        raise UploadError("git_url has an invalid port", details={"reason": "bad_git_url"}) from exc
    return scheme


def _ssh_address(url: str, scheme: str, hostname: str | None, path: str) -> tuple[str, str] | None:
    """(host, path) of an SSH address (`ssh://…` or `git@host:org/repo.git`), else None."""
    if scheme in {"ssh", "git+ssh", "ssh+git"} and hostname:
        return hostname, path
    if "::" in url:
        return None
    match = _SCP_LIKE.match(url)
    return (match["host"], match["path"]) if match else None


def check_git_ref(ref: str | None) -> None:
    if ref is None:
        return
    if not _REF.match(ref) or ref.startswith(("-", "/")) or ".." in ref or ref.endswith((".lock", "/")):
        raise UploadError(
            f"git ref '{ref}' is not a valid branch or tag name", details={"reason": "bad_git_ref"}
        )


def redact_url(url: str) -> str:
    """The URL without user info, for logs and error messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def git_config_options(
    schemes: Iterable[str], resolved: ResolvedHost | None, extra: Iterable[str] = ()
) -> list[str]:
    """`-c` options for every git command: only listed transports, no hooks, helpers or redirects, and
    the host pinned to the addresses checked (`extra` adds command-specific settings)."""
    options = ["protocol.allow=never"]
    options += [f"protocol.{scheme}.allow=always" for scheme in schemes]
    options += [
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "credential.helper=",
        # A redirect could lead anywhere, including the internal addresses refused above.
        "http.followRedirects=false",
        *extra,
    ]
    if resolved is not None and resolved.addresses:
        options.append(f"http.curloptResolve={curl_resolve_option(resolved)}")
    return [arg for option in options for arg in ("-c", option)]


def _git_env() -> dict[str, str]:
    # No system or user configuration: an operator's url.insteadOf, proxies or credential helpers in
    # ~/.gitconfig must not apply to clones made for users.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="/bin/false",
        SSH_ASKPASS="/bin/false",
        GCM_INTERACTIVE="never",
    )
    return env


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Kill git and its helpers (remote-https, index-pack…), which would otherwise go on writing."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


async def _run(
    command: list[str],
    timeout: float,
    *,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    watch: tuple[Path, int] | None = None,
) -> tuple[int, bytes, str]:
    """Run git; with `watch=(folder, max_bytes)` it is killed as soon as the folder grows past the limit."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=_git_env(),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    communicate = asyncio.ensure_future(process.communicate(stdin))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not communicate.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            await asyncio.wait({communicate}, timeout=min(remaining, WATCH_INTERVAL_SECONDS))
            if watch is not None and not communicate.done():
                folder, max_bytes = watch
                if await asyncio.to_thread(_tree_bytes, folder) > max_bytes:
                    raise UploadTooLargeError(
                        f"the repository is larger than {max_bytes} bytes",
                        details={"limit": max_bytes, "reason": "too_large"},
                    )
    except BaseException:
        await _stop(process)
        communicate.cancel()
        with contextlib.suppress(BaseException):
            await communicate
        raise
    out, err = communicate.result()
    return process.returncode or 0, out, err.decode(errors="replace")


@dataclass
class _Listing:
    """Claims each record of `ls-tree -r -t -l -z` in the plan as it arrives; sums the blob bytes."""

    plan: TreePlan
    max_bytes: int
    total: int = 0
    links: dict[str, str] = field(default_factory=dict)

    def add(self, record: bytes) -> None:
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, oid, size = meta.decode("ascii").split()
        name = safe_relative_name(raw_path.decode("utf-8", "surrogateescape"))
        if name is None:
            return
        if kind in ("tree", "commit"):  # a submodule is checked out as an empty folder
            self.plan.claim(name, "dir")
        elif mode == "120000":
            if int(size) > MAX_PATH_BYTES:
                raise UploadError(
                    f"'{name}' is a symlink with an oversized target",
                    details={"entry": name, "reason": "unsafe_link"},
                )
            self.plan.claim(name, "link")
            self.links[name] = oid
        else:
            self.plan.claim(name, "file")
            self.total += int(size)
            if self.total > self.max_bytes:
                raise UploadTooLargeError(
                    f"the repository is larger than {self.max_bytes} bytes",
                    details={"limit": self.max_bytes, "reason": "too_large"},
                )


async def _list_tree(repo: Path, listing: _Listing, timeout: float) -> None:
    """Stream `git ls-tree` into `listing`, stopping git at the first refused entry: a tree of millions
    of entries is never held in memory."""
    process = await asyncio.create_subprocess_exec(
        *["git", "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", "HEAD"],
        cwd=repo,
        env=_git_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.stdout is not None
    pending = b""
    try:
        async with asyncio.timeout(timeout):
            while chunk := await process.stdout.read(CHUNK):
                *records, pending = (pending + chunk).split(b"\0")
                for record in records:
                    listing.add(record)
            code = await process.wait()
    except BaseException:
        await _stop(process)
        raise
    if code != 0 or pending:
        raise UploadError("the cloned repository cannot be read", details={"reason": "git_failed"})


def _parse_cat_file_batch(output: bytes) -> dict[str, str]:
    """Object id -> content, from `git cat-file --batch` output."""
    contents: dict[str, str] = {}
    position = 0
    while position < len(output):
        header_end = output.index(b"\n", position)
        oid, _kind, size = output[position:header_end].decode("ascii").split()
        start = header_end + 1
        contents[oid] = output[start : start + int(size)].decode("utf-8", "surrogateescape")
        position = start + int(size) + 1
    return contents


async def _plan_checkout(repo: Path, settings: UploadSettings) -> TreePlan:
    """Check the commit's whole tree (names, entries, bytes, links) before a file is written."""
    plan = TreePlan(max_entries=settings.max_files, source="repository")
    listing = _Listing(plan, settings.max_bytes)
    await _list_tree(repo, listing, settings.git_timeout_seconds)
    links = listing.links
    if links:
        batch = "".join(f"{oid}\n" for oid in links.values()).encode("ascii")
        code, output, _ = await _run(
            ["git", "cat-file", "--batch"], settings.git_timeout_seconds, cwd=repo, stdin=batch
        )
        if code != 0:
            raise UploadError("the cloned repository cannot be read", details={"reason": "git_failed"})
        targets = _parse_cat_file_batch(output)
        for name, oid in links.items():
            plan.add_link_target(name, targets[oid])
    plan.check_links()
    return plan


async def clone(url: str, ref: str | None, dest: Path, scratch: Path, settings: UploadSettings) -> str:
    """Clone `url` at `ref` into `scratch`, check its tree, then write it into the empty folder `dest`.

    The clone is shallow and without checkout, and killed as soon as it grows past `uploads.maxBytes`
    or `gitTimeoutSeconds`. Its tree is then listed and checked against the upload rules (entries,
    bytes, names, links) before a single file is written into `dest`. Returns the commit id; the
    history stays in `scratch`, which the caller removes.
    """
    check_git_url(url, settings)
    check_git_ref(ref)
    shown = redact_url(url)
    resolved = await resolve_git_host(url, shown, settings)
    logger.info("git clone %s", shown, extra={"stage": "upload", "git_url": shown, "git_ref": ref})
    config = git_config_options(settings.git_schemes, resolved, ["transfer.fsckObjects=true"])
    command = ["git", *config, "clone", "--no-checkout", "--depth", "1", "--single-branch"]
    command += ["--no-local", "--no-recurse-submodules", "--no-tags"]
    if ref:
        command += ["--branch", ref]
    repo = scratch / "repo"
    try:
        code, _, err = await _run(
            [*command, "--", url, str(repo)],
            settings.git_timeout_seconds,
            watch=(scratch, settings.max_bytes),
        )
    except TimeoutError as exc:
        raise unreachable(shown) from exc
    except OSError as exc:
        raise UploadError(
            f"git cannot be run: {exc.strerror}", details={"reason": "git_unavailable"}
        ) from exc
    if code != 0:
        if ref and f"Remote branch {ref} not found" in err:
            raise UploadError(
                f"git clone of {shown} failed: ref '{ref}' not found", details={"reason": "git_failed"}
            )
        raise unreachable(shown)
    try:
        await _plan_checkout(repo, settings)
        for step in (["read-tree", "HEAD"], ["checkout-index", "--all", f"--prefix={dest}/"]):
            code, _, err = await _run(["git", *config, *step], settings.git_timeout_seconds, cwd=repo)
            if code != 0:
                raise UploadError(
                    f"the repository cannot be checked out: {(err.strip().splitlines() or ['?'])[-1]}",
                    details={"reason": "git_failed"},
                )
        code, out, _ = await _run(["git", "rev-parse", "HEAD"], 30, cwd=repo)
    except TimeoutError as exc:
        raise UploadError(
            f"the checkout of {shown} took longer than {settings.git_timeout_seconds}s",
            details={"reason": "git_timeout"},
        ) from exc
    return out.decode().strip() if code == 0 else ""
