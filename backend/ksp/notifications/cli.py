"""`ksp notify send`: send the queued messages now (`ksp run` and `ksp worker` also do it
every 30 s); `ksp notify status`: how many wait, were sent, failed."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy import func, select

from ksp.bootstrap import open_database
from ksp.core.crypto import PiiCipher
from ksp.core.db import reading
from ksp.core.settings import get_settings
from ksp.notifications.adapters import adapter_from_settings
from ksp.notifications.dispatch import send_pending
from ksp.notifications.models import Notification, NotificationStatus

console = Console()
notify_app = typer.Typer(no_args_is_help=True, help="Pemberitahuan ke anggota (notifications)")


@notify_app.command("send")
def notify_send(
    limit: int = typer.Option(100, "--limit", min=1, max=10_000,
                              help="Paling banyak / at most this many messages"),
) -> None:
    """Kirim pesan yang menunggu / send the messages that are due."""
    settings = get_settings()
    engine, factory = open_database(settings)
    try:
        counts = send_pending(factory, adapter_from_settings(settings),
                              cipher=PiiCipher(settings.pii_key_bytes()), limit=limit,
                              settings=settings)
    finally:
        engine.dispose()
    console.print(f"terkirim / sent {counts.sent}, dicoba lagi nanti / retrying "
                  f"{counts.retrying}, gagal / failed {counts.failed} "
                  f"(adapter: {settings.notify_adapter})")
    if counts.reclaimed:
        console.print(f"[yellow]{counts.reclaimed} terputus, diantrekan lagi / interrupted, "
                      "queued again[/yellow]")


@notify_app.command("status")
def notify_status() -> None:
    """Jumlah pesan per status / messages per status."""
    settings = get_settings()
    engine, factory = open_database(settings)
    try:
        with reading(factory) as session:
            rows = dict(session.execute(select(Notification.status, func.count())
                                        .group_by(Notification.status)).all())
    finally:
        engine.dispose()
    for status in NotificationStatus:
        console.print(f"{status.value}: {rows.get(status, 0)}")
