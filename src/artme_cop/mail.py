"""Outgoing mail: SMTP when configured, otherwise an outbox folder under the data directory.

Services never send directly; they queue a `Mail` on the unit of work, which sends it only
after the commit. The log notes each mail's recipient and subject, never its body, because
bodies carry sign-in links (SEC-K2).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from artme_cop.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


def _message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message


class OutboxMailer:
    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    async def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(_message(mail, self.sender)))
        log.info("mail to %s (%s) written to %s", mail.to, mail.subject, path)


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self._send_blocking, mail)
        log.info("mail to %s (%s) sent through SMTP", mail.to, mail.subject)

    def _send_blocking(self, mail: Mail) -> None:
        settings = self.settings
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as client:
            if settings.smtp_starttls:
                client.starttls()
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password.reveal())
            client.send_message(_message(mail, settings.mail_from))


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return OutboxMailer(settings.data_dir / "outbox", settings.mail_from)
