"""The Node.js / TypeScript front-end: routes, schemas, security, env vars and port of a Node project.

``_frontend`` runs the frameworks over the parsed ``_project`` (files chosen by ``_sources``, imports
through ``_aliases``): router-style ones share the walk in
``_routers`` (one module each: ``_express``, ``_koa``, ``_fastify``), decorator controllers share
``_controllers`` (``_nest``, ``_routing_controllers``). Paths and prefixes are evaluated by the value
resolver ``_resolve``; ``_handler`` reads handlers, ``_types`` and ``_schemas`` make JSON Schemas,
``_runtime`` finds env vars and the port (``_envschema`` reads Joi / envalid / @fastify/env schemas,
``_prisma`` the Prisma datasource). Adding a framework is adding one module and listing it in
``_frontend``.
"""

from ._frontend import extract
from ._prisma import PrismaDatasource, prisma_datasources
from ._runtime import find_port, scan_env

__all__ = ["PrismaDatasource", "extract", "find_port", "prisma_datasources", "scan_env"]
