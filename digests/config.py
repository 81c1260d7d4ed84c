"""One typed `Settings` object, read from the environment and an optional `.env` file.

Loaded once at start-up (`load_settings`) and passed down; nothing reads the environment
at import time. A missing or malformed setting raises `SettingsError` whose message is one
line naming the setting; the bot token is a `SecretStr`, so it never appears in reprs or logs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from dotenv.parser import parse_stream
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.sources import DotenvType

from digests import paths
from digests.errors import EXIT_SETTINGS, MohbotError
from digests.redaction import MIN_SECRET, token_secrets
from digests.schedule import parse_time_of_day
from digests.zones import resolve_zone

# The source tree, for the tests and benchmarks; the program itself finds its data through
# `digests.paths`, installed or not.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts
_USER_AGENT = re.compile(r"[\x20-\x7e]{1,256}")  # one printable ASCII header line
LOG_FORMATS = ("text", "json")


class SettingsError(MohbotError):
    """A setting is missing or malformed; the message names it in one line."""

    exit_code = EXIT_SETTINGS


class Settings(BaseSettings):
    """Every setting of the bot; see `.env.example` for what each one means."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8-sig", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    database_url: str = Field(default_factory=paths.default_database_url)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Asia/Ho_Chi_Minh"
    digest_time: time = time(7, 0)
    sources_file: Path = paths.SOURCES_FILE
    topics_file: Path = paths.TOPICS_FILE
    seeds_dir: Path = paths.SEEDS_DIR
    telegram_api_base_url: str = "https://api.telegram.org"
    log_level: str = "INFO"
    log_format: str = "text"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    send_rate: float = Field(default=30.0, gt=0, le=1000, allow_inf_nan=False)
    send_connections: int = Field(default=8, ge=1, le=1000)
    digest_max_per_topic: int = Field(default=5, ge=1, le=50)
    # Hours: an article published (or, undated, first seen) longer ago is not news for a digest.
    digest_max_age: float = Field(default=48.0, ge=1, le=24 * 30, allow_inf_nan=False)
    http_timeout: float = Field(default=20.0, ge=0.5, le=300, allow_inf_nan=False)
    http_max_bytes: int = Field(default=5_000_000, ge=10_000, le=100_000_000)
    user_agent: str = "mohbot/0.1 (+https://github.com/mohbot; news digest bot)"
    # /healthz and /metrics; port 0 turns the server off.
    health_listen: str = "127.0.0.1"
    health_port: int = Field(default=9090, ge=0, le=65535)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            for part in parts:
                if not re.fullmatch(r"-?\d+", part):
                    raise ValueError(f"{part!r} is not a numeric Telegram user id")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _empty_secret(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the value: it is the secret.
        if value is not None and not _TOKEN.fullmatch(value.get_secret_value().strip()):
            raise ValueError("not a token as @BotFather gives it (digits, a colon, then letters)")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("Telegram accepts 1 to 256 characters A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("user_agent")
    @classmethod
    def _header_line(cls, value: str) -> str:
        if not _USER_AGENT.fullmatch(value):
            raise ValueError("must be 1 to 256 printable ASCII characters")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone = resolve_zone(value)
        if zone is None:
            raise ValueError(f"unknown time zone {shown(value)}")
        return zone

    @field_validator("digest_time", mode="before")
    @classmethod
    def _hhmm(cls, value: object) -> object:
        if isinstance(value, str):
            at = parse_time_of_day(value)
            if at is None:
                raise ValueError(f"{shown(value)} is not a time of day HH:MM")
            return at
        return value

    @field_validator("telegram_api_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None if value == "" else value
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value and not value.startswith("https://"):
            raise ValueError("Telegram posts updates only to an https:// address")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not a log level")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in LOG_FORMATS:
            raise ValueError(f"{shown(value)} is not one of {', '.join(LOG_FORMATS)}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def secrets(self) -> list[str]:
        """What no output may show: the bot token, the webhook secret, the database password."""
        webhook = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        match = re.match(r"^[^:/]+://[^:@/]*:([^@/]+)@", self.database_url)
        others = (webhook, match.group(1) if match else "")
        return [*token_secrets(self.token), *(s for s in others if len(s) >= MIN_SECRET)]


def shown(value: str, limit: int = 40) -> str:
    """`value` quoted for a one-line message, cut when long."""
    return repr(value[:limit]) + ("…" if len(value) > limit else "")


def _env_files(setting: DotenvType | None) -> Iterator[Path]:
    if setting is None:
        return
    for name in [setting] if isinstance(setting, str | Path) else setting:
        path = Path(name).expanduser()
        if path.is_file():
            yield path


def check_env_file(path: Path) -> None:
    """Raise `SettingsError` for what the .env reader would otherwise skip with a warning or
    fail on with a traceback: bytes that are not UTF-8, and a line it cannot read (a quote left
    open), which would silently lose that setting, often the token. A value running over
    several lines is refused too: no setting has more than one line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SettingsError(
            f"{path} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line}"
        ) from None
    for binding in parse_stream(io.StringIO(text)):
        where = f"{path} line {binding.original.line}"
        if binding.error:
            raise SettingsError(f"{where} is not NAME=value (a quote left open?)")
        if (
            binding.key
            and binding.key.lower() in Settings.model_fields
            and "\n" in (binding.value or "")
        ):
            raise SettingsError(
                f"{where}: {binding.key} runs over several lines (a quote left open?)"
            )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise `SettingsError` with one line naming the bad setting.

    `overrides` are `Settings`' keyword arguments (`_env_file` included), checked by pydantic."""
    for path in _env_files(overrides.get("_env_file", Settings.model_config.get("env_file"))):
        check_env_file(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name} is invalid: {message}") from None
