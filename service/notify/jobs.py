"""RQ jobs: deliver one outbox message (a failure raises, so RQ retries it; see Notifier) and the
scheduled reminder before an event."""
from __future__ import annotations

from rq import get_current_job

from service.container import current_services
from service.notify import smtp


def deliver(mail_id: str) -> dict[str, str]:
    services = current_services()
    notifier = services.notifier()
    mail = notifier.outbox.get(mail_id)
    if mail["status"] == "sent":  # idempotent: a retried job never sends twice
        return {"id": mail_id, "status": "sent"}
    try:
        smtp.send(services.settings, mail)
    except (OSError, smtp.smtplib.SMTPException) as exc:
        notifier.outbox.attempt(mail_id, f"{type(exc).__name__}: {exc}")
        job = get_current_job()
        if job is None or not job.retries_left:
            notifier.outbox.give_up(mail_id)
        raise
    notifier.outbox.attempt(mail_id, None)
    return {"id": mail_id, "status": "sent"}


def remind(event_id: str) -> dict[str, object]:
    """The scheduled reminder (service.notify.reminders): sent only while the agenda is final."""
    from service.access.keys import SYSTEM

    return current_services().agenda_notices(SYSTEM).remind(event_id, only_final=True)
