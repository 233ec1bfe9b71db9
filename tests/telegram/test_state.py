"""Processed update ids and button payloads, persisted in VAR_DIR/telegram.db."""

from __future__ import annotations

from pathlib import Path

from bot.notify.telegram.render import Button
from bot.notify.telegram.sender import CALLBACK_PREFIX, keyboard
from bot.notify.telegram.state import (
    BUTTON_RETENTION_SECONDS,
    UPDATE_RETENTION_SECONDS,
    BridgeState,
)


def test_an_update_is_claimed_once_per_bot(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    assert state.claim_update(1, 10)
    assert not state.claim_update(1, 10)
    assert state.claim_update(2, 10)  # another bot's update 10
    assert not BridgeState.in_var_dir(tmp_path).claim_update(1, 10)  # another process


def test_button_ids_are_short_stable_and_resolve_in_another_process(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    payload = '/inform{"exam_type":"mri","body_part":"spine","reason":"' + "r" * 200 + '"}'
    key = state.button_id(payload)
    assert len((CALLBACK_PREFIX + key).encode()) <= 64
    assert state.button_id(payload) == key
    assert state.button_id("/deny") != key
    assert BridgeState.in_var_dir(tmp_path).button_payload(key) == payload
    assert state.button_payload("unknown") is None


def test_keyboard_callback_data_fits_telegrams_limit(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    long = "/x" + "é" * 100
    markup = keyboard([Button("Long", long), Button("Site", url="https://x.test/")], state)
    assert markup is not None
    (data_button,), (url_button,) = markup.inline_keyboard
    assert data_button.callback_data is not None
    assert len(str(data_button.callback_data).encode()) <= 64
    assert state.button_payload(str(data_button.callback_data)[len(CALLBACK_PREFIX) :]) == long
    assert url_button.url == "https://x.test/" and url_button.callback_data is None


def test_old_rows_are_pruned_and_used_buttons_kept(tmp_path: Path) -> None:
    state = BridgeState.in_var_dir(tmp_path)
    state.claim_update(1, 1, now=0)
    old = state.button_id("/old", now=0)
    used = state.button_id("/used", now=0)
    state.button_payload(used, now=BUTTON_RETENTION_SECONDS)  # pressed recently
    state.prune(now=BUTTON_RETENTION_SECONDS + UPDATE_RETENTION_SECONDS)
    assert state.claim_update(1, 1)
    assert state.button_payload(old) is None
    assert state.button_payload(used) == "/used"
