"""`justpush users create|list|token|revoke`: users and their API tokens (works on the database directly)."""

import typer
from rich.console import Console

from justpush.errors import NotFoundError

from ._app import group, load_settings
from ._session import session_scope


def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="User name (unique)."),
    admin: bool = typer.Option(False, "--admin", help="Make the user an administrator."),
) -> None:
    """Create a user and print its API token (shown only this once)."""
    import anyio

    from justpush import security, store

    settings = load_settings(ctx)

    async def run() -> str:
        async with session_scope(settings) as session:
            user = await store.create_user(session, name, is_admin=admin)
            token = await security.issue_token(session, user, name="created with the user")
            await security.audit(session, actor="cli", action="user.create", target=f"user:{name}")
            await session.commit()
            return token

    token = anyio.run(run)
    Console(stderr=True).print(f"created user [bold]{name}[/]; its API token (shown once):")
    typer.echo(token)


def token(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Existing user name."),
    label: str = typer.Option("", "--label", help="What the token is for."),
) -> None:
    """Issue another API token for an existing user (shown only this once)."""
    import anyio

    from justpush import security, store

    settings = load_settings(ctx)

    async def run() -> str:
        async with session_scope(settings) as session:
            user = await store.get_user_by_name(session, name)
            if user is None:
                raise NotFoundError(f"user '{name}' not found")
            issued = await security.issue_token(session, user, name=label)
            await security.audit(session, actor="cli", action="token.create", target=f"user:{name}")
            await session.commit()
            return issued

    typer.echo(anyio.run(run))


def revoke(ctx: typer.Context, name: str = typer.Argument(..., help="Existing user name.")) -> None:
    """Revoke every API token of a user: refused at once, open streams close within seconds."""
    import anyio

    from justpush import security, store

    settings = load_settings(ctx)

    async def run() -> int:
        async with session_scope(settings) as session:
            user = await store.get_user_by_name(session, name)
            if user is None:
                raise NotFoundError(f"user '{name}' not found")
            count = await security.revoke_user_tokens(session, user)
            await security.audit(
                session, actor="cli", action="token.revoke", target=f"user:{name}", details={"tokens": count}
            )
            await session.commit()
            return count

    count = anyio.run(run)
    Console(stderr=True).print(
        f"revoked {count} token(s) of [bold]{name}[/]; `justpush users token {name}` issues a new one"
    )


def list_users(ctx: typer.Context) -> None:
    """List users."""
    import anyio
    from rich.table import Table

    from justpush import store

    settings = load_settings(ctx)

    async def run() -> list[tuple[str, str, str]]:
        async with session_scope(settings) as session:
            rows = await store.list_users(session)
            return [(u.name, "yes" if u.is_admin else "", u.created_at.isoformat()) for u in rows]

    table = Table("name", "admin", "created")
    for row in anyio.run(run):
        table.add_row(*row)
    Console().print(table)


def register(app: typer.Typer) -> None:
    users = group(app, "users")
    users.command("create")(create)
    users.command("token")(token)
    users.command("revoke")(revoke)
    users.command("list")(list_users)
