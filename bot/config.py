"""Configuration, read from the environment in one place."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

GB = 1024**3


@dataclass(frozen=True)
class UploadLimits:
    max_request_bytes: int = 2 * GB
    max_conversation_bytes: int = 5 * GB
    max_files_per_study: int = 20_000


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bridge (bot/telegram). No token: the bridge and its notifier stay off."""

    bot_token: str = ""
    # The Bot API server; tests point this at a fake on 127.0.0.1.
    api_url: str = "https://api.telegram.org"
    # Set: webhook mode (Telegram calls us); empty: long polling (works behind a firewall).
    webhook_url: str = ""
    # Telegram echoes it in X-Telegram-Bot-Api-Secret-Token; requests without it are refused.
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    rasa_url: str
    web_port: int
    # Signs conversation and upload tokens (HS256 JWTs); Rasa's socket.io channel shares it.
    secret_key: str = "development-only-secret-key-change-me"
    # 32 raw bytes for AES-256-GCM encryption of stored uploads.
    storage_key: bytes = b"\0" * 32
    public_url: str = "http://127.0.0.1:8000"
    upload_limits: UploadLimits = UploadLimits()
    # Rasa's HTTP API token (`rasa run --auth-token`), for reading a conversation's history.
    rasa_api_token: str = ""
    # Where browsers reach Rasa's socket.io channel (differs from rasa_url behind a proxy).
    rasa_public_url: str = "http://127.0.0.1:5005"
    # Origins allowed to call the widget's APIs (space-separated WIDGET_ORIGINS; "*" for any).
    widget_origins: tuple[str, ...] = ("*",)
    telegram: TelegramSettings = TelegramSettings()

    @property
    def uploads_dir(self) -> Path:
        return self.var_dir / "uploads"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        web_port = int(env.get("WEB_PORT", "8000"))
        defaults = UploadLimits()
        rasa_url = env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/")
        return cls(
            var_dir=Path(env.get("VAR_DIR", "var")),
            rasa_url=rasa_url,
            web_port=web_port,
            secret_key=env.get("SECONDREAD_SECRET_KEY", cls.secret_key),
            storage_key=_storage_key(env.get("SECONDREAD_STORAGE_KEY")),
            public_url=env.get("PUBLIC_URL", f"http://127.0.0.1:{web_port}").rstrip("/"),
            upload_limits=UploadLimits(
                max_request_bytes=int(
                    env.get("UPLOAD_MAX_REQUEST_BYTES", defaults.max_request_bytes)
                ),
                max_conversation_bytes=int(
                    env.get("UPLOAD_MAX_CONVERSATION_BYTES", defaults.max_conversation_bytes)
                ),
                max_files_per_study=int(
                    env.get("UPLOAD_MAX_FILES_PER_STUDY", defaults.max_files_per_study)
                ),
            ),
            rasa_api_token=env.get("RASA_API_TOKEN", ""),
            rasa_public_url=env.get("RASA_PUBLIC_URL", rasa_url).rstrip("/"),
            widget_origins=tuple(env.get("WIDGET_ORIGINS", "*").split()),
            telegram=TelegramSettings(
                bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
                api_url=env.get("TELEGRAM_API_BASE_URL", TelegramSettings.api_url).rstrip("/"),
                webhook_url=env.get("TELEGRAM_WEBHOOK_URL", ""),
                webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
                webhook_listen=env.get("BIND_HOST", TelegramSettings.webhook_listen),
                webhook_port=int(env.get("TELEGRAM_WEBHOOK_PORT", TelegramSettings.webhook_port)),
            ),
        )


def _storage_key(value: str | None) -> bytes:
    """The key is base64 in the environment; a missing key only works for tests and demos."""
    if not value:
        return b"\0" * 32
    key = base64.b64decode(value)
    if len(key) != 32:
        raise ValueError("SECONDREAD_STORAGE_KEY must be 32 bytes, base64-encoded")
    return key
