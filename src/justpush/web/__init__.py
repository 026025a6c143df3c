"""The web API: `create_app(settings)` returns the FastAPI application (see its docstring for workers)."""

from ._app import create_app, default_workers, pipeline_worker
from ._errors import ERROR_STATUS, error_response, status_for
from ._schemas import (
    AnalyzeAccepted,
    AnalyzePublic,
    ErrorBody,
    GitUploadCreate,
    UploadCreated,
    UploadPublic,
    UserPublic,
)
from ._state import AnalysisOutcome, Analyzer, AppState, WorkerFactory

__all__ = [
    "ERROR_STATUS",
    "AnalysisOutcome",
    "AnalyzeAccepted",
    "AnalyzePublic",
    "Analyzer",
    "AppState",
    "ErrorBody",
    "GitUploadCreate",
    "UploadCreated",
    "UploadPublic",
    "UserPublic",
    "WorkerFactory",
    "create_app",
    "default_workers",
    "error_response",
    "pipeline_worker",
    "status_for",
]
