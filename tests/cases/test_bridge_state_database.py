"""The Telegram bridge's state in the shared database (the `telegram_*` tables of migration 0010),
on SQLite and on PostgreSQL: what tests/telegram/test_state.py checks of VAR_DIR/telegram.db,
seen from several processes (or hosts) at once, the choice between the two places, and the
one-time import of a telegram.db from before."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bot.config import Settings
from bot.notify.telegram.ids import keyed_conversation_id
from bot.notify.telegram.state import (
    BUTTON_TTL_SECONDS,
    UPDATE_RETENTION_SECONDS,
    BridgeState,
    uses_shared_database,
)
from bot.notify.telegram.tables import SHARED_TABLES
from tests.cases.conftest import Backend

KEY = "a-secret-key-for-the-state-tests"
Open = Callable[[], BridgeState]


@pytest.fixture
def open_state(database_url: str) -> Iterator[Open]:
    """Each call: the state as another process (the bridge, a web app on another host) sees it."""
    opened: list[BridgeState] = []

    def new() -> BridgeState:
        opened.append(BridgeState.in_database(database_url))
        return opened[-1]

    yield new
    for state in opened:
        state.close()


def count(engine: Engine, table_name: str) -> int:
    table = getattr(SHARED_TABLES, table_name)
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_update_is_claimed_once_whoever_asks(open_state: Open) -> None:
    bridge, other = open_state(), open_state()
    assert bridge.claim_update(1, 10)
    assert not other.claim_update(1, 10)
    assert other.claim_update(2, 10)  # another bot's update 10
    assert bridge.claim_red_flag(1, 10)
    assert not other.claim_red_flag(1, 10)


def test_racing_claims_of_one_update_let_exactly_one_through(open_state: Open) -> None:
    states = [open_state() for _ in range(8)]
    start = threading.Barrier(len(states))
    won: list[bool] = []
    lock = threading.Lock()

    def claim(state: BridgeState) -> None:
        start.wait()
        result = state.claim_update(7, 99)
        with lock:
            won.append(result)

    threads = [threading.Thread(target=claim, args=(state,)) for state in states]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(won) == [False] * 7 + [True]


def test_a_prompt_is_answered_once_and_old_buttons_have_passed(open_state: Open) -> None:
    bridge, web = open_state(), open_state()
    anything_else = web.open_prompt(7)  # the web app's notifier sent a verdict with buttons
    old_yes = web.add_button(7, anything_else, 0, "Yes, show me the options", "/affirm")
    delete = bridge.open_prompt(7)
    new_yes = bridge.add_button(7, delete, 0, "Yes, delete everything", "/affirm")
    bridge.anchor_prompt(7, delete, 555)
    assert old_yes != new_yes
    pressed = bridge.button(old_yes)
    assert pressed is not None and pressed.payload == "/affirm"
    assert pressed.prompt_id == anything_else and pressed.chat_id == 7
    current = web.current_prompt(7)
    assert current is not None and (current.prompt_id, current.message_id) == (delete, 555)
    assert not bridge.take_prompt(7, anything_else)  # has passed
    assert web.take_prompt(7, delete)
    assert not bridge.take_prompt(7, delete)
    assert bridge.current_prompt(7) is None
    assert [b.title for b in web.prompt_buttons(delete)] == ["Yes, delete everything"]


def test_buttons_expire_and_old_rows_are_pruned(open_state: Open) -> None:
    state = open_state()
    state.claim_update(1, 1, now=0)
    state.claim_red_flag(1, 1, now=0)
    prompt = state.open_prompt(9, now=0)
    old = state.add_button(9, prompt, 0, "Old", "/old", now=0)
    assert state.button(old, now=BUTTON_TTL_SECONDS - 1) is not None
    assert state.button(old, now=BUTTON_TTL_SECONDS + 1) is None
    state.prune(now=UPDATE_RETENTION_SECONDS + 1)
    assert state.claim_update(1, 1)
    assert state.claim_red_flag(1, 1)
    assert state.prompt_buttons(prompt) == []


def test_conversation_ids_are_keyed_recorded_and_legacy_ones_kept(open_state: Open) -> None:
    state = open_state()
    conversation = state.conversation_for(4242, KEY)
    assert conversation == keyed_conversation_id(4242, KEY)
    assert state.conversation_for(4242, "a rotated key") == conversation
    assert open_state().chat_of(conversation) == 4242
    assert state.chat_of(keyed_conversation_id(5, KEY)) is None
    assert state.adopt_legacy([77, 4242, 78]) == 2  # 4242 already has its conversation
    assert state.adopt_legacy([77]) == 0
    assert state.conversation_for(77, KEY) == "telegram:77"
    assert state.conversation_for(4242, KEY) == conversation
    # Chat ids of groups are negative and beyond 32 bits.
    big = -1_001_234_567_890
    assert open_state().chat_of(state.conversation_for(big, KEY)) == big


def test_report_photos_are_wanted_per_chat(open_state: Open) -> None:
    bridge, web = open_state(), open_state()
    assert not bridge.wants_report_photo(3)
    web.want_report_photo(3, True)
    web.want_report_photo(3, True)  # again: still one row
    assert bridge.wants_report_photo(3) and not bridge.wants_report_photo(4)
    bridge.want_report_photo(3, False)
    assert not web.wants_report_photo(3)


def test_postgresql_keeps_it_in_the_database_and_sqlite_in_telegram_db(
    backend: Backend, database_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path), "DATABASE_URL": database_url})
    state = BridgeState.for_settings(settings)
    try:
        state.conversation_for(11, KEY)
    finally:
        state.close()
    engine = BridgeState.in_database(database_url)._engine
    try:
        rows_in_database = count(engine, "chats")
    finally:
        engine.dispose()
    if backend.name == "postgresql":
        assert uses_shared_database(database_url)
        assert rows_in_database == 1 and not (tmp_path / "telegram.db").exists()
    else:
        assert not uses_shared_database(database_url)
        assert rows_in_database == 0 and (tmp_path / "telegram.db").exists()
        assert BridgeState.in_var_dir(tmp_path).chat_of(keyed_conversation_id(11, KEY)) == 11


def test_a_telegram_db_from_before_is_imported_once(
    open_state: Open, database_url: str, tmp_path: Path
) -> None:
    old = BridgeState.in_var_dir(tmp_path)
    old_conversation = old.conversation_for(21, KEY)
    old.adopt_legacy([22])
    old.claim_update(1, 500)
    prompt = old.open_prompt(21)
    button = old.add_button(21, prompt, 0, "Yes", "/affirm")
    old.want_report_photo(21, True)
    old.conversation_for(23, KEY)
    old.close()
    shared = open_state()
    # Already in the database (the bridge ran here once): the database's row wins.
    assert shared.adopt_legacy([23]) == 1

    added = shared.import_file(tmp_path)

    assert added == 6  # chats 21 and 22, the update, the prompt, the button, the photo flag
    assert not (tmp_path / "telegram.db").exists()
    assert (tmp_path / "telegram.db.imported").exists()
    assert shared.chat_of(old_conversation) == 21
    assert shared.conversation_for(22, KEY) == "telegram:22"
    assert shared.conversation_for(23, KEY) == "telegram:23"
    assert not shared.claim_update(1, 500)  # a redelivery after the move is still a redelivery
    assert shared.take_prompt(21, prompt)
    pressed = shared.button(button)
    assert pressed is not None and pressed.payload == "/affirm"
    assert shared.wants_report_photo(21)
    assert shared.import_file(tmp_path) == 0  # once
