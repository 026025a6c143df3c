"""package.json scripts resolved at generation time, so the image runs them without npm.

A start command such as ``npm start`` names a script; when that script is one plain ``node ...``
command (possibly reached through ``npm run other``), the Dockerfile runs it in exec form. Anything
else (shell operators, variables, another tool) runs through the launcher ``.justpush/run-script.cjs``,
which does what ``npm run`` does. A build script that is one plain ``tsc ...`` or ``node ...``
command runs directly too, saving npm's start-up on every rebuild.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

from justpush.errors import GenerationError

MANAGERS = ("npm", "yarn", "pnpm")
# Words that need no shell: no quotes, variables, globs, operators or redirections.
_PLAIN_WORD = re.compile(r"^[\w@%+=:,./-]+$")
# Tools whose executable a plain build script may name (found in node_modules/.bin).
_BUILD_TOOLS = ("tsc",)
_MAX_DEPTH = 5


def script_reference(command: Sequence[str]) -> tuple[str, list[str]] | None:
    """The script (and its extra arguments) that `npm start` / `yarn run x` / `pnpm x` runs, else None."""
    if not command or command[0] not in MANAGERS:
        return None
    if len(command) >= 2 and command[1] == "start":
        name, rest = "start", list(command[2:])
    elif len(command) >= 3 and command[1] == "run":
        name, rest = command[2], list(command[3:])
    else:
        return None
    return name, rest[1:] if rest[:1] == ["--"] else rest


def plain_words(script: str) -> list[str] | None:
    """The words of a script that is one command without shell syntax, else None."""
    try:
        words = shlex.split(script)
    except ValueError:
        return None
    if not words or not all(_PLAIN_WORD.match(word) for word in words):
        return None
    return words


def resolve_start(scripts: Mapping[str, str], name: str, extra: Sequence[str]) -> list[str] | None:
    """The exec form of script ``name`` when it is a plain ``node`` command, else None (launcher).

    Raises GenerationError when the script does not exist, so the build fails before it starts.
    """
    for _ in range(_MAX_DEPTH):
        if name not in scripts:
            raise GenerationError(
                f'package.json has no "{name}" script (the start command runs it)',
                details={"script": name},
            )
        words = plain_words(scripts[name])
        if words is None:
            return None
        reference = script_reference(words)
        if reference is None:
            return [*words, *extra] if words[0] == "node" else None
        name, more = reference
        extra = [*more, *extra]
    return None


def resolve_build(scripts: Mapping[str, str], command: Sequence[str]) -> str | None:
    """The shell words of a build command that runs a plain ``tsc`` / ``node`` script, else None."""
    reference = script_reference(command)
    if reference is None or reference[0] not in scripts:
        return None
    words = plain_words(scripts[reference[0]])
    if words is None or (words[0] not in _BUILD_TOOLS and words[0] != "node"):
        return None
    if words[0] in _BUILD_TOOLS:
        words[0] = f"./node_modules/.bin/{words[0]}"
    return shlex.join([*words, *reference[1]])
