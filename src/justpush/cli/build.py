"""`justpush dockerfile PATH` and `justpush build PATH --tag REF [--push] [--registry URL]`."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from justpush.analysis import ProjectProfile
    from justpush.build import LintFinding, PreparedDockerfile
    from justpush.config import Settings
from justpush.errors import GenerationError

from ._app import load_settings
from ._dockerfile_mode import DOCKERFILE_HELP, DockerfileMode

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_DOCKERFILE_OPTION = typer.Option(DockerfileMode.AUTO, "--dockerfile", help=DOCKERFILE_HELP)


def _prepare(
    path: Path,
    settings: "Settings",
    upload_id: str,
    root: str | None = None,
    mode: DockerfileMode = DockerfileMode.AUTO,
) -> tuple["ProjectProfile", "PreparedDockerfile"]:
    from justpush.analysis import AnalysisOptions, analyze
    from justpush.build import DockerfileOptions, choose_dockerfile, choose_runtime, prepare_dockerfile

    result = analyze(path, AnalysisOptions(root=root))
    options = DockerfileOptions(
        base_images=settings.build.base_images, runtimes=settings.build.runtimes, upload_id=upload_id
    )
    own = mode is not DockerfileMode.GENERATED
    prepared = prepare_dockerfile(path, result.profile, options, own=own)
    # Locally only the Dockerfile's text is checked; a deploy also pulls its base images.
    choice = choose_dockerfile(
        mode.value, (result.profile.dockerfile or None) if own else None, prepared.findings
    )
    if choice.origin is None:
        raise GenerationError(choice.error or "the project's Dockerfile cannot be used")
    if choice.warning is not None:
        Console(stderr=True).print(f"warning: {escape(choice.warning)}", highlight=False, soft_wrap=True)
    if choice.origin != prepared.origin:
        prepared = prepare_dockerfile(path, result.profile, options, own=False)
    runtime = choose_runtime(result.profile, options) if prepared.origin == "generated" else None
    if runtime is not None:
        Console(stderr=True).print(f"runtime: {escape(runtime.describe())}", highlight=False, soft_wrap=True)
        if runtime.instead_of_pin is not None:
            Console(stderr=True).print(
                f"warning: {escape(runtime.instead_of_pin)}", highlight=False, soft_wrap=True
            )
    return result.profile, prepared


def _report(findings: tuple["LintFinding", ...], console: Console) -> None:
    for finding in findings:
        style = _SEVERITY_STYLE.get(finding.severity, "")
        console.print(
            f"[{style}]{finding.severity}[/] line {finding.line} "
            + escape(f"[{finding.rule}] {finding.message}"),
            highlight=False,
        )


def dockerfile_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder with the API's source code.")],
    upload_id: Annotated[str, typer.Option(help="Revision label written into the image.")] = "local",
    ignore: Annotated[bool, typer.Option("--dockerignore", help="Print the .dockerignore instead.")] = False,
    root: Annotated[
        str | None,
        typer.Option("--root", help="The API's folder inside PATH (default: detected, e.g. backend/)."),
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Write the generated Dockerfile, .dockerignore and .justpush/ helpers into the app folder "
            "(never over an existing file).",
        ),
    ] = False,
    mode: DockerfileMode = _DOCKERFILE_OPTION,
) -> None:
    """Print the Dockerfile a build would use (the upload's own or a generated one); lint on stderr."""
    settings = load_settings(ctx)
    _, prepared = _prepare(path, settings, upload_id, root, mode)
    err = Console(stderr=True)
    err.print(f"dockerfile: {prepared.origin} (context {prepared.context})", highlight=False)
    _report(prepared.findings, err)
    if write:
        _write(path / prepared.context, prepared, err)
        return
    if prepared.files:
        err.print(
            f"helper files (written with --write): {', '.join(sorted(prepared.files))}", highlight=False
        )
    typer.echo(prepared.dockerignore if ignore else prepared.dockerfile, nl=False)


def _write(folder: Path, prepared: "PreparedDockerfile", err: Console) -> None:
    """The generated files into ``folder``, all or none: an existing file stops before any is written."""
    if prepared.origin != "generated":
        err.print("the project has its own Dockerfile: nothing to write", highlight=False)
        raise typer.Exit(1)
    files = {"Dockerfile": prepared.dockerfile, ".dockerignore": prepared.dockerignore, **prepared.files}
    existing = sorted(name for name in files if (folder / name).exists())
    if existing:
        err.print(escape(f"not written, these files exist: {', '.join(existing)}"), highlight=False)
        raise typer.Exit(1)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
        err.print(escape(f"wrote {folder / name}"), highlight=False)


def build_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder with the API's source code.")],
    tag: Annotated[str, typer.Option("--tag", help="Local image reference, e.g. orders-api:dev.")],
    push: Annotated[bool, typer.Option("--push", help="Push to the configured registry.")] = False,
    registry: Annotated[
        str | None, typer.Option("--registry", help="Registry URL (overrides containerRegistry.url).")
    ] = None,
    upload_id: Annotated[str | None, typer.Option(help="Revision label and pushed tag.")] = None,
    mode: DockerfileMode = _DOCKERFILE_OPTION,
) -> None:
    """Build an image (and push it) with live progress."""
    import secrets

    import anyio

    from justpush.build import DockerBuilder
    from justpush.registry import RegistryClient, image_reference, parse_reference

    settings = load_settings(ctx)
    upload = upload_id or f"local-{secrets.token_hex(4)}"
    _, prepared = _prepare(path, settings, upload, mode=mode)
    err = Console(stderr=True)
    _report(prepared.findings, err)
    registry_settings = settings.container_registry
    if registry:
        registry_settings = registry_settings.model_copy(update={"url": registry})

    async def run() -> None:
        builder = DockerBuilder(settings.build)
        try:
            with err.status(f"building {tag}", spinner="dots") as status:

                def on_log(line: str) -> None:
                    if line.startswith("Step "):
                        err.print(f"[dim]{line}[/]", highlight=False)
                    status.update(f"building {tag}: {line[:100]}")

                built = await builder.build(
                    path / prepared.context,
                    prepared.dockerfile,
                    tag,
                    upload_id=upload,
                    dockerignore=prepared.dockerignore,
                    files=prepared.files,
                    on_log=on_log,
                )
            err.print(f"[green]built[/] {built.tag} {built.image_id[:19]} ({built.size / 1e6:.1f} MB)")
            if prepared.type_check is not None:
                # The TypeScript build left the type check out of the build: it runs here.
                with err.status(f"type-checking: {prepared.type_check.command}", spinner="dots"):
                    await builder.type_check(
                        path / prepared.context, prepared.type_check, built, upload_id=upload
                    )
                err.print(f"[green]type-checked[/] {prepared.type_check.command}", highlight=False)
        finally:
            await builder.aclose()
        if not push:
            return
        client = RegistryClient(registry_settings, docker_host=settings.build.docker_host)
        try:
            name, _, version = tag.rpartition(":")
            if "/" in name and ("." in name.split("/")[0] or ":" in name.split("/")[0]):
                reference = parse_reference(tag)
            else:
                app = (name or tag).rsplit("/", 1)[-1]
                reference = image_reference(registry_settings, app, upload if not name else version)
            with err.status(f"pushing {reference}", spinner="dots") as status:
                pushed = await client.push(
                    tag, reference, upload_id=upload, on_progress=lambda line: status.update(line[:100])
                )
        finally:
            await client.aclose()
        err.print(f"[green]pushed[/] {pushed.reference}")
        typer.echo(pushed.pinned)

    if ":" not in tag.rsplit("/", 1)[-1]:
        raise GenerationError(f"--tag {tag!r} needs a tag, e.g. {tag}:dev")
    anyio.run(run)


def register(app: typer.Typer) -> None:
    app.command("dockerfile")(dockerfile_command)
    app.command("build")(build_command)
