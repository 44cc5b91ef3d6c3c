"""The morning digest mailed through the SMTP provider to a local SMTP server (aiosmtpd):
the Overview tiles of the day, the day before and the same weekday last week, each number
checked against the published reporting tables."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import json
import re
import socket
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller

from shop_analytics.config import Settings
from tests.dashboard.expected import SPEC, as_displayed, recomputed_tile

OVERVIEW_TILES = next(
    chart["metrics"]
    for page in SPEC["pages"]
    if page["name"] == "Overview"
    for chart in page["charts"]
    if chart["kind"] == "scorecards"
)


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler name)
        self.messages.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_inbox(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    connection = {
        "conn_type": "smtp",
        "host": "127.0.0.1",
        "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "digest@shop.test", "timeout": 10},
    }
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(connection))
    yield inbox
    controller.stop()


def test_digest_mails_the_overview_tiles_of_the_day(published_reporting, smtp_inbox):
    from shop_analytics.publish.digest import MorningDigestNotifier

    (day,) = published_reporting.query("select max(date_day) from reporting.mart_daily_business_overview")[0]
    settings = dataclasses.replace(Settings.from_env(), dbt_target="local", duckdb_path=published_reporting.duckdb_path)
    MorningDigestNotifier(to=["owner@shop.test"], settings=settings).notify(
        {"data_interval_start": dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)}
    )

    (envelope,) = smtp_inbox.messages
    assert envelope.rcpt_tos == ["owner@shop.test"]
    message = email.message_from_bytes(envelope.content)
    assert message["Subject"] == f"Etsy shop overview for {day:%a} {day}"
    body = next(part for part in message.walk() if part.get_content_type() == "text/html").get_payload(decode=True)
    body = body.decode()

    shops = published_reporting.query(
        "select distinct shop_id, currency_code from reporting.mart_daily_business_overview where date_day = ? "
        "order by shop_id",
        [day],
    )
    assert re.findall(r'<section data-shop="([^"]+)">', body) == [shop_id for shop_id, _ in shops]
    for shop_id, currency in shops:
        section = body.split(f'<section data-shop="{shop_id}">')[1].split("</section>")[0]
        changes_on_last_week = {}
        for metric_key in OVERVIEW_TILES:
            row = re.search(rf'<tr data-metric="{re.escape(metric_key)}">(.*?)</tr>', section).group(1)
            for offset in (0, 1, 7):
                compared_day = day - dt.timedelta(days=offset)
                expected = recomputed_tile(
                    published_reporting.duckdb_path, metric_key, shop_id, currency, compared_day, compared_day
                )
                shown = re.search(rf'<td data-day="{compared_day}">(.*?)</td>', row).group(1)
                assert shown == as_displayed(expected, metric_key, currency), (shop_id, metric_key, compared_day)
                if offset == 0:
                    today = expected
                if offset == 7 and today is not None and expected not in (None, 0):
                    changes_on_last_week[metric_key] = abs((Decimal(today) - Decimal(expected)) / Decimal(expected))
        movers = re.findall(r'<li data-metric="([^"]+)">', section)
        expected_movers = sorted(
            (key for key, change in changes_on_last_week.items() if change != 0),
            key=lambda key: changes_on_last_week[key],
            reverse=True,
        )[:3]
        assert movers == expected_movers, shop_id
        assert movers, "the default world's days differ from a week earlier: some tile must have moved"


def test_digest_recipients_come_from_the_environment(monkeypatch):
    from shop_analytics.publish.digest import DIGEST_RECIPIENTS_VARIABLE, digest_recipients

    monkeypatch.delenv(DIGEST_RECIPIENTS_VARIABLE, raising=False)
    assert digest_recipients() == []
    monkeypatch.setenv(DIGEST_RECIPIENTS_VARIABLE, " owner@shop.test, partner@shop.test ,")
    assert digest_recipients() == ["owner@shop.test", "partner@shop.test"]


def test_the_dag_mails_the_digest_after_publishing_when_recipients_are_set(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    from shop_analytics.config import REPO_ROOT
    from shop_analytics.publish import PUBLISH_MACRO
    from shop_analytics.publish.digest import DIGEST_RECIPIENTS_VARIABLE, MorningDigestNotifier

    def publish_callbacks() -> list:
        dag = DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False).dags["etsy_shop_analytics"]
        (publish,) = [task for task in dag.tasks if task.task_id.endswith(PUBLISH_MACRO)]
        return list(publish.on_success_callback or [])

    monkeypatch.delenv(DIGEST_RECIPIENTS_VARIABLE, raising=False)
    assert not any(isinstance(callback, MorningDigestNotifier) for callback in publish_callbacks())
    monkeypatch.setenv(DIGEST_RECIPIENTS_VARIABLE, "owner@shop.test")
    (digest,) = [callback for callback in publish_callbacks() if isinstance(callback, MorningDigestNotifier)]
    assert digest.to == ["owner@shop.test"]
