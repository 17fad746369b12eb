"""SMTP delivery of one message (plain text with an HTML alternative), configured by Settings."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from service.settings import Settings


def build_message(settings: Settings, mail: dict[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = mail["recipient"]
    msg["Subject"] = mail["subject"]
    msg["Message-ID"] = make_msgid(idstring=mail["id"], domain="maillon")
    msg.set_content(mail["text"])
    if mail.get("html"):
        msg.add_alternative(mail["html"], subtype="html")
    msg["Content-Language"] = mail["language"]  # after set_content, which resets Content-* headers
    return msg


def send(settings: Settings, mail: dict[str, Any], timeout_s: float = 20) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout_s) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(build_message(settings, mail))
