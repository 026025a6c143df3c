"""The Java front-end: routes, schemas, security, env vars and port of a Java project.

``_index`` (main sources, lazily parsed; test sources left out), ``_config`` (application*.properties|yml,
profiles, placeholders), ``_resolve`` (the value resolver), ``_schema`` (Java types as JSON Schema), and one
module per framework: ``_spring`` (with ``_generated`` for openapi-generator interfaces) and ``_jdkhttp``.
``_frontend`` runs each framework module guarded, so one failing module is a warning.
"""

from ._frontend import extract, find_port, scan_env

__all__ = ["extract", "find_port", "scan_env"]
