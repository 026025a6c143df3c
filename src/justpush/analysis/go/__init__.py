"""The Go front-end: routes, schemas, security, env vars and port of a Go project.

`_frontend` parses and orchestrates; `_index` maps packages (import paths from go.mod), functions,
methods, types and constants; `_resolve` evaluates strings and types; `_routes` walks routers into
the shared router graph, asking one module per framework (`_gin`, `_echo`, `_chi`, `_fiber`,
`_gorilla`, `_nethttp`, described by `_framework`); `_handlers` reads handlers; `_schemas` turns Go
types into JSON Schema; `_envport` finds env vars and the port.
"""

from ._frontend import extract, find_port, scan_env

__all__ = ["extract", "find_port", "scan_env"]
