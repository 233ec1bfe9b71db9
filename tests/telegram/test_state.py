"""Processed updates, prompts, buttons and the chat map, persisted in VAR_DIR/telegram.db."""

from __future__ import annotations

from pathlib import Path

from bot.notify.telegram.ids import keyed_conversation_id
from bot.notify.telegram.render import Button
from bot.notify.telegram.sender import CALLBACK_PREFIX, keyboard
from bot.notify.telegram.state import (
    BUTTON_TTL_SECONDS,
    UPDATE_RETENTION_SECONDS,
    BridgeState,
)

KEY = "a-secret-key-for-the-state-tests"


def test_an_update_is_claimed_once_per_bot(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    assert state.claim_update(1, 10)
    assert not state.claim_update(1, 10)
    assert state.claim_update(2, 10)  # another bot's update 10
    assert not BridgeState.in_var_dir(tmp_path).claim_update(1, 10)  # another process
    assert state.claim_red_flag(1, 10)  # a claim of its own
    assert not state.claim_red_flag(1, 10)


def test_equal_payloads_of_different_questions_never_share_a_button_id(tmp_path: Path) -> None:
    """Ids were a hash of the payload: every "Yes" (/affirm) of every question was one id."""
    state = BridgeState.in_var_dir(tmp_path)
    anything_else = state.open_prompt(7)
    old_yes = state.add_button(7, anything_else, 0, "Yes, show me the options", "/affirm")
    delete = state.open_prompt(7)
    new_yes = state.add_button(7, delete, 0, "Yes, delete everything", "/affirm")
    assert old_yes != new_yes
    assert len((CALLBACK_PREFIX + old_yes).encode()) <= 64
    other = BridgeState.in_var_dir(tmp_path)  # another process (the web app's notifier)
    pressed = other.button(old_yes)
    assert pressed is not None and pressed.payload == "/affirm"
    assert pressed.prompt_id == anything_else and pressed.chat_id == 7
    assert not other.take_prompt(7, anything_else)  # has passed
    assert other.take_prompt(7, delete)  # the current question, answered once
    assert not other.take_prompt(7, delete)
    assert other.current_prompt(7) is None


def test_keyboard_callback_data_fits_telegrams_limit_and_is_rebuilt_alike(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    long = "/x" + "é" * 100
    prompt = state.open_prompt(8)
    markup = keyboard(
        [Button("Long", long), Button("Site", url="https://x.test/")], state, 8, prompt
    )
    assert markup is not None
    (data_button,), (url_button,) = markup.inline_keyboard
    assert data_button.callback_data is not None
    assert len(str(data_button.callback_data).encode()) <= 64
    key = str(data_button.callback_data)[len(CALLBACK_PREFIX) :]
    pressed = state.button(key)
    assert pressed is not None and pressed.payload == long
    assert url_button.url == "https://x.test/" and url_button.callback_data is None
    assert [b.title for b in state.prompt_buttons(prompt)] == ["Long", "Site"]


def test_buttons_expire_after_a_day_and_old_rows_are_pruned(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    state.claim_update(1, 1, now=0)
    prompt = state.open_prompt(9, now=0)
    old = state.add_button(9, prompt, 0, "Old", "/old", now=0)
    assert state.button(old, now=BUTTON_TTL_SECONDS - 1) is not None
    assert state.button(old, now=BUTTON_TTL_SECONDS + 1) is None
    state.prune(now=UPDATE_RETENTION_SECONDS + 1)
    assert state.claim_update(1, 1)
    assert state.prompt_buttons(prompt) == []


def test_conversation_ids_are_keyed_recorded_and_legacy_ones_kept(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    conversation = state.conversation_for(4242, KEY)
    assert conversation == keyed_conversation_id(4242, KEY)
    assert "4242" not in conversation and len(conversation) == len("telegram:") + 32
    assert keyed_conversation_id(4242, "another key") != conversation
    # Recorded: a new secret key does not split the conversation.
    assert state.conversation_for(4242, "a rotated key") == conversation
    assert BridgeState.in_var_dir(tmp_path).chat_of(conversation) == 4242
    assert state.chat_of(keyed_conversation_id(5, KEY)) is None  # never seen: unknown
    # Chats whose conversation began as telegram:<chat id> keep it.
    assert state.adopt_legacy([77, 4242]) == 1
    assert state.conversation_for(77, KEY) == "telegram:77"
    assert state.conversation_for(4242, KEY) == conversation
    assert state.chat_of("telegram:77") == 77
    assert state.chat_of("web:abc") is None
