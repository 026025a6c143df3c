"""Go patterns of real code, one small fixture app each (tests/fixtures/apps/go-<pattern>), with
hand-written expected endpoints and parameters."""

from __future__ import annotations

from pathlib import Path

from justpush.analysis import ExtractedApi, ProjectProfile, detect
from justpush.analysis import go as _go
from tests.unit.analysis.lang.expectations import FIXTURES


def _extract(name: str) -> tuple[ExtractedApi, ProjectProfile]:
    root = FIXTURES / name
    profile = detect(root)
    app = root / profile.app_dir if profile.app_dir != "." else root
    return _go.extract(app, profile), profile


def _endpoints(api: ExtractedApi) -> dict[str, list[str]]:
    """ "METHOD /path" -> sorted "<in> <name>" of its parameters."""
    return {
        f"{op.method.upper()} {op.path}": sorted(f"{p.location} {p.name}" for p in op.parameters)
        for op in api.operations
    }


def test_same_named_functions_across_packages_routers_from_struct_methods_and_named_route_funcs() -> None:
    api, _ = _extract("go-chi-resources")
    assert _endpoints(api) == {
        "GET /admin/books": ["query limit", "query offset", "query order"],
        "DELETE /admin/books/{bookID}": ["path bookID"],
        "GET /healthz": [],
        "GET /reviews": ["query stars"],
        "POST /reviews": [],
        "GET /shop/catalog": ["query author", "query title"],
        "GET /shop/catalog/{isbn}": ["path isbn"],
    }
    assert api.warnings == []


def test_paths_from_helpers_with_arguments_and_closures_their_factories_return() -> None:
    api, _ = _extract("go-chi-path-builders")
    assert _endpoints(api) == {
        "GET /admin/health": [],
        "GET /api/v0/books": ["query author"],
        "GET /api/v1/books": ["query author"],
        "GET /api/v1/books/{id}": ["path id"],
        "GET /api/v2/books": ["query author"],
    }
    assert api.warnings == [
        "main.go:35: route path 's.base+\"/info\"' starts with 's.base', known only at run time;"
        " route skipped"
    ]


def test_profiler_runtime_variables_and_melody_websockets_are_no_operations() -> None:
    api, _ = _extract("go-chi-operator-endpoints")
    assert _endpoints(api) == {"GET /api/health": []}


def test_groups_nested_across_packages_with_constant_prefixes_and_query_helpers() -> None:
    api, _ = _extract("go-gin-modular")
    endpoints = _endpoints(api)
    assert {k: v for k, v in endpoints.items() if k.startswith(("GET /api", "POST /api"))} == {
        "GET /api/v1/users": ["query page", "query sort"],
        "GET /api/v1/users/{id}": ["path id"],
        "GET /api/v1/orders/v2": ["query since", "query status"],
        "POST /api/v1/orders/v2": [],
    }
    assert "GET /public/version" in endpoints
    # orders.Routes shares its name with users.Routes but is never called: not under /api/v1.
    never = next(op for op in api.operations if op.path == "/never")
    assert "path" in never.unresolved
    # A prefix only known at run time is assumed empty, and the routes below it say so.
    status = next(op for op in api.operations if op.path == "/status")
    assert "config.Flags.OpsPrefix" in status.unresolved["path"]
    assert any(w.startswith("main.go:22:") and "config.Flags.OpsPrefix" in w for w in api.warnings)
    # Tests, testdata and vendored code never produce routes.
    assert not {"/test-only", "/x/", "/from-testdata", "/from-vendor"} & {op.path for op in api.operations}


def test_handler_struct_method_registers_on_a_group_of_a_constructed_router() -> None:
    api, _ = _extract("go-echo-handlers")
    assert _endpoints(api) == {
        "GET /api/notes": ["query tag"],
        "POST /api/notes": [],
        "GET /api/notes/{id}": ["path id"],
        "GET /api/tags": ["query limit", "query prefix", "query sort"],
    }
    secured = {f"{op.method.upper()} {op.path}" for op in api.operations if op.security}
    assert secured == {"GET /api/notes", "POST /api/notes", "GET /api/notes/{id}"}
    assert api.warnings == []


def test_route_wrappers_router_in_a_struct_field_and_chained_routes_without_go_mod() -> None:
    api, profile = _extract("go-gorilla-wrappers")
    assert profile.framework == "gorilla-mux"
    assert _endpoints(api) == {
        "GET /projects": ["query owner"],
        "POST /projects": [],
        "DELETE /projects/{title}": ["path title"],
        "GET /projects/{title}/tasks/{id}": ["path id", "path title", "query verbose"],
        "PUT /projects/{title}/archive": ["path title"],
        "DELETE /projects/{title}/archive": ["path title"],
    }
    assert api.warnings == []


def test_monorepo_api_folder_and_registration_through_an_interface() -> None:
    api, profile = _extract("go-monorepo")
    assert (profile.app_dir, profile.framework) == ("server", "gorilla-mux")
    assert _endpoints(api) == {
        "GET /api/v2/boards": ["query team"],
        "GET /api/v2/boards/{boardID}": ["path boardID", "query fields"],
    }
    assert {op.evidence.file for op in api.operations if op.evidence} == {"server/api/api.go"}


def test_go_122_patterns_any_method_static_trees_websockets_and_run_time_paths() -> None:
    api, _ = _extract("go-nethttp-patterns")
    endpoints = _endpoints(api)
    assert endpoints == {
        "GET /": [],
        "GET /api/pages/{page}/content": ["path page"],
        "POST /api/widgets/{widget}/{path}": ["path path", "path widget"],
        **{f"{m} /api/echo": [] for m in ("GET", "PUT", "POST", "DELETE", "PATCH")},
        "GET /static/{buildHash}/app.css": ["path buildHash"],
        # promhttp's handler checks no method: it answers them all
        **{f"{m} /metrics": [] for m in ("GET", "PUT", "POST", "DELETE", "PATCH")},
    }
    metrics = next(op for op in api.operations if op.path == "/metrics")
    assert "library's handler: any method is assumed" in metrics.unresolved["method"]
    css = next(op for op in api.operations if op.path.endswith("app.css"))
    assert "BUILD_HASH" in css.unresolved["path"]
    assert api.warnings == [
        "main.go:24: route path 'fmt.Sprintf(\"GET /static/%s/app.css\", buildHash)' is partly unknown"
        ' (os.Getenv("BUILD_HASH"))'
    ]
    echo = next(op for op in api.operations if op.path == "/api/echo")
    assert "method" in echo.unresolved


def test_route_table_unrolled_by_a_range_loop() -> None:
    api, _ = _extract("go-gorilla-route-table")
    assert _endpoints(api) == {
        "GET /v2": [],
        "POST /v2/pet": [],
        "GET /v2/pet/{petId}": ["path petId"],
        "GET /v2/pet/findByStatus": ["query status"],
    }
    add_pet = next(op for op in api.operations if op.method == "post")
    assert add_pet.responses == {"201": None}
    assert api.warnings == []


def test_generated_server_layout_route_maps_returned_by_controllers_behind_an_interface() -> None:
    api, _ = _extract("go-openapi-server")
    assert _endpoints(api) == {
        "POST /v3/store/order": [],
        "GET /v3/store/order/{orderId}": ["path orderId", "query expand"],
        "GET /v3/user/login": ["query password", "query username"],
    }
    assert api.warnings == []


def test_generated_echo_server_own_router_interface_and_base_url_parameter() -> None:
    api, _ = _extract("go-echo-generated")
    assert _endpoints(api) == {
        "GET /v1/pets": ["query limit", "query tags"],
        "POST /v1/pets": [],
        "DELETE /v1/pets/{id}": ["path id"],
    }
    assert api.warnings == []


def test_gin_chained_groups_match_query_binding_docs_websockets_and_other_programs() -> None:
    api, profile = _extract("go-gin-plugin-host")
    # `/swagger` (a docs package), `/stream` (a websocket upgraded from gin's c.Writer), `/assets/*` (a
    # file server in a variable, adapted by gin.WrapH) and the example program's `/hello` are not the
    # server's operations; gin's Bind of a POST reads the body; helpers read the parameter they are named.
    assert _endpoints(api) == {
        "GET /health": [],
        "HEAD /health": [],
        "GET /version": [],
        "POST /note": [],
        "GET /note": ["query limit", "query since"],
        "DELETE /note": ["query dry_run", "query id"],
    }
    assert any(w.startswith("examples/hello: package main of another program") for w in api.warnings)
    env = {var.name: var.required for var in _go.scan_env(FIXTURES / "go-gin-plugin-host", profile)}
    # Only read, or tested for emptiness to stop the program: required. Otherwise compared with a
    # string, the read itself or the variable holding it: optional.
    # A helper reading `os.Getenv(envPrefix + name)` names the prefixed variable; a fallback for a value
    # given another way (`if o.X == "" { o.X = read }`) or given a computed fallback is optional.
    assert env == {
        "NOTIFY_ADMIN_TOKEN": True,
        "NOTIFY_SIGNING_KEY": True,
        "NOTIFY_REGION": True,
        "NOTIFY_ADMIN_USER": False,
        "NOTIFY_CONFIG_FILE": False,
        "NOTIFY_DEBUG": False,
        "NOTIFY_UPSTREAM_URL": False,
        "NOTIFY_VERBOSE": False,
        "NOTIFY_CACHE_DIR": False,
    }


def test_gorilla_prefix_routes_are_catch_alls_and_handlers_in_package_variables_are_read() -> None:
    api, _ = _extract("go-gorilla-prefix-handlers")
    endpoints = _endpoints(api)
    # `signup` (a package variable) checks no method: every method; `/api/console` upgrades to a websocket;
    # `/static` serves the files of a named result a constructor assigns.
    assert endpoints == {
        **{f"{m} /api/signup": [] for m in ("GET", "POST", "PUT", "DELETE", "PATCH")},
        "GET /api/files/{path}": ["path path", "query checksum"],
        "DELETE /api/files/{path}": ["path path"],
        "GET /api/thumbs/{size}/{path}": ["path path", "path size", "query checksum"],
    }
    files = next(op for op in api.operations if op.path == "/api/files/{path}")
    assert "remaining path" in files.unresolved["path"]


def test_a_jwt_middleware_library_behind_a_factory_is_bearer_auth() -> None:
    api, _ = _extract("go-fiber-jwt-routes")
    security = {f"{op.method.upper()} {op.path}": op.security for op in api.operations}
    assert security == {
        "GET /api/v1/books": None,
        "POST /api/v1/books": [{"BearerAuth": []}],
        "DELETE /api/v1/books": [{"BearerAuth": []}],
    }
    assert api.security_schemes == {"BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


def test_route_functions_appended_to_a_package_slice_and_called_in_a_loop() -> None:
    api, _ = _extract("go-gin-route-registry")
    assert _endpoints(api) == {
        "GET /api/v1/users": [],
        "GET /api/v1/users/{id}": ["path id"],
        "POST /api/v1/jobs/{id}/start": ["path id"],
        "GET /api/v1/health": [],
    }
    assert api.warnings == []


def test_handlers_answering_http_unless_upgraded_stay_and_literals_serving_a_local_file_server_go() -> None:
    api, _ = _extract("go-chi-streams")
    # `/events` only upgrades; `/ui/*` delegates to the enclosing function's file server.
    assert _endpoints(api) == {"GET /logs": ["query level"]}
    # A listener on port 0 (any free port) is not the server's port.
    found = _go.find_port(FIXTURES / "go-chi-streams", detect(FIXTURES / "go-chi-streams"))
    assert found is not None and found[0] == 9090


def test_routes_of_another_program_are_listed_when_the_entrypoint_registers_none() -> None:
    api, profile = _extract("go-tool-at-root")
    assert profile.entrypoint == "main.go"
    assert _endpoints(api) == {"GET /quotes": ["query author"]}
    assert any(
        w.startswith("main.go: its program registers no routes") and "cmd/api" in w for w in api.warnings
    )


def test_grpc_gateway_routes_of_registered_services_come_from_the_proto_http_options() -> None:
    api, _ = _extract("go-grpc-gateway")
    # `{name=shelves/*/books/*}` keeps its literal segments; a block comment is not read.
    assert _endpoints(api) == {
        "GET /v1/shelves/{name}/books/{name_2}": ["path name", "path name_2"],
        "GET /v1/shelves/{shelf}/books": ["path shelf", "query page_size", "query page_token"],
        "POST /v1/shelves/{shelf}/books": ["path shelf", "query request_id"],
        "DELETE /v1/books/{id}": ["path id"],
        "DELETE /v2/books/{id}": ["path id"],
    }
    get_book = next(op for op in api.operations if op.path == "/v1/shelves/{name}/books/{name_2}")
    assert (get_book.evidence.file, get_book.evidence.line) == ("proto/shelf.proto", 38)
    assert api.warnings == []


def test_echo_routes_named_by_assignment_a_flags_default_and_no_test_servers() -> None:
    api, _ = _extract("go-echo-named-routes")
    assert _endpoints(api) == {
        "GET /health": [],
        "GET /api/items": [],
        "GET /api/items/{id}": ["path id"],
        "POST /api/items": [],
    }


def test_handler_values_serving_http_and_a_mux_returned_under_a_middleware() -> None:
    api, _ = _extract("go-nethttp-handler-values")
    fever = ["query groups"]
    assert _endpoints(api) == {
        **{f"{m} /fever": fever for m in ("GET", "PUT", "POST", "DELETE", "PATCH")},
        "GET /v1/me": [],
    }


def test_the_handler_a_wrapper_is_given_before_its_middlewares_and_a_chained_subrouter() -> None:
    api, _ = _extract("go-gorilla-use-wrapper")
    assert _endpoints(api) == {"GET /v1/login": ["query next"], "POST /v1/login": ["query next"]}
    assert api.warnings == []


def test_a_route_table_field_filled_from_the_routes_of_plug_in_modules() -> None:
    api, _ = _extract("go-echo-route-table-field")
    assert _endpoints(api) == {"POST /forms/convert": [], "POST /forms/merge": []}
    assert api.warnings == []


def test_paths_from_config_struct_fields_take_viper_defaults_and_tag_defaults() -> None:
    api, profile = _extract("go-gin-config-paths")
    assert _endpoints(api) == {
        "POST /api/push": ["query topic"],
        "GET /api/status": [],
        "GET /healthz": [],
        "GET /admin/stats": [],
    }
    assert api.warnings == []
    assert profile.port == 8088


def test_file_servers_and_redirects_registered_through_their_serve_http_method(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module example.com/books\n\ngo 1.22\n\nrequire github.com/go-chi/chi/v5 v5.0.12\n"
    )
    (tmp_path / "main.go").write_text(
        'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/go-chi/chi/v5"\n)\n\n'
        'func listBooks(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }\n\n'
        'func main() {\n\tr := chi.NewRouter()\n\tr.Get("/books", listBooks)\n'
        '\tassets := http.FileServer(http.Dir("./public"))\n'
        '\tr.Get("/assets/*", assets.ServeHTTP)\n'
        '\tr.Get("/docs", http.RedirectHandler("docs/", http.StatusMovedPermanently).ServeHTTP)\n'
        '\thttp.ListenAndServe(":8080", r)\n}\n'
    )
    api = _go.extract(tmp_path, detect(tmp_path))
    assert _endpoints(api) == {"GET /books": []}


def test_query_structs_bound_by_echos_binder_with_embedded_fields_or_by_a_helper(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module example.com/notes\n\ngo 1.22\n\nrequire github.com/labstack/echo/v4 v4.12.0\n"
    )
    (tmp_path / "bind").mkdir()
    (tmp_path / "bind" / "bind.go").write_text(
        'package bind\n\nimport "github.com/labstack/echo/v4"\n\n'
        "// Query fills dst from the query string.\n"
        "func Query(c echo.Context, dst interface{}) error {\n"
        "\treturn (&echo.DefaultBinder{}).BindQueryParams(c, dst)\n}\n"
    )
    (tmp_path / "main.go").write_text(
        'package main\n\nimport (\n\t"net/http"\n\n\t"github.com/labstack/echo/v4"\n\n'
        '\t"example.com/notes/bind"\n)\n\n'
        'type Paging struct {\n\tPage int `query:"page"`\n\tSize int `query:"size"`\n}\n\n'
        'type NoteFilter struct {\n\tPaging\n\tFolder string `query:"folder"`\n}\n\n'
        'type TagFilter struct {\n\tPrefix string `query:"prefix"`\n}\n\n'
        "func notes(c echo.Context) error {\n\tvar f NoteFilter\n"
        "\tif err := (&echo.DefaultBinder{}).BindQueryParams(c, &f); err != nil {\n\t\treturn err\n\t}\n"
        "\treturn c.JSON(http.StatusOK, f)\n}\n\n"
        "func tags(c echo.Context) error {\n\tvar f TagFilter\n"
        "\tif err := bind.Query(c, &f); err != nil {\n\t\treturn err\n\t}\n"
        "\treturn c.JSON(http.StatusOK, f)\n}\n\n"
        'func main() {\n\te := echo.New()\n\te.GET("/notes", notes)\n\te.GET("/tags", tags)\n'
        '\te.Logger.Fatal(e.Start(":8080"))\n}\n'
    )
    api = _go.extract(tmp_path, detect(tmp_path))
    assert _endpoints(api) == {
        "GET /notes": ["query folder", "query page", "query size"],
        "GET /tags": ["query prefix"],
    }


def test_fiber_optional_path_parameters_also_answer_without_the_segment(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module example.com/shelf\n\ngo 1.22\n\nrequire github.com/gofiber/fiber/v2 v2.52.0\n"
    )
    (tmp_path / "main.go").write_text(
        'package main\n\nimport "github.com/gofiber/fiber/v2"\n\n'
        'func main() {\n\tapp := fiber.New()\n\tapi := app.Group("/api")\n'
        '\tapi.Get("/reports/:year/:month?", func(c *fiber.Ctx) error { return c.JSON(c.Params("year")) })\n'
        '\tapp.Listen(":3000")\n}\n'
    )
    assert _endpoints(_go.extract(tmp_path, detect(tmp_path))) == {
        "GET /api/reports/{year}/{month}": ["path month", "path year"],
        "GET /api/reports/{year}": ["path year"],
    }
