"""Java projects: Maven / Gradle coordinates, framework, Java version, build and start commands."""

from __future__ import annotations

import re
from pathlib import Path

from .._files import evidence_path, iter_paths
from .._model import Evidence
from .._services import find_drivers
from ._facts import Facts, grep_sources, line_of, read_text


def detect_java(app_root: Path, app_dir: str, facts: Facts, warnings: list[str]) -> None:
    pom = app_root / "pom.xml"
    gradle = next(
        (app_root / n for n in ("build.gradle.kts", "build.gradle") if (app_root / n).is_file()), None
    )
    if pom.is_file():
        text = read_text(pom) or ""
        where = evidence_path(app_dir, "pom.xml")
        wrapper = (app_root / "mvnw").is_file()
        facts.set("package_manager", "maven", Evidence(where, None, "pom.xml"))
        facts.values["dependency_files"] = ("pom.xml",)
        build = ("./mvnw" if wrapper else "mvn", "-B", "-q", "-DskipTests", "package")
        facts.set("build_command", build, Evidence(where, None, "maven package"))
        version = _pom_java_version(text, warnings, where)
        if version:
            facts.set("language_version", version[0], Evidence(where, line_of(text, version[1]), version[1]))
        artifact = re.search(
            r"<artifactId>([^<]+)</artifactId>", re.sub(r"<parent>.*?</parent>", "", text, flags=re.S)
        )
        facts.values["name"] = artifact.group(1) if artifact else None
    elif gradle is not None:
        text = read_text(gradle) or ""
        where = evidence_path(app_dir, gradle.name)
        wrapper = (app_root / "gradlew").is_file()
        facts.set("package_manager", "gradle", Evidence(where, None, gradle.name))
        dep_files = [gradle.name] + [
            n
            for n in ("settings.gradle", "settings.gradle.kts", "gradle.properties")
            if (app_root / n).is_file()
        ]
        facts.values["dependency_files"] = tuple(sorted(dep_files))
        task = "bootJar" if "spring-boot" in text else "build"
        gradle_build = ("./gradlew" if wrapper else "gradle", "--no-daemon", "-q", task, "-x", "test")
        facts.set("build_command", gradle_build, Evidence(where, None, f"gradle {task}"))
        match = re.search(
            r"(?:JavaLanguageVersion\.of\(\s*(\d+)|sourceCompatibility\s*=\s*['\"]?(?:JavaVersion\.VERSION_)?(\d+))",
            text,
        )
        if match:
            java = match.group(1) or match.group(2)
            facts.set(
                "language_version", java, Evidence(where, line_of(text, match.group(0)), "toolchain/source")
            )
    else:
        text = ""
    manifest = "pom.xml" if pom.is_file() else (gradle.name if gradle else "")
    at = evidence_path(app_dir, manifest)
    coordinates = _java_coordinates(text)
    facts.drivers = find_drivers(
        "java", ((c, Evidence(at, line_of(text, c.split(":")[1]))) for c in coordinates)
    )
    if "spring-boot" in text:
        facts.set(
            "framework",
            "spring-boot",
            Evidence(
                evidence_path(app_dir, manifest), line_of(text, "spring-boot"), "spring-boot dependency"
            ),
        )
    main_class = _main_class(app_root)
    if main_class is not None:
        facts.set(
            "entrypoint",
            main_class[0],
            Evidence(evidence_path(app_dir, main_class[0]), main_class[1], "main()"),
        )
    if "framework" not in facts.values:
        jdk = grep_sources(app_root, (".java",), re.compile(r"com\.sun\.net\.httpserver"))
        if jdk is not None:
            facts.set(
                "framework",
                "jdk-httpserver",
                Evidence(evidence_path(app_dir, jdk[0]), jdk[1], "JDK HttpServer"),
            )
    facts.set(
        "start_command",
        ("java", "-jar", "/app/app.jar"),
        Evidence(evidence_path(app_dir, manifest), None, "runnable jar built by the image build"),
    )


_MAIN = re.compile(r"static\s+void\s+main\s*\(|fun\s+main\s*\(")
_CONTROLLER = re.compile(r"@(?:Rest)?Controller\b")


def _main_class(app_root: Path) -> tuple[str, int] | None:
    """The application's main class: a @SpringBootApplication one before any other `main` (a utility's,
    a tool's); of several applications (a multi-module build), the one whose module has the most
    controllers."""
    mains: list[tuple[bool, str, int]] = []
    controllers: list[str] = []
    for path in iter_paths(app_root, (".java", ".kt")):
        text = read_text(path)
        if text is None:
            continue
        relative = path.relative_to(app_root).as_posix()
        if _CONTROLLER.search(text):
            controllers.append(relative)
        match = _MAIN.search(text)
        if match:
            mains.append(("@SpringBootApplication" in text, relative, text.count("\n", 0, match.start()) + 1))
    if not mains:
        return None
    boot = [m for m in mains if m[0]] or mains

    def served(main: tuple[bool, str, int]) -> int:
        # Source roots end in src/main/java (or kotlin): the module is the folder above `src`.
        module = main[1].split("/src/", 1)[0] + "/" if "/src/" in main[1] else ""
        return sum(1 for c in controllers if c.startswith(module))

    chosen = max(boot, key=served) if len(boot) > 1 else boot[0]
    return chosen[1], chosen[2]


def _pom_java_version(text: str, warnings: list[str], where: str) -> tuple[str, str] | None:
    # Imported here: only a Maven project needs an XML parser.
    import xml.etree.ElementTree as ET

    try:
        ET.fromstring(text)
    except ET.ParseError as exc:
        warnings.append(f"{where}: not well-formed XML ({exc})")
    for tag in ("java.version", "maven.compiler.release", "maven.compiler.source", "release"):
        match = re.search(rf"<{re.escape(tag)}>\s*(?:1\.)?(\d+)\s*</{re.escape(tag)}>", text)
        if match:
            return match.group(1), f"<{tag}>"
    return None


def _java_coordinates(manifest: str) -> list[str]:
    """ "group:artifact" of each dependency a pom.xml or Gradle build declares."""
    pom = re.findall(
        r"<groupId>\s*([^<\s]+)\s*</groupId>\s*<artifactId>\s*([^<\s]+)\s*</artifactId>", manifest
    )
    gradle = re.findall(r"['\"]([\w.\-]+):([\w.\-]+)(?::[^'\"]*)?['\"]", manifest)
    return [f"{group}:{artifact}" for group, artifact in pom + gradle]
