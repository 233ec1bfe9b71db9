"""Status lookup limits per case number and per client address, across conversations.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_lookup_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(16), nullable=False),
        sa.Column("client_ref", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lookup_failures")),
    )
    op.create_index(
        "ix_status_lookup_failures_number", "status_lookup_failures", ["case_number", "at"]
    )
    op.create_index(
        "ix_status_lookup_failures_client", "status_lookup_failures", ["client_ref", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_status_lookup_failures_client", "status_lookup_failures")
    op.drop_index("ix_status_lookup_failures_number", "status_lookup_failures")
    op.drop_table("status_lookup_failures")
