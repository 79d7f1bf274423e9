"""Notifications reach a loopback HTTP receiver in webhook, Slack and Telegram shapes, redacted."""

from __future__ import annotations

import logging

from botkit import API_SECRET, HOOK_TOKEN

from indexer.bot.notify import Notifier
from indexer.bot.redact import Redactor
from indexer.bot.settings import NotifyTarget


def test_payloads_and_redaction(receiver, monkeypatch) -> None:
    monkeypatch.setenv("TG_URL", receiver.url(f"/bot{HOOK_TOKEN}/sendMessage"))
    targets = [NotifyTarget(kind="webhook", url=receiver.url("/hook")),
               NotifyTarget(kind="slack", url=receiver.url("/slack"), events=["error", "kill_switch"]),
               NotifyTarget(kind="telegram", url_env="TG_URL", chat_id="42")]
    n = Notifier(targets, "acct", Redactor([API_SECRET]))
    assert n.send("run", "rebalance done", "value 10,000.00", {"orders": 3}) == 2  # slack not subscribed
    assert n.send("kill_switch", "kill switch", f"drawdown 40% secret={API_SECRET} token {HOOK_TOKEN}") == 3
    hook, tg, hook2, slack, tg2 = receiver.bodies
    assert hook == {"event": "run", "account": "acct", "title": "rebalance done", "text": "value 10,000.00",
                    "data": {"orders": 3}}
    assert tg["chat_id"] == "42" and tg["text"].startswith("✅ [acct] rebalance done")
    assert slack["blocks"][0]["type"] == "header" and "kill switch" in slack["text"]
    assert hook2["event"] == "kill_switch"
    text = "\n".join(str(b) for b in receiver.bodies)
    assert API_SECRET not in text and HOOK_TOKEN not in text and "***" in text
    assert any(HOOK_TOKEN in p for p in receiver.raw)  # the URL itself carried the token


def test_failed_delivery_never_raises(caplog) -> None:
    t = NotifyTarget(kind="webhook", url="http://127.0.0.1:9/nothing-listens", timeout_s=0.5)
    with caplog.at_level(logging.WARNING):
        assert Notifier([t], "acct", Redactor()).send("error", "x", "y") == 0
    assert "notify webhook failed" in caplog.text


def test_redactor_patterns() -> None:
    r = Redactor(["mysecretvalue"])
    s = r.text("GET /api?signature=abcdef0123 apiKey=XYZ123 https://api.telegram.org/bot123:ABC/send "
               "postgresql://u:pw@h/db mysecretvalue")
    for leak in ("abcdef0123", "XYZ123", "123:ABC", ":pw@", "mysecretvalue"):
        assert leak not in s
