"""The Telegram bridge's state in the shared database (used when it is PostgreSQL): processed
updates, red-flag answers, the chat map, prompts, buttons and the report-photo flags
(bot/notify/telegram/tables.py). Never what a patient wrote.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None


def _claims(name: str) -> None:
    op.create_table(
        name,
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_at"), name, ["at"])


def upgrade() -> None:
    _claims("telegram_processed_updates")
    _claims("telegram_red_flag_answers")
    op.create_table(
        "telegram_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_telegram_chats")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_telegram_chats_conversation_id")),
    )
    op.create_table(
        "telegram_prompts",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("prompt_id", sa.String(24), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_telegram_prompts")),
    )
    op.create_table(
        "telegram_buttons",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("prompt_id", sa.String(24), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_buttons")),
    )
    op.create_index(op.f("ix_telegram_buttons_prompt_id"), "telegram_buttons", ["prompt_id"])
    op.create_index(op.f("ix_telegram_buttons_created_at"), "telegram_buttons", ["created_at"])
    op.create_table(
        "telegram_report_photo_wanted",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_telegram_report_photo_wanted")),
    )


def downgrade() -> None:
    op.drop_table("telegram_report_photo_wanted")
    op.drop_index(op.f("ix_telegram_buttons_created_at"), table_name="telegram_buttons")
    op.drop_index(op.f("ix_telegram_buttons_prompt_id"), table_name="telegram_buttons")
    op.drop_table("telegram_buttons")
    op.drop_table("telegram_prompts")
    op.drop_table("telegram_chats")
    for name in ("telegram_red_flag_answers", "telegram_processed_updates"):
        op.drop_index(op.f(f"ix_{name}_at"), table_name=name)
        op.drop_table(name)
