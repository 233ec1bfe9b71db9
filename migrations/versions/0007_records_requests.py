"""Records requests written by the bot, with their day-10 and day-30 follow-ups.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("center_name", sa.String(120), nullable=False),
        sa.Column("exam", sa.String(120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("follow_ups_sent", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records_requests")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_records_requests_conversation_id")),
    )
    op.create_index(
        op.f("ix_records_requests_requested_at"), "records_requests", ["requested_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_records_requests_requested_at"), "records_requests")
    op.drop_table("records_requests")
