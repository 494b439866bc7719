"""Test helpers: a clock that tests move, a mailer that records, and sign-in through the
real login form (never forged cookies)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select

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


async def snapshot(app: Any) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read through a fresh read-only unit of work: comparing two
    snapshots proves a refused request changed nothing."""
    async with app.state.uow(read_only=True) as uow:
        rows: dict[str, list[tuple[object, ...]]] = {}
        for table in Base.metadata.sorted_tables:
            result = await uow.session.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result.all()]
    return rows
