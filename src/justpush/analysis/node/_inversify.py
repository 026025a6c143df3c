"""inversify-express-utils: `@controller('/users')` classes with `@httpGet('/:id')` methods and
`@requestParam('id')` / `@queryParam('q')` / `@requestBody()` parameters."""

from __future__ import annotations

from typing import ClassVar

from .._model import HttpMethod
from .._treesitter import HTTP_METHODS, Node, join_paths
from ._controllers import Controllers, Location
from ._project import Module
from ._syntax import args


class Inversify(Controllers):
    class_decorators = ("controller",)
    packages = ("inversify-express-utils",)
    post_status = "200"
    verbs: ClassVar[dict[str, HttpMethod | None]] = {f"http{m.title()}": m for m in HTTP_METHODS} | {
        "all": None,
        "httpMethod": None,
    }
    params: ClassVar[dict[str, Location]] = {
        "requestParam": "path",
        "queryParam": "query",
        "requestHeaders": "header",
        "requestBody": "body",
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
