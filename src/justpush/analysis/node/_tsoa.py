"""tsoa: `@Route('users')` controllers with `@Get('{userId}')` methods; `@Path()` / `@Query()` /
`@Header()` parameters are named after the argument unless the decorator names them."""

from __future__ import annotations

from typing import ClassVar

from ._controllers import Controllers, Location


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
