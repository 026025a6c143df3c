"""The Python front-end: routes, schemas, security, env vars and port of a Python project."""

from ._frontend import PythonApp, extract, find_app, find_port, framework_from_code, procfile_port, scan_env

__all__ = [
    "PythonApp",
    "extract",
    "find_app",
    "find_port",
    "framework_from_code",
    "procfile_port",
    "scan_env",
]
