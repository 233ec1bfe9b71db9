"""The patient's presence (here, typing, left) while a person answers.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_presence",
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('here', 'typing', 'left')", name=op.f("ck_conversation_presence_state")
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_presence")),
    )


def downgrade() -> None:
    op.drop_table("conversation_presence")
