"""Python route patterns found on public repositories, each kept fixed by a small fixture app of our own.

Expected endpoints and parameter names are written by hand from the fixture's code.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from justpush.analysis import AnalysisResult, analyze, validation_error
from justpush.analysis import python as python_frontend
from justpush.analysis.python import _flask
from tests.unit.analysis.spec_summary import APPS

METHODS = ("get", "put", "post", "delete", "patch")


def _analyze(name: str) -> AnalysisResult:
    result = analyze(APPS / name)
    assert validation_error(result.spec) is None
    return result


def _operations(result: AnalysisResult) -> dict[str, dict[str, Any]]:
    """ "METHOD /path" -> the operation, with path-level parameters merged in."""
    out: dict[str, dict[str, Any]] = {}
    for path, item in result.spec["paths"].items():
        for method in METHODS:
            if method in item:
                operation = dict(item[method])
                operation["parameters"] = [*item.get("parameters", []), *operation.get("parameters", [])]
                out[f"{method.upper()} {path}"] = operation
    return out


def _params(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation["parameters"]}


def _check(result: AnalysisResult, expected: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    operations = _operations(result)
    assert sorted(operations) == sorted(expected)
    for key, names in expected.items():
        assert _params(operations[key]) == names, key
    return operations


def test_fastapi_prefixes_from_settings_and_annotated_dependencies() -> None:
    # Prefix from a BaseSettings field default (f-string of a module constant, inherited field) read through
    # a function returning the settings class; concatenated router prefix; env-var default; Annotated
    # dependency aliases that are not parameters; a dependency class whose __init__ takes query params;
    # field values from backend/.env and backend/.env.example;
    # deps.py uses Python 3.14 "except A, B:" syntax.
    result = _analyze("python-fastapi-settings")
    assert result.profile.app_dir == "backend"
    operations = _check(
        result,
        {
            "GET /api/v1/items/": {"page", "size", "q"},
            "GET /api/v1/items/{item_id}": {"item_id"},
            # backend/.env sets ADMIN_PREFIX (it wins over the field's default, as at run time) ...
            "DELETE /api/v1/staff/cache": set(),
            # A helper's return with its parameters bound; an if on an unset env var is not taken.
            "GET /api/v1/staff/audit/v2": set(),
            # ... and .env.example is the only source of REPORTS_PREFIX, a field without a default.
            "GET /api/v1/reports/daily": set(),
            "GET /api/v1/status": set(),
            # include_router in a loop over a list constant of (router, prefix) pairs; a class-based view.
            "GET /api/v1/orders/": set(),
            "POST /api/v1/orders/": {"note"},
            "GET /api/v1/carts/{cart_id}": {"cart_id"},
        },
    )
    # A prefix the code computes at run time is marked and warned about with file:line, never dropped.
    unresolved = operations["GET /api/v1/status"]["x-justpush-unresolved"]
    assert "plugin_prefix()" in unresolved["path"]
    assert any(
        w.startswith("backend/app/api/main.py:10:") and "plugin_prefix()" in w for w in result.warnings
    )
    assert not any("syntax error" in w for w in result.warnings)


def test_flask_factory_blueprints_config_prefix_and_apifairy_arguments() -> None:
    # Blueprints imported inside create_app() and registered there with url_prefix=app.config[...] (a
    # config class attribute built by concatenation), a blueprint registered by init_app(app), a route
    # nested in the factory, APIFairy @arguments and a project decorator factory wrapping arguments().
    result = _analyze("python-flask-factory")
    _check(
        result,
        {
            "GET /": set(),
            "GET /web/about": set(),
            "GET /web/search": {"term", "limit"},
            "GET /status": set(),
            "POST /web/{unresolved}": {"unresolved"},
            "GET /api/v2/users": {"page", "per-page"},
            "POST /api/v2/users": set(),
            "GET /api/v2/users/{id}": {"id"},
            "GET /api/v2/users/search": {"q", "active"},
            # register_blueprint in a loop over (blueprint, prefix) pairs; None keeps the blueprint's own.
            "GET /reports/daily": set(),
            "GET /exports/csv": set(),
            # A blueprint built and returned by a factory function, registered from the call's result.
            "GET /admin/health": set(),
        },
    )
    # A prefix and a rule read from the environment at run time: kept, marked, warned about with file:line.
    operations = _operations(result)
    assert "PLUGIN_PREFIX" in operations["GET /status"]["x-justpush-unresolved"]["path"]
    assert "HOOK_PATH" in operations["POST /web/{unresolved}"]["x-justpush-unresolved"]["path"]
    unknown = sorted(w for w in result.warnings if "not known statically" in w)
    assert len(unknown) == 2
    assert unknown[0].startswith("app/web.py:") and "PLUGIN_PREFIX" in unknown[0]
    assert "HOOK_PATH" in unknown[1]
    search = operations["GET /api/v2/users/search"]
    assert {p["name"]: p["required"] for p in search["parameters"]} == {"q": True, "active": False}


def test_flask_smorest_method_views() -> None:
    # flask-smorest Api(app).register_blueprint, @blp.route on MethodView classes (an inherited get),
    # @blp.arguments(location="query") as query parameters and without a location as the body.
    # Apps and blueprints built by test code (tests/conftest.py, test_smoke.py) are no routes of the API.
    _check(
        _analyze("python-flask-smorest"),
        {
            "GET /items/": {"name", "max_price"},
            "POST /items/": set(),
            "GET /items/{item_id}": {"item_id"},
            "DELETE /items/{item_id}": {"item_id"},
            # register_blueprint(url_prefix=) replaces the blueprint's own, as Flask does.
            "GET /v1/{tag_id}": {"tag_id"},
            "PUT /v1/{tag_id}": {"tag_id"},
            # @blp.paginate() reads page and page_size.
            "GET /v1/": {"page", "page_size"},
            # Flask's documented MethodView pattern: a view named once, add_url_rule with methods= per URL,
            # an inherited get.
            "GET /legacy/users/": {"fields"},
            "POST /legacy/users/": set(),
            "GET /legacy/users/{user_id}": {"user_id", "fields"},
            "DELETE /legacy/users/{user_id}": {"user_id"},
        },
    )


def test_flask_restx_namespaces_and_resources() -> None:
    # Api(blueprint) under a registered blueprint, Namespace default path "/<name>", add_namespace(path=)
    # overriding the namespace's own, Resource classes, add_resource with two URLs, reqparse arguments.
    _check(
        _analyze("python-flask-restx"),
        {
            # A project Namespace subclass whose paginate() method wraps use_args(location="query").
            "GET /api/cats/": {"color", "limit", "offset"},
            "POST /api/cats/": set(),
            "GET /api/cats/{id}": {"id"},
            "PUT /api/cats/{id}": {"id"},
            "GET /api/canines/{dog_id}": {"dog_id"},
            # reqparse: arguments from the query string (location args, or the default for GET), not json.
            "GET /api/canines/": {"breed", "page"},
            "GET /api/health": set(),
            "GET /api/healthz": set(),
            # A Namespace kept as a class attribute (class BirdDto: api = Namespace("birds")).
            "GET /api/birds/{public_id}": {"public_id"},
            # A blueprint registered on the app a factory returns (wsgi.py: app = create_app()).
            "GET /version": set(),
        },
    )


def test_django_urlpatterns_helper_router_root_actions_and_query_params() -> None:
    # urlpatterns reassigned through a helper (used to recurse forever and drop every route), an f-string
    # prefix of a module constant, DefaultRouter root, @action detail/list routes, a project pagination
    # class with page_size_query_param, the settings' default pagination, filterset/search fields,
    # request.query_params reads, a filter serializer bound to them and a library class view (TemplateView).
    result = _analyze("python-django-shop")
    _check(
        result,
        {
            "GET /about/": set(),
            "GET /api/v1/": set(),
            "GET /api/v1/products/": {"page", "size", "category", "in_stock", "search", "min_price"},
            "POST /api/v1/products/": set(),
            "GET /api/v1/products/{pk}/": {"pk", "min_price"},
            "PUT /api/v1/products/{pk}/": {"pk"},
            "PATCH /api/v1/products/{pk}/": {"pk"},
            "DELETE /api/v1/products/{pk}/": {"pk"},
            "POST /api/v1/products/{pk}/publish/": {"pk"},
            "GET /api/v1/products/featured/": {"min_price"},
            "GET /api/v1/orders/": {"limit", "offset"},
            "GET /api/v1/orders/{pk}/": {"pk"},
            # drf-nested-routers: a viewset under products/{product_pk}/.
            "GET /api/v1/products/{product_pk}/reviews/": {"product_pk"},
            "GET /api/v1/products/{product_pk}/reviews/{pk}/": {"product_pk", "pk"},
            "GET /api/v1/stats/": {"period"},
            # A serializer bound to request.query_params and a pagination class passed to a helper.
            "GET /api/v1/search/orders/": {"status", "since", "take", "offset"},
            "GET /{unresolved}/stats/": {"unresolved", "period"},
        },
    )
    assert not any("nested too deeply" in w for w in result.warnings)
    # An include() under a route read from the environment at run time: kept under /{unresolved}, marked.
    partner = _operations(result)["GET /{unresolved}/stats/"]
    assert "PARTNER_PREFIX" in partner["x-justpush-unresolved"]["path"]
    assert any(w.startswith("project/urls.py:17:") and "PARTNER_PREFIX" in w for w in result.warnings)


def test_fastapi_sub_app_mounted_and_a_tooling_package_json() -> None:
    # A package.json for e2e tooling beside the Python manifest must not make the project a Node one; an app
    # mounted under a prefix is served there (its root_path is for docs, not a second prefix).
    result = _analyze("python-fastapi-mounted")
    assert (result.profile.language, result.profile.framework) == ("python", "fastapi")
    _check(
        result,
        {
            "GET /healthz": set(),
            "GET /api/v1/things": {"limit"},
            "GET /api/v1/things/{thing_id}": {"thing_id"},
            # A project APIRouter subclass, included by a function that receives the app as a parameter.
            "GET /extra/info": set(),
        },
    )
    assert not result.spec.get("servers") or result.spec["servers"][0]["url"] in ("", "/")


def test_django_ninja_api_and_routers() -> None:
    # path("api/v1/", api.urls) with a NinjaAPI; add_router with a router object and with a dotted string;
    # api_operation with two methods; {int:id} path converters; a Schema as Query(...) spreads its fields.
    _check(
        _analyze("python-django-ninja"),
        {
            "GET /api/v1/ping": set(),
            "GET /api/v1/events/": {"city", "after", "limit"},
            "POST /api/v1/events/": set(),
            "PUT /api/v1/events/{event_id}": {"event_id"},
            "PATCH /api/v1/events/{event_id}": {"event_id"},
            "GET /api/v1/venues/{slug}": {"slug", "with_map"},
        },
    )


def test_use_kwargs_without_a_location_is_the_query_of_a_get(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask>=3\nflask-apispec\n")
    (tmp_path / "app.py").write_text(
        "from flask import Flask\nfrom flask_apispec import use_kwargs\nfrom marshmallow import fields\n\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/articles', methods=['GET'])\n"
        "@use_kwargs({'tag': fields.Str(), 'limit': fields.Int()})\ndef articles(tag=None, limit=20):\n"
        "    return []\n\n"
        "@app.route('/articles', methods=['POST'])\n"
        "@use_kwargs({'title': fields.Str()})\ndef create(title):\n    return {}\n"
    )
    _check(analyze(tmp_path), {"GET /articles": {"tag", "limit"}, "POST /articles": set()})


def test_framework_without_routes_is_reported(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask>=3\n")
    (tmp_path / "app.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    result = analyze(tmp_path)
    assert result.profile.framework == "flask"
    assert result.spec["paths"] == {}
    assert any("flask detected but no routes found" in w for w in result.warnings)


def test_one_failing_route_is_a_located_warning_and_the_others_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    original = _flask.FlaskExtractor._operation

    def failing(self: _flask.FlaskExtractor, rule: str, *args: Any) -> None:
        if rule.endswith("/search"):
            raise ValueError("boom")
        original(self, rule, *args)

    monkeypatch.setattr(_flask.FlaskExtractor, "_operation", failing)
    result = analyze(APPS / "python-flask-factory")
    operations = _operations(result)
    assert "GET /api/v2/users/search" not in operations
    assert "GET /api/v2/users/{id}" in operations
    assert any(w.startswith("app/api/users.py:29: route GET") and "boom" in w for w in result.warnings)


def test_extractor_crash_names_where_it_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(root: Path, profile: object) -> None:
        raise KeyError("missing")

    monkeypatch.setattr(python_frontend, "extract", crash)
    result = analyze(APPS / "python-flask-factory")
    assert result.profile.framework == "flask"
    failure = next(w for w in result.warnings if "route extraction failed" in w)
    assert "test_python_patterns.py:" in failure and "KeyError" in failure
    assert "/work/" not in failure


def test_fastapi_router_passed_to_an_app_factory_and_a_mount_helper() -> None:
    # The root router is an argument of a factory in another module (imported under an alias, passed
    # positionally); a helper receives the app, a router and a version and includes it under f"/{version}".
    result = _analyze("python-fastapi-factory-router")
    _check(
        result,
        {
            "GET /api/depots/": {"page", "per_page"},
            "GET /api/depots/{depot_id}": {"depot_id"},
            "GET /v1/stock/{sku}": {"sku"},
            "POST /v2/reports/": {"month"},
        },
    )
    assert not result.warnings


def test_flask_blueprints_registered_by_a_helper_function() -> None:
    # register(app, blueprint, area) registers each blueprint under f"/api/{area}"; positional and keyword.
    result = _analyze("python-flask-register-helper")
    _check(
        result,
        {
            "GET /api/books/": {"author"},
            "GET /api/books/{book_id}": {"book_id"},
            "POST /api/loans/": set(),
        },
    )
    assert not result.warnings


def test_django_project_in_a_subfolder_and_library_token_views() -> None:
    # requirements.txt at the top, manage.py and the project in src/: the server runs from src/ (where
    # WSGI_APPLICATION's "kiosk.wsgi" is importable) and the migrations through src/manage.py. Token views of
    # DRF's authtoken (subclassed) and simplejwt (routed directly) answer POST; a view whose handlers come
    # from an unknown library is left out with a warning naming it, never silently.
    result = _analyze("python-django-subfolder")
    profile = result.profile
    assert (profile.app_dir, profile.framework) == (".", "django")
    assert profile.start_command == (
        "gunicorn", "--chdir", "src", "--bind", "0.0.0.0:8000", "kiosk.wsgi:application"
    )  # fmt: skip
    assert profile.entrypoint == "src/kiosk/wsgi.py"
    assert profile.release_command == ("python", "src/manage.py", "migrate", "--noinput")
    _check(
        result,
        {
            "POST /api/members/login/": set(),
            "POST /api/members/refresh/": set(),
            "GET /api/members/me/": set(),
        },
    )
    assert any(
        w.startswith("src/members/urls.py:10: BadgeView") and "somewhere_else.views.PluginView" in w
        for w in result.warnings
    )


def test_flask_restx_namespaces_added_through_functions_receiving_the_api() -> None:
    # create_app passes its Api to register_routes(api, app, root="api"), which passes it on to each
    # package's register function (an alias import): namespace paths are f-strings of the defaulted root
    # and a module constant. A register function that makes its own Api on a Blueprint (reassigning the
    # parameter) and a Resource class declared inside a blueprint factory; a register function nobody
    # calls (root="old") adds nothing.
    result = _analyze("python-flask-restx-register")
    _check(
        result,
        {
            "GET /api/plants/": set(),
            "POST /api/plants/": set(),
            "GET /api/plants/{plant_id}": {"plant_id"},
            "DELETE /api/plants/{plant_id}": {"plant_id"},
            "GET /api/legacy/tools/": set(),
            "GET /partner/seeds/{code}": {"code"},
        },
    )
    assert not result.warnings


def test_flask_restful_blueprints_passed_as_a_list_and_copied_parsers() -> None:
    # The blueprint tuple goes to factory.create_app(blueprints=...), which adds its defaults
    # (blueprints = blueprints + DEFAULT_BLUEPRINTS) and hands them to a loop in configure_blueprints(app,
    # blueprints) registering each under f"/api/{API_VERSION}". A parser made by paged.copy() keeps the
    # query arguments of the shared parser it copies (another module) and adds its own. The server starts the
    # factory that passes the blueprints (vault:create_app()), not the inner one that would serve only
    # the health check.
    result = _analyze("python-flask-restful-blueprint-list")
    assert result.profile.start_command[-1] == "vault:create_app()"
    _check(
        result,
        {
            "GET /api/2/healthcheck": set(),
            "GET /api/2/keys": {"page", "size", "owner"},
            "POST /api/2/keys": set(),
            "GET /api/2/keys/{key_id}": {"key_id"},
            "DELETE /api/2/keys/{key_id}": {"key_id"},
            "GET /api/2/audits": {"since"},
        },
    )


def test_fastapi_src_layout_runs_with_src_on_the_import_path() -> None:
    # src/ is no package: the package depot/ inside it imports itself as depot.x, so the server imports the
    # app as depot.main from src/ (not src.depot.main, whose imports would fail).
    result = _analyze("python-fastapi-src-layout")
    assert result.profile.start_command == (
        "uvicorn", "--app-dir", "src", "depot.main:app", "--host", "0.0.0.0", "--port", "8000"
    )  # fmt: skip
    assert result.profile.entrypoint == "src/depot/main.py"
    _check(result, {"GET /items/{item_id}": {"item_id", "verbose"}})


def test_fastapi_routes_of_the_started_app_only() -> None:
    # The app is made in an if/else and passed to configure_routes(app) in another module, which includes
    # the routers: they belong to that app (not to an implicit one). A second FastAPI app in the upload
    # (a side service) is not what notes/main.py starts: its route is left out, with a warning naming it.
    result = _analyze("python-fastapi-side-app")
    assert result.profile.entrypoint == "notes/main.py"
    _check(result, {"GET /api/notes": {"q"}, "DELETE /api/notes/{note_id}": {"note_id"}})
    assert [w for w in result.warnings if "collector" in w] == [
        "collector/collector.py:4: app app is not the one notes/main.py starts, nor mounted in it; "
        "its routes are left out"
    ]
    # A router built by a library is named, not dropped silently.
    assert (
        "notes/configure.py:9: included router \"health_router(checks=['db'])\" is not defined in the "
        "project; its routes are left out" in result.warnings
    )


def test_flask_port_from_the_gunicorn_config_the_dockerfile_runs() -> None:
    # The Dockerfile starts gunicorn -c deploy/gunicorn.py, whose bind decides the port the container
    # listens on; app.run(port=5000) under __main__ is the development server.
    result = _analyze("python-flask-gunicorn-config")
    assert result.profile.port == 8081
    assert result.profile.evidence["port"][0].file == "deploy/gunicorn.py"
    _check(result, {"GET /ping": set()})


def test_flask_flat_modules_in_src_and_blueprints_from_a_package_namespace() -> None:
    # src/ holds flat modules importing each other by bare name (import config): the server runs with src/
    # on the import path. Blueprints are registered by iterating vars(routes).values() under a prefix from
    # an os.getenv default; an Api used without a name (Api(BP).add_resource(...)); the port is the
    # getenv default behind config.PORT given to server.run.
    result = _analyze("python-flask-flat-src")
    assert result.profile.port == 3100
    assert result.profile.start_command == (
        "gunicorn", "--pythonpath", "src", "--bind", "0.0.0.0:3100", "server:server"
    )  # fmt: skip
    _check(result, {"GET /shelf/books/{isbn}": {"isbn"}, "DELETE /shelf/books/{isbn}": {"isbn"}})


def test_an_app_its_entry_module_makes_with_a_factory_is_served() -> None:
    result = _analyze("python-fastapi-factory-call")
    _check(result, {"GET /notes": set(), "GET /notes/{note_id}": {"note_id"}})
    profile = result.profile
    # svc/main.py's `app = create_app()`, not the worker's own app in svc/tasks/worker.py.
    assert profile.start_command[:2] == ("uvicorn", "svc.main:app")
    assert profile.evidence["start_command"][0].file == "svc/main.py"
    assert profile.evidence["start_command"][0].note == "app = create_app()"
    # The .python-version pin (3.99) is kept with requires-python beside it for the image to fall back on.
    assert (profile.language_version, profile.language_range) == ("3.99", ">=3.12")


def test_python_3_12_type_syntax_is_read_on_older_pythons() -> None:
    from justpush.analysis.python._index import _parse

    source = (
        "type Pair[T] = tuple[T, T]\n"
        "class Box[T: (int, str)](Base):\n"
        "    pass\n"
        "async def first[K, V: dict[str, int]](items: list[K]) -> V: ...\n"
    )
    tree = _parse(source, "types.py")
    alias, box, first = tree.body
    # An assignment where Python is older than 3.12, the native ast.TypeAlias from 3.12 on.
    assert alias.lineno == 1 and "Pair" in ast.unparse(alias)
    assert isinstance(box, ast.ClassDef) and (box.name, box.lineno, ast.unparse(box.bases[0])) == (
        "Box",
        2,
        "Base",
    )
    assert isinstance(first, ast.AsyncFunctionDef) and (first.name, first.lineno) == ("first", 4)
    assert ast.unparse(first.args) == "items: list[K]"


def test_flask_route_decorator_of_the_project_and_apps_mounted_by_werkzeug_dispatcher(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask>=3\n")
    (tmp_path / "helpers.py").write_text(
        "from functools import wraps\nfrom flask import jsonify\n\n"
        "def route(bp, *args, **kwargs):\n    kwargs.setdefault('strict_slashes', False)\n\n"
        "    def decorator(f):\n        @bp.route(*args, **kwargs)\n        @wraps(f)\n"
        "        def wrapper(*a, **kw):\n            return jsonify(data=f(*a, **kw))\n"
        "        return f\n    return decorator\n"
    )
    (tmp_path / "items.py").write_text(
        "from flask import Blueprint\nfrom helpers import route\n\n"
        "bp = Blueprint('items', __name__, url_prefix='/items')\n\n"
        "@route(bp, '/')\ndef list_items():\n    return []\n\n"
        "@route(bp, '/<item_id>', methods=['GET', 'DELETE'])\ndef item(item_id):\n    return None\n"
    )
    (tmp_path / "wsgi.py").write_text(
        "from flask import Flask\nfrom werkzeug.middleware.dispatcher import DispatcherMiddleware\n"
        "from items import bp\n\nfront = Flask('front')\napi = Flask('api')\n"
        "api.register_blueprint(bp)\n\n@front.route('/')\ndef index():\n    return 'home'\n\n"
        "application = DispatcherMiddleware(front, {'/api': api})\n"
    )
    _check(
        analyze(tmp_path),
        {
            "GET /": set(),
            "GET /api/items/": set(),
            "GET /api/items/{item_id}": {"item_id"},
            "DELETE /api/items/{item_id}": {"item_id"},
        },
    )


def test_a_drf_viewset_registered_at_the_routers_root_under_an_include(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "Django>=4.2\ndjangorestframework\n",
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n",
        "config/__init__.py": "",
        "config/settings.py": "ROOT_URLCONF = 'config.urls'\nINSTALLED_APPS = ['rest_framework', 'todos']\n",
        "config/urls.py": (
            "from django.urls import include, path\n\n"
            "urlpatterns = [path('apis/v1/', include('todos.urls'))]\n"
        ),
        "todos/__init__.py": "",
        "todos/views.py": (
            "from rest_framework import viewsets\n\n\nclass TodoViewSet(viewsets.ViewSet):\n"
            "    def list(self, request):\n        return None\n\n"
            "    def retrieve(self, request, pk=None):\n        return None\n"
        ),
        "todos/urls.py": (
            "from rest_framework.routers import DefaultRouter\nfrom .views import TodoViewSet\n\n"
            "router = DefaultRouter()\nrouter.register('', TodoViewSet, basename='todos')\n"
            "urlpatterns = router.urls\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _check(analyze(tmp_path), {"GET /apis/v1/": set(), "GET /apis/v1/{pk}/": {"pk"}})


def test_django_generic_edit_views_plain_views_and_list_pages() -> None:
    result = analyze(APPS / "python-django-generic-views")
    assert validation_error(result.spec) is None
    operations = _check(
        result,
        {
            **{f"{m} /shop/": set() for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
            "GET /shop/items/": {"page"},
            "GET /shop/items/create/": set(),
            "POST /shop/items/create/": set(),
            "PUT /shop/items/create/": set(),
            "GET /shop/items/{pk}/update/": {"pk"},
            "POST /shop/items/{pk}/update/": {"pk"},
            "PUT /shop/items/{pk}/update/": {"pk"},
            "GET /shop/items/{pk}/delete/": {"pk"},
            "POST /shop/items/{pk}/delete/": {"pk"},
            "DELETE /shop/items/{pk}/delete/": {"pk"},
            "GET /shop/search/": set(),
            "POST /shop/search/": set(),
        },
    )
    assert "method" in operations["GET /shop/"]["x-justpush-unresolved"]


def test_a_fastapi_class_dependency_on_a_model_reads_its_fields_from_the_query(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    (tmp_path / "main.py").write_text(
        "from typing import Optional\nfrom fastapi import Depends, FastAPI\n"
        "from pydantic import BaseModel\n\napp = FastAPI()\n\n\n"
        "class Paging(BaseModel):\n    page: Optional[int] = None\n    size: int = 20\n\n\n"
        "class FindPost(Paging):\n    title: str\n\n\n"
        "@app.get('/posts/{author}')\ndef posts(author: str, query: FindPost = Depends()):\n    return []\n"
    )
    operations = _check(analyze(tmp_path), {"GET /posts/{author}": {"author", "page", "size", "title"}})
    required = {p["name"] for p in operations["GET /posts/{author}"]["parameters"] if p.get("required")}
    assert required == {"author", "title"}


def test_a_fastapi_app_built_in_a_class_constructor(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "items.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/items')\n\n\n"
        "@router.get('')\ndef list_items(page: int = 1):\n    return []\n"
    )
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import FastAPI\nfrom app.items import router as items_router\n\n\n"
        "class AppCreator:\n    def __init__(self):\n        self.app = FastAPI()\n"
        "        self.cache = self.cache_from(self.app)\n\n"
        "        @self.app.get('/')\n        def root():\n            return 'ok'\n\n"
        "        self.app.include_router(items_router, prefix='/api/v1')\n\n"
        "    def cache_from(self, app):\n        return app\n\n\n"
        "app_creator = AppCreator()\napp = app_creator.app\n"
    )
    _check(analyze(tmp_path), {"GET /": set(), "GET /api/v1/items": {"page"}})


def _files(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


def test_django_url_patterns_with_route_and_view_given_by_keyword(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "requirements.txt": "django\n",
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n",
            "shop/__init__.py": "",
            "shop/settings.py": "ROOT_URLCONF = 'shop.urls'\nINSTALLED_APPS = ['stock']\n",
            "shop/urls.py": (
                "from django.urls import include, path\n\n"
                "urlpatterns = [path(route='api/', view=include('stock.urls'))]\n"
            ),
            "stock/__init__.py": "",
            "stock/views.py": (
                "from django.http import JsonResponse\n\n\n"
                "def crates(request):\n    if request.method == 'GET':\n"
                "        return JsonResponse([], safe=False)\n    return JsonResponse({}, status=201)\n\n\n"
                "def crate(request, crate_id):\n    return JsonResponse({})\n"
            ),
            "stock/urls.py": (
                "from django.urls import path\nfrom . import views\n\n"
                "urlpatterns = [\n    path(route='crates', view=views.crates, name='crates'),\n"
                "    path('crates/<int:crate_id>', view=views.crate),\n]\n"
            ),
        },
    )
    operations = _operations(analyze(tmp_path))
    assert "GET /api/crates" in operations
    assert _params(operations["GET /api/crates/{crate_id}"]) == {"crate_id"}


def test_a_factory_calling_the_factory_it_imports_under_its_own_name(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "requirements.txt": "fastapi\ndjango\n",
            "syncd/__init__.py": "",
            "syncd/settings.py": "ROOT_URLCONF = 'syncd.urls'\nINSTALLED_APPS = []\n",
            "syncd/urls.py": "urlpatterns = []\n",
            "syncd/api/__init__.py": "",
            "syncd/api/main.py": (
                "from fastapi import FastAPI\nfrom .routes import box_router\n\n\n"
                "def create_application(prefix=''):\n    app = FastAPI()\n    base = f'{prefix}/api/v1'\n"
                "    app.include_router(box_router, prefix=f'{base}/box')\n    return app\n"
            ),
            "syncd/api/routes.py": (
                "from fastapi import APIRouter\n\nbox_router = APIRouter()\n\n\n"
                "@box_router.get('/{box_uid}/')\ndef get_box(box_uid: str, limit: int = 20):\n    return {}\n"
            ),
            "syncd/asgi.py": (
                "from django.core.asgi import get_asgi_application\n\n"
                "django_application = get_asgi_application()\n\n\n"
                "def create_application():\n    from syncd.api.main import create_application\n\n"
                "    app = create_application()\n    app.mount('/', django_application)\n    return app\n\n\n"
                "application = create_application()\n"
            ),
        },
    )
    result = analyze(tmp_path)
    assert result.profile.framework == "fastapi"
    _check(result, {"GET /api/v1/box/{box_uid}/": {"box_uid", "limit"}})


def test_flask_query_arguments_read_through_an_alias_a_copy_or_membership(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "requirements.txt": "flask\n",
            "app.py": (
                "from flask import Flask, request\n\napp = Flask(__name__)\n\n\n"
                "@app.route('/drip')\ndef drip():\n    args = CaseInsensitiveDict(request.args.items())\n"
                "    copy = args\n    return str(copy.get('duration', 2)) + str(args['delay'])\n\n\n"
                "@app.route('/flags')\ndef flags():\n    opts = request.args.to_dict()\n"
                "    verbose = 'verbose' in request.args\n"
                "    return str(opts.get('mode')) + str(verbose)\n\n\n"
                "@app.route('/store', methods=['POST'])\ndef store():\n    data = dict(request.form)\n"
                "    data['seen'] = True\n    return 'ok'\n"
            ),
        },
    )
    _check(
        analyze(tmp_path),
        {"GET /drip": {"duration", "delay"}, "GET /flags": {"mode", "verbose"}, "POST /store": set()},
    )


def test_drf_list_views_take_the_filters_of_their_filterset_class(tmp_path: Path) -> None:
    _files(
        tmp_path,
        {
            "requirements.txt": "Django>=4.2\ndjangorestframework>=3.14\ndjango-filter>=23\n",
            "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_.settings')\n",
            "site_/__init__.py": "",
            "site_/settings.py": "ROOT_URLCONF = 'site_.urls'\nINSTALLED_APPS = ['rest_framework', 'lib']\n",
            "site_/urls.py": (
                "from django.urls import include, path\n\nurlpatterns = [path('api/', include('lib.urls'))]\n"
            ),
            "lib/__init__.py": "",
            "lib/filters.py": (
                "from django_filters.rest_framework import BooleanFilter, CharFilter, FilterSet\n\n\n"
                "class BaseFilter(FilterSet):\n    q = CharFilter(method='search')\n\n\n"
                "class BookFilter(BaseFilter):\n    borrowed = BooleanFilter(field_name='loans')\n\n"
                "    class Meta:\n        fields = {'year': ['exact', 'gte'], 'shelf': ['exact']}\n"
            ),
            "lib/views.py": (
                "from rest_framework import generics\nfrom .filters import BookFilter\n\n\n"
                "class BookList(generics.ListAPIView):\n    filterset_class = BookFilter\n"
            ),
            "lib/urls.py": (
                "from django.urls import path\nfrom .views import BookList\n\n"
                "urlpatterns = [path('books/', BookList.as_view())]\n"
            ),
        },
    )
    operations = _operations(analyze(tmp_path))
    assert _params(operations["GET /api/books/"]) >= {"borrowed", "q", "year", "year__gte", "shelf"}
