"""What every framework module builds on: the parsed project, the value resolver and located warnings.

A framework module defines one ``FrameworkExtractor`` subclass (``framework`` = the profile's framework id,
``run()`` fills ``api``); ``_frontend`` lists the subclasses, so adding a framework is adding one module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from .._files import evidence_path
from .._model import ExtractedApi
from ._index import Module, PythonIndex
from ._resolve import Resolver


class FrameworkExtractor(ABC):
    framework: ClassVar[str]

    def __init__(
        self, index: PythonIndex, api: ExtractedApi, app_dir: str, entrypoint: str | None = None
    ) -> None:
        self.index = index
        self.api = api
        self.app_dir = app_dir
        # The module the project starts (relative to the app directory), when detection found one.
        self.entrypoint = entrypoint
        self.resolver = Resolver(index)

    @abstractmethod
    def run(self) -> None:
        """Add the framework's operations, schemas and security schemes to ``api``."""

    def _where(self, module: Module) -> str:
        """``module``'s path as evidence (relative to the upload root)."""
        return evidence_path(self.app_dir, module.path)
