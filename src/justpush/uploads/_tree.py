"""The plan of an upload's tree, checked before anything is written: names, entry counts and links.

Archives and git clones both list their entries here first (archives entry by entry while
extracting, git from `ls-tree` before checkout), so the same rules hold for both:
- names: relative, no `..`, NUL or backslash, each component at most 255 bytes and the whole path at
  most MAX_PATH_BYTES, so the file system never answers ENAMETOOLONG;
- every entry counts against `uploads.maxFiles`: files, links, folders, and the folders implied by a
  path (a tree of 100,000 empty folders costs disk and time like 100,000 files);
- nothing is ever below a symlink, whatever the order of entries: a link must be a leaf of the tree,
  so no later entry is written through it;
- a link's target is resolved against the planned tree itself (following the other links of the
  upload, as the kernel would) and must stay inside, before the link is created.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from justpush.errors import UploadError, UploadTooLargeError

MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 2048
# As the kernel's own limit on symlinks followed in one path lookup, in total (ELOOP); a total, not a
# depth, so a crafted set of links cannot make resolution exponential.
MAX_LINK_HOPS = 40
_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe(name: str, reason: str, kind: str = "unsafe_path") -> UploadError:
    return UploadError(f"entry '{name[:300]}' {reason}", details={"entry": name[:300], "reason": kind})


def safe_relative_name(name: str) -> str | None:
    """The normalised relative POSIX path of an entry; None for the root itself ("./")."""
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
        raise _unsafe(name, reason)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        raise _unsafe(name, f"has a name longer than {MAX_NAME_BYTES} bytes", "name_too_long")
    normalised = "/".join(parts)
    if len(normalised.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise _unsafe(name, f"has a path longer than {MAX_PATH_BYTES} bytes", "name_too_long")
    return normalised or None


def link_target_escapes(name: str, target: str) -> bool:
    """True when `target` cannot be a relative path inside the tree even read lexically."""
    return (
        not target
        or target.startswith("/")
        or "\\" in target
        or "\x00" in target
        or bool(_DRIVE.match(target))
        or len(target.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES
        or posixpath.normpath(posixpath.join(posixpath.dirname(name), target)).split("/")[0] == ".."
    )


@dataclass
class TreePlan:
    """Entries claimed so far; raises at the first one that breaks a rule or a limit."""

    max_entries: int
    source: str = "archive"
    entries: int = 0
    files: int = 0
    # casefolded path -> "file" | "dir" | "link"; compared case-insensitively because the tree must
    # mean the same thing on case-insensitive file systems, and two entries for one path would let the
    # later one silently replace reviewed content.
    kinds: dict[str, str] = field(default_factory=dict)
    # exact path -> link target, in claim order
    links: dict[str, str] = field(default_factory=dict)

    def _count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            raise UploadTooLargeError(
                f"the {self.source} has more than {self.max_entries} entries (files, folders and links)",
                details={"limit": self.max_entries, "reason": "too_many_files"},
            )

    def claim(self, name: str, kind: str) -> None:
        """Record entry `name` (already normalised) of `kind` "file", "dir" or "link"."""
        parts = name.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            parent = self.kinds.get(prefix.casefold())
            if parent == "file":
                raise _unsafe(name, f"is below '{prefix}', which is a file", "duplicate_name")
            if parent == "link":
                raise _unsafe(name, f"is below '{prefix}', which is a symlink", "unsafe_link")
            if parent is None:
                self.kinds[prefix.casefold()] = "dir"
                self._count_entry()
        key = name.casefold()
        previous = self.kinds.get(key)
        if previous is not None:
            if previous == "dir" and kind == "dir":
                return
            raise _unsafe(
                name, "appears more than once (names are compared case-insensitively)", "duplicate_name"
            )
        self.kinds[key] = kind
        self._count_entry()
        if kind == "file":
            self.files += 1

    def add_link(self, name: str, target: str) -> None:
        self.add_link_target(name, target)
        self.claim(name, "link")

    def add_link_target(self, name: str, target: str) -> None:
        """The target of link `name` (claimed now or later); refused at once if it leaves lexically."""
        if link_target_escapes(name, target):
            raise _unsafe(name, f"is a symlink to '{target[:300]}', outside the upload", "unsafe_link")
        self.links[name] = target

    def resolve(self, name: str, target: str) -> str:
        """Where the link `name -> target` leads inside the tree; UploadError if it leaves it."""
        resolved = self._walk(name, name.split("/")[:-1], target, [0])
        return "/".join(resolved)

    def _walk(self, link: str, start: list[str], target: str, hops: list[int]) -> list[str]:
        parts = list(start)
        for component in target.split("/"):
            if component in ("", "."):
                continue
            if component == "..":
                if not parts:
                    raise _unsafe(
                        link,
                        f"is a symlink to '{self.links[link][:300]}', which resolves outside the upload",
                        "unsafe_link",
                    )
                parts.pop()
                continue
            parts.append(component)
            next_target = self.links.get("/".join(parts))
            if next_target is not None:
                hops[0] += 1
                if hops[0] > MAX_LINK_HOPS:
                    raise _unsafe(link, "is a symlink loop", "unsafe_link")
                parts = self._walk(link, parts[:-1], next_target, hops)
        return parts

    def check_links(self) -> None:
        """Resolve every link against the whole tree; call once every entry is claimed."""
        for name, target in self.links.items():
            self.resolve(name, target)
