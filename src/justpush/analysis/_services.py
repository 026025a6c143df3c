"""Backing services an app needs (PostgreSQL, MySQL, MongoDB, Redis, RabbitMQ): a driver among its
dependencies plus the variables the code reads to find it.

A deployed app cannot reach a database on `localhost` or at a compose host name such as `db`, so a
service whose address variables have no value, or only such a fallback, must get one from the user:
those variables become required, with a note saying which service needs them. The deploy then stops
before the build ("needs PostgreSQL: set DATABASE_URL") instead of crash-looping after the rollout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

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


def _documented_only(var: EnvVar) -> bool:
    return bool(var.evidence) and all(e.note.startswith("documented in ") for e in var.evidence)


def link_services(
    drivers: Iterable[Driver], env_vars: list[EnvVar], warnings: list[str]
) -> tuple[tuple[BackingService, ...], list[EnvVar]]:
    """Each driver's service with the variables that configure it; address variables without a usable
    value become required, noted with the service that needs them."""
    services: list[BackingService] = []
    by_name = {var.name: var for var in env_vars}
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
        satisfied = any(var.default is not None and _usable(var.default) for var in addresses)
        services.append(BackingService(driver.service, driver.dependency, driver.evidence, names, satisfied))
        if not addresses:
            spring = driver.evidence.file.endswith(("pom.xml", ".gradle", ".gradle.kts"))
            hint = _SPRING_HINT.get(driver.service, "") if spring else ""
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
    return tuple(services), [by_name[var.name] for var in env_vars]
