"""Node front-end behaviour that the expected-file fixtures cannot show: warnings for what is left out or
unknown, x-justpush-unresolved marks, one framework's failure not losing the others' routes, and the
value resolver on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from justpush.analysis import ProjectProfile, analyze
from justpush.analysis._treesitter import field_, text, walk
from justpush.analysis.node import _nest, extract
from justpush.analysis.node._project import load
from justpush.analysis.node._resolve import Resolver, env_file_values
from justpush.analysis.node._syntax import args
from tests.unit.analysis.lang.expectations import FIXTURES

PROFILE = ProjectProfile(language="node")


def _routes(root: Path) -> dict[str, dict[str, str]]:
    return {f"{op.method.upper()} {op.path}": op.unresolved for op in extract(root, PROFILE).operations}


def test_unknown_prefix_is_marked_and_warned_dev_only_and_unknown_paths_are_warned() -> None:
    root = FIXTURES / "node-express-partial"
    api = extract(root, PROFILE)
    routes = {f"{op.method.upper()} {op.path}": op for op in api.operations}
    assert sorted(routes) == ["GET /health", "GET /items"]
    assert "process.env.BASE_PATH" in routes["GET /items"].unresolved["path"]
    assert routes["GET /health"].unresolved == {}
    assert "src/app.js:7: mount prefix `process.env.BASE_PATH` is not known statically" in api.warnings
    assert any(w.startswith("src/app.js:9: routes registered only when") for w in api.warnings)
    assert "src/app.js:13: route path `buildPath('status')` is not known statically, skipped" in api.warnings
    assert any(w.startswith("src/routes/broken.js:") for w in api.warnings)


def test_unresolved_prefix_reaches_the_spec_extension() -> None:
    result = analyze(FIXTURES / "node-express-partial")
    operation = result.spec["paths"]["/items"]["get"]
    assert "process.env.BASE_PATH" in str(operation["x-justpush-unresolved"])


def test_a_failing_framework_is_a_warning_and_the_others_still_report(monkeypatch: Any) -> None:
    def fail(self: Any) -> None:
        raise RuntimeError("surprise")

    monkeypatch.setattr(_nest.Nest, "prepare", fail)
    api = extract(FIXTURES / "node-express-mounts", PROFILE)
    assert "GET /api/v1/users" in {f"{op.method.upper()} {op.path}" for op in api.operations}
    assert "Nest: controllers not analysed (RuntimeError: surprise)" in api.warnings


def _resolve(tmp_path: Path, files: dict[str, str], expression_file: str) -> list[str | None]:
    """Every argument of `probe(...)` calls in expression_file, as the resolver evaluates it."""
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    project = load(tmp_path, [])
    resolver = Resolver(project)
    module = project.modules[expression_file]
    calls = [
        n
        for n in walk(module.parsed.root)
        if n.type == "call_expression" and text(field_(n, "function")) == "probe"
    ]
    return [resolver.string(module, arg) for call in calls for arg in args(call)]


def test_resolver_constants_templates_enums_config_and_env_files(tmp_path: Path) -> None:
    files = {
        ".env.example": "API_VERSION=3\n",
        "src/constants.ts": "export const BASE = '/api';\nexport enum Area { Admin = 'admin' }\n",
        "src/config/app.config.ts": (
            "import { registerAs } from '@nestjs/config';\n"
            "export default registerAs('app', () => ({\n"
            "  prefix: process.env.PREFIX || 'v1', nested: { x: 'y' } }));\n"
        ),
        "src/helpers.ts": "export const join = (a: string, b: string) => a + '/' + b;\n",
        "src/main.ts": (
            "import { BASE, Area } from './constants';\n"
            "import { join } from './helpers';\n"
            "const version = `v${process.env.API_VERSION}`;\n"
            "probe(`${BASE}/${version}`, Area.Admin, configService.get('app.prefix'),\n"
            "  configService.get('app.nested.x'), join(BASE, 'x'), process.env.MISSING, someCall());\n"
        ),
    }
    assert _resolve(tmp_path, files, "src/main.ts") == ["/api/v3", "admin", "v1", "y", "/api/x", None, None]


@pytest.mark.parametrize("folder", ["tests", "__tests__", "e2e", "examples", "mocks"])
def test_test_and_example_sources_give_no_routes(tmp_path: Path, folder: str) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "app.js").write_text(
        "const express = require('express');\nconst app = express();\napp.get('/t', (q, s) => s.json({}));\n"
    )
    (tmp_path / "server.spec.js").write_text((tmp_path / folder / "app.js").read_text())
    assert _routes(tmp_path) == {}


def test_tsconfig_path_aliases_resolve_imports(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "tsconfig.json").write_text(
        "{\n  // comments and trailing commas are allowed in tsconfig\n"
        '  "compilerOptions": { "baseUrl": ".", "paths": { "@config/*": ["src/configs/*"], }, },\n}\n'
    )
    (tmp_path / "src" / "configs").mkdir(parents=True)
    (tmp_path / "src" / "configs" / "routes.ts").write_text("export const routes = { users: '/users' };\n")
    (tmp_path / "src" / "app.ts").write_text(
        "import express from 'express';\nimport { routes } from '@config/routes';\n"
        "const app = express();\napp.get(routes.users, (req, res) => res.json([]));\n"
    )
    assert _routes(tmp_path) == {"GET /users": {}}


def test_static_assets_and_bundles_give_no_routes(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    source = (
        "const express = require('express');\nconst app = express();\napp.get('/x', (q, s) => s.json({}));\n"
    )
    (tmp_path / "public" / "js").mkdir(parents=True)
    (tmp_path / "public" / "js" / "app.js").write_text(source)
    (tmp_path / "vendor.min.js").write_text(source)
    assert _routes(tmp_path) == {}
    (tmp_path / "server.js").write_text(source)
    assert _routes(tmp_path) == {"GET /x": {}}


def test_self_referencing_values_end_with_warnings(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "a.js").write_text(
        "const express = require('express');\nconst app = express();\n"
        "const a = { r: a.r, s: b.s };\nconst b = { s: a.s };\n"
        "app.use('/x', a.r);\napp.use(b.s);\n"
        "const c = `${c}`;\napp.get(c, (q, s) => s.json({}));\napp.get('/ok', (q, s) => s.json({}));\n"
    )
    api = extract(tmp_path, PROFILE)
    assert [op.path for op in api.operations] == ["/ok"]
    assert "a.js:8: route path `c` is not known statically, skipped" in api.warnings


def test_catch_all_fallbacks_are_not_endpoints(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\nconst app = express();\n"
        "app.get('/api/items', (q, s) => s.json([]));\n"
        "app.all('*', (req, res) => res.status(404).json({ error: 'not found' }));\n"
        "app.get('/*', (req, res) => res.render('index'));\n"
    )
    assert _routes(tmp_path) == {"GET /api/items": {}}


def test_all_with_a_middleware_guards_the_routes_under_a_path_and_is_no_endpoint(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4", "koa-router": "12"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\nconst app = express();\nconst router = express.Router();\n"
        "const auth = (req, res, next) => { if (!req.user) return res.sendStatus(401); next(); };\n"
        "router.get('/posts/:id', (req, res) => res.json({}));\n"
        "router.all('/posts/*', auth).patch('/posts/:id', (req, res) => res.json({}));\n"
        "router.all('/legacy', (req, res) => res.json({}));\n"
        "app.use('/', router);\n"
    )
    (tmp_path / "koa.js").write_text(
        "const Router = require('koa-router');\nconst router = new Router();\n"
        "router.all('/admin/(.*)', async (ctx, next) => {\n"
        "  ctx.assert(ctx.state.user, 401);\n  await next();\n});\n"
        "router.get('/admin/users', (ctx) => { ctx.body = []; });\nmodule.exports = router;\n"
    )
    routes = _routes(tmp_path)
    assert sorted(routes) == [
        "DELETE /legacy",
        "GET /admin/users",
        "GET /legacy",
        "GET /posts/{id}",
        "PATCH /legacy",
        "PATCH /posts/{id}",
        "POST /legacy",
        "PUT /legacy",
    ]


def test_handlers_that_are_methods_of_a_class_instance_held_in_a_constant(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\n"
        "class Tasks {\n  list(req, res) { res.json(req.query.limit); }\n"
        "  one(req, res) { res.json(req.query.fields); }\n}\n"
        "const tasks = new Tasks();\nconst app = express();\n"
        "app.get('/tasks', tasks.list);\napp.get('/bound', tasks.list.bind(tasks));\n"
        "function routes(router) {\n  const local = new Tasks();\n"
        "  router.get('/tasks/:id', local.one.bind(local));\n}\nroutes(app);\n"
    )
    api = extract(tmp_path, PROFILE)
    params = {op.path: sorted(p.name for p in op.parameters) for op in api.operations}
    assert params == {"/tasks": ["limit"], "/bound": ["limit"], "/tasks/{id}": ["fields", "id"]}


def test_a_router_declared_and_exported_in_one_chained_assignment(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "routes.js").write_text(
        "var express = require('express');\nvar router = module.exports = express.Router();\n"
        "router.get('/hello', function (req, res) { res.send(req.query.name); });\n"
    )
    (tmp_path / "server.js").write_text(
        "var app = require('express')();\napp.use('/api', require('./routes'));\napp.listen(3000);\n"
    )
    assert _routes(tmp_path) == {"GET /api/hello": {}}


def test_status_constants_become_codes_and_unknown_ones_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4", "http-status": "1"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\nconst httpStatus = require('http-status');\n"
        "const app = express();\n"
        "app.post('/a', (req, res) => res.status(httpStatus.CREATED).json({}));\n"
        "app.delete('/a/:id', (req, res) => res.sendStatus(httpStatus.NO_CONTENT));\n"
        "app.put('/a/:id', (req, res) => res.status(req.body.code).json({}));\n"
    )
    result = analyze(tmp_path)
    paths = result.spec["paths"]
    assert set(paths["/a"]["post"]["responses"]) == {"201"}
    assert set(paths["/a/{id}"]["delete"]["responses"]) == {"204"}
    assert not any("does not validate" in w for w in result.warnings)


def test_a_failing_route_file_is_a_warning_with_its_line(monkeypatch: Any) -> None:
    from justpush.analysis.node import _express

    original = _express.Express.creates

    def fail_in_books(self: Any, walker: Any, call: Any, scope: Any) -> Any:
        if walker.path.endswith("books.route.js"):
            raise ValueError("surprise")
        return original(self, walker, call, scope)

    monkeypatch.setattr(_express.Express, "creates", fail_in_books)
    api = extract(FIXTURES / "node-express-mounts", PROFILE)
    routes = {f"{op.method.upper()} {op.path}" for op in api.operations}
    assert "GET /api/v1/users" in routes
    assert not any("/books" in r for r in routes)
    assert any(
        w.startswith("src/routes/v1/books.route.js:") and "(ValueError: surprise)" in w for w in api.warnings
    )


def test_feature_folders_named_like_assets_or_samples_are_server_code(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    app = tmp_path / "src" / "endpoints"
    for folder in ("public", "assets", "benchmarks", "examples"):
        (app / folder).mkdir(parents=True)
        (app / folder / "routes.ts").write_text(
            f"import {{ Router }} from 'express';\nexport const {folder}Routes = Router();\n"
            f"{folder}Routes.get('/', (req, res) => res.json([]));\n"
        )
    (tmp_path / "src" / "app.ts").write_text(
        "import express from 'express';\n"
        "import { publicRoutes } from './endpoints/public/routes';\n"
        "import { assetsRoutes } from './endpoints/assets/routes';\n"
        "import { benchmarksRoutes } from './endpoints/benchmarks/routes';\n"
        "import { examplesRoutes } from './endpoints/examples/routes';\n"
        "const app = express();\napp.use('/public', publicRoutes);\napp.use('/assets', assetsRoutes);\n"
        "app.use('/benchmarks', benchmarksRoutes);\napp.use('/examples', examplesRoutes);\n"
    )
    # browser scripts in a static folder and sample programs next to the app are still left out
    script = "const app = require('express')();\napp.get('/js', f);\n"
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "app.js").write_text(script)
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "bench.ts").write_text(script.replace("/js", "/b"))
    assert set(_routes(tmp_path)) == {"GET /public", "GET /assets", "GET /benchmarks", "GET /examples"}


def test_nx_browser_projects_are_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4", "@angular/core": "19"}}')
    source = "import express from 'express';\nconst app = express();\napp.get('/{}', (q, s) => s.end());\n"
    projects = {
        "apps/api": {"serve": {"executor": "@nx/js:node"}, "lint": {"executor": "@nx/eslint:lint"}},
        "apps/client": {"build": {"executor": "@nx/angular:browser-esbuild"}, "i18n": {"executor": "x:y"}},
        "libs/ui": {"storybook": {"executor": "@storybook/angular:start-storybook"}},
    }
    for folder, targets in projects.items():
        (tmp_path / folder / "src").mkdir(parents=True)
        (tmp_path / folder / "project.json").write_text(json.dumps({"targets": targets}))
        (tmp_path / folder / "src" / "main.ts").write_text(source.format(folder.split("/")[1]))
    assert set(_routes(tmp_path)) == {"GET /api"}


def test_env_files_are_dotenv_files_not_yaml_or_code(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("API_PREFIX=/api\n")
    (tmp_path / "env.yaml").write_text("production:\n  PORT: 80\nPORT=8080\n")
    (tmp_path / "env.ts").write_text("export const ROUTE_PREFIX='/v2'\n")
    assert env_file_values(tmp_path) == {"API_PREFIX": "/api"}


def test_nest_versioning_without_options_is_uri_versioning(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"@nestjs/core": "11", "@nestjs/common": "11"}}')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.ts").write_text(
        "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n"
        "async function bootstrap() {\n  const app = await NestFactory.create(AppModule);\n"
        "  app.enableVersioning();\n  await app.listen(3000);\n}\nbootstrap();\n"
    )
    (tmp_path / "src" / "auth.controller.ts").write_text(
        "import { Controller, Get, Post, Version } from '@nestjs/common';\n"
        "@Controller('auth')\nexport class AuthController {\n"
        "  @Post('login')\n  login() {}\n\n  @Version('2')\n  @Get('me')\n  me() {}\n}\n"
    )
    assert set(_routes(tmp_path)) == {"POST /auth/login", "GET /v2/auth/me"}


def test_nest_controllers_through_a_project_decorator_and_inherited_routes(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"@nestjs/core": "11", "@nestjs/common": "11"}}')
    src = tmp_path / "src"
    src.mkdir()
    (src / "api.decorator.ts").write_text(
        "import { applyDecorators, Controller, UseGuards } from '@nestjs/common';\n"
        "import { AuthGuard } from '@nestjs/passport';\n"
        "export function ApiController(version: string, name: string) {\n"
        "  return applyDecorators(Controller(name), UseGuards(AuthGuard('jwt')));\n}\n"
    )
    (src / "crud.ts").write_text(
        "import { Body, Delete, Get, Param, Post } from '@nestjs/common';\n"
        "export class ReadBase<T> {\n  @Get()\n  findAll(): T[] { return []; }\n"
        "  @Get(':id')\n  findOne(@Param('id') id: string) {}\n}\n"
        "export function CrudController<T>(entity: string) {\n"
        "  class Crud extends ReadBase<T> {\n    @Post()\n    create(@Body() body: T) {}\n"
        "    @Delete(':id')\n    remove(@Param('id') id: string) {}\n  }\n  return Crud;\n}\n"
    )
    (src / "tags.controller.ts").write_text(
        "import { Get } from '@nestjs/common';\nimport { ApiController } from './api.decorator';\n"
        "import { CrudController } from './crud';\n"
        "@ApiController('1', 'tags')\nexport class TagsController extends CrudController<string>('tag') {\n"
        "  @Get('popular')\n  popular() {}\n\n  // Overridden without a route: no longer served.\n"
        "  remove(id: string) {}\n}\n"
    )
    api = extract(tmp_path, PROFILE)
    routes = {f"{op.method.upper()} {op.path}": op for op in api.operations}
    assert sorted(routes) == [
        "GET /tags",
        "GET /tags/popular",
        "GET /tags/{id}",
        "POST /tags",
    ]
    assert [p.name for p in routes["GET /tags/{id}"].parameters] == ["id"]
    # The guard the wrapper applies protects every route.
    assert all(op.security for op in api.operations)


def _nest_modules(tmp_path: Path, app_imports: str) -> Path:
    (tmp_path / "package.json").write_text('{"dependencies": {"@nestjs/core": "11", "@nestjs/common": "11"}}')
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "main.ts").write_text(
        "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n"
        "async function bootstrap() {\n  const app = await NestFactory.create(AppModule);\n"
        "  await app.listen(3000);\n}\nbootstrap();\n"
    )
    (src / "app.module.ts").write_text(
        "import { Module, forwardRef } from '@nestjs/common';\n"
        "import { ConfigModule } from '@nestjs/config';\n"
        "import { UsersModule } from './users';\nimport { AdminModule } from './admin';\n"
        "import { PostsModule } from './posts';\n"
        f"const features = [forwardRef(() => AdminModule)];\n@Module({{ imports: {app_imports} }})\n"
        "export class AppModule {}\n"
    )
    for name in ("users", "admin", "posts"):
        cls = name.title()
        (src / f"{name}.ts").write_text(
            "import { Controller, Get, Module } from '@nestjs/common';\n"
            f"@Controller('{name}')\nexport class {cls}Controller {{\n  @Get()\n  list() {{}}\n}}\n"
            f"@Module({{ controllers: [{cls}Controller] }})\nexport class {cls}Module {{}}\n"
        )
    return tmp_path


def test_nest_serves_the_controllers_of_the_modules_the_root_module_reaches(tmp_path: Path) -> None:
    _nest_modules(tmp_path, "[ConfigModule.forRoot(), UsersModule, ...features]")
    api = extract(tmp_path, PROFILE)
    assert sorted(f"{op.method.upper()} {op.path}" for op in api.operations) == ["GET /admin", "GET /users"]
    assert (
        "src/posts.ts:3: controller PostsController is in no module the app's root module imports;"
        " its routes are left out"
    ) in api.warnings


def test_nest_imports_that_cannot_be_followed_keep_every_controller(tmp_path: Path) -> None:
    _nest_modules(tmp_path, "[UsersModule, ...(process.env.POSTS ? [PostsModule] : [])]")
    api = extract(tmp_path, PROFILE)
    assert sorted(op.path for op in api.operations) == ["/admin", "/posts", "/users"]


def test_routes_registered_with_a_computed_method_are_warned_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\nconst app = express();\n"
        "app['post']('/items', (req, res) => res.status(201).json({}));\n"
        "for (const entry of loadTable()) {\n"
        "  app[entry.method.toLowerCase()](entry.path, entry.handler);\n"
        "}\napp.listen(3000);\n"
    )
    api = extract(tmp_path, PROFILE)
    assert [f"{op.method.upper()} {op.path}" for op in api.operations] == ["POST /items"]
    assert any(w.startswith("app.js:5: route method `entry.method.toLowerCase()`") for w in api.warnings)


def test_index_reexporting_a_module_and_query_read_by_route_middleware(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"express": "4"}}')
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "index.js").write_text("module.exports = require('./routes');\n")
    (tmp_path / "routes" / "routes.js").write_text(
        "const { Router } = require('express');\nconst helpers = require('./helpers');\n"
        "const api = Router();\n"
        "api.get('/links', helpers.parseQuery, (req, res) => res.json({ q: req.query.search }));\n"
        "module.exports = { api };\n"
    )
    (tmp_path / "routes" / "helpers.js").write_text(
        "function parseQuery(req, res, next) {\n"
        "  req.context = { limit: Number(req.query.limit) || 10, skip: Number(req.query.skip) || 0 };\n"
        "  next();\n}\nmodule.exports = { parseQuery };\n"
    )
    (tmp_path / "server.js").write_text(
        "const express = require('express');\nconst routes = require('./routes');\n"
        "const app = express();\napp.use('/api/v2', routes.api);\napp.use('/api', routes.api);\n"
        "app.listen(3000);\n"
    )
    api = extract(tmp_path, PROFILE)
    found = {f"{op.method.upper()} {op.path}": sorted(p.name for p in op.parameters) for op in api.operations}
    assert found == {
        "GET /api/links": ["limit", "search", "skip"],
        "GET /api/v2/links": ["limit", "search", "skip"],
    }


def test_resolver_destructured_names_local_declarations_and_env_getters(tmp_path: Path) -> None:
    files = {
        ".env.example": "BASE_API_URL=api\n",
        "config/keys.js": "module.exports = { app: { apiURL: `${process.env.BASE_API_URL}` } };\n",
        "src/env.ts": (
            "function read(key: string, fallback: string, cast?: (v: string) => string) {\n"
            "  const value = process.env[key];\n  if (value === undefined) return fallback;\n"
            "  return cast ? cast(value) : value;\n}\n"
            "export function env(key: string, fallback = '') { return read(key, fallback) }\n"
        ),
        "src/app.config.ts": (
            "import { registerAs } from '@nestjs/config';\nimport { env } from './env';\n"
            "export const token = 'app';\nconst globalPrefix = env('GLOBAL_PREFIX', 'v2');\n"
            "export const AppConfig = registerAs(token, () => ({ globalPrefix, cors: { path: 'c' } }));\n"
        ),
        "src/main.js": (
            "const keys = require('../config/keys');\nconst { apiURL } = keys.app;\n"
            "async function boot() {\n"
            "  const { globalPrefix, cors: { path: corsPath } } = configService.get('app');\n"
            "  const local = `/${apiURL}/x`;\n"
            "  probe(apiURL, globalPrefix, corsPath, local, env('BASE_API_URL', 'no'), env('MISSING'));\n}\n"
        ),
    }
    assert _resolve(tmp_path, files, "src/main.js") == ["api", "v2", "c", "/api/x", None, None]


def test_nest_router_module_children_by_spread_and_sse_routes(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"@nestjs/core": "10", "@nestjs/common": "10"}}')
    (tmp_path / "src").mkdir()
    sources = {
        "main.ts": (
            "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n"
            "NestFactory.create(AppModule);\n"
        ),
        "app.module.ts": (
            "import { Module } from '@nestjs/common';\nimport { RouterModule } from '@nestjs/core';\n"
            "import { FilesModule } from './files';\nconst modules = [FilesModule];\n"
            "@Module({ imports: [...modules,\n"
            "  RouterModule.register([{ path: 'system', module: AppModule, children: [...modules] }])] })\n"
            "export class AppModule {}\n"
        ),
        "files.ts": (
            "import { Controller, Get, Module, Param, Sse } from '@nestjs/common';\n"
            "@Controller('files')\nexport class FilesController {\n"
            "  @Get('list') list() { return [] }\n  @Sse(':uid') events(@Param('uid') uid: string) {}\n}\n"
            "@Module({ controllers: [FilesController] })\nexport class FilesModule {}\n"
        ),
    }
    for name, source in sources.items():
        (tmp_path / "src" / name).write_text(source)
    assert _routes(tmp_path) == {"GET /system/files/list": {}, "GET /system/files/{uid}": {}}


def test_fastify_autoload_filters_index_folders_and_prefix_override(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        '{"type": "module", "dependencies": {"fastify": "4", "@fastify/autoload": "5"}}'
    )
    plugin = "export default async (app) => {{ app.{} }}\n"
    sources = {
        "app.js": (
            "import Fastify from 'fastify';\nimport autoload from '@fastify/autoload';\n"
            "import { join } from 'node:path';\nconst app = Fastify();\n"
            "app.register(autoload, { dir: join(import.meta.dirname, 'modules'), dirNameRoutePrefix: false,\n"
            "  matchFilter: (path) => path.endsWith('.module.js') || /index\\.js$/.test(path),\n"
            "  options: { prefix: '/api' } });\n"
            "app.register(autoload, { dir: join(import.meta.dirname, 'hooks'), ignoreFilter: 'skip' });\n"
        ),
        "modules/auth/auth.routes.js": plugin.format("post('/login', async () => 1)"),
        "modules/auth/auth.module.js": (
            "import routes from './auth.routes.js';\n"
            "export default async (app) => { app.register(routes, { prefix: '/auth' }) }\n"
        ),
        "modules/health/health.module.js": (
            "export const prefixOverride = '';\n" + plugin.format("get('/health', async () => 1)")
        ),
        "modules/users/index.js": plugin.format("get('/users', async () => [])"),
        "modules/users/extra.module.js": plugin.format("get('/extra', async () => [])"),
        "hooks/skip-me.js": plugin.format("get('/skipped', async () => 1)"),
        "hooks/kept.js": plugin.format("get('/kept', async () => 1)"),
    }
    for name, source in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    assert _routes(tmp_path) == {
        "POST /api/auth/login": {},
        "GET /health": {},
        "GET /api/users": {},
        "GET /kept": {},
    }


def test_express_routers_mounted_through_an_object_of_required_modules(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"main": "index.js", "dependencies": {"express": "4"}}')
    (tmp_path / "routes").mkdir()
    (tmp_path / "index.js").write_text(
        "const express = require('express');\nconst routes = require('./routes');\n"
        "const app = express();\napp.use('/users', routes.users);\napp.listen(3000);\n"
    )
    (tmp_path / "routes" / "index.js").write_text("module.exports = { users: require('./users') };\n")
    (tmp_path / "routes" / "users.js").write_text(
        "const { Router } = require('express');\nconst router = Router();\n"
        "router.get('/:userId', (req, res) => res.json({}));\nmodule.exports = router;\n"
    )
    assert _routes(tmp_path) == {"GET /users/{userId}": {}}


def test_nest_controllers_listed_as_the_classes_a_barrel_exports(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"@nestjs/core": "10", "@nestjs/common": "10"}}')
    sources = {
        "src/main.ts": (
            "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n"
            "NestFactory.create(AppModule);\n"
        ),
        "src/app.module.ts": (
            "import { Module } from '@nestjs/common';\nimport * as controllers from './controllers';\n"
            "@Module({ controllers: Object.values(controllers) })\nexport class AppModule {}\n"
        ),
        "src/controllers/index.ts": (
            "export * from './crud.controller';\nexport { Health } from './health';\n"
        ),
        "src/controllers/crud.controller.ts": (
            "import { Controller, Get, Param } from '@nestjs/common';\n"
            "@Controller('crud')\nexport class CrudController {\n"
            "  @Get(':id') read(@Param('id') id: string) {}\n}\n"
        ),
        "src/controllers/health.ts": (
            "import { Controller, Get } from '@nestjs/common';\n"
            "@Controller('health')\nexport class Health {\n  @Get() check() {}\n}\n"
        ),
        "src/unused.controller.ts": (
            "import { Controller, Get } from '@nestjs/common';\n"
            "@Controller('unused')\nexport class Unused {\n  @Get() nothing() {}\n}\n"
        ),
    }
    for name, source in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    assert _routes(tmp_path) == {"GET /crud/{id}": {}, "GET /health": {}}


def test_controller_decorators_imported_under_another_name(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        '{"dependencies": {"routing-controllers": "0.10", "express": "4"}}'
    )
    (tmp_path / "app.ts").write_text(
        "import { createExpressServer, JsonController, Get, Post as HttpPost, QueryParam as Q }"
        " from 'routing-controllers';\n\n"
        "@JsonController()\nclass PostController {\n"
        "  @Get('/posts')\n  all(@Q('page') page: number) { return []; }\n\n"
        "  @HttpPost('/posts')\n  create() { return {}; }\n}\n\n"
        "createExpressServer({ controllers: [PostController] }).listen(3000);\n"
    )
    api = extract(tmp_path, PROFILE)
    routes = {f"{op.method.upper()} {op.path}": [p.name for p in op.parameters] for op in api.operations}
    assert routes == {"GET /posts": ["page"], "POST /posts": []}


def test_a_query_taken_out_of_the_context_by_destructuring(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"dependencies": {"koa": "2", "koa-router": "12"}}')
    (tmp_path / "app.js").write_text(
        "const Koa = require('koa');\nconst Router = require('koa-router');\nconst router = new Router();\n"
        "router.get('/notes', async (ctx) => {\n  const { query, request: { body } } = ctx;\n"
        "  ctx.body = { page: query.page, order: query.order, body };\n});\n"
        "const app = new Koa();\napp.use(router.routes());\napp.listen(3000);\n"
    )
    api = extract(tmp_path, PROFILE)
    assert {
        f"{op.method.upper()} {op.path}": sorted(p.name for p in op.parameters) for op in api.operations
    } == {"GET /notes": ["order", "page"]}


def test_handlers_that_are_methods_of_an_instance_a_module_exports(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"main": "app.js", "dependencies": {"express": "4"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\nconst Shop = require('./shop');\nconst app = express();\n"
        "app.get('/restaurants', Shop.list);\napp.listen(3000);\n"
    )
    (tmp_path / "shop.js").write_text(
        "class Shop {\n  async list(req, res) {\n    const { latitude, limit = 20 } = req.query;\n"
        "    res.json({ latitude, limit });\n  }\n}\nmodule.exports = new Shop();\n"
    )
    api = extract(tmp_path, PROFILE)
    assert {
        f"{op.method.upper()} {op.path}": sorted(p.name for p in op.parameters) for op in api.operations
    } == {"GET /restaurants": ["latitude", "limit"]}


def test_a_function_mounted_with_use_that_answers_is_an_endpoint_for_every_method(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"main": "app.js", "dependencies": {"express": "4"}}')
    (tmp_path / "app.js").write_text(
        "const express = require('express');\nconst { graphqlHTTP } = require('express-graphql');\n"
        "const app = express();\nconst api = express.Router();\n"
        "api.get('/items', (req, res) => res.json([]));\n"
        "app.use('/agent', function (req, res) {\n  res.send('proxied ' + req.query.url);\n});\n"
        "app.use('/api', api);\napp.use('/api', (req, res) => res.status(404).json('no such route'));\n"
        "app.use('/graphql', (req, res) => graphqlHTTP({})(req, res));\n"
        "app.use('/audit', (req, res, next) => { console.log(req.url); next(); });\napp.listen(3000);\n"
    )
    routes = _routes(tmp_path)
    assert sorted(routes) == sorted(
        ["GET /api/items", *(f"{m} /agent" for m in ("GET", "PUT", "POST", "DELETE", "PATCH"))]
    )
    assert "method" in routes["POST /agent"]


def test_resolver_string_and_path_functions(tmp_path: Path) -> None:
    files = {
        "src/main.js": (
            "const path = require('path');\nconst { basename } = require('node:path');\n"
            "const file = 'users.controller.js';\n"
            "probe(file.replace('.js', ''), file.replace(/\\.(js|ts)$/, ''), file.split('.')[0],\n"
            "  path.basename(file, '.js'), basename(file), path.parse(file).name, file.slice(0, -3),\n"
            "  file.substring(0, 5).toUpperCase(), path.extname(file), file.replace('$', 'x'),\n"
            "  file.replace(/s/g, 'S'), file.split('.')[7], path.join('/api', 'v1', '..', 'v2'));\n"
        ),
    }
    assert _resolve(tmp_path, files, "src/main.js") == [
        "users.controller",
        "users.controller",
        "users",
        "users.controller",
        "users.controller.js",
        "users.controller",
        "users.controller",
        "USERS",
        ".js",
        "users.controller.js",
        "uSerS.controller.jS",
        None,
        "/api/v2",
    ]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


_KOA_ROUTER = (
    "const Router = require('koa-router');\nconst router = new Router();\n"
    "router.get('/', (ctx) => { ctx.body = ctx.query.q; });\nmodule.exports = router;\n"
)


def test_koa_routers_required_in_a_loop_over_the_folder_and_its_subfolders(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "package.json": '{"main": "app.js", "dependencies": {"koa": "2", "koa-router": "12"}}',
            "app.js": (
                "const Koa = require('koa');\nconst fs = require('fs');\nconst app = new Koa();\n"
                "const dir = __dirname + '/routes';\n"
                "for (const name of fs.readdirSync(dir)) {\n"
                "  if (name.startsWith('_')) continue;\n"
                "  app.use(require(`${dir}/${name}`).routes());\n}\n"
                "app.listen(3000);\n"
            ),
            "routes/books.js": _KOA_ROUTER.replace("new Router()", "new Router({ prefix: '/books' })"),
            "routes/admin/index.js": _KOA_ROUTER.replace("new Router()", "new Router({ prefix: '/admin' })"),
            "routes/books.test.js": "require('../app');\n",
        },
    )
    assert sorted(_routes(tmp_path)) == ["GET /admin", "GET /books"]


def test_typescript_sources_listed_under_compiled_names_and_mapped(tmp_path: Path) -> None:
    router = (
        "import { Router } from 'express';\nconst router = Router();\n"
        "router.get('/', (req, res) => res.json([]));\nexport default router;\n"
    )
    _write(
        tmp_path,
        {
            "package.json": '{"main": "dist/server.js", "dependencies": {"express": "4"}}',
            "tsconfig.json": '{"compilerOptions": {"outDir": "dist"}}',
            "src/server.ts": (
                "import express from 'express';\nimport { readdirSync } from 'fs';\n"
                "import { join } from 'path';\nconst app = express();\n"
                "readdirSync(join(__dirname, 'routes'))\n"
                "  .filter((f) => f.endsWith('.js') && f !== 'legacy.js')\n"
                "  .map((f) => f.slice(0, -3))\n"
                "  .forEach((name) => app.use(`/${name}`, require(`./routes/${name}`).default));\n"
                "app.listen(3000);\n"
            ),
            "src/routes/orders.ts": router,
            "src/routes/legacy.ts": router,
            "src/routes/types.d.ts": "export type X = string;\n",
        },
    )
    routes = _routes(tmp_path)
    assert routes["GET /orders"] == {}
    # legacy.ts is filtered out: its router is mounted nowhere
    assert "not mounted" in routes["GET /"]["path"]


def test_route_modules_found_by_glob_with_a_working_directory(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "package.json": '{"main": "server.js", "dependencies": {"express": "4", "fast-glob": "3"}}',
            "server.js": (
                "const fg = require('fast-glob');\nconst path = require('path');\n"
                "const server = require('express')();\n"
                "fg.sync('**/*.route.js', { cwd: path.join(__dirname, 'api') }).forEach((file) => {\n"
                "  require(path.join(__dirname, 'api', file)).register(server);\n});\n"
                "server.listen(3000);\n"
            ),
            "api/items/items.route.js": (
                "exports.register = (srv) => { srv.delete('/items/:id', (req, res) => res.end()); };\n"
            ),
            "api/items/items.service.js": "exports.register = (srv) => srv.get('/nope', () => {});\n",
        },
    )
    # The service is not loaded: its function's routes are not mounted anywhere.
    routes = _routes(tmp_path)
    assert routes["DELETE /items/{id}"] == {}
    assert "not mounted" in routes["GET /nope"]["path"]


def test_route_tables_of_folders_listed_by_an_async_glob_get_a_router_each(tmp_path: Path) -> None:
    table = (
        "import * as c from './controller';\nexport const baseUrl = '/{name}';\n"
        "export default [{{ method: 'GET', route: '/', handlers: [c.list] }},\n"
        "  {{ method: 'POST', route: '/:id', handlers: [c.create] }}];\n"
    )
    _write(
        tmp_path,
        {
            "package.json": (
                '{"main": "server.js", "dependencies": {"koa": "2", "koa-router": "7", "glob": "7"}}'
            ),
            "server.js": (
                "const Koa = require('koa');\nconst app = new Koa();\nrequire('./modules')(app);\n"
                "app.listen(3000);\n"
            ),
            "modules/index.js": (
                "import glob from 'glob';\nimport Router from 'koa-router';\n"
                "module.exports = function load(app) {\n"
                "  glob(`${__dirname}/*`, { ignore: '**/index.js' }, (err, matches) => {\n"
                "    matches.forEach((mod) => {\n"
                "      const router = require(`${mod}/router`);\n"
                "      const instance = new Router({ prefix: router.baseUrl });\n"
                "      router.default.forEach((config) => {\n"
                "        const { method = '', route = '' } = config;\n"
                "        instance[method.toLowerCase()](route, async (ctx) => { ctx.body = {}; });\n"
                "      });\n"
                "      app.use(instance.routes());\n"
                "    });\n  });\n};\n"
            ),
            "modules/users/router.js": table.format(name="users"),
            "modules/users/controller.js": "export const list = () => {};\nexport const create = () => {};\n",
            "modules/auth/router.js": table.format(name="auth"),
            "modules/auth/controller.js": "export const list = () => {};\nexport const create = () => {};\n",
        },
    )
    assert sorted(_routes(tmp_path)) == [
        "GET /auth",
        "GET /users",
        "POST /auth/{id}",
        "POST /users/{id}",
    ]


def _params(root: Path) -> dict[str, list[str]]:
    return {
        f"{op.method.upper()} {op.path}": sorted(f"{p.location} {p.name}" for p in op.parameters)
        for op in extract(root, PROFILE).operations
    }


def test_handlers_that_are_shorthand_methods_of_nested_exported_objects(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "package.json": '{"main": "app.js", "dependencies": {"koa": "2", "koa-router": "12"}}',
            "app.js": (
                "const Koa = require('koa');\nconst Router = require('koa-router');\n"
                "const ctrl = require('./controllers').posts;\nconst app = new Koa();\n"
                "const router = new Router();\nrouter.get('/posts', ctrl.list);\n"
                "router.get('/drafts', ctrl.drafts.list);\nrouter.del('/drafts/:id', ctrl.drafts.remove);\n"
                "app.use(router.routes());\napp.listen(3000);\n"
            ),
            "controllers/index.js": "const posts = require('./posts');\nmodule.exports = { posts };\n",
            "controllers/posts.js": (
                "module.exports = {\n  async list(ctx) { const { offset, limit } = ctx.query; },\n"
                "  drafts: {\n    async list(ctx) { ctx.body = ctx.query.owner; },\n"
                "    remove: async (ctx) => { ctx.body = ctx.query.hard; },\n  },\n};\n"
            ),
        },
    )
    assert _params(tmp_path) == {
        "GET /posts": ["query limit", "query offset"],
        "GET /drafts": ["query owner"],
        "DELETE /drafts/{id}": ["path id", "query hard"],
    }


def test_route_paths_from_a_parameter_take_the_one_call_of_the_function(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "package.json": '{"main": "app.js", "dependencies": {"express": "4", "fastify": "4"}}',
            "app.js": (
                "const express = require('express');\nconst items = require('./items');\n"
                "const config = require('./config');\nconst app = express();\n"
                "items(app, { base: '/api' });\nhealth(app, config);\nhealth2(app, config);\n"
                "health2(app, { health: { path: '/other' } });\n"
                "function health(router, settings) {\n"
                "  router.get(settings.health.path, (q, s) => s.end());\n}\n"
                "function health2(router, settings) {\n"
                "  router.get(settings.health.path, (q, s) => s.end());\n}\n"
                "app.listen(3000);\n"
            ),
            "config.js": "module.exports = { health: { path: process.env.HEALTH_PATH || '/healthz' } };\n",
            "items.js": (
                "module.exports = function (router, opts) {\n"
                "  router.get(opts.base + '/items', (req, res) => res.json(req.query.limit));\n"
                "  router.delete(`${opts.base}/items/:itemId`, (req, res) => res.end());\n};\n"
            ),
            "server.js": (
                "const fastify = require('fastify')();\n"
                "fastify.register(require('./books'), { root: '/v2' });\nfastify.listen({ port: 3001 });\n"
            ),
            "books.js": (
                "module.exports = async function (app, options) {\n"
                "  app.get(`${options.root}/books`, async () => []);\n};\n"
            ),
        },
    )
    api = extract(tmp_path, PROFILE)
    assert sorted(f"{op.method.upper()} {op.path}" for op in api.operations) == [
        "DELETE /api/items/{itemId}",
        "GET /api/items",
        "GET /healthz",
        "GET /v2/books",
    ]
    # health2 is called with two different settings: its path is not one value
    assert any("settings.health.path" in w for w in api.warnings)
