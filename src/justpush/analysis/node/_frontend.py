"""The Node.js / TypeScript front-end: parse the project once, run every framework over it, merge.

Router-style frameworks (Express, Koa, Fastify, awilix controllers) share one walk of the code
(``_routers``); decorator controllers (NestJS, routing-controllers) are read class by class
(``_controllers``). An error inside one framework becomes a warning and the others' routes are still
reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._model import ExtractedApi, Operation, ProjectProfile
from .._treesitter import operations_from_graph, rebase_api, sort_operations
from ._awilix import Awilix
from ._controllers import Controllers
from ._express import Express
from ._fastify import Fastify
from ._inversify import Inversify
from ._koa import Koa
from ._nest import Nest
from ._project import load
from ._resolve import Resolver
from ._routers import RouterWalker
from ._routing_controllers import RoutingControllers
from ._schemas import SchemaReader
from ._tsoa import Tsoa
from ._types import Types


def extract(root: Path, profile: ProjectProfile) -> ExtractedApi:
    """Routes, schemas and security of an Express / Fastify / Koa / NestJS / routing-controllers service."""
    warnings: list[str] = []
    project = load(root, warnings)
    types = Types(project)
    resolver = Resolver(project)
    operations: list[Operation] = []
    schemes: dict[str, Any] = {}
    walker = RouterWalker(
        project,
        resolver,
        types,
        (Koa(), Express(), Fastify(SchemaReader(resolver, types)), Awilix()),
        warnings,
    )
    walker.run()
    found, found_schemes = operations_from_graph(walker.graph, warnings)
    operations += found
    schemes.update(found_schemes)
    controllers: tuple[Controllers, ...] = (
        Nest(project, resolver, types, warnings),
        RoutingControllers(project, resolver, types, warnings),
        Tsoa(project, resolver, types, warnings),
        Inversify(project, resolver, types, warnings),
    )
    for framework in controllers:
        try:
            operations += framework.run()
        except Exception as exc:  # one framework's surprise must not lose the others' routes
            warnings.append(
                f"{type(framework).__name__}: controllers not analysed ({type(exc).__name__}: {exc})"
            )
        for op in operations:
            for requirement in op.security or []:
                for scheme in requirement:
                    if scheme in framework.schemes:
                        schemes[scheme] = framework.schemes[scheme]
    api = ExtractedApi(
        operations=sort_operations(operations),
        schemas=dict(sorted(types.schemas.items())),
        security_schemes=dict(sorted(schemes.items())),
        warnings=warnings,
    )
    return rebase_api(api, profile.app_dir)
