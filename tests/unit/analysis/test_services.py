"""Backing services: a driver among the dependencies plus the variables that give its address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from justpush.analysis import Evidence, check_services, detect, profile_from_dict, profile_to_dict
from justpush.errors import AnalysisError, GenerationError
from justpush.k8s import app_from_profile

COMMON = {"upload_id": "u", "app_name": "api", "image": "img"}


def _python_app(tmp_path: Path, requirements: str, code: str) -> Path:
    (tmp_path / "requirements.txt").write_text(requirements)
    (tmp_path / "main.py").write_text(
        "import os\nfrom fastapi import FastAPI\n\napp = FastAPI()\n" + code + "\n"
        "@app.get('/ping')\ndef ping():\n    return {}\n"
    )
    return tmp_path


def test_a_localhost_fallback_for_postgres_needs_a_value(tmp_path: Path) -> None:
    _python_app(
        tmp_path,
        "fastapi\nuvicorn\npsycopg2-binary==2.9\n",
        "DATABASE_URL = os.getenv('DATABASE_URL', 'postgresql://localhost:5432/app')\n"
        "POOL = int(os.getenv('DB_POOL_SIZE', '5'))\n",
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    (service,) = profile.backing_services
    assert (service.kind, service.dependency, service.satisfied) == ("PostgreSQL", "psycopg2-binary", False)
    assert (service.evidence.file, service.evidence.line) == ("requirements.txt", 3)
    assert service.variables == ("DATABASE_URL", "DB_POOL_SIZE")
    env = {v.name: v for v in profile.env_vars}
    assert env["DATABASE_URL"].required and env["DATABASE_URL"].default is None
    # Only the address must be given: the pool size keeps its fallback.
    assert not env["DB_POOL_SIZE"].required and env["DB_POOL_SIZE"].default == "5"
    assert any(
        w.startswith("needs PostgreSQL (psycopg2-binary in requirements.txt:3): set DATABASE_URL")
        for w in warnings
    )
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, **COMMON)
    assert str(caught.value) == (
        "required environment variables have no value: DATABASE_URL (needs PostgreSQL)"
    )
    app = app_from_profile(profile, secrets={"DATABASE_URL": "postgresql://db.internal/app"}, **COMMON)
    assert ("DATABASE_URL", True) in {(e.name, e.secret) for e in app.env}


def test_primary_and_replica_urls_in_pydantic_settings_need_the_database(tmp_path: Path) -> None:
    # A writer and a reader connection on localhost, with the password in the URL.
    _python_app(
        tmp_path,
        "fastapi\npydantic-settings\naiomysql\n",
        "from pydantic_settings import BaseSettings\n\n"
        "class Config(BaseSettings):\n"
        "    WRITER_DB_URL: str = 'mysql+aiomysql://api:api@localhost:3306/api'\n"
        "    READER_DB_URL: str = 'mysql+aiomysql://api:api@localhost:3306/api'\n"
        "    MAIN_DB_NAME: str = 'api'\n\n"
        "config = Config()\n",
    )
    profile = detect(tmp_path)
    (service,) = profile.backing_services
    assert service.variables == ("READER_DB_URL", "WRITER_DB_URL")
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, **COMMON)
    assert str(caught.value) == (
        "required environment variables have no value: "
        "READER_DB_URL (needs MySQL), WRITER_DB_URL (needs MySQL)"
    )


def test_a_url_without_a_host_means_the_pods_own_socket(tmp_path: Path) -> None:
    _python_app(
        tmp_path,
        "fastapi\npsycopg2-binary\n",
        "DB = os.environ.get('APP_DATABASE_URL', os.environ.get('DATABASE_URL', 'postgresql:///postgres'))\n",
    )
    profile = detect(tmp_path)
    assert [(s.kind, s.satisfied) for s in profile.backing_services] == [("PostgreSQL", False)]
    assert {v.name for v in profile.env_vars if v.required} == {"APP_DATABASE_URL", "DATABASE_URL"}


def test_an_embedded_or_remote_fallback_is_enough(tmp_path: Path) -> None:
    _python_app(
        tmp_path,
        "fastapi\nasyncpg\nredis\n",
        "DB = os.getenv('DATABASE_URL', 'sqlite:///./app.db')\n"
        "CACHE = os.getenv('REDIS_URL', 'redis://cache.example.net:6379/0')\n",
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert {(s.kind, s.satisfied) for s in profile.backing_services} == {
        ("PostgreSQL", True),
        ("Redis", True),
    }
    assert not any(v.required for v in profile.env_vars)
    assert not any(w.startswith("needs ") for w in warnings)


@pytest.mark.parametrize(
    "read",
    [
        "DB = os.getenv('DATABASE_URL', f\"sqlite:///{basedir / 'app.db'}\")",
        "DB = os.environ.get('DATABASE_URL') or 'sqlite:///' + os.path.join(basedir, 'app.db')",
    ],
)
def test_a_sqlite_url_the_code_builds_as_the_fallback_is_enough(tmp_path: Path, read: str) -> None:
    _python_app(tmp_path, "fastapi\npsycopg2-binary\n", f"basedir = os.path.dirname(__file__)\n{read}\n")
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert [(s.kind, s.satisfied) for s in profile.backing_services] == [("PostgreSQL", True)]
    (database_url,) = [v for v in profile.env_vars if v.name == "DATABASE_URL"]
    assert not database_url.required and database_url.default is None
    assert profile.writable_paths == (".",)
    assert not any(w.startswith("needs ") for w in warnings)


def test_a_compose_host_name_is_not_reachable_from_a_pod(tmp_path: Path) -> None:
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4", "ioredis": "5"}}
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "server.js").write_text(
        "const express = require('express');\nconst Redis = require('ioredis');\n"
        "const redis = new Redis({ host: process.env.REDIS_HOST || 'redis', port: 6379 });\n"
        "const app = express();\napp.get('/ping', (req, res) => res.json({}));\napp.listen(3000);\n"
    )
    profile = detect(tmp_path)
    (service,) = profile.backing_services
    assert (service.kind, service.dependency, service.evidence.file) == ("Redis", "ioredis", "package.json")
    redis_host = next(v for v in profile.env_vars if v.name == "REDIS_HOST")
    assert redis_host.required and redis_host.default is None
    assert redis_host.evidence[0].note == "needs Redis"


def test_a_driver_without_an_address_variable_is_a_warning_only(tmp_path: Path) -> None:
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4", "mongoose": "8"}}
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "server.js").write_text(
        "const express = require('express');\nconst app = express();\n"
        "app.get('/ping', (req, res) => res.json({}));\napp.listen(3000);\n"
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    assert [(s.kind, s.variables) for s in profile.backing_services] == [("MongoDB", ())]
    assert not any(v.required for v in profile.env_vars)
    assert any(w.startswith("needs MongoDB (mongoose in package.json:") for w in warnings)


def test_go_and_java_drivers(tmp_path: Path) -> None:
    go = tmp_path / "go"
    go.mkdir()
    (go / "go.mod").write_text(
        "module example.com/api\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.0\n"
        "\tgithub.com/redis/go-redis/v9 v9.0.0 // indirect\n)\n"
    )
    (go / "main.go").write_text(
        'package main\n\nimport (\n\t"net/http"\n\t"os"\n)\n\nfunc main() {\n'
        '\t_ = os.Getenv("DATABASE_URL")\n\thttp.ListenAndServe(":8080", nil)\n}\n'
    )
    profile = detect(go)
    (service,) = profile.backing_services  # an indirect requirement is not the app's driver
    assert (service.kind, service.dependency) == ("PostgreSQL", "github.com/jackc/pgx/v5")
    assert service.evidence.line == 6
    assert next(v for v in profile.env_vars if v.name == "DATABASE_URL").required

    java = tmp_path / "java"
    java.mkdir()
    (java / "pom.xml").write_text(
        "<project><artifactId>api</artifactId><dependencies>\n"
        "<dependency><groupId>org.springframework.boot</groupId>"
        "<artifactId>spring-boot-starter-web</artifactId></dependency>\n"
        "<dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency>\n"
        "</dependencies></project>\n"
    )
    warnings: list[str] = []
    profile = detect(java, warnings=warnings)
    assert [(s.kind, s.dependency) for s in profile.backing_services] == [
        ("PostgreSQL", "org.postgresql:postgresql")
    ]
    assert any("set its address with SPRING_DATASOURCE_URL" in w for w in warnings)


def test_the_profile_round_trip_keeps_the_services(tmp_path: Path) -> None:
    _python_app(tmp_path, "fastapi\npymongo\n", "MONGO_URI = os.environ['MONGO_URI']\n")
    profile = detect(tmp_path)
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(profile)))) == profile
    assert profile_to_dict(profile)["backingServices"] == [
        {
            "kind": "MongoDB",
            "dependency": "pymongo",
            "evidence": {"file": "requirements.txt", "line": 2, "note": ""},
            "variables": ["MONGO_URI"],
            "satisfied": False,
            "writtenAt": None,
        }
    ]


def _prisma_app(tmp_path: Path, datasource: str, schema_at: str = "prisma/schema.prisma") -> Path:
    package = {
        "name": "api",
        "main": "server.js",
        "dependencies": {"express": "4", "@prisma/client": "5"},
        "devDependencies": {"prisma": "5"},
    }
    if schema_at != "prisma/schema.prisma":
        package["prisma"] = {"schema": schema_at}
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "server.js").write_text(
        "const express = require('express');\nconst { PrismaClient } = require('@prisma/client');\n"
        "const prisma = new PrismaClient();\nconst app = express();\n"
        "app.get('/users', async (req, res) => res.json(await prisma.user.findMany()));\napp.listen(3000);\n"
    )
    schema = tmp_path / schema_at
    schema.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text(
        'generator client {\n  provider = "prisma-client-js"\n}\n\n'
        f"datasource db {{\n{datasource}}}\n\nmodel User {{\n  id Int @id\n}}\n"
    )
    return tmp_path


def test_a_prisma_datasource_names_the_database_and_its_variable(tmp_path: Path) -> None:
    _prisma_app(
        tmp_path, '  provider = "postgresql"\n  url      = env("DATABASE_URL")\n', "src/db/schema.prisma"
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    (service,) = profile.backing_services
    assert (service.kind, service.dependency, service.variables) == (
        "PostgreSQL",
        "Prisma datasource",
        ("DATABASE_URL",),
    )
    assert (service.evidence.file, service.evidence.line) == ("src/db/schema.prisma", 5)
    (database_url,) = profile.env_vars
    assert (database_url.name, database_url.required, database_url.secret) == ("DATABASE_URL", True, True)
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, **COMMON)
    assert str(caught.value) == (
        "required environment variables have no value: DATABASE_URL (needs PostgreSQL)"
    )


def test_a_prisma_sqlite_datasource_needs_no_service(tmp_path: Path) -> None:
    _prisma_app(tmp_path, '  provider = "sqlite"\n  url      = "file:./dev.db"\n')
    profile = detect(tmp_path)
    assert profile.backing_services == ()
    assert not any(v.required for v in profile.env_vars)


def test_typeorm_connection_variables_give_the_database_address(tmp_path: Path) -> None:
    package = {
        "name": "api",
        "main": "server.js",
        "dependencies": {"express": "4", "typeorm": "0.2", "pg": "8"},
    }
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "server.js").write_text(
        "const express = require('express');\nconst { createConnection } = require('typeorm');\n"
        "createConnection({ type: process.env.TYPEORM_CONNECTION || 'postgres',"
        " host: process.env.TYPEORM_HOST, port: Number(process.env.TYPEORM_PORT || 5432) });\n"
        "const app = express();\napp.get('/ping', (req, res) => res.json({}));\napp.listen(3000);\n"
    )
    profile = detect(tmp_path)
    (service,) = profile.backing_services
    assert (service.kind, service.satisfied) == ("PostgreSQL", False)
    required = {v.name: v.evidence[0].note for v in profile.env_vars if v.required}
    assert required == {"TYPEORM_HOST": "needs PostgreSQL"}


def test_a_joi_schema_over_process_env_says_what_is_required(tmp_path: Path) -> None:
    package = {
        "name": "api",
        "main": "src/index.js",
        "dependencies": {"express": "4", "joi": "17", "mongoose": "8"},
    }
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.js").write_text(
        "const Joi = require('joi');\n"
        "const envVarsSchema = Joi.object()\n"
        "  .keys({\n"
        "    PORT: Joi.number().default(3000),\n"
        "    MONGODB_URL: Joi.string().required().description('Mongo DB url'),\n"
        "    JWT_SECRET: Joi.string().required(),\n"
        "    JWT_ACCESS_EXPIRATION_MINUTES: Joi.number().default(30).description('minutes'),\n"
        "    SMTP_HOST: Joi.string().description('server that will send the emails'),\n"
        "  })\n"
        "  .unknown();\n"
        "const { value: envVars } = envVarsSchema\n"
        "  .prefs({ errors: { label: 'key' } }).validate(process.env);\n"
        "module.exports = { port: envVars.PORT, mongoose: { url: envVars.MONGODB_URL } };\n"
    )
    (tmp_path / "src" / "index.js").write_text(
        "const express = require('express');\nconst mongoose = require('mongoose');\n"
        "const config = require('./config');\nmongoose.connect(config.mongoose.url);\n"
        "const app = express();\napp.get('/ping', (req, res) => res.json({}));\napp.listen(config.port);\n"
    )
    profile = detect(tmp_path)
    found = {v.name: (v.required, v.default) for v in profile.env_vars}
    assert found == {
        "JWT_ACCESS_EXPIRATION_MINUTES": (False, "30"),
        "JWT_SECRET": (True, None),
        "MONGODB_URL": (True, None),
        "PORT": (False, "3000"),
        "SMTP_HOST": (False, None),
    }
    assert [(s.kind, s.variables, s.satisfied) for s in profile.backing_services] == [
        ("MongoDB", ("MONGODB_URL",), False)
    ]
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, secrets={"JWT_SECRET": "s"}, **COMMON)
    assert str(caught.value) == "required environment variables have no value: MONGODB_URL (needs MongoDB)"


def test_an_address_only_a_template_lists_is_not_asked_for_when_the_code_reads_one(tmp_path: Path) -> None:
    # The code reads REDIS_URL (a localhost fallback); .env.example also lists REDIS_HOST/REDIS_PORT, which
    # nothing reads: only REDIS_URL must be given. Without a read address the template's would count.
    _python_app(
        tmp_path,
        "fastapi\nuvicorn\nredis>=5\n",
        "REDIS_URL = os.getenv('REDIS_URL', 'redis://localhost:6379/0')\n",
    )
    (tmp_path / ".env.example").write_text("REDIS_HOST=\nREDIS_PORT=\nREDIS_URL=\n")
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    env = {v.name: v for v in profile.env_vars}
    assert [name for name in sorted(env) if env[name].required] == ["REDIS_URL"]
    assert any(w.startswith("needs Redis (redis in requirements.txt:3): set REDIS_URL;") for w in warnings)


TYPEORM_FIXTURE = Path(__file__).parents[2] / "fixtures" / "apps" / "node-nest-typeorm-ormconfig"


def _copy_app(source: Path, target: Path) -> Path:
    for file in source.rglob("*"):
        if file.is_file():
            (target / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / file.relative_to(source)).write_bytes(file.read_bytes())
    return target


def test_a_typeorm_connection_left_to_a_missing_ormconfig_needs_its_variables(tmp_path: Path) -> None:
    warnings: list[str] = []
    profile = detect(_copy_app(TYPEORM_FIXTURE, tmp_path), warnings=warnings)
    (service,) = profile.backing_services
    assert (service.kind, service.dependency, service.satisfied) == ("MySQL", "mysql", False)
    by_name = {v.name: v for v in profile.env_vars}
    assert by_name["TYPEORM_URL"].required and by_name["TYPEORM_URL"].secret
    assert by_name["TYPEORM_URL"].evidence[0].note == "needs MySQL"
    assert by_name["TYPEORM_ENTITIES"].required
    assert (by_name["TYPEORM_CONNECTION"].default, by_name["TYPEORM_CONNECTION"].required) == ("mysql", False)
    assert any(w.startswith("needs MySQL (mysql in package.json:") and "TYPEORM_URL" in w for w in warnings)


def test_a_committed_ormconfig_is_what_typeorm_reads(tmp_path: Path) -> None:
    root = _copy_app(TYPEORM_FIXTURE, tmp_path)
    (root / "ormconfig.json").write_text((root / "ormconfig.json.example").read_text())
    profile = detect(root)
    assert not any(v.name.startswith("TYPEORM_") for v in profile.env_vars)


def _express_app(tmp_path: Path, dependencies: dict[str, str], connect: str) -> Path:
    package = {"name": "api", "main": "server.js", "dependencies": {"express": "4", **dependencies}}
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "server.js").write_text(
        f"const express = require('express');\n{connect}\nconst app = express();\n"
        "app.get('/ping', (req, res) => res.json({}));\napp.listen(3000);\n"
    )
    return tmp_path


def test_typeorms_create_connection_without_options_reads_the_variables(tmp_path: Path) -> None:
    root = _express_app(
        tmp_path,
        {"typeorm": "0.2.45", "pg": "8"},
        "const { createConnection } = require('typeorm');\ncreateConnection();",
    )
    profile = detect(root)
    by_name = {v.name: v for v in profile.env_vars}
    assert by_name["TYPEORM_CONNECTION"].default == "postgres"
    assert by_name["TYPEORM_URL"].required
    assert [s.kind for s in profile.backing_services] == ["PostgreSQL"]


@pytest.mark.parametrize(
    "connect",
    [
        "const mongoose = require('mongoose');\nmongoose.createConnection();",
        "const { createConnection } = require('typeorm');\n"
        "createConnection({ type: 'postgres', url: 'postgres://db.example.com/app' });",
    ],
)
def test_other_connections_are_not_typeorms_env_reader(tmp_path: Path, connect: str) -> None:
    root = _express_app(tmp_path, {"typeorm": "0.2.45", "pg": "8", "mongoose": "8"}, connect)
    assert not any(v.name.startswith("TYPEORM_") for v in detect(root).env_vars)


@pytest.mark.parametrize(
    ("files", "kind", "dependency", "line"),
    [
        (
            {"requirements.txt": "fastapi\ndatabases[postgresql]==0.2.6\n"},
            "PostgreSQL",
            "databases[postgresql]",
            2,
        ),
        (
            {"requirements.txt": "fastapi\nSQLAlchemy[postgresql_asyncpg]>=2\n"},
            "PostgreSQL",
            "sqlalchemy[postgresql-asyncpg]",
            2,
        ),
        ({"requirements.txt": "fastapi\ncelery[redis,msgpack]\n"}, "Redis", "celery[redis]", 2),
        (
            {
                "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "*"\n'
                'databases = {version = "^0.2.6", extras = ["mysql"]}\n'
            },
            "MySQL",
            "databases[mysql]",
            4,
        ),
        (
            {"Pipfile": '[packages]\nfastapi = "*"\ndatabases = {extras = ["asyncpg"], version = "*"}\n'},
            "PostgreSQL",
            "databases[asyncpg]",
            3,
        ),
        ({"requirements.txt": "fastapi\nrq==1.16\n"}, "Redis", "rq", 2),
    ],
)
def test_an_extra_or_a_package_that_installs_a_driver_is_one(
    tmp_path: Path, files: dict[str, str], kind: str, dependency: str, line: int
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "main.py").write_text(
        "import os\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
        "DATABASE_URL = os.environ['DATABASE_URL']\nREDIS_URL = os.environ['REDIS_URL']\n"
    )
    (service,) = detect(tmp_path).backing_services
    assert (service.kind, service.dependency, service.evidence.line) == (kind, dependency, line)
    with pytest.raises(GenerationError, match=f"\\(needs {kind}\\)"):
        app_from_profile(detect(tmp_path), **COMMON)


def _fastify_app(tmp_path: Path, app_js: str) -> Path:
    package = {"name": "todo", "main": "app.js", "dependencies": {"fastify": "4", "@fastify/mongodb": "8"}}
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    (tmp_path / "app.js").write_text(
        "const fastify = require('fastify')();\n"
        + app_js
        + "fastify.get('/todos', async () => []);\nfastify.listen({ port: 3000 });\n"
    )
    # Tests may connect wherever they like.
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "helper.js").write_text("const url = 'mongodb://localhost:27017';\n")
    return tmp_path


def test_an_address_written_into_the_code_stops_naming_its_line(tmp_path: Path) -> None:
    _fastify_app(
        tmp_path,
        "// fastify.register(require('@fastify/mongodb'), { url: 'mongodb://mongo/old' });\n"
        "fastify.register(require('@fastify/mongodb'), {\n  url: 'mongodb://localhost/todo',\n});\n",
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    (service,) = profile.backing_services
    assert service.written_at == Evidence("app.js", 4, "code: mongodb://localhost/todo")
    message = (
        "needs MongoDB (@fastify/mongodb in package.json): app.js:4 writes its address, "
        "mongodb://localhost/todo, into the code, and a pod cannot reach it on localhost or at a compose "
        "host name; read the address from an environment variable (for example MONGODB_URI) and set that "
        "variable when deploying"
    )
    assert message in warnings
    with pytest.raises(AnalysisError) as caught:
        check_services(profile.backing_services)
    assert caught.value.message == message
    assert profile_from_dict(json.loads(json.dumps(profile_to_dict(profile)))) == profile


@pytest.mark.parametrize(
    "app_js",
    [
        # A fallback: the variable the line reads can change it.
        "fastify.register(require('@fastify/mongodb'), {\n"
        "  url: process.env.CONN || 'mongodb://localhost/t',\n});\n",
        # A host a pod may reach.
        "fastify.register(require('@fastify/mongodb'), { url: 'mongodb+srv://cluster0.example.net/t' });\n",
        # Another service's address.
        "const cache = 'redis://localhost:6379';\n",
    ],
)
def test_a_fallback_a_remote_host_or_another_service_is_no_written_address(
    tmp_path: Path, app_js: str
) -> None:
    _fastify_app(tmp_path, app_js)
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    (service,) = profile.backing_services
    assert service.written_at is None
    check_services(profile.backing_services)
    assert any("no variable giving its address was found in the code" in w for w in warnings)


def test_a_local_address_in_spring_configuration_asks_for_the_variable_that_replaces_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "pom.xml").write_text(
        "<project><artifactId>api</artifactId><dependencies>\n"
        "<dependency><groupId>org.springframework.boot</groupId>"
        "<artifactId>spring-boot-starter-web</artifactId></dependency>\n"
        "<dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency>\n"
        "</dependencies></project>\n"
    )
    resources = tmp_path / "src" / "main" / "resources"
    resources.mkdir(parents=True)
    (resources / "application.properties").write_text(
        "server.port=8080\nspring.datasource.url=jdbc:postgresql://localhost:5432/api\n"
    )
    warnings: list[str] = []
    profile = detect(tmp_path, warnings=warnings)
    (service,) = profile.backing_services
    assert (service.variables, service.written_at) == (("SPRING_DATASOURCE_URL",), None)
    (variable,) = [v for v in profile.env_vars if v.name == "SPRING_DATASOURCE_URL"]
    assert variable.required and variable.evidence[1].file == "src/main/resources/application.properties"
    assert any(
        w.endswith(
            "src/main/resources/application.properties:2 points it at a host a pod cannot reach "
            "(jdbc:postgresql://localhost:5432/api); set SPRING_DATASOURCE_URL"
        )
        for w in warnings
    )
    with pytest.raises(GenerationError) as caught:
        app_from_profile(profile, **COMMON)
    assert str(caught.value) == (
        "required environment variables have no value: SPRING_DATASOURCE_URL (needs PostgreSQL)"
    )
    app_from_profile(profile, secrets={"SPRING_DATASOURCE_URL": "jdbc:postgresql://db/api"}, **COMMON)
