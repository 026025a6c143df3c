"""Job leases (fencing), what a job creates outside the database, and Kong cleanup still owed.

`lease` is raised by every claim and takeover; a worker's write of a job holds only while the row still
carries the lease it claimed. `image` and `local_image` name the registry reference and the local build
tag a deploy creates, so recovery knows what to remove whatever stage the worker died in.
`analyze_results.gateway_owed` records Kong entities a delete could not remove (Kong unreachable); workers
retry until Kong answers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deployment_jobs") as batch:
        batch.add_column(sa.Column("lease", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("image", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("local_image", sa.String(length=512), nullable=True))
    with op.batch_alter_table("analyze_results") as batch:
        batch.add_column(sa.Column("gateway_owed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analyze_results") as batch:
        batch.drop_column("gateway_owed")
    with op.batch_alter_table("deployment_jobs") as batch:
        batch.drop_column("local_image")
        batch.drop_column("image")
        batch.drop_column("lease")
