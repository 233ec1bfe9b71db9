"""Files of uploads sent with the tus resumable protocol, while they arrive.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resumable_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(40), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("relative_path", sa.Text(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_resumable_files_upload_id_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resumable_files")),
        sa.UniqueConstraint("public_id", name=op.f("uq_resumable_files_public_id")),
        sa.UniqueConstraint(
            "upload_id", "position", name=op.f("uq_resumable_files_upload_id")
        ),
    )
    op.create_index(
        op.f("ix_resumable_files_upload_id"), "resumable_files", ["upload_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_resumable_files_upload_id"), table_name="resumable_files")
    op.drop_table("resumable_files")
