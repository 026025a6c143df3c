"""tsoa: `@Route('users')` controllers with `@Get('{userId}')` methods; `@Path()` / `@Query()` /
`@Header()` parameters are named after the argument unless the decorator names them."""

from __future__ import annotations

from typing import ClassVar

from .._treesitter import Node, join_paths
from ._controllers import Controllers, Location
from ._project import Module
from ._syntax import args


class Tsoa(Controllers):
    class_decorators = ("Route",)
    packages = ("tsoa", "@tsoa/runtime")
    post_status = "200"
    unnamed_is_argument = True
    params: ClassVar[dict[str, Location]] = {
        "Path": "path",
        "Query": "query",
        "Queries": "query-object",
        "Header": "header",
        "Body": "body",
    }

    def full_paths(
        self,
        module: Module,
        controller: Node,
        method: Node,
        decorators_: dict[str, Node],
        sub_paths: list[str],
    ) -> list[str]:
        given = args(controller)
        bases = self.resolver.strings(module, given[0]) if given else [""]
        return [join_paths(base, sub) for base in bases or [""] for sub in sub_paths]
