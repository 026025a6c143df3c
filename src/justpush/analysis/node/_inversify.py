"""inversify-express-utils: `@controller('/users')` classes with `@httpGet('/:id')` methods and
`@requestParam('id')` / `@queryParam('q')` / `@requestBody()` parameters."""

from __future__ import annotations

from typing import ClassVar

from .._model import HttpMethod
from .._treesitter import HTTP_METHODS
from ._controllers import Controllers, Location


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
