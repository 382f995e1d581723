"""Outgoing email: queued in the database with the action that causes it, sent by ``flask send-mail``.

``queue_mail`` for a message to one person, ``queue_notice`` for partnership-request notices (limited per
recipient, the rest in an hourly digest); ``send_queued`` drains the queue (see ``delivery``).
"""

from .delivery import SendReport, send_queued
from .models import MailKind, MailMessage, MailStatus
from .queue import queue_mail, queue_notice

__all__ = ["MailKind", "MailMessage", "MailStatus", "SendReport", "queue_mail", "queue_notice", "send_queued"]
