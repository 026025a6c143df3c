"""Detection from manifests and code for Python, Node.js, Java and Go; monorepos; overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import Evidence, ProjectProfile, apply_overrides, detect
from justpush.errors import AnalysisError


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_node_express_manifest(tmp_path: Path) -> None:
    package = {
        "name": "orders",
        "main": "src/server.js",
        "engines": {"node": ">=18.0.0"},
        "scripts": {"start": "node src/server.js", "build": "tsc"},
        "dependencies": {"express": "^4.19.0"},
    }
    write(tmp_path, {"package.json": json.dumps(package, indent=2), "yarn.lock": "", "src/server.js": "//\n"})
    profile = detect(tmp_path)
    assert profile.language == "node"
    assert profile.framework == "express"
    assert (profile.package_manager, profile.lockfile) == ("yarn", "yarn.lock")
    assert profile.language_version == ">=18.0.0"
    assert profile.entrypoint == "src/server.js"
    assert profile.start_command == ("yarn", "start")
    assert profile.build_command == ("yarn", "run", "build")
    assert profile.dependency_files == ("package.json", "yarn.lock")
    assert profile.name == "orders"
    assert profile.evidence["framework"][0].file == "package.json"
    assert profile.evidence["framework"][0].line == 12  # "express" under "dependencies"


@pytest.mark.parametrize(
    ("dependency", "framework"),
    [("@nestjs/core", "nestjs"), ("fastify", "fastify"), ("koa", "koa"), ("express", "express")],
)
def test_node_frameworks(tmp_path: Path, dependency: str, framework: str) -> None:
    package = {
        "dependencies": {dependency: "*", "reflect-metadata": "*"},
        "devDependencies": {"typescript": "5"},
    }
    write(tmp_path, {"package.json": json.dumps(package), "package-lock.json": "{}", "tsconfig.json": "{}"})
    profile = detect(tmp_path)
    assert profile.framework == framework
    assert profile.typescript is True
    assert profile.package_manager == "npm"


def test_the_typescript_package_alone_makes_no_typescript_build(tmp_path: Path) -> None:
    package = {"dependencies": {"express": "4", "typescript": "5"}, "scripts": {"start": "node server.js"}}
    write(tmp_path, {"package.json": json.dumps(package), "server.js": "require('express')().listen(3000)\n"})
    assert detect(tmp_path).typescript is False


def test_java_maven_spring_boot(tmp_path: Path) -> None:
    pom = """<project>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId></parent>
  <artifactId>inventory</artifactId>
  <properties>
    <java.version>17</java.version>
  </properties>
  <dependencies>
    <dependency><artifactId>spring-boot-starter-web</artifactId></dependency>
  </dependencies>
</project>
"""
    main = "package x;\npublic class App {\n  public static void main(String[] a) {}\n}\n"
    write(tmp_path, {"pom.xml": pom, "mvnw": "", "src/main/java/x/App.java": main})
    profile = detect(tmp_path)
    assert profile.language == "java"
    assert profile.framework == "spring-boot"
    assert profile.package_manager == "maven"
    assert profile.language_version == "17"
    assert profile.name == "inventory"
    assert profile.entrypoint == "src/main/java/x/App.java"
    assert profile.evidence["entrypoint"][0].line == 3
    assert profile.build_command[0] == "./mvnw"
    assert profile.start_command == ("java", "-jar", "/app/app.jar")


def test_java_gradle_kts_plain_jdk(tmp_path: Path) -> None:
    gradle = "plugins { java }\njava { toolchain { languageVersion.set(JavaLanguageVersion.of(21)) } }\n"
    server = "import com.sun.net.httpserver.HttpServer;\nclass S { public static void main(String[] a) {} }\n"
    write(tmp_path, {"build.gradle.kts": gradle, "src/main/java/S.java": server})
    profile = detect(tmp_path)
    assert profile.framework == "jdk-httpserver"
    assert profile.package_manager == "gradle"
    assert profile.language_version == "21"
    assert profile.build_command[:1] == ("gradle",)


@pytest.mark.parametrize(
    ("require", "framework"),
    [
        ("github.com/gin-gonic/gin v1.10.0", "gin"),
        ("github.com/labstack/echo/v4 v4.12.0", "echo"),
        ("github.com/go-chi/chi/v5 v5.0.12", "chi"),
        ("github.com/gofiber/fiber/v2 v2.52.0", "fiber"),
        ("github.com/gorilla/mux v1.8.1", "gorilla-mux"),
        ("", "net-http"),
    ],
)
def test_go_modules(tmp_path: Path, require: str, framework: str) -> None:
    gomod = f"module example.com/acme/billing\n\ngo 1.22\n\nrequire (\n\t{require}\n)\n"
    main = "package main\n\nfunc main() {\n}\n"
    write(tmp_path, {"go.mod": gomod, "go.sum": "", "cmd/api/main.go": main})
    profile = detect(tmp_path)
    assert profile.language == "go"
    assert profile.framework == framework
    assert profile.language_version == "1.22"
    assert profile.lockfile == "go.sum"
    assert profile.entrypoint == "cmd/api/main.go"
    assert profile.build_command == ("go", "build", "-o", "/app/server", "./cmd/api")
    assert profile.start_command == ("/app/server",)
    assert profile.name == "billing"


def test_python_pep621_without_app_defaults_port_and_says_so(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "svc"\nrequires-python = ">=3.12"\ndependencies = ["fastapi>=0.110"]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "uv.lock": ""})
    profile = detect(tmp_path)
    assert (profile.framework, profile.package_manager, profile.lockfile) == ("fastapi", "uv", "uv.lock")
    assert profile.language_version == ">=3.12"
    assert profile.evidence["language_version"][0].line == 3
    assert profile.port == 8000
    assert "default" in profile.evidence["port"][0].note
    assert profile.evidence["framework"][0].line == 4


def test_python_framework_from_code_without_manifest(tmp_path: Path) -> None:
    code = (
        "from flask import Flask\n\napi = Flask(__name__)\n\n"
        "if __name__ == '__main__':\n    api.run(port=5001)\n"
    )
    write(tmp_path, {"server.py": code})
    profile = detect(tmp_path)
    assert (profile.language, profile.framework) == ("python", "flask")
    assert profile.port == 5001
    assert profile.start_command == ("gunicorn", "--bind", "0.0.0.0:5001", "server:api")
    assert profile.evidence["port"][0].line == 6


def test_monorepo_picks_the_app_with_a_framework(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "README.md": "monorepo",
            "tools/lint/package.json": json.dumps({"name": "lint"}),
            "services/api/requirements.txt": "flask==3.0\n",
            "services/api/app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "services/api/Dockerfile": "FROM python\nEXPOSE 9000\n",
            "services/api/docs/openapi.yaml": "openapi: 3.1.0\n",
        },
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert profile.app_dir == "services/api"
    assert profile.framework == "flask"
    assert profile.entrypoint == "app.py"
    assert profile.evidence["entrypoint"][0].file == "services/api/app.py"
    assert profile.dockerfile == "services/api/Dockerfile"
    assert profile.openapi_files == ("services/api/docs/openapi.yaml",)
    assert profile.port == 9000
    assert profile.evidence["port"][0].note == "Dockerfile EXPOSE"
    assert any("tools/lint" in w for w in warnings)


@pytest.mark.parametrize(
    ("dockerfile", "port"),
    [
        ("FROM python\nARG PORT=42110\nEXPOSE ${PORT}\n", 42110),
        ("FROM python\nENV PORT 9100\nEXPOSE $PORT\n", 9100),
        ('FROM python\nARG PORT="7000"\nENV PORT=7001\nEXPOSE ${PORT}/tcp\n', 7001),
        # A variable with no value in the Dockerfile says nothing: the framework's default stands.
        ("FROM python\nARG PORT\nEXPOSE ${PORT}\n", 5000),
    ],
)
def test_an_exposed_variable_takes_its_value_from_arg_or_env(
    tmp_path: Path, dockerfile: str, port: int
) -> None:
    write(
        tmp_path,
        {
            "requirements.txt": "flask==3.0\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "Dockerfile": dockerfile,
        },
    )
    assert detect(tmp_path).port == port


def test_overrides_are_applied_coerced_and_recorded() -> None:
    profile = ProjectProfile(language="python", port=8000)
    changed = apply_overrides(
        profile, {"port": "9090", "start_command": "python -m svc --fast", "typescript": "no"}
    )
    assert changed.port == 9090
    assert changed.start_command == ("python", "-m", "svc", "--fast")
    assert changed.typescript is False
    assert changed.overridden == ("port", "start_command", "typescript")
    assert changed.evidence["port"][0].note == "set by the user"


@pytest.mark.parametrize(
    ("overrides", "message"), [({"colour": "red"}, "colour"), ({"port": "http"}, "port")]
)
def test_bad_overrides_name_the_field(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        apply_overrides(ProjectProfile(language="go"), overrides)


def test_app_dir_override_steers_detection(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"a/go.mod": "module a\n\ngo 1.21\n", "b/package.json": json.dumps({"dependencies": {"koa": "2"}})},
    )
    assert detect(tmp_path, {"app_dir": "b"}).framework == "koa"
    assert detect(tmp_path, {"app_dir": "a"}).language == "go"
    with pytest.raises(AnalysisError, match="app_dir"):
        detect(tmp_path, {"app_dir": "missing"})


@pytest.mark.parametrize(
    ("files", "version", "where", "note"),
    [
        ({".nvmrc": "# team version\nv20.11.0\n"}, "v20.11.0", (".nvmrc", 2), "pinned version"),
        ({".node-version": "lts/iron\n"}, "lts/iron", (".node-version", 1), "pinned version"),
        ({}, ">=18 <21", ("package.json", 4), "engines.node"),
    ],
)
def test_node_version_pin_before_engines(
    tmp_path: Path, files: dict[str, str], version: str, where: tuple[str, int], note: str
) -> None:
    package = {"name": "x", "engines": {"node": ">=18 <21"}, "dependencies": {"express": "4"}}
    write(tmp_path, {"package.json": json.dumps(package, indent=2), "index.js": "", **files})
    profile = detect(tmp_path)
    assert profile.language_version == version
    evidence = profile.evidence["language_version"][0]
    assert (evidence.file, evidence.line, evidence.note) == (*where, note)


@pytest.mark.parametrize(
    ("files", "version", "where"),
    [
        ({".python-version": "3.12.4\n", "runtime.txt": "python-3.10.1"}, "3.12.4", (".python-version", 1)),
        ({"runtime.txt": "python-3.10.1\n"}, "3.10.1", ("runtime.txt", 1)),
        (
            {"Pipfile": '[packages]\nflask = "*"\n\n[requires]\npython_version = "3.13"\n'},
            "3.13",
            ("Pipfile", 5),
        ),
        (
            {"pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.10"\n'},
            "^3.10",
            ("pyproject.toml", 4),
        ),
    ],
)
def test_python_version_sources(
    tmp_path: Path, files: dict[str, str], version: str, where: tuple[str, int]
) -> None:
    write(tmp_path, {"requirements.txt": "flask\n", "app.py": "", **files})
    profile = detect(tmp_path)
    assert profile.language_version == version
    evidence = profile.evidence["language_version"][0]
    assert (evidence.file, evidence.line) == where


def test_go_version_keeps_the_patch(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module x\n\ngo 1.22.3\n", "main.go": "package main\n\nfunc main() {}\n"})
    profile = detect(tmp_path)
    assert profile.language_version == "1.22.3"
    assert profile.evidence["language_version"][0].line == 3


def test_python_native_dependencies(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"requirements.txt": "flask\npsycopg2==2.9.10\npsycopg2-binary\nmysqlclient>=2\n", "app.py": ""},
    )
    profile = detect(tmp_path)
    assert profile.native_dependencies == ("mysqlclient", "psycopg2")
    evidence = profile.evidence["native_dependencies"][0]
    assert (evidence.file, evidence.line) == ("requirements.txt", 2)


@pytest.mark.parametrize(
    ("files", "version"),
    [
        (
            {
                "package.json": json.dumps(
                    {"name": "shop", "version": "1.0.0", "main": "app.js", "dependencies": {"express": "^4"}}
                ),
                "app.js": "const app = require('express')();\napp.get('/items', (q, r) => r.json([]));\n",
            },
            "1.0.0",
        ),
        (
            {
                "pyproject.toml": '[project]\nname = "shop"\nversion = "2.3.1"\ndependencies = ["flask"]\n',
                "app.py": "from flask import Flask\napp = Flask(__name__)\n\n"
                "@app.get('/items')\ndef items():\n    return []\n",
            },
            "2.3.1",
        ),
    ],
)
def test_the_spec_carries_the_app_version_from_its_manifest(
    tmp_path: Path, files: dict[str, str], version: str
) -> None:
    from justpush.analysis import AnalysisOptions, analyze

    write(tmp_path, files)
    assert detect(tmp_path).version == version
    result = analyze(tmp_path, AnalysisOptions())
    assert result.spec["info"]["version"] == version
    assert "/items" in result.spec["paths"]


def test_without_a_manifest_version_the_spec_says_0_1_0(tmp_path: Path) -> None:
    from justpush.analysis import AnalysisOptions, analyze

    write(
        tmp_path,
        {"package.json": json.dumps({"name": "x", "dependencies": {"express": "^4"}}), "index.js": ""},
    )
    assert analyze(tmp_path, AnalysisOptions()).spec["info"]["version"] == "0.1.0"


def test_a_pin_file_keeps_the_declared_range_beside_it(tmp_path: Path) -> None:
    write(
        tmp_path / "py",
        {
            ".python-version": "3.14\n",
            "pyproject.toml": (
                '[project]\nname = "api"\nrequires-python = ">=3.13"\ndependencies = ["fastapi"]\n'
            ),
            "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        },
    )
    python = detect(tmp_path / "py")
    assert (python.language_version, python.language_range) == ("3.14", ">=3.13")
    assert python.evidence["language_range"][0] == Evidence("pyproject.toml", 3, "requires-python")
    write(
        tmp_path / "node",
        {
            ".nvmrc": "v24\n",
            "package.json": json.dumps(
                {"name": "api", "engines": {"node": ">=20"}, "dependencies": {"express": "4"}}
            ),
            "index.js": "require('express')().listen(3000);\n",
        },
    )
    node = detect(tmp_path / "node")
    assert (node.language_version, node.language_range) == ("v24", ">=20")
    # The range alone is the requirement: nothing stands beside it.
    (tmp_path / "py" / ".python-version").unlink()
    alone = detect(tmp_path / "py")
    assert (alone.language_version, alone.language_range) == (">=3.13", None)


@pytest.mark.parametrize(
    ("files", "variable"),
    [
        (
            {
                "package.json": '{"name": "a", "main": "server.js", "dependencies": {"express": "4"}}',
                "server.js": "const app = require('express')();\napp.listen(process.env.PORT || 80);\n",
            },
            "PORT",
        ),
        (
            {
                "requirements.txt": "flask>=3\n",
                "app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\n\n"
                "if __name__ == '__main__':\n    app.run(port=int(os.getenv('APP_PORT', 443)))\n",
            },
            "APP_PORT",
        ),
    ],
)
def test_a_port_below_1024_read_from_a_variable_is_moved_to_8080(
    tmp_path: Path, files: dict[str, str], variable: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert profile.port == 8080
    assert {v.name: v.default for v in profile.env_vars}[variable] == "8080"
    told = [w for w in warnings if f"the app listens on {variable}, " in w]
    assert len(told) == 1 and told[0].endswith(f"deployed with {variable}=8080")
    # The user's own choice stands.
    assert detect(tmp_path, overrides={"port": 80}).port == 80


def test_a_go_server_beside_a_package_json_for_asset_tools_is_go(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "package.json": json.dumps({"dependencies": {"less": "4", "clean-css-cli": "5"}}),
            "go.mod": "module example.com/app\n\ngo 1.22\n",
            "main.go": (
                'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n'
            ),
        },
    )
    assert detect(tmp_path).language == "go"
    # A package.json that starts something stays the app's.
    write(tmp_path, {"package.json": json.dumps({"main": "server.js", "dependencies": {"less": "4"}})})
    assert detect(tmp_path).language == "node"


def test_the_java_entrypoint_is_the_spring_boot_application_with_the_most_controllers(tmp_path: Path) -> None:
    boot = "@SpringBootApplication\npublic class {0} {{ public static void main(String[] a) {{ }} }}\n"
    write(
        tmp_path,
        {
            "pom.xml": "<project><artifactId>x</artifactId><parent>spring-boot</parent></project>",
            "common/src/main/java/x/Util.java": (
                "public class Util { public static void main(String[] a) { } }\n"
            ),
            "mail/src/main/java/x/Mail.java": boot.format("Mail"),
            "web/src/main/java/x/Web.java": boot.format("Web"),
            "web/src/main/java/x/A.java": "@RestController class A { }\n",
            "web/src/main/java/x/B.java": "@RestController class B { }\n",
        },
    )
    assert detect(tmp_path).entrypoint == "web/src/main/java/x/Web.java"


def test_a_maven_multi_module_build_lists_every_pom_and_packages_the_apps_module(tmp_path: Path) -> None:
    def pom(artifact: str, body: str = "") -> str:
        parent = "<parent><artifactId>shop</artifactId></parent>"
        return f"<project>{parent}<artifactId>{artifact}</artifactId>{body}</project>"

    dependency = "<dependency><groupId>{0}</groupId><artifactId>{1}</artifactId></dependency>"
    boot = "@SpringBootApplication\npublic class {0} {{ public static void main(String[] a) {{ }} }}\n"
    write(
        tmp_path,
        {
            "pom.xml": (
                "<project><parent><artifactId>spring-boot-starter-parent</artifactId></parent>"
                "<artifactId>shop</artifactId><packaging>pom</packaging>"
                "<modules><module>common</module><module>api</module><!-- <module>old</module> -->"
                "<module>tools</module></modules></project>"
            ),
            "common/pom.xml": pom("shop-common", dependency.format("redis.clients", "jedis")),
            "api/pom.xml": pom(
                "shop-api",
                dependency.format("org.example", "shop-common")
                + dependency.format("org.postgresql", "postgresql"),
            ),
            "tools/pom.xml": pom("shop-tools", "<modules><module>importer</module></modules>"),
            "tools/importer/pom.xml": pom(
                "shop-importer", dependency.format("com.mysql", "mysql-connector-j")
            ),
            "old/pom.xml": pom("shop-old"),
            "api/src/main/java/x/Api.java": boot.format("Api"),
            "api/src/main/java/x/Orders.java": "@RestController class Orders { }\n",
        },
    )
    profile = detect(tmp_path)
    assert profile.dependency_files == (
        "pom.xml",
        "common/pom.xml",
        "api/pom.xml",
        "tools/pom.xml",
        "tools/importer/pom.xml",
    )
    assert profile.build_command == ("mvn", "-B", "-q", "-DskipTests", "-pl", "api", "-am", "package")
    assert profile.framework == "spring-boot"
    # The app's module and the module it depends on; not the importer tool's MySQL driver.
    kinds = {service.kind: service.evidence.file for service in profile.backing_services}
    assert kinds == {"PostgreSQL": "api/pom.xml", "Redis": "common/pom.xml"}


def test_a_gradle_multi_project_build_builds_the_apps_subproject(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "settings.gradle": "rootProject.name = 'shop'\ninclude 'libs:money', ':services:orders'\n",
            "build.gradle": "plugins { id 'java' }\n",
            "libs/money/build.gradle": "dependencies { implementation 'org.postgresql:postgresql:42.7.1' }\n",
            "services/orders/build.gradle": (
                "plugins { id 'org.springframework.boot' version '3.2.0' }\n"
                "dependencies { implementation project(':libs:money') }\n"
            ),
            "services/orders/src/main/java/x/Orders.java": (
                "@SpringBootApplication\npublic class Orders { public static void main(String[] a) { } }\n"
            ),
        },
    )
    profile = detect(tmp_path)
    assert profile.dependency_files == (
        "build.gradle",
        "libs/money/build.gradle",
        "services/orders/build.gradle",
        "settings.gradle",
    )
    assert profile.build_command == ("gradle", "--no-daemon", "-q", ":services:orders:bootJar", "-x", "test")
    assert profile.framework == "spring-boot"
    assert profile.evidence["framework"][0].file == "services/orders/build.gradle"
    assert [service.kind for service in profile.backing_services] == ["PostgreSQL"]
