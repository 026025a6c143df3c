"""Pipeline record: the release of each revision, smoke-test results, one-time API key display, and
why the analysis chose its spec.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deployment_revisions") as batch:
        batch.add_column(sa.Column("release", sa.JSON(), nullable=True))
    with op.batch_alter_table("analyze_results") as batch:
        batch.add_column(sa.Column("verification", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("api_key_revealed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("spec_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyze_results") as batch:
        batch.drop_column("spec_reason")
        batch.drop_column("api_key_revealed_at")
        batch.drop_column("verification")
    with op.batch_alter_table("deployment_revisions") as batch:
        batch.drop_column("release")
