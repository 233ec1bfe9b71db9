"""Configuration, read from the environment in one place.

Every process calls `Settings.load()`: it refuses to start when a key is missing, too short or one
of the built-in placeholders, unless `SECONDREAD_DEV_MODE=1` (what `make run` and the tests set),
in which case missing keys are generated once into `VAR_DIR` (the files scripts/env.sh uses).
`Settings.from_env()` only parses, without that check: for tests and tools that build their own.

The shell's scripts and Rasa (whose endpoints.yml reads the environment) get the same defaults
from here: scripts/env.sh evaluates `python -m bot.config --shell`, which prints, as shell
assignments, every variable they read that the environment leaves unset (`shell_defaults`).
This module uses the standard library only, so any Python 3 can run it before `make install`.
"""

from __future__ import annotations

import base64
import os
import secrets
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

GB = 1024**3
# The placeholders a Settings built in code starts with; never accepted outside development mode.
BUILTIN_SECRET_KEY = "development-only-secret-key-change-me"
BUILTIN_STORAGE_KEY = b"\0" * 32
MIN_SECRET_CHARS = 16
DEFAULT_RASA_PORT = 5005
# Rasa's lock store (endpoints.yml names every one of these; Rasa refuses a file whose
# ${VARIABLE} is unset): one server, in memory. LOCK_STORE=redis and the REDIS_* variables for
# several Rasa servers (scripts/rasa-serve). Only Rasa reads them.
LOCK_STORE_DEFAULTS = {
    "LOCK_STORE": "in_memory",
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_DB": "1",
    "REDIS_PASSWORD": "",  # a secret: set it in the environment, never in a file of the repo
}
UPLOAD_QUEUES = ("auto", "local", "shared")
UPLOAD_STORAGES = ("local", "database")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the variable, never its value."""


@dataclass(frozen=True)
class UploadLimits:
    max_request_bytes: int = 2 * GB
    max_conversation_bytes: int = 5 * GB
    max_files_per_study: int = 20_000


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bridge (bot/telegram) and its notifier (bot/notify/telegram).

    TELEGRAM_BOT_TOKEN is needed by two processes, sharing the bridge's state, which says which
    chat each conversation is (the PostgreSQL database, or on SQLite the same VAR_DIR's
    telegram.db; bot/notify/telegram/state.py): the bridge (`python -m bot.telegram`), and the
    web app, which delivers upload verdicts that arrive after the chat's turn, and staff replies, to
    Telegram chats through the Bot API. The web app also needs RASA_API_TOKEN to ask Rasa for
    those verdicts. No token: the bridge and the notifier stay off. `python -m bot.telegram
    --check-config` says whether a configuration works (`make run` and `make telegram` run it).
    """

    bot_token: str = ""
    # The Bot API server; tests point this at a fake on 127.0.0.1.
    api_url: str = "https://api.telegram.org"
    # Set: webhook mode (Telegram calls us); empty: long polling (works behind a firewall).
    webhook_url: str = ""
    # Telegram echoes it in X-Telegram-Bot-Api-Secret-Token; requests without it are refused.
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    # Telegram only calls https:// webhooks; plain http is for development behind a tunnel.
    webhook_allow_http: bool = False


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    rasa_url: str
    web_port: int
    # Where `rasa run` listens (RASA_PORT); RASA_URL defaults to it on 127.0.0.1.
    rasa_port: int = DEFAULT_RASA_PORT
    # Signs conversation and upload tokens (HS256 JWTs); Rasa's socket.io channel shares it.
    secret_key: str = BUILTIN_SECRET_KEY
    # 32 raw bytes for AES-256-GCM encryption of stored uploads.
    storage_key: bytes = BUILTIN_STORAGE_KEY
    public_url: str = "http://127.0.0.1:8000"
    upload_limits: UploadLimits = UploadLimits()
    # Rasa's HTTP API token (`rasa run --auth-token`), for reading a conversation's history.
    rasa_api_token: str = ""
    # Where browsers reach Rasa's socket.io channel (differs from rasa_url behind a proxy).
    rasa_public_url: str = "http://127.0.0.1:5005"
    # Origins allowed to call the widget's APIs (space-separated WIDGET_ORIGINS; "*" for any).
    widget_origins: tuple[str, ...] = ("*",)
    telegram: TelegramSettings = TelegramSettings()
    # Rasa sends it to the action server (endpoints.yml); the action server refuses calls without.
    action_server_token: str = ""
    # Where our servers listen (loopback unless a reverse proxy on another host needs them).
    bind_host: str = "127.0.0.1"
    action_port: int = 5055
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For is believed; none by default.
    trusted_proxies: tuple[str, ...] = ()
    # SECONDREAD_DEV_MODE=1: missing keys are generated into var/ instead of refusing to start.
    dev_mode: bool = False
    # DATABASE_URL; empty: the SQLite file under var_dir that Rasa's tracker store also uses.
    database_url: str = ""
    # RETENTION_INACTIVE_DAYS: a conversation that never became a case is erased (messages,
    # uploads, consent answers) after this many days without activity (bot/retention.py).
    inactive_retention_days: int = 30
    # The public NPPES NPI Registry (bot/directory/nppes.py); NPPES_OFFLINE=1 never calls it
    # (tests, air-gapped installs): the bot then gives the programs and a search link instead.
    nppes_url: str = "https://npiregistry.cms.hhs.gov/api/"
    nppes_offline: bool = False
    # FOLLOW_UP_ROUND_SECONDS: how often the web app looks for records-request follow-ups due.
    follow_up_round_seconds: float = 900.0
    # UPLOAD_QUEUE: where inspection jobs wait. "auto": the shared PostgreSQL queue
    # (procrastinate, bot/uploads/shared_queue.py) when DATABASE_URL is PostgreSQL, else the
    # web app's own in-process queue; "local" or "shared" to choose.
    upload_queue: str = "auto"
    # UPLOAD_STORAGE: where stored uploads' (encrypted) bytes live: "local" (uploads_dir on this
    # host) or "database" (PostgreSQL, shared by every host; bot/storage/files.py).
    upload_storage: str = "local"

    @property
    def shared_upload_queue(self) -> bool:
        """Whether inspection jobs go through the queue that every web app shares."""
        if self.upload_queue == "auto":
            return self.on_postgresql
        return self.upload_queue == "shared"

    @property
    def on_postgresql(self) -> bool:
        return self.database.startswith(("postgresql", "postgres"))

    @property
    def uploads_dir(self) -> Path:
        return self.var_dir / "uploads"

    @property
    def database(self) -> str:
        """The database's SQLAlchemy URL."""
        return self.database_url or f"sqlite:///{self.var_dir / 'secondread.db'}"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings of a process: from_env, then the keys checked (see the module docstring).
        Raises ConfigError with a message naming what is missing."""
        settings = cls.from_env(env)
        if settings.dev_mode:
            settings = settings._with_dev_keys()
        settings.check_keys()
        return settings

    def check_keys(self) -> None:
        """Refuse missing, short or built-in keys, unless in development mode."""
        if self.dev_mode:
            return
        problems = []
        if self.secret_key == BUILTIN_SECRET_KEY or len(self.secret_key) < MIN_SECRET_CHARS:
            problems.append(f"SECONDREAD_SECRET_KEY (at least {MIN_SECRET_CHARS} characters)")
        if self.storage_key == BUILTIN_STORAGE_KEY:
            problems.append("SECONDREAD_STORAGE_KEY (32 random bytes, base64)")
        if len(self.action_server_token) < MIN_SECRET_CHARS:
            problems.append(f"ACTION_SERVER_TOKEN (at least {MIN_SECRET_CHARS} characters)")
        if len(self.rasa_api_token) < MIN_SECRET_CHARS:
            problems.append(f"RASA_API_TOKEN (at least {MIN_SECRET_CHARS} characters)")
        if problems:
            raise ConfigError(
                "refusing to start without real keys: set "
                + ", ".join(problems)
                + " in the environment (or SECONDREAD_DEV_MODE=1 on a development machine, "
                "which generates them into VAR_DIR)"
            )

    def _with_dev_keys(self) -> Settings:
        """Development mode: each missing key is read from (or generated once into) var/."""

        def text() -> str:
            return base64.b64encode(secrets.token_bytes(32)).decode()

        def token() -> str:
            return secrets.token_urlsafe(32)

        secret_key = self.secret_key
        if secret_key == BUILTIN_SECRET_KEY:
            secret_key = _dev_key(self.var_dir / "secret-key", text)
        storage_key = self.storage_key
        if storage_key == BUILTIN_STORAGE_KEY:
            storage_key = _storage_key(_dev_key(self.var_dir / "storage-key", text))
        return replace(
            self,
            secret_key=secret_key,
            storage_key=storage_key,
            action_server_token=self.action_server_token
            or _dev_key(self.var_dir / "action-server-token", token),
            rasa_api_token=self.rasa_api_token or _dev_key(self.var_dir / "rasa-api-token", token),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Parse the environment (or `env`) without checking the keys: processes use load()."""
        env = dict(os.environ if env is None else env)
        web_port = int(env.get("WEB_PORT", "8000"))
        defaults = UploadLimits()
        rasa_port = int(env.get("RASA_PORT", DEFAULT_RASA_PORT))
        rasa_url = env.get("RASA_URL", f"http://127.0.0.1:{rasa_port}").rstrip("/")
        settings = cls(
            var_dir=Path(env.get("VAR_DIR") or "var"),
            rasa_url=rasa_url,
            web_port=web_port,
            rasa_port=rasa_port,
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
                webhook_allow_http=env.get("TELEGRAM_WEBHOOK_ALLOW_HTTP", "") in ("1", "true"),
            ),
            action_server_token=env.get("ACTION_SERVER_TOKEN", ""),
            bind_host=env.get("BIND_HOST", cls.bind_host),
            action_port=int(env.get("ACTION_PORT", cls.action_port)),
            trusted_proxies=parse_trusted_proxies(env.get("TRUSTED_PROXIES", "")),
            dev_mode=env.get("SECONDREAD_DEV_MODE", "") == "1",
            database_url=env.get("DATABASE_URL", ""),
            inactive_retention_days=_positive(
                "RETENTION_INACTIVE_DAYS", env.get("RETENTION_INACTIVE_DAYS", "30")
            ),
            nppes_url=env.get("NPPES_URL", cls.nppes_url),
            nppes_offline=env.get("NPPES_OFFLINE", "") in ("1", "true"),
            follow_up_round_seconds=max(1.0, float(env.get("FOLLOW_UP_ROUND_SECONDS", "900"))),
            upload_queue=_choice(
                "UPLOAD_QUEUE", env.get("UPLOAD_QUEUE", cls.upload_queue), UPLOAD_QUEUES
            ),
            upload_storage=_choice(
                "UPLOAD_STORAGE", env.get("UPLOAD_STORAGE", cls.upload_storage), UPLOAD_STORAGES
            ),
        )
        if settings.upload_queue == "shared" and not settings.on_postgresql:
            raise ConfigError("UPLOAD_QUEUE=shared needs DATABASE_URL on PostgreSQL")
        if settings.upload_storage == "database" and not settings.on_postgresql:
            raise ConfigError("UPLOAD_STORAGE=database needs DATABASE_URL on PostgreSQL")
        return settings


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """TRUSTED_PROXIES: addresses or networks, separated by spaces or commas."""
    return tuple(value.replace(",", " ").split())


def shell_defaults(env: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The variables scripts/env.sh exports that `env` leaves unset or empty, with the values
    this module gives them: the shell's scripts, Rasa's endpoints.yml and our processes then
    read one machine. VAR_DIR is made absolute (`cwd`/var), as scripts change directory. In
    development mode the keys are read from (or generated once into) VAR_DIR, as load() does."""
    given = {name: value for name, value in env.items() if value}
    defaults: dict[str, str] = {}

    def default(name: str, value: object) -> None:
        if name not in given:
            defaults[name] = given[name] = str(value)

    default("VAR_DIR", cwd / "var")
    default("SECONDREAD_DEV_MODE", "1")  # production never sources env.sh (deploy/systemd/)
    settings = Settings.from_env(given)
    if settings.dev_mode:
        settings = settings._with_dev_keys()
        default("SECONDREAD_SECRET_KEY", settings.secret_key)
        default("SECONDREAD_STORAGE_KEY", base64.b64encode(settings.storage_key).decode())
        default("ACTION_SERVER_TOKEN", settings.action_server_token)
        default("RASA_API_TOKEN", settings.rasa_api_token)
    default("RASA_PORT", settings.rasa_port)
    default("ACTION_PORT", settings.action_port)
    default("WEB_PORT", settings.web_port)
    default("BIND_HOST", settings.bind_host)
    default("RASA_URL", settings.rasa_url)
    default("PUBLIC_URL", settings.public_url)
    default("DATABASE_URL", settings.database)
    # Rasa (SQLAlchemy 1.4 with psycopg2) uses the same database under the plain driver name.
    default("TRACKER_URL", given["DATABASE_URL"].replace("+psycopg", ""))
    postgres = given["TRACKER_URL"].startswith("postgres")
    default("TRACKER_DIALECT", "postgresql" if postgres else "sqlite")
    for name, value in LOCK_STORE_DEFAULTS.items():
        default(name, value)
    default("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{settings.action_port}/webhook")
    default("MODEL_DIR", settings.var_dir / "models")
    cache = given.get("XDG_CACHE_HOME") or Path(given.get("HOME") or Path.home()) / ".cache"
    default("MODEL_CACHE_DIR", Path(cache) / "secondread" / "models")
    return defaults


def _dev_key(path: Path, make: Callable[[], str]) -> str:
    """The development key in `path`, created (readable by its owner only) if missing."""
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make() + "\n")
    return path.read_text().strip()


def _storage_key(value: str | None) -> bytes:
    """The key is base64 in the environment; missing, it is the built-in placeholder, which
    Settings.load() refuses outside development mode."""
    if not value:
        return BUILTIN_STORAGE_KEY
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ConfigError("SECONDREAD_STORAGE_KEY must be 32 bytes, base64-encoded")
    return key


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"{name} must be one of: {', '.join(choices)}")
    return value


def _positive(name: str, value: str) -> int:
    number = int(value)
    if number < 1:
        raise ConfigError(f"{name} must be a whole number of days, at least 1")
    return number


if __name__ == "__main__":  # `python -m bot.config --shell`: what scripts/env.sh evaluates
    if sys.argv[1:] != ["--shell"]:
        sys.exit("usage: python -m bot.config --shell")
    try:
        assignments = shell_defaults(os.environ, Path.cwd())
    except (ConfigError, ValueError) as error:
        sys.exit(f"configuration: {error}")
    for name, value in assignments.items():
        print(f"{name}={shlex.quote(value)}")
