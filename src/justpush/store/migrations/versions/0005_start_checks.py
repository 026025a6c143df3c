"""Sandboxed start checks an image passed, so a deploy of the same image under the same inputs skips it.

`run_digest` names what the image runs (layers and runtime config, labels aside); `inputs_hash` the
check's own inputs (runtime, limits, env names, writable folders, port). Per owner.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "start_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("run_digest", sa.String(length=71), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_start_checks_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_start_checks")),
        sa.UniqueConstraint(
            "owner_id",
            "run_digest",
            "inputs_hash",
            name=op.f("uq_start_checks_owner_id_run_digest_inputs_hash"),
        ),
    )


def downgrade() -> None:
    op.drop_table("start_checks")
