"""Prefixes Spring puts in front of controllers' mappings: the context path of the server (servlet or
reactive) and `PathMatchConfigurer.addPathPrefix(prefix, predicate)` in a WebMvcConfigurer or
WebFluxConfigurer, which prefixes the controllers its predicate selects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._files import read_source
from .._treesitter import Node, field_, join_paths, named_children, text, walk
from ._annotations import annotations_of
from ._index import SourceIndex
from ._resolve import Resolver, Scope

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
_CLASS_LITERAL = re.compile(r"(\w+)\.class\b")
_STRING = re.compile(r'"([^"\\]*)"')
# A controller: its annotations and its package.
Selects = Callable[[set[str], str], bool]


@dataclass(frozen=True)
class PathPrefix:
    """A prefix `addPathPrefix` puts in front of the mappings of the controllers it selects."""

    prefix: str
    selects: Selects


def context_path(resolver: Resolver, reactive: bool, warnings: list[str]) -> str:
    """server.servlet.context-path (Boot 1: server.context-path), then spring.mvc.servlet.path; a
    reactive (WebFlux) server reads spring.webflux.base-path instead and ignores the servlet ones."""
    parts: list[str] = []
    servlet = (("server.servlet.context-path", "server.context-path"), ("spring.mvc.servlet.path",))
    for keys in (("spring.webflux.base-path",),) if reactive else servlet:
        for key in keys:
            found = resolver.config.get(key)
            if found is not None:
                parts.append(found[0])
                break
            raw = resolver.config.defined(key)
            if raw is not None:
                warnings.append(f"{key} = {raw!r}: a placeholder without a value or default, not applied")
    return join_paths(*parts) if any(p.strip("/") for p in parts) else ""


_BUILD_FILES = (
    "pom.xml",
    "*/pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "*/build.gradle",
    "*/build.gradle.kts",
)
# Spring MVC on the classpath makes a servlet app even beside WebFlux, as Spring Boot decides.
_MVC = re.compile(r"spring-boot-starter-web(?![-\w])|spring-webmvc")


def is_reactive(root: Path) -> bool:
    """Whether Spring Boot starts a reactive server: WebFlux without Spring MVC in the build."""
    sources = (read_source(root, p, []) for pattern in _BUILD_FILES for p in sorted(root.glob(pattern)))
    builds = "".join(source.text for source in sources if source is not None)
    return "spring-boot-starter-webflux" in builds and not _MVC.search(builds)


def package_of(source: str) -> str:
    found = _PACKAGE.search(source)
    return found.group(1) if found else ""


def path_prefixes(index: SourceIndex, resolver: Resolver, warnings: list[str]) -> list[PathPrefix]:
    """Every `configurer.addPathPrefix(prefix, predicate)`, in declaration order (the first that
    selects a controller applies, as Spring's map of prefixes does)."""
    found: list[PathPrefix] = []
    for path in index.files_containing("addPathPrefix"):
        for call in walk(index.parsed(path).root):
            if call.type != "method_invocation" or text(field_(call, "name")) != "addPathPrefix":
                continue
            given = named_children(field_(call, "arguments"))
            if len(given) != 2:
                continue
            prefix = resolver.string(given[0], Scope(path, ""))
            if prefix is None:
                where = f"{path}:{call.start_point[0] + 1}"
                warnings.append(
                    f"{where}: path prefix `{text(given[0])}` is not known statically, not applied"
                )
                continue
            found.append(PathPrefix(prefix, _predicate(index, given[1])))
    return found


def prefix_for(prefixes: list[PathPrefix], cls: Node, package: str) -> str:
    annotations = set(annotations_of(cls))
    return next((p.prefix for p in prefixes if p.selects(annotations, package)), "")


def _predicate(index: SourceIndex, node: Node) -> Selects:
    """What a HandlerTypePredicate (or a lambda over the controller class) selects; a predicate it
    cannot read selects every controller, the usual intent of an API prefix."""
    source = text(node)
    names = _CLASS_LITERAL.findall(source)
    if "forAnnotation" in source or "isAnnotationPresent" in source:
        # forAnnotation matches meta-annotations too: @RestController is a @Controller.
        meta = "forAnnotation" in source
        wanted = set(names)
        return lambda annotations, _: bool(
            wanted & annotations or (meta and "Controller" in wanted and "RestController" in annotations)
        )
    if "forBasePackageClass" in source:
        packages = [_package_of_class(index, name) for name in names]
        return lambda _, package: any(package.startswith(p) for p in packages if p)
    if "forBasePackage" in source or "startsWith" in source:
        packages = _STRING.findall(source)
        return lambda _, package: any(package.startswith(p) for p in packages)
    return lambda _annotations, _package: True


def _package_of_class(index: SourceIndex, name: str) -> str:
    for path in index.files_containing(f"class {name}"):
        return package_of(index.sources[path].text)
    return ""
