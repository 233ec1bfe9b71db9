from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings, TelegramSettings
from tests.telegram.fake_api import TOKEN, FakeTelegram
from tests.telegram.fake_backend import SECRET, FakeBackend


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def backend() -> AsyncIterator[FakeBackend]:
    fake = await FakeBackend().start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
def settings(tmp_path: Path, telegram: FakeTelegram, backend: FakeBackend) -> Settings:
    return Settings(
        var_dir=tmp_path,
        rasa_url=backend.url,
        web_port=backend.port,
        secret_key=SECRET,
        public_url=backend.url,
        rasa_api_token="test-rasa-api-token",
        telegram=TelegramSettings(bot_token=TOKEN, api_url=telegram.api_url),
    )
