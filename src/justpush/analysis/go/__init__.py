"""The Go front-end: routes, schemas, security, env vars and port of a Go project."""

from ._frontend import extract, find_port, scan_env

__all__ = ["extract", "find_port", "scan_env"]
