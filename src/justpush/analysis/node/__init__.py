"""The Node.js / TypeScript front-end: routes, schemas, security, env vars and port of a Node project."""

from ._frontend import extract, find_port, scan_env

__all__ = ["extract", "find_port", "scan_env"]
