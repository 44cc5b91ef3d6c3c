"""A deterministic simulator of Etsy shops, their GA4 properties and Instagram accounts: the
records each connector would read when a sync runs on a given day.

    records(scenario, source_name, stream_name, sync_day, since) -> Iterator[pyarrow.Table]

`since` is the lower bound the connector puts on the stream's cursor (None on a first sync);
records carry exactly the top-level fields of the stream's reference schema (reference.py),
nested objects as Arrow structs/lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from standin.simulator import etsy, ga4, instagram
from standin.simulator.scenario import Scenario, ShopAccount, load_shop_accounts

# How far back a first sync of Instagram's user insights reaches (the Graph API's limit).
INSTAGRAM_INSIGHTS_FIRST_SYNC_DAYS = 30


def records(scenario: Scenario, source_name: str, stream_name: str, sync_day: dt.date, since) -> Iterator[pa.Table]:
    if source_name == "etsy":
        yield from etsy.records(scenario, stream_name, sync_day, since)
    elif source_name == "ga4":
        yield from ga4.records(scenario, stream_name, sync_day, since)
    elif source_name == "instagram":
        table = instagram.records(scenario, stream_name, sync_day)
        if stream_name == "user_insights":
            first = since or f"{sync_day - dt.timedelta(days=INSTAGRAM_INSIGHTS_FIRST_SYNC_DAYS)}T07:00:00+0000"
            table = table.filter(pc.greater_equal(table["date"], first))
        yield table
    else:
        raise KeyError(f"the simulator has no source {source_name!r}; it simulates etsy, ga4 and instagram")


__all__ = ["Scenario", "ShopAccount", "load_shop_accounts", "records"]
