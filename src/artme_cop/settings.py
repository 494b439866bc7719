"""Configuration from the environment: each setting declared once, with a default that runs.

`load_settings(environ)` reads `ARTME_*` variables, rejects unknown ones and invalid values
with the variable's name (`SettingsError`), and generates the secret key into the data
directory on first start when none is given. Secrets are wrapped so that `repr` masks them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlsplit

from limits import parse as parse_rate_limit

PREFIX = "ARTME_"


class SettingsError(Exception):
    """A setting is invalid; the message names the variable."""


class Secret:
    """A string that does not show itself in reprs, logs or tracebacks."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Setting:
    name: str
    attr: str
    default: str
    help: str
    parse: Callable[[str], object] = str


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or a positive whole number")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def _base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL such as https://cop.example.org")
    return f"{parts.scheme}://{parts.netloc}"


def _secret_list(raw: str) -> tuple[Secret, ...]:
    keys = tuple(Secret(key.strip()) for key in raw.split(",") if key.strip())
    if any(len(key.reveal()) < 32 for key in keys):
        raise ValueError("use at least 32 random characters for each key")
    return keys


def _optional_origin(raw: str) -> str:
    return _base_url(raw) if raw else ""


def _database_url(raw: str) -> str:
    if raw and not raw.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    return raw


def _redis_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must be a redis:// or rediss:// URL")
    return raw


def _redis_prefix(raw: str) -> str:
    if not raw or not all(ch.isalnum() or ch in "-_" for ch in raw):
        raise ValueError("must be letters, digits, - or _")
    return raw


def _rate(raw: str) -> str:
    if parse_rate_limit(raw).amount < 1:
        raise ValueError("must allow at least one attempt, such as 5/minute")
    return raw


def _ip_list(raw: str) -> frozenset[str]:
    return frozenset(item.strip() for item in raw.split(",") if item.strip())


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
    return level


SETTINGS: tuple[Setting, ...] = (
    Setting("ARTME_DATA_DIR", "data_dir", "./var", "Directory for the SQLite database, the generated secret key and the mail outbox.", Path),
    Setting("ARTME_DATABASE_URL", "database_url", "", "SQLAlchemy URL; default `sqlite+aiosqlite:///<data dir>/artme.db`. Use `postgresql+asyncpg://user@host/db` for PostgreSQL.", _database_url),
    Setting("ARTME_SECRET_KEY", "secret_key", "", "Key that signs sessions and invitation links. When unset, one is generated into `<data dir>/secret_key` on first start.", Secret),
    Setting("ARTME_SECRET_KEY_PREVIOUS", "previous_secret_keys", "", "Former keys, comma-separated, still accepted for what they signed (sessions, invitation and file links) while they are listed, so the key can be replaced without signing everyone out; everything new is signed with ARTME_SECRET_KEY. Remove them once the session lifetime has passed, and what they signed is refused.", _secret_list),
    Setting("ARTME_REDIS_URL", "redis_url", "", "Redis URL (`redis://127.0.0.1:6379/0`). When set, rate limits (and the real-time broker) are shared by all server processes.", _redis_url),
    Setting("ARTME_REDIS_PREFIX", "redis_prefix", "artme", "Prefix of every Redis key and channel, so several installations (or test runs) can share one Redis.", _redis_prefix),
    Setting("ARTME_BASE_URL", "base_url", "http://127.0.0.1:8000", "Public origin of the server; used in links, the WebSocket Origin check, and to mark cookies Secure when https.", _base_url),
    Setting("ARTME_FILES_BASE_URL", "files_base_url", "", "An origin of its own for downloads of uploaded files (SEC-H8), such as https://files.cop.example.org, whose name points at this same server: a download is then answered with a redirect there carrying a signed link good for a minute, and that origin serves nothing but those files, never with the app's cookies. Empty: files come from ARTME_BASE_URL.", _optional_origin),
    Setting("ARTME_SESSION_LIFETIME", "session_lifetime", "604800", "Seconds a sign-in lasts (absolute), default 7 days.", _positive_int),
    Setting("ARTME_INVITATION_LIFETIME", "invitation_lifetime", "1209600", "Seconds an invitation link stays valid, default 14 days.", _positive_int),
    Setting("ARTME_RESET_LIFETIME", "reset_lifetime", "3600", "Seconds a password-reset link stays valid, default 1 hour.", _positive_int),
    Setting("ARTME_MAX_BODY_BYTES", "max_body_bytes", "1048576", "Largest request body accepted; larger bodies get 413.", _positive_int),
    Setting("ARTME_UPLOAD_QUOTA_BYTES", "upload_quota_bytes", "104857600", "Bytes that the files one person uploads (lab channel attachments, knowledge resource files) may take together, default 100 MiB; an upload past it gets 413.", _positive_int),
    Setting("ARTME_CLAMD_SOCKET", "clamd_socket", "", "Path of the local socket of ClamAV's clamd (for example /run/clamav/clamd.ctl): every uploaded file is scanned before it is stored, an infected one is refused, and while clamd does not answer uploads are refused with 503. Empty: uploads are not scanned for malware.", str),
    Setting("ARTME_REQUIRE_TWO_STEP", "require_two_step", "false", "true: program admins and institution leads use their role only in a session signed in with two-step sign-in (a code from an authenticator app after the password); until they set it up on their account page they act as participants. Anyone may turn two-step sign-in on either way.", _bool),
    Setting("ARTME_LOGIN_LIMIT_ACCOUNT", "login_limit_account", "5/minute", "Sign-in attempts allowed per account (limits syntax, e.g. `5/minute`).", _rate),
    Setting("ARTME_LOGIN_LIMIT_ADDRESS", "login_limit_address", "20/minute", "Sign-in attempts allowed per client address.", _rate),
    Setting("ARTME_ACCEPT_LIMIT_ADDRESS", "accept_limit_address", "10/minute", "Invitation acceptances and password resets allowed per client address.", _rate),
    Setting("ARTME_MESSAGE_RATE", "message_rate", "5", "Messages per second one person may send over the WebSocket and the JSON API together, per server process (bursts of twice that).", _positive_int),
    Setting("ARTME_WS_PING_INTERVAL", "ws_ping_interval", "20", "Seconds between WebSocket pings; a peer that does not answer within as long again is dropped.", _positive_int),
    Setting("ARTME_PRESENCE_TTL", "presence_ttl", "30", "Seconds after which a server process that stopped refreshing its presence entries in Redis (it died) no longer counts.", _positive_int),
    Setting("ARTME_TRUSTED_PROXIES", "trusted_proxies", "", "Comma-separated proxy addresses whose X-Forwarded-For is believed; empty trusts none.", _ip_list),
    Setting("ARTME_SMTP_HOST", "smtp_host", "", "SMTP server for outgoing mail; when empty, mail is written to `<data dir>/outbox/` and noted in the log.", str),
    Setting("ARTME_SMTP_PORT", "smtp_port", "587", "SMTP port.", _positive_int),
    Setting("ARTME_SMTP_USER", "smtp_user", "", "SMTP user name (optional).", str),
    Setting("ARTME_SMTP_PASSWORD", "smtp_password", "", "SMTP password (optional).", Secret),
    Setting("ARTME_SMTP_STARTTLS", "smtp_starttls", "true", "Use STARTTLS with the SMTP server.", _bool),
    Setting("ARTME_MAIL_FROM", "mail_from", "ARTME Community <no-reply@localhost>", "Sender address of outgoing mail.", str),
    Setting("ARTME_DIGEST_INTERVAL", "digest_interval", "3600", "Seconds between the server's scheduled checks: due daily notification digests (each person gets at most one a day), team-lab commitments whose check date has come, knowledge resources past their review date, deleted and hidden messages past ARTME_REMOVED_RETENTION_DAYS; 0 turns them off, for running `artme-cop notifications digest`, `artme-cop labs remind`, `artme-cop knowledge review-due` and `artme-cop moderation purge` from cron instead.", _non_negative_int),
    Setting("ARTME_DIALOGUE_PURGE_INTERVAL", "dialogue_purge_interval", "300", "Seconds between the server's purges of closed Chats for Change sessions (their messages are deleted, reported ones kept for the incident handlers); 0 turns it off, for running `artme-cop dialogue purge` from cron instead.", _non_negative_int),
    Setting("ARTME_DIALOGUE_REPORT_DAYS", "dialogue_report_days", "30", "Days a reported dialogue message is kept after its incident is resolved, before the purge deletes it.", _non_negative_int),
    Setting("ARTME_REMOVED_RETENTION_DAYS", "removed_retention_days", "30", "Days the text, edit history and files of a deleted or hidden message are kept for the moderators; then the server's hourly purge (ARTME_DIGEST_INTERVAL, or `artme-cop moderation purge`) blanks the text and removes the files. A message with an open flag, or reported in a Chats for Change room, waits.", _non_negative_int),
    Setting("ARTME_GIL_SWITCH_US", "gil_switch_us", "1000", "Microseconds a thread may keep Python's interpreter lock while another thread waits for it (Python's default is 5000). The event loop shares the lock with the SQLite write thread; a shorter turn keeps live delivery quick while a batch of messages is written (docs/performance.md).", _positive_int),
    Setting("ARTME_LOG_LEVEL", "log_level", "INFO", "Log level: DEBUG, INFO, WARNING or ERROR.", _log_level),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./var")
    database_url: str = ""
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    previous_secret_keys: tuple[Secret, ...] = ()
    redis_url: str = ""
    redis_prefix: str = "artme"
    base_url: str = "http://127.0.0.1:8000"
    files_base_url: str = ""
    session_lifetime: int = 604800
    invitation_lifetime: int = 1209600
    reset_lifetime: int = 3600
    max_body_bytes: int = 1048576
    upload_quota_bytes: int = 104857600
    clamd_socket: str = ""
    require_two_step: bool = False
    login_limit_account: str = "5/minute"
    login_limit_address: str = "20/minute"
    accept_limit_address: str = "10/minute"
    message_rate: int = 5
    ws_ping_interval: int = 20
    presence_ttl: int = 30
    trusted_proxies: frozenset[str] = frozenset()
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: Secret = field(default_factory=lambda: Secret(""))
    smtp_starttls: bool = True
    mail_from: str = "ARTME Community <no-reply@localhost>"
    digest_interval: int = 3600
    dialogue_purge_interval: int = 300
    dialogue_report_days: int = 30
    removed_retention_days: int = 30
    gil_switch_us: int = 1000
    log_level: str = "INFO"

    @property
    def signing_keys(self) -> list[str]:
        """Every accepted key, oldest first; itsdangerous signs with the last (key rotation)."""
        return [key.reveal() for key in self.previous_secret_keys] + [self.secret_key.reveal()]

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: Mapping[str, str] | None = None, *, create_secret: bool = True) -> Settings:
    """Build Settings from `environ` (default `os.environ`); raise SettingsError naming the key."""
    env = os.environ if environ is None else environ
    known = {setting.name for setting in SETTINGS}
    unknown = sorted(key for key in env if key.startswith(PREFIX) and key not in known)
    if unknown:
        raise SettingsError(f"unknown setting {unknown[0]} (known: see README, Configuration)")
    values: dict[str, object] = {}
    for setting in SETTINGS:
        raw = env.get(setting.name, setting.default)
        try:
            values[setting.attr] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{setting.name}={_shown(raw)!r} is invalid: {exc}") from None
    if values["files_base_url"] and urlsplit(str(values["files_base_url"])).netloc == urlsplit(str(values["base_url"])).netloc:
        raise SettingsError("ARTME_FILES_BASE_URL is invalid: it must be another host than ARTME_BASE_URL, or the files share the app's origin")
    data_dir = Path(values["data_dir"]).resolve()  # type: ignore[arg-type]
    values["data_dir"] = data_dir
    if not values["database_url"]:
        values["database_url"] = f"sqlite+aiosqlite:///{data_dir / 'artme.db'}"
    if not values["secret_key"]:
        if not create_secret:
            raise SettingsError("ARTME_SECRET_KEY is not set and no key may be generated here")
        values["secret_key"] = Secret(_stored_secret(data_dir))
    elif len(values["secret_key"].reveal()) < 32:  # type: ignore[union-attr]
        raise SettingsError("ARTME_SECRET_KEY is invalid: use at least 32 random characters")
    return Settings(**values)  # type: ignore[arg-type]


def _shown(raw: str) -> str:
    """A rejected value as an error message may show it: a URL's password is masked (SEC-K2)."""
    try:
        password = urlsplit(raw).password
    except ValueError:
        return raw
    return raw.replace(f":{password}@", ":***@", 1) if password else raw


def _stored_secret(data_dir: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first start."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
