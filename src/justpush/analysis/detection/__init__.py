"""Project detection: language, framework, package manager, versions, entrypoint, commands, port, app subdir.

Manifests decide first (package.json, requirements*.txt, pyproject.toml, Pipfile, poetry.lock, pom.xml,
build.gradle(.kts), go.mod); code confirms or fills in. Every conclusion carries Evidence, and a value that
is only a framework default says so in its evidence note. `_approot` picks the app's folder, one module
per language reads its manifests, and `_profile` freezes the facts into a ProjectProfile.
"""

from ._approot import AppDirChoice, find_app_dir, resolve_root
from ._profile import apply_overrides, detect, language_module

__all__ = ["AppDirChoice", "apply_overrides", "detect", "find_app_dir", "language_module", "resolve_root"]
