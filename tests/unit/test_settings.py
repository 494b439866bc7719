"""Settings from the environment, and the `artme-cop` command line built on them.

The CLI tests are plain functions: `main()` runs its own event loop with `asyncio.run`.
They use a SQLite database in the test's data directory whatever ARTMETEST_DB says.
"""

from __future__ import annotations

import dataclasses
import email
import gc
import email.policy
import os
import re
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from artme_cop import cli, demo
from artme_cop.settings import SETTINGS, Secret, Settings, SettingsError, load_settings

STRONG = "Quiet harbour 93 kestrels"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ARTME_* variable of the developer's shell leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("ARTME_"):
            monkeypatch.delenv(name)


def test_defaults_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.data_dir == (tmp_path / "var").resolve()
    assert settings.database_url == f"sqlite+aiosqlite:///{(tmp_path / 'var' / 'artme.db').resolve()}"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.session_lifetime == 604800
    assert settings.max_body_bytes == 1048576
    assert settings.smtp_starttls is True
    assert settings.trusted_proxies == frozenset()
    assert settings.is_sqlite and not settings.secure_cookies
    assert len(settings.secret_key.reveal()) >= 32


def test_declared_defaults_match_the_settings_class() -> None:
    """The table of SETTINGS (which the README documents) and the dataclass defaults agree."""
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert {s.attr for s in SETTINGS} == set(fields)
    defaults = Settings()
    for setting in SETTINGS:
        assert setting.name.startswith("ARTME_")
        assert setting.parse(setting.default) == getattr(defaults, setting.attr), setting.name


def test_values_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "ARTME_DATA_DIR": str(tmp_path),
            "ARTME_BASE_URL": "https://cop.example.org/some/path",
            "ARTME_SESSION_LIFETIME": "3600",
            "ARTME_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2,",
            "ARTME_SMTP_STARTTLS": "no",
            "ARTME_LOG_LEVEL": "debug",
            "ARTME_DATABASE_URL": "postgresql+asyncpg://app@db.example.org/artme",
        }
    )
    assert settings.base_url == "https://cop.example.org"
    assert settings.secure_cookies
    assert settings.session_lifetime == 3600
    assert settings.trusted_proxies == frozenset({"10.0.0.1", "10.0.0.2"})
    assert settings.smtp_starttls is False
    assert settings.log_level == "DEBUG"
    assert not settings.is_sqlite


def test_unknown_setting_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ARTME_DATABSE_URL"):
        load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_DATABSE_URL": "sqlite+aiosqlite:///x.db"})


def test_other_prefixes_are_ignored(tmp_path: Path) -> None:
    settings = load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTMETEST_DB": "postgres", "PATH": "/bin"})
    assert settings.data_dir == tmp_path.resolve()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARTME_BASE_URL", "cop.example.org"),
        ("ARTME_BASE_URL", "ftp://cop.example.org"),
        ("ARTME_BASE_URL", "https://"),
        ("ARTME_DATABASE_URL", "mysql://root@localhost/artme"),
        ("ARTME_DATABASE_URL", "sqlite:///artme.db"),
        ("ARTME_REDIS_URL", "http://127.0.0.1:6379"),
        ("ARTME_SESSION_LIFETIME", "a week"),
        ("ARTME_SESSION_LIFETIME", "0"),
        ("ARTME_SESSION_LIFETIME", "-60"),
        ("ARTME_INVITATION_LIFETIME", "1.5"),
        ("ARTME_RESET_LIFETIME", ""),
        ("ARTME_MAX_BODY_BYTES", "1MB"),
        ("ARTME_SMTP_PORT", "smtp"),
        ("ARTME_LOGIN_LIMIT_ACCOUNT", "lots"),
        ("ARTME_LOGIN_LIMIT_ADDRESS", "20 per fortnightly"),
        ("ARTME_ACCEPT_LIMIT_ADDRESS", "x/y"),
        ("ARTME_SMTP_STARTTLS", "maybe"),
        ("ARTME_LOG_LEVEL", "LOUD"),
        ("ARTME_FILES_BASE_URL", "files.cop.example.org"),
        ("ARTME_FILES_BASE_URL", "http://127.0.0.1:8000"),  # the app's own origin (the default ARTME_BASE_URL)
        ("ARTME_REQUIRE_TWO_STEP", "sometimes"),
        ("ARTME_SECRET_KEY_PREVIOUS", "short"),
        ("ARTME_SECRET_KEY_PREVIOUS", "a-long-enough-former-key-0123456789abcdef,short"),
    ],
)
def test_invalid_value_is_refused_by_name(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"ARTME_DATA_DIR": str(tmp_path), name: value})
    assert name in str(caught.value)


def test_a_files_origin_keeps_only_its_origin(tmp_path: Path) -> None:
    settings = load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_FILES_BASE_URL": "https://files.cop.example.org/ignored/path"})
    assert settings.files_base_url == "https://files.cop.example.org"


def test_secret_is_generated_into_the_data_dir_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_settings({"ARTME_DATA_DIR": str(data_dir)})
    key_file = data_dir / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.secret_key.reveal()
    assert len(first.secret_key.reveal()) >= 32
    second = load_settings({"ARTME_DATA_DIR": str(data_dir)})
    assert second.secret_key == first.secret_key
    other = load_settings({"ARTME_DATA_DIR": str(tmp_path / "elsewhere")})
    assert other.secret_key != first.secret_key


def test_no_secret_is_generated_when_not_allowed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ARTME_SECRET_KEY"):
        load_settings({"ARTME_DATA_DIR": str(tmp_path)}, create_secret=False)
    assert not (tmp_path / "secret_key").exists()


def test_given_secret_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    key = "k" * 32
    settings = load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_SECRET_KEY": key})
    assert settings.secret_key.reveal() == key
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("key", ["short", "x" * 31])
def test_short_secret_key_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_SECRET_KEY": key})
    assert "ARTME_SECRET_KEY" in str(caught.value)
    assert key not in str(caught.value)


def test_secret_repr_masks_the_value(tmp_path: Path) -> None:
    value = "correct-horse-battery-staple-0123456789"
    secret = Secret(value)
    assert value not in repr(secret) and value not in str(secret)
    assert secret.reveal() == value
    settings = load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_SECRET_KEY": value, "ARTME_SMTP_PASSWORD": "smtp-pass-word-42"})
    assert value not in repr(settings)
    assert "smtp-pass-word-42" not in repr(settings)
    assert not Secret("") and Secret("x")


def test_invalid_value_error_does_not_echo_secrets(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_SECRET_KEY": "tiny-but-secret"})
    assert "tiny-but-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("ARTME_DATABASE_URL", "mysql://artme:hunter2-db-pass@db.example.org/artme"), ("ARTME_REDIS_URL", "http://:hunter2-db-pass@cache.example.org:6379/0")],
)
def test_invalid_url_error_masks_its_password(tmp_path: Path, name: str, value: str) -> None:
    """SEC-K2: the message names the setting and shows the URL, but not the password in it."""
    with pytest.raises(SettingsError) as caught:
        load_settings({"ARTME_DATA_DIR": str(tmp_path), name: value})
    message = str(caught.value)
    assert name in message and "example.org" in message
    assert "hunter2-db-pass" not in message


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("ARTME_DATA_DIR", str(folder))
    monkeypatch.setenv("ARTME_BASE_URL", "https://cop.example.org")
    return folder


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def count(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "artme.db") as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.mark.parametrize(
    ("name", "value"),
    [("ARTME_SESSION_LIFETIME", "soon"), ("ARTME_BASE_URL", "not a url"), ("ARTME_NOT_A_SETTING", "1"), ("ARTME_SECRET_KEY", "short")],
)
def test_cli_exits_2_on_an_invalid_setting(capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "migrate")
    assert code == 2
    assert name in err
    assert "configuration error" in err
    assert out == ""
    assert not (data_dir / "artme.db").exists()


def test_cli_migrate_creates_the_schema(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = run(capsys, "migrate")
    assert code == 0
    assert "newest schema" in out
    assert count(data_dir, "people") == 0  # SEC-C5: no account ships with a fresh install
    code, out, _ = run(capsys, "migrate")  # a second run is a no-op
    assert code == 0


def test_cli_institution_and_cohort(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert run(capsys, "migrate")[0] == 0
    code, out, _ = run(capsys, "institution", "list")
    assert (code, out.strip()) == (0, "No institution yet.")
    code, out, _ = run(capsys, "institution", "add", "--name", "Cedar School of Medicine", "--short-name", "Cedar")
    assert code == 0
    match = re.fullmatch(r"Institution (\d+): Cedar School of Medicine\n", out)
    assert match is not None
    institution_id = match.group(1)
    code, out, _ = run(capsys, "institution", "list")
    assert code == 0
    assert out.splitlines() == [f"{institution_id}\tCedar\tCedar School of Medicine"]
    code, out, err = run(capsys, "institution", "add", "--name", "Cedar School of Medicine")
    assert code == 1 and "exists already" in err

    code, out, _ = run(capsys, "cohort", "list")
    assert (code, out.strip()) == (0, "No cohort yet.")
    code, out, _ = run(capsys, "cohort", "add", "--institution", institution_id, "--name", "Cedar cohort 1", "--wave", "2")
    assert code == 0
    match = re.fullmatch(r"Cohort (\d+): Cedar cohort 1\n", out)
    assert match is not None
    code, out, _ = run(capsys, "cohort", "list", "--institution", institution_id)
    assert out.splitlines() == [f"{match.group(1)}\tinstitution {institution_id}\twave 2\tCedar cohort 1"]
    code, out, err = run(capsys, "cohort", "add", "--institution", "999", "--name", "Nowhere")
    assert code == 1 and err.startswith("artme-cop: ")
    assert count(data_dir, "cohorts") == 1


def test_cli_invite_prints_a_link(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert run(capsys, "migrate")[0] == 0
    run(capsys, "institution", "add", "--name", "Cedar School of Medicine")
    run(capsys, "cohort", "add", "--institution", "1", "--name", "Cedar cohort 1")
    code, out, _ = run(capsys, "invite", "--email", "New.Person@Cedar.example.edu", "--institution", "1", "--cohort", "1", "--constituency", "student")
    assert code == 0
    links = re.findall(r"https://cop\.example\.org/invitations/\S+", out)
    assert len(links) == 1
    assert "new.person@cedar.example.edu" in out.lower()
    with sqlite3.connect(data_dir / "artme.db") as connection:
        row = connection.execute("SELECT email, role, constituency, cohort_id FROM invitations").fetchone()
    assert row == ("new.person@cedar.example.edu", "participant", "student", 1)
    # Without SMTP the mail lands in the outbox, carrying the same link.
    outbox = list((data_dir / "outbox").glob("*.eml"))
    assert len(outbox) == 1
    mail = email.message_from_bytes(outbox[0].read_bytes(), policy=email.policy.default)
    assert mail["To"] == "new.person@cedar.example.edu"
    assert links[0] in mail.get_content()  # type: ignore[attr-defined]
    # A participant belongs to a cohort.
    code, _, err = run(capsys, "invite", "--email", "other@cedar.example.edu", "--institution", "1")
    assert code == 1 and "cohort" in err
    assert count(data_dir, "invitations") == 1


def test_cli_create_admin(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert run(capsys, "migrate")[0] == 0
    code, out, _ = run(capsys, "create-admin", "--email", "Ada@Program.example.org", "--name", "Ada Admin", "--password", STRONG)
    assert code == 0
    assert "ada@program.example.org" in out
    assert STRONG not in out
    with sqlite3.connect(data_dir / "artme.db") as connection:
        person_id, password_hash = connection.execute("SELECT id, password_hash FROM people").fetchone()
        roles = connection.execute("SELECT role, institution_id FROM role_assignments WHERE person_id = ?", (person_id,)).fetchall()
    assert password_hash.startswith("$argon2id$")
    assert roles == [("program_admin", None)]
    code, _, err = run(capsys, "create-admin", "--email", "ada@program.example.org", "--name", "Ada Again", "--password", STRONG)
    assert code == 1 and "exists already" in err
    code, _, err = run(capsys, "create-admin", "--email", "bo@program.example.org", "--name", "Bo Admin", "--password", "password123")
    assert code == 1 and "common" in err
    assert count(data_dir, "people") == 1


def test_cli_demo_is_idempotent(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "Demo consortium loaded." in out
    password = (data_dir / "demo-credentials.txt").read_text().strip()
    assert stat.S_IMODE((data_dir / "demo-credentials.txt").stat().st_mode) == 0o600
    assert f"password {password}" in out
    expected_people = 1 + sum(len(school.people) for school in demo.SCHOOLS) + 1
    counts = {table: count(data_dir, table) for table in ("people", "institutions", "cohorts", "role_assignments", "cohort_memberships", "audit_log")}
    assert counts["people"] == expected_people
    assert counts["institutions"] == len(demo.SCHOOLS)
    with sqlite3.connect(data_dir / "artme.db") as connection:
        calendar_entry = connection.execute("SELECT starts_at, ends_at FROM program_sessions WHERE kind = 'chats_for_change'").fetchone()
        room = connection.execute("SELECT starts_at, ends_at FROM dialogue_sessions").fetchone()
        chosen_zones = dict(connection.execute("SELECT email, time_zone FROM people").fetchall())
    assert room == calendar_entry  # typed into the form in Chicago time, stored as the same instant
    assert chosen_zones["priya.natarajan@riverside.example.edu"] == "America/Chicago" and chosen_zones[demo.ADMIN_EMAIL] == "UTC"

    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "nothing changed" in out
    assert f"password {password}" in out
    assert {table: count(data_dir, table) for table in counts} == counts


def test_the_server_entry_sets_the_interpreter_lock_turn_and_freezes_the_loaded_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`artme-cop serve` builds its app through cli.app_from_environment, which applies
    ARTME_GIL_SWITCH_US before the event loop and the write thread start taking turns."""
    before, thresholds = sys.getswitchinterval(), gc.get_threshold()
    for name in [name for name in os.environ if name.startswith("ARTME_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ARTME_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ARTME_GIL_SWITCH_US", "2500")
    try:
        cli.app_from_environment()
        assert sys.getswitchinterval() == pytest.approx(0.0025)
        assert gc.get_freeze_count() > 10_000, "the loaded code is left out of full collections"
        assert gc.get_threshold()[0] == cli.YOUNG_COLLECTION_AFTER and gc.get_threshold()[2] == cli.FULL_COLLECTION_AFTER
        gc.unfreeze()
        monkeypatch.delenv("ARTME_GIL_SWITCH_US")
        cli.app_from_environment()
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    with pytest.raises(SettingsError):
        load_settings({"ARTME_DATA_DIR": str(tmp_path), "ARTME_GIL_SWITCH_US": "0"})
