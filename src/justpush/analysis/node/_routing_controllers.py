"""routing-controllers (on Express or Koa): `@JsonController('/pets')` / `@Controller` classes with
`@Get('/:id')` methods, under the server's `routePrefix` (`createExpressServer({ routePrefix })`)."""

from __future__ import annotations

from typing import ClassVar

from .._treesitter import field_, text, walk
from ._controllers import Controllers, Location
from ._syntax import args, object_props

_SERVER_FACTORIES = ("createExpressServer", "useExpressServer", "createKoaServer", "useKoaServer")


class RoutingControllers(Controllers):
    class_decorators = ("JsonController", "Controller")
    packages = ("routing-controllers",)
    post_status = "200"
    params: ClassVar[dict[str, Location]] = {
        "Param": "path",
        "QueryParam": "query",
        "QueryParams": "query-object",
        "HeaderParam": "header",
        "Body": "body",
    }

    def prepare(self) -> None:
        self.prefix = ""
        for module in self.project.modules.values():
            if not any(name in module.imports for name in _SERVER_FACTORIES):
                continue
            for node in walk(module.parsed.root):
                if node.type != "call_expression" or text(field_(node, "function")) not in _SERVER_FACTORIES:
                    continue
                given = args(node)
                options = given[-1] if given else None
                found = self.resolver.literal(module, options) if options is not None else None
                prefix_node = object_props(found[1]).get("routePrefix") if found else None
                if prefix_node is None or found is None:
                    continue
                prefix = self.resolver.string(found[0], prefix_node)
                if prefix is None:
                    self.warnings.append(
                        f"{module.path}: routePrefix `{text(prefix_node)}` is not known statically, left out"
                    )
                self.prefix = prefix or ""
