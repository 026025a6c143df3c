"""Java patterns from real repositories, each on a small fixture app with hand-written expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from justpush.analysis import Operation, ProjectProfile
from justpush.analysis import java as _java
from justpush.analysis.java import _spring
from tests.unit.analysis.lang.expectations import FIXTURES

PROFILE = ProjectProfile(language="java")


def _ops(name: str) -> tuple[dict[str, Operation], list[str]]:
    api = _java.extract(FIXTURES / name, PROFILE)
    return {f"{op.method.upper()} {op.path}": op for op in api.operations}, api.warnings


def _params(op: Operation) -> set[str]:
    return {f"{p.location} {p.name}{'!' if p.required else ''}" for p in op.parameters}


def test_context_path_profiles_and_placeholders_from_application_config() -> None:
    ops, warnings = _ops("java-spring-config")
    # context-path ${CONTEXT_PATH:/shop}; the active profile (prod) file sets api.prefix.
    assert {k for k in ops if "orders" in k} == {
        "GET /shop/api/v2/orders",
        "POST /shop/api/v2/orders",
        "GET /shop/api/v2/orders/{orderId}",
    }
    assert _params(ops["GET /shop/api/v2/orders"]) == {"query status"}
    assert all(not op.unresolved for k, op in ops.items() if "orders" in k)
    # A placeholder no config file sets: the known part stays, marked unresolved, with a warning.
    daily = ops["GET /shop/reports/daily"]
    assert "reports.base" in daily.unresolved["path"]
    assert any("ReportController.java:6" in w and "reports.base" in w for w in warnings)


def test_constants_of_other_classes_static_imports_and_nested_classes() -> None:
    ops, warnings = _ops("java-spring-constants")
    assert set(ops) == {
        "GET /api/users/{id}",
        "DELETE /api/users/{id}/sessions",
        "GET /api/items",
        "POST /api/admin/reindex",
        "GET /api/admin",
    }
    assert _params(ops["GET /api/users/{id}"]) == {"path id!"}
    assert _params(ops["GET /api/items"]) == {"query q"}
    # System.getProperty(...) is no compile-time constant: kept, marked and warned about, never dropped.
    stats = ops["GET /api/admin"]
    assert "PathFactory.STATS" in stats.unresolved["path"]
    assert warnings == [
        "src/main/java/com/example/paths/AdminController.java:11: mapping path "
        "PathFactory.STATS is not a compile-time constant"
    ]


def test_mappings_inherited_from_interfaces_and_base_classes_and_pageable() -> None:
    ops, warnings = _ops("java-spring-inherit")
    assert warnings == []
    assert set(ops) == {
        "GET /v1/pets",
        "GET /v1/pets/{petId}",
        "GET /owners",
        "GET /owners/{id}",
        "DELETE /owners/{id}",
    }
    assert _params(ops["GET /v1/pets"]) == {"query species", "query page", "query size", "query sort"}
    assert _params(ops["GET /v1/pets/{petId}"]) == {"path petId!"}
    # Unannotated simple types bind from the query string; HttpServletRequest does not.
    assert _params(ops["GET /owners"]) == {"query lastName", "query max!"}


def test_test_sources_never_produce_routes() -> None:
    ops, _ = _ops("java-spring-inherit")
    assert (FIXTURES / "java-spring-inherit/src/test/java/com/example/pets/TestOnlyController.java").is_file()
    assert not any("test-only" in key for key in ops)


def test_interfaces_generated_by_openapi_generator_come_from_the_spec() -> None:
    ops, warnings = _ops("java-spring-openapi-gen")
    assert warnings == []
    # useTags: StoresApi = tag "stores", OrderV2Api = tag "order-v2"; the "internal" tag is implemented by
    # no controller, so it is not served. The context path and the class mapping apply.
    assert set(ops) == {
        "GET /petstore/api/stores",
        "POST /petstore/api/stores",
        "GET /petstore/api/stores/{storeId}",
        "GET /petstore/orders",
    }
    assert _params(ops["GET /petstore/api/stores"]) == {"query city", "query limit"}
    assert _params(ops["GET /petstore/api/stores/{storeId}"]) == {"path storeId!"}
    assert ops["GET /petstore/orders"].parameters[0].schema == {"type": "string", "enum": ["open", "closed"]}


def test_generated_interface_without_a_spec_is_a_warning(tmp_path: Path) -> None:
    source = tmp_path / "src/main/java/a/PetController.java"
    source.parent.mkdir(parents=True)
    source.write_text("package a;\n@RestController\npublic class PetController implements PetsApi {}\n")
    api = _java.extract(tmp_path, PROFILE)
    assert api.operations == []
    assert any("PetController.java:2" in w and "PetsApi" in w for w in api.warnings)


def test_a_failing_framework_module_is_a_warning_and_the_others_still_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "Main.java"
    source.write_text(
        'class Main { void run(HttpServer s) { s.createContext("/health", x -> {}); } }\n'
        '@RestController class C { @GetMapping("/a") String a() { return ""; } }\n'
    )

    def broken(self: object, entrypoint: str | None = None) -> list[Operation]:
        raise ValueError("boom")

    monkeypatch.setattr(_spring.Spring, "run", broken)
    api = _java.extract(tmp_path, PROFILE)
    assert [op.path for op in api.operations] == ["/health"]
    assert "spring: route extraction failed (ValueError: boom)" in api.warnings


def test_mutually_recursive_constants_do_not_loop(tmp_path: Path) -> None:
    (tmp_path / "C.java").write_text(
        'class P { static final String A = Q.B + "/a"; }\nclass Q { static final String B = P.A; }\n'
        '@RestController @RequestMapping(P.A) class C { @GetMapping("/x") String x() { return ""; } }\n'
    )
    api = _java.extract(tmp_path, PROFILE)
    assert [op.path for op in api.operations] == ["/x"]
    assert api.operations[0].unresolved


def test_boot1_context_path_and_dispatcher_servlet_path(tmp_path: Path) -> None:
    resources = tmp_path / "src/main/resources"
    resources.mkdir(parents=True)
    (resources / "application.properties").write_text(
        "server.context-path=/legacy\nspring.mvc.servlet.path=/mvc/\n"
    )
    (tmp_path / "C.java").write_text(
        '@RestController class C { @GetMapping("/ping") String p() { return ""; } }\n'
    )
    assert [op.path for op in _java.extract(tmp_path, PROFILE).operations] == ["/legacy/mvc/ping"]


def test_a_context_path_placeholder_without_value_is_a_warning(tmp_path: Path) -> None:
    resources = tmp_path / "src/main/resources"
    resources.mkdir(parents=True)
    (resources / "application.yml").write_text("server:\n  servlet:\n    context-path: ${BASE_PATH}\n")
    (tmp_path / "C.java").write_text(
        '@RestController class C { @GetMapping("/ping") String p() { return ""; } }\n'
    )
    api = _java.extract(tmp_path, PROFILE)
    assert [op.path for op in api.operations] == ["/ping"]
    assert any("server.servlet.context-path" in w and "not applied" in w for w in api.warnings)


def test_cyclic_inheritance_is_guarded(tmp_path: Path) -> None:
    (tmp_path / "C.java").write_text(
        'interface A extends B { @GetMapping("/a") String a(); }\n'
        'interface B extends A { @GetMapping("/b") String b(); }\n'
        '@RestController @RequestMapping("/c") class C implements A { public String a() { return ""; } }\n'
    )
    api = _java.extract(tmp_path, PROFILE)
    assert sorted(op.path for op in api.operations) == ["/c/a", "/c/b"]


def test_uploaded_files_are_a_multipart_body_and_arrays_of_simple_types_are_query_parameters() -> None:
    ops, warnings = _ops("java-spring-uploads")
    upload = ops["POST /media/files"]
    assert _params(upload) == {"query folder!"}
    assert upload.request_content_type == "multipart/form-data"
    assert upload.request_body == {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }
    gallery = ops["POST /media/gallery"]
    assert gallery.parameters == ()
    assert gallery.request_body == {
        "type": "object",
        "properties": {"images": {"type": "array", "items": {"type": "string", "format": "binary"}}},
    }
    selection = ops["GET /media/selection"]
    assert _params(selection) == {"query ids", "query page"}
    assert next(p for p in selection.parameters if p.name == "ids").schema == {
        "type": "array",
        "items": {"type": "integer", "format": "int64"},
    }
    assert selection.request_body is None and selection.request_content_type == "application/json"
    assert warnings == []


def test_a_jwt_filter_added_to_the_security_chain_is_bearer_auth_outside_the_public_paths() -> None:
    api = _java.extract(FIXTURES / "java-spring-jwt-filter", PROFILE)
    assert api.security_schemes == {"BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    security = {f"{op.method.upper()} {op.path}": op.security for op in api.operations}
    assert security == {"POST /auth/login": [], "GET /notes": [], "POST /notes": [{"BearerAuth": []}]}


def test_model_attributes_enums_and_the_login_and_logout_spring_security_serves() -> None:
    ops, warnings = _ops("java-spring-form-login")
    assert set(ops) == {
        "GET /staff",
        "GET /staff/by-level",
        "GET /staff/search",
        "POST /auth/doLogin",
        "POST /logout",
    }
    # The model attribute's own and inherited scalar properties; not its object-valued `office`.
    filter_params = {"query name", "query departmentId", "query level", "query pageSize"}
    assert _params(ops["GET /staff"]) == {"query page", *filter_params}
    assert _params(ops["GET /staff/search"]) == filter_params
    assert _params(ops["GET /staff/by-level"]) == {"query level"}
    assert ops["POST /auth/doLogin"].evidence.line == 16
    assert warnings == [
        "src/main/resources/application-mysql.properties: profile 'mysql' is not active; its settings and"
        " the variables its placeholders read apply only with SPRING_PROFILES_ACTIVE=mysql"
    ]


def test_placeholders_of_inactive_profiles_and_of_other_properties_are_not_required_variables() -> None:
    env = {
        v.name: (v.required, v.default) for v in _java.scan_env(FIXTURES / "java-spring-form-login", PROFILE)
    }
    # `${region}` is another property (overridable by REGION); MYSQL_* belong to the inactive mysql profile.
    assert env == {"REGION": (False, "eu"), "AUDIT_URL": (True, None)}


def test_handlers_chosen_by_a_query_parameter_share_one_operation_with_all_their_parameters(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src" / "main" / "java" / "demo"
    source.mkdir(parents=True)
    (source / "PostController.java").write_text(
        "package demo;\nimport java.util.List;\nimport org.springframework.web.bind.annotation.*;\n"
        '@RestController\n@RequestMapping("/posts")\npublic class PostController {\n'
        "    @GetMapping\n    public List<String> all(@RequestParam(required = false) int page) {"
        " return List.of(); }\n"
        '    @GetMapping(params = "tag")\n    public List<String> byTag(@RequestParam String tag,'
        " @RequestParam int page) { return List.of(); }\n"
        '    @GetMapping(params = "author")\n    public List<String> byAuthor(@RequestParam String author)'
        " { return List.of(); }\n}\n"
    )
    api = _java.extract(tmp_path, PROFILE)
    (op,) = api.operations
    # Each handler's own parameter is optional for the operation: another handler answers without it.
    assert _params(op) == {"query page", "query tag", "query author"}


def test_the_projects_own_mapping_annotations_and_time_typed_query_properties() -> None:
    ops, _ = _ops("java-spring-composed-mappings")
    assert sorted(ops) == ["DELETE /auth/logout", "GET /auth/code", "GET /auth/sessions", "POST /auth/login"]
    assert _params(ops["GET /auth/code"]) == {"query size"}
    assert _params(ops["GET /auth/sessions"]) == {"query createTime", "query startsAfter"}
    assert _params(ops["POST /auth/login"]) == {"query user!"}


def test_request_parameters_read_from_the_servlet_request(tmp_path: Path) -> None:
    source = tmp_path / "src" / "main" / "java" / "demo"
    source.mkdir(parents=True)
    (source / "ArticleController.java").write_text(
        "package demo;\n\nimport jakarta.servlet.http.HttpServletRequest;\n"
        "import org.springframework.web.bind.annotation.*;\n\n"
        '@RestController\n@RequestMapping("/article")\nclass ArticleController {\n'
        '    private static final String TAG = "tag";\n\n'
        '    @GetMapping("/one")\n'
        "    public String one(@RequestParam String id, HttpServletRequest request) {\n"
        "        String[] tags = request.getParameterValues(TAG);\n"
        '        return request.getParameter("lang") + request.getParameter("id") + tags;\n    }\n}\n'
    )
    api = _java.extract(tmp_path, PROFILE)
    (operation,) = api.operations
    assert {(p.name, p.schema.get("type")) for p in operation.parameters} == {
        ("id", "string"),
        ("tag", "array"),
        ("lang", "string"),
    }


def test_other_spring_boot_applications_of_the_build_are_not_this_apps_routes(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(
        "<project><modules><module>admin</module><module>sample</module></modules></project>"
    )
    for module, path in (("admin", "/jobs"), ("sample", "/hook")):
        source = tmp_path / module / "src" / "main" / "java" / "demo" / module
        source.mkdir(parents=True)
        (tmp_path / module / "pom.xml").write_text("<project><artifactId>x</artifactId></project>")
        (source / "App.java").write_text(
            f"package demo.{module};\n\n@SpringBootApplication\npublic class App {{\n"
            "    public static void main(String[] args) { SpringApplication.run(App.class, args); }\n}\n"
        )
        (source / "Api.java").write_text(
            f"package demo.{module};\n\n@RestController\nclass Api {{\n"
            f'    @GetMapping("{path}") public String list() {{ return ""; }}\n}}\n'
        )
    profile = ProjectProfile(language="java", entrypoint="admin/src/main/java/demo/admin/App.java")
    api = _java.extract(tmp_path, profile)
    assert [f"{op.method.upper()} {op.path}" for op in api.operations] == ["GET /jobs"]
    assert any(
        "sample/src/main/java/demo/sample/App.java: another Spring Boot application" in w
        for w in api.warnings
    )


def _java_app(root: Path, files: dict[str, str]) -> set[str]:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return {f"{op.method.upper()} {op.path}" for op in _java.extract(root, PROFILE).operations}


_BOOKS = (
    'package shop.web;\n@RestController\n@RequestMapping("/books")\n'
    'public class Books {\n  @GetMapping("/{isbn}")\n'
    '  public String one(@PathVariable String isbn) { return ""; }\n}\n'
)
_HOME = (
    "package shop.pages;\n@Controller\npublic class Home {\n"
    '  @GetMapping("/home") public String home() { return "home"; }\n}\n'
)
_ADMIN = (
    "package shop.admin;\n@RestController\npublic class Admin {\n"
    '  @PostMapping("/reindex") public void reindex() { }\n}\n'
)


def test_path_prefixes_a_path_match_configurer_adds_to_the_controllers_its_predicates_select(
    tmp_path: Path,
) -> None:
    config = (
        "package shop;\n@Configuration\npublic class WebConfig implements WebMvcConfigurer {\n"
        '  static final String ADMIN = "/internal";\n'
        "  public void configurePathMatch(PathMatchConfigurer configurer) {\n"
        '    configurer.addPathPrefix(ADMIN, HandlerTypePredicate.forBasePackage("shop.admin"));\n'
        '    configurer.addPathPrefix("/api", HandlerTypePredicate.forAnnotation(RestController.class));\n'
        "  }\n}\n"
    )
    found = _java_app(
        tmp_path,
        {
            "pom.xml": "<project><artifactId>spring-boot-starter-web</artifactId></project>",
            "src/main/resources/application.properties": "server.servlet.context-path=/shop\n",
            "src/main/java/shop/WebConfig.java": config,
            "src/main/java/shop/web/Books.java": _BOOKS,
            "src/main/java/shop/pages/Home.java": _HOME,
            "src/main/java/shop/admin/Admin.java": _ADMIN,
        },
    )
    assert found == {"GET /shop/api/books/{isbn}", "GET /shop/home", "POST /shop/internal/reindex"}


def test_a_webflux_app_takes_its_base_path_and_ignores_the_servlet_context_path(tmp_path: Path) -> None:
    found = _java_app(
        tmp_path,
        {
            "pom.xml": "<project><artifactId>spring-boot-starter-webflux</artifactId></project>",
            "src/main/resources/application.yml": (
                "server:\n  servlet:\n    context-path: /ignored\nspring:\n  webflux:\n    base-path: /feed\n"
            ),
            "src/main/java/shop/web/Books.java": _BOOKS,
        },
    )
    assert found == {"GET /feed/books/{isbn}"}
