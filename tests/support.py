"""Test helpers: a clock that tests move, a mailer that records, and sign-in through the
real login form (never forged cookies)."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import text

from artme_cop.db import Base
from artme_cop.mail import Mail

PASSWORD = "Plum orchard 47 lanterns"


class MutableClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(timezone.utc).replace(microsecond=0)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@dataclass
class RecordingMailer:
    sent: list[Mail] = field(default_factory=list)

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)

    def links(self) -> list[str]:
        return [link for mail in self.sent for link in re.findall(r"https?://\S+", mail.body)]


def soup(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def csrf_from(response: httpx.Response) -> str:
    field_ = soup(response).find("input", attrs={"name": "csrf_token"})
    assert field_ is not None, f"no CSRF field on {response.request.url}"
    return str(field_["value"])


async def csrf_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    response = await client.get(path)
    return csrf_from(response)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    token = await csrf_token(client, "/login")
    response = await client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"})
    assert response.status_code == 303, f"sign-in of {email} failed: {response.status_code}"
    return response


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str], *, token_from: str = "/") -> httpx.Response:
    """Post a form with the CSRF token of the current session."""
    token = await csrf_token(client, token_from)
    return await client.post(path, data={**data, "csrf_token": token})


def text_of(response: httpx.Response) -> str:
    return soup(response).get_text(" ", strip=True)


async def snapshot(app: Any) -> dict[str, list[Any]]:
    """Every row of every table: comparing two snapshots proves a refused request changed
    nothing. Read after the app's commits, outside its transactions."""
    url = app.state.engine.url
    if url.get_backend_name() == "sqlite":
        return _sqlite_snapshot(url.database)
    async with app.state.uow(read_only=True) as uow:
        # One round trip for all tables: each table's rows as one JSON array, in key order.
        parts = []
        for table in Base.metadata.sorted_tables:
            order = ", ".join(f't."{column.name}"' for column in table.primary_key.columns)
            parts.append(f"""SELECT '{table.name}', (SELECT coalesce(json_agg(t ORDER BY {order})::text, '[]') FROM "{table.name}" t)""")
        result = await uow.session.execute(text(" UNION ALL ".join(parts)))
        return {name: json.loads(rows) for name, rows in result.all()}


def _sqlite_snapshot(path: str) -> dict[str, list[Any]]:
    """The same rows straight from the file in one short blocking read: the suite takes
    thousands of snapshots, and a statement per table through aiosqlite's thread made them a
    third of the authorization matrix's time."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows: dict[str, list[Any]] = {}
        for table in Base.metadata.sorted_tables:
            order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
            rows[table.name] = connection.execute(f'SELECT * FROM "{table.name}" ORDER BY {order}').fetchall()
        return rows
    finally:
        connection.close()
