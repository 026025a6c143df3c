"""Backing services an app needs (PostgreSQL, MySQL, MongoDB, Redis, RabbitMQ): a driver among its
dependencies plus the variables the code reads to find it.

A deployed app cannot reach a database on `localhost` or at a compose host name such as `db`, so a
service whose address variables have no value, or only such a fallback, must get one from the user:
those variables become required, with a note saying which service needs them. The deploy then stops
before the build ("needs PostgreSQL: set DATABASE_URL") instead of crash-looping after the rollout.
An address written into the code itself (`mongodb://localhost/todo`), which no variable can change,
stops it too, naming the line; Spring Boot's configuration files are the exception, since relaxed
binding lets a variable (SPRING_DATASOURCE_URL) replace what they say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from justpush.errors import AnalysisError

from ._env import falls_back_to_embedded_database, make_env_var
from ._files import evidence_path, is_test_source, iter_paths, read_source
from ._model import BackingService, EnvVar, Evidence, Language

# Dependency name -> service, per language. Go module paths match by prefix (major-version suffixes);
# Java entries are "group:artifact".
_DRIVERS: dict[str, dict[str, str]] = {
    "python": {
        "psycopg2": "PostgreSQL",
        "psycopg2-binary": "PostgreSQL",
        "psycopg": "PostgreSQL",
        "psycopg-binary": "PostgreSQL",
        "asyncpg": "PostgreSQL",
        "pg8000": "PostgreSQL",
        "mysqlclient": "MySQL",
        "pymysql": "MySQL",
        "aiomysql": "MySQL",
        "asyncmy": "MySQL",
        "mysql-connector-python": "MySQL",
        "pymongo": "MongoDB",
        "motor": "MongoDB",
        "mongoengine": "MongoDB",
        "beanie": "MongoDB",
        "redis": "Redis",
        "aioredis": "Redis",
        "pika": "RabbitMQ",
        "aio-pika": "RabbitMQ",
        "flask-pymongo": "MongoDB",
        "flask-mongoengine": "MongoDB",
        "flask-redis": "Redis",
        # Packages that install a client of their service, and extras that do (name[extra], normalised).
        "rq": "Redis",
        "arq": "Redis",
        "django-redis": "Redis",
        "channels-redis": "Redis",
        "databases[postgresql]": "PostgreSQL",
        "databases[asyncpg]": "PostgreSQL",
        "databases[aiopg]": "PostgreSQL",
        "databases[mysql]": "MySQL",
        "databases[aiomysql]": "MySQL",
        "databases[asyncmy]": "MySQL",
        "sqlalchemy[postgresql]": "PostgreSQL",
        "sqlalchemy[postgresql-asyncpg]": "PostgreSQL",
        "sqlalchemy[postgresql-psycopg]": "PostgreSQL",
        "sqlalchemy[postgresql-psycopg2binary]": "PostgreSQL",
        "sqlalchemy[postgresql-pg8000]": "PostgreSQL",
        "sqlalchemy[mysql]": "MySQL",
        "sqlalchemy[pymysql]": "MySQL",
        "sqlalchemy[aiomysql]": "MySQL",
        "sqlalchemy[asyncmy]": "MySQL",
        "tortoise-orm[asyncpg]": "PostgreSQL",
        "tortoise-orm[asyncmy]": "MySQL",
        "celery[redis]": "Redis",
        "dramatiq[redis]": "Redis",
        "dramatiq[rabbitmq]": "RabbitMQ",
    },
    "node": {
        "pg": "PostgreSQL",
        "postgres": "PostgreSQL",
        "pg-promise": "PostgreSQL",
        "mysql": "MySQL",
        "mysql2": "MySQL",
        "mongodb": "MongoDB",
        "mongoose": "MongoDB",
        "redis": "Redis",
        "ioredis": "Redis",
        "amqplib": "RabbitMQ",
        # Framework plugins and stores that bring their own client.
        "@fastify/mongodb": "MongoDB",
        "fastify-mongodb": "MongoDB",
        "@fastify/postgres": "PostgreSQL",
        "fastify-postgres": "PostgreSQL",
        "@fastify/mysql": "MySQL",
        "fastify-mysql": "MySQL",
        "@fastify/redis": "Redis",
        "fastify-redis": "Redis",
        "connect-mongo": "MongoDB",
        "connect-redis": "Redis",
        "bull": "Redis",
        "bullmq": "Redis",
    },
    "go": {
        "github.com/lib/pq": "PostgreSQL",
        "github.com/jackc/pgx": "PostgreSQL",
        "gorm.io/driver/postgres": "PostgreSQL",
        "github.com/go-sql-driver/mysql": "MySQL",
        "gorm.io/driver/mysql": "MySQL",
        "go.mongodb.org/mongo-driver": "MongoDB",
        "github.com/redis/go-redis": "Redis",
        "github.com/go-redis/redis": "Redis",
        "github.com/gomodule/redigo": "Redis",
        "github.com/rabbitmq/amqp091-go": "RabbitMQ",
    },
    "java": {
        "org.postgresql:postgresql": "PostgreSQL",
        "com.mysql:mysql-connector-j": "MySQL",
        "mysql:mysql-connector-java": "MySQL",
        "org.mariadb.jdbc:mariadb-java-client": "MySQL",
        "org.springframework.boot:spring-boot-starter-data-mongodb": "MongoDB",
        "org.mongodb:mongodb-driver-sync": "MongoDB",
        "org.springframework.boot:spring-boot-starter-data-redis": "Redis",
        "redis.clients:jedis": "Redis",
        "io.lettuce:lettuce-core": "Redis",
        "org.springframework.boot:spring-boot-starter-amqp": "RabbitMQ",
    },
}

# TYPEORM_*: the variables TypeORM (before 0.3) reads its connection from. `*_DB_URL`: one of several
# connections (WRITER_DB_URL / READER_DB_URL for a primary and its replica).
_GENERIC_DB = (
    r"DATABASE_URL|DATABASE_URI|.*_DATABASE_URL|DB_.*|DATABASE_.*|TYPEORM_.*|.*_DB_(?:URL|URI|DSN|HOST)"
)
_VARIABLES: dict[str, re.Pattern[str]] = {
    "PostgreSQL": re.compile(
        rf"^({_GENERIC_DB}|POSTGRES.*|PG.*|SQLALCHEMY_DATABASE_UR[IL]|SPRING_DATASOURCE_.*)$"
    ),
    "MySQL": re.compile(
        rf"^({_GENERIC_DB}|MYSQL.*|MARIADB.*|SQLALCHEMY_DATABASE_UR[IL]|SPRING_DATASOURCE_.*)$"
    ),
    "MongoDB": re.compile(rf"^({_GENERIC_DB}|MONGO.*)$"),
    "Redis": re.compile(r"^(REDIS.*|CACHE_URL|CELERY_BROKER_URL|CELERY_RESULT_BACKEND|BROKER_URL)$"),
    "RabbitMQ": re.compile(r"^(AMQP.*|RABBIT.*|CELERY_BROKER_URL|BROKER_URL)$"),
}
_EXAMPLE_VARIABLE = {
    "PostgreSQL": "DATABASE_URL",
    "MySQL": "DATABASE_URL",
    "MongoDB": "MONGODB_URI",
    "Redis": "REDIS_URL",
    "RabbitMQ": "AMQP_URL",
}
# Spring Boot reads these through relaxed binding whatever the code says.
_SPRING_HINT = {"PostgreSQL": "SPRING_DATASOURCE_URL", "MySQL": "SPRING_DATASOURCE_URL"}
# The variables that say where the service is (not its user, pool size or database name).
_ADDRESS = re.compile(r"(^|_)(URL|URI|DSN|HOST|HOSTNAME|SERVER|ADDR|ADDRESS)$")
# Hosts no pod can reach the service at: itself, or a docker-compose service name.
_LOCAL_HOSTS = frozenset(
    {
        "localhost",
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "db",
        "database",
        "postgres",
        "postgresql",
        "pg",
        "mysql",
        "mariadb",
        "mongo",
        "mongodb",
        "redis",
        "cache",
        "rabbitmq",
        "broker",
    }
)


# URL schemes of each service's connection strings (SQLAlchemy's `postgresql+asyncpg`, JDBC's `jdbc:`).
_SCHEMES = {
    "postgres": "PostgreSQL",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MySQL",
    "mongodb": "MongoDB",
    "redis": "Redis",
    "rediss": "Redis",
    "amqp": "RabbitMQ",
    "amqps": "RabbitMQ",
}
_CONNECTION_STRING = re.compile(
    r"""(?<![\w+.-])((?:jdbc:)?(postgres(?:ql)?|mysql|mariadb|mongodb|rediss?|amqps?)(?:\+\w+)?://[^\s"'`,;)}\]]*)"""
)
# A line that reads a variable: its connection string is a fallback, which an address variable (when
# the code reads one) already covers.
_READS_VARIABLE = re.compile(r"process\.env|getenv|environ|Getenv|System\.getenv|\benv\(|\$\{|config\(")
_CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".go", ".java")
# Spring Boot's configuration files, whose values a variable overrides (relaxed binding).
_SPRING_CONFIG = re.compile(r"(^|/)(application|bootstrap)[\w-]*\.(properties|ya?ml)$")
_COMMENT = ("#", "//", "/*", "*", "--")


@dataclass(frozen=True)
class Driver:
    """A dependency that talks to a backing service."""

    service: str
    dependency: str
    evidence: Evidence
    # Variables known to give its address whatever their name (Prisma's `url = env("X")`).
    variables: tuple[str, ...] = ()


def find_drivers(language: Language, dependencies: Iterable[tuple[str, Evidence]]) -> list[Driver]:
    """The drivers among (dependency name, where declared), one per service (the first declared)."""
    table = _DRIVERS.get(language, {})
    found: dict[str, Driver] = {}
    for name, evidence in dependencies:
        service = table.get(name)
        if service is None and language == "go":
            service = next((s for prefix, s in table.items() if name.startswith(prefix + "/")), None)
        if service is not None and service not in found:
            found[service] = Driver(service, name, evidence)
    return list(found.values())


def _host(value: str) -> str | None:
    """The host a connection string or bare host value names (None when it names none)."""
    text = value.strip()
    if "://" in text:
        if text.lower().startswith(("sqlite:", "jdbc:sqlite:", "jdbc:h2:", "file:")):
            return None
        try:
            # No host (`postgresql:///app`): the driver's default, a socket or port on the pod itself.
            return (urlsplit(text.removeprefix("jdbc:")).hostname or "localhost").lower()
        except ValueError:
            return None
    return text.lower().split(":", 1)[0] or None


def _usable(default: str) -> bool:
    """A fallback a pod can use: an embedded database, or a host that is not the pod or a compose name."""
    host = _host(default)
    return host is None or host not in _LOCAL_HOSTS


def find_local_addresses(app_root: Path, app_dir: str, warnings: list[str]) -> dict[str, Evidence]:
    """Service kind -> the first connection string on localhost or a compose host name that the app's
    code or Spring configuration writes out (not as a variable's fallback), outside tests."""
    found: dict[str, Evidence] = {}
    for path in iter_paths(app_root, (*_CODE_SUFFIXES, ".properties", ".yml", ".yaml")):
        relative = path.relative_to(app_root).as_posix()
        spring = _SPRING_CONFIG.search(relative) is not None
        if is_test_source(relative) or not (spring or path.name.endswith(_CODE_SUFFIXES)):
            continue
        source = read_source(app_root, path, warnings)
        if source is None or "://" not in source.text:
            continue
        for number, line in enumerate(source.text.splitlines(), start=1):
            if "://" not in line or line.lstrip().startswith(_COMMENT) or _READS_VARIABLE.search(line):
                continue
            for match in _CONNECTION_STRING.finditer(line):
                kind = _SCHEMES[match.group(2)]
                if kind not in found and _host(match.group(1)) in _LOCAL_HOSTS:
                    note = f"{'Spring configuration' if spring else 'code'}: {match.group(1)}"
                    found[kind] = Evidence(evidence_path(app_dir, source.path), number, note)
    return found


def _documented_only(var: EnvVar) -> bool:
    return bool(var.evidence) and all(e.note.startswith("documented in ") for e in var.evidence)


def link_services(
    drivers: Iterable[Driver],
    env_vars: list[EnvVar],
    warnings: list[str],
    local_addresses: Callable[[], Mapping[str, Evidence]] = dict,
) -> tuple[tuple[BackingService, ...], list[EnvVar]]:
    """Each driver's service with the variables that configure it; address variables without a usable
    value become required, noted with the service that needs them. A service no variable configures
    gets the local address the code writes out (`local_addresses`, searched only then), if any."""
    services: list[BackingService] = []
    by_name = {var.name: var for var in env_vars}
    written: Mapping[str, Evidence] | None = None
    for driver in drivers:
        pattern = _VARIABLES.get(driver.service)
        names = tuple(
            sorted(
                var.name
                for var in env_vars
                if var.name in driver.variables or (pattern is not None and pattern.match(var.name))
            )
        )
        addresses = [by_name[name] for name in names if name in driver.variables or _ADDRESS.search(name)]
        # Where the code reads an address itself, one only a .env template lists is not asked for.
        read = [var for var in addresses if not _documented_only(var)]
        addresses = read or addresses
        where = f"{driver.dependency} in {driver.evidence.file}" + (
            f":{driver.evidence.line}" if driver.evidence.line else ""
        )
        satisfied = any(
            (var.default is not None and _usable(var.default)) or falls_back_to_embedded_database(var)
            for var in addresses
        )
        services.append(BackingService(driver.service, driver.dependency, driver.evidence, names, satisfied))
        if not addresses:
            spring = driver.evidence.file.endswith(("pom.xml", ".gradle", ".gradle.kts"))
            hint = _SPRING_HINT.get(driver.service, "") if spring else ""
            if written is None:
                written = local_addresses()
            local = written.get(driver.service) if not names else None
            if local is not None and hint and local.note.startswith("Spring"):
                note = Evidence(driver.evidence.file, driver.evidence.line, f"needs {driver.service}")
                by_name[hint] = replace(make_env_var(hint, None, True, note), evidence=(note, local))
                services[-1] = replace(services[-1], variables=(hint,))
                warnings.append(
                    f"needs {driver.service} ({where}): {local.file}:{local.line} points it at a host a pod "
                    f"cannot reach ({local.note.split(': ', 1)[1]}); set {hint}"
                )
                continue
            if local is not None and not local.note.startswith("Spring"):
                services[-1] = replace(services[-1], written_at=local)
                warnings.append(hardcoded_message(services[-1]))
                continue
            warnings.append(
                f"needs {driver.service} ({where}) but no variable giving its address was found in the code; "
                f"set its address with {hint or 'a variable the app reads'}"
            )
            continue
        if satisfied:
            continue
        note = Evidence(driver.evidence.file, driver.evidence.line, f"needs {driver.service}")
        for var in addresses:
            by_name[var.name] = replace(
                var,
                default=None,
                required=True,
                evidence=(note, *(e for e in var.evidence if e.note != note.note)),
            )
        warnings.append(
            f"needs {driver.service} ({where}): set {' and '.join(v.name for v in addresses)}; "
            "a pod cannot reach it on localhost or at a compose host name"
        )
    # Variables this added (a Spring address) come after the code's own.
    return tuple(services), list(by_name.values())


def hardcoded_message(service: BackingService) -> str:
    """What to change when the code writes out an address no pod can reach (`written_at`)."""
    assert service.written_at is not None
    at = service.written_at
    address = at.note.split(": ", 1)[1]
    return (
        f"needs {service.kind} ({service.dependency} in {service.evidence.file}): {at.file}:{at.line} writes "
        f"its address, {address}, into the code, and a pod cannot reach it on localhost or at a compose "
        "host name; read the address from an environment variable (for example "
        f"{_EXAMPLE_VARIABLE[service.kind]}) and set that variable when deploying"
    )


def check_services(services: Iterable[BackingService]) -> None:
    """Raise, naming the line, when the code writes out an address of a service no pod can reach."""
    for service in services:
        at = service.written_at
        if at is not None:
            details = {"service": service.kind, "source": f"{at.file}:{at.line}"}
            raise AnalysisError(hardcoded_message(service), details=details)
