"""The audit trail: who did what to which target, with secrets redacted from the details."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from justpush import store

logger = logging.getLogger(__name__)

REDACTED = "********"
_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api[-_]?key|credential|authorization|private", re.I)


def redact(value: Any) -> Any:
    """A copy of `value` with every mapping entry whose key looks secret replaced by a mask."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


async def audit(
    session: AsyncSession,
    *,
    actor: store.User | str | None,
    action: str,
    target: str,
    result: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Record an audit event in the caller's transaction and log it once."""
    who = actor.name if isinstance(actor, store.User) else (actor or "system")
    safe = redact(details or {})
    await store.add_audit_event(session, actor=who, action=action, target=target, result=result, details=safe)
    logger.info(
        "audit %s %s %s",
        action,
        target,
        result,
        extra={"stage": "audit", "actor": who, "action": action, "target": target, "result": result},
    )
