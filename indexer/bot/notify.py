"""Notifications: generic JSON webhook, Slack- and Telegram-compatible payloads.

Events: ``run`` (a rebalance finished or was skipped), ``error`` (a run failed),
``kill_switch`` (losses crossed a limit; the account is paused).  Every text is
redacted; a failed delivery is logged and never breaks a run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from indexer.bot.redact import Redactor
from indexer.bot.settings import NotifyTarget

__all__ = ["Notifier", "payload"]

log = logging.getLogger(__name__)
ICON = {"run": "✅", "error": "❌", "kill_switch": "🛑"}


def payload(target: NotifyTarget, event: str, account: str, title: str, text: str,
            data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the request body for ``target`` (already redacted inputs expected)."""
    line = f"{ICON.get(event, '')} [{account}] {title}".strip()
    if target.kind == "slack":
        return {"text": f"{line}\n{text}", "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": line[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{text[:2900]}```"}},
        ]}
    if target.kind == "telegram":
        return {"chat_id": target.chat_id, "text": f"{line}\n{text}"[:4096], "disable_web_page_preview": True}
    return {"event": event, "account": account, "title": title, "text": text, "data": dict(data or {})}


class Notifier:
    """Send events to the configured targets."""

    def __init__(self, targets: Sequence[NotifyTarget], account: str, redactor: Redactor) -> None:
        self.targets, self.account, self.redactor = list(targets), account, redactor
        for t in self.targets:
            try:
                self.redactor.add_url(t.resolve_url())
            except Exception:  # noqa: BLE001 - reported at send time
                pass
        self.sent = 0

    def send(self, event: str, title: str, text: str = "", data: Mapping[str, Any] | None = None) -> int:
        """Deliver to every target subscribed to ``event``; returns the number delivered."""
        title, text = self.redactor.text(title), self.redactor.text(text)
        clean = self.redactor.obj(json.loads(json.dumps(dict(data or {}), default=str)))
        ok = 0
        for t in self.targets:
            if event not in t.events:
                continue
            try:
                url = t.resolve_url()
                r = requests.post(url, json=payload(t, event, self.account, title, text, clean), timeout=t.timeout_s)
                r.raise_for_status()
                ok += 1
            except Exception as exc:  # noqa: BLE001 - a notification never breaks a run
                log.warning("notify %s failed: %s", t.kind, self.redactor.text(f"{type(exc).__name__}: {exc}"))
        self.sent += ok
        return ok
