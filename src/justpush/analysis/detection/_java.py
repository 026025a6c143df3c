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
    main_class = _main_class(app_root)
    module = _module_of(main_class[0]) if main_class is not None else ""
    if pom.is_file():
        text = read_text(pom) or ""
        where = evidence_path(app_dir, "pom.xml")
        wrapper = (app_root / "mvnw").is_file()
        facts.set("package_manager", "maven", Evidence(where, None, "pom.xml"))
        poms = _maven_modules(app_root)
        facts.values["dependency_files"] = tuple(poms)
        module = module if f"{module}/pom.xml" in poms else ""
        # A build of several modules packages the app's module and the ones it depends on.
        only = ("-pl", module, "-am") if module else ()
        build = ("./mvnw" if wrapper else "mvn", "-B", "-q", "-DskipTests", *only, "package")
        facts.set("build_command", build, Evidence(where, None, "maven package"))
        used = _used_builds(app_root, "pom.xml", poms[1:], module)
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
        projects = _gradle_projects(app_root)
        module = module if any(b.startswith(f"{module}/") for b in projects) else ""
        facts.values["dependency_files"] = tuple(sorted({*dep_files, *projects}))
        used = _used_builds(app_root, gradle.name, projects, module)
        task = "bootJar" if any(_BOOT.search(t) for _, t in used) else "build"
        target = f":{module.replace('/', ':')}:{task}" if module else task
        gradle_build = ("./gradlew" if wrapper else "gradle", "--no-daemon", "-q", target, "-x", "test")
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
        used = []
    manifest = "pom.xml" if pom.is_file() else (gradle.name if gradle else "")
    facts.drivers = find_drivers(
        "java",
        (
            (c, Evidence(evidence_path(app_dir, name), line_of(content, c.split(":")[1])))
            for name, content in used
            for c in _java_coordinates(content)
        ),
    )
    boot = next(((name, found) for name, content in used if (found := _BOOT.search(content))), None)
    if boot is not None:
        line = boot[1].string.count("\n", 0, boot[1].start()) + 1
        facts.set(
            "framework",
            "spring-boot",
            Evidence(evidence_path(app_dir, boot[0]), line, "spring-boot dependency"),
        )
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
# A Spring Boot dependency, parent or Gradle plugin.
_BOOT = re.compile(r"spring-boot|org\.springframework\.boot")
_MAVEN_MODULE = re.compile(r"<module>\s*([^<\s]+)\s*</module>")
# `include 'api', ':services:orders'` / `include("api")` in settings.gradle(.kts)
_GRADLE_INCLUDE = re.compile(r"""^\s*include\s*\(?\s*((?:["'][^"']+["']\s*,?\s*)+)""", re.MULTILINE)


def _module_of(source: str) -> str:
    """The build module a source file belongs to: the folder above its `src/` ("" at the root)."""
    return source.split("/src/", 1)[0] if "/src/" in source else ""


def _maven_modules(app_root: Path) -> list[str]:
    """pom.xml and the pom of every module it lists, nested modules included (the order Maven reads)."""
    poms = ["pom.xml"]
    for pom in poms:
        folder = pom.rsplit("/", 1)[0] if "/" in pom else ""
        for name in _MAVEN_MODULE.findall(
            re.sub(r"<!--.*?-->", "", read_text(app_root / pom) or "", flags=re.S)
        ):
            child = "/".join(p for p in (folder, name.strip("/")) if p)
            child = child if child.endswith(".xml") else f"{child}/pom.xml"
            if ".." not in child.split("/") and child not in poms and (app_root / child).is_file():
                poms.append(child)
    return poms


def _used_builds(app_root: Path, root: str, modules: list[str], module: str) -> list[tuple[str, str]]:
    """The build files whose dependencies the app has, with their text: the root's, the app module's
    and those of the modules it depends on (another app's drivers are not this one's)."""
    texts = {name: read_text(app_root / name) or "" for name in (root, *modules)}
    used = [name for name in modules if name.rsplit("/", 1)[0] == module]
    for name in used:
        for other in modules:
            if other not in used and _depends_on(texts[name], other, texts[other]):
                used.append(other)
    # The module's own files first: they name what it uses, where the root may only manage versions.
    return [(name, texts[name]) for name in (*used, root)]


def _depends_on(text: str, other: str, other_text: str) -> bool:
    """Whether a build file names another module as a dependency (its artifactId, or Gradle's
    `project(':x')`)."""
    if other.endswith("pom.xml"):
        artifact = re.search(
            r"<artifactId>\s*([^<\s]+)\s*</artifactId>",
            re.sub(r"<parent>.*?</parent>", "", other_text, flags=re.S),
        )
        return artifact is not None and f"<artifactId>{artifact.group(1)}</artifactId>" in re.sub(
            r"\s", "", text
        )
    path = ":" + other.rsplit("/", 1)[0].replace("/", ":")
    return f"project('{path}')" in text or f'project("{path}")' in text


def _gradle_projects(app_root: Path) -> list[str]:
    """The build files of the projects settings.gradle includes."""
    settings = next(
        (
            read_text(app_root / n) or ""
            for n in ("settings.gradle.kts", "settings.gradle")
            if (app_root / n).is_file()
        ),
        "",
    )
    found: list[str] = []
    for group in _GRADLE_INCLUDE.findall(settings):
        for name in re.findall(r"""["']([^"']+)["']""", group):
            folder = name.strip(":").replace(":", "/")
            for build in ("build.gradle.kts", "build.gradle"):
                if folder and ".." not in folder.split("/") and (app_root / folder / build).is_file():
                    found.append(f"{folder}/{build}")
                    break
    return found


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
