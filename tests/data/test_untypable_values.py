"""Issue #15 item 6, end to end from the simulator: GA4 sends a value Airbyte's destination
cannot type; the raw writer lands it NULL with its `_airbyte_meta.changes` entry, as
Destinations V2 does, nothing else of the record is lost, and staging's test stops the run
naming the record instead of reading the metric as 0."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from standin import sync
from standin.simulator.scenario import Scenario
from tests.dbt.conftest import DbtProject

SYNC_DAY = dt.date(2026, 3, 10)


def test_an_untypable_ga4_value_lands_nulled_and_stops_the_run(tmp_path):
    duckdb_path = tmp_path / "shop_analytics.duckdb"
    scenario = Scenario.untypable_values(SYNC_DAY - dt.timedelta(days=1))
    sync.run_sync(str(duckdb_path), "ga4", SYNC_DAY, scenario=scenario)

    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        rows = connection.execute(
            "select property_id, date, sessions, averageSessionDuration, _airbyte_meta::varchar "
            "from raw_ga4.website_overview order by property_id, date"
        ).fetchall()
    nulled = [row for row in rows if row[3] is None]
    # the last day of each property's extract carried the oversized value
    assert len(nulled) == scenario.n_shops
    for _property_id, _date, sessions, _duration, meta in nulled:
        changes = json.loads(meta)["changes"]
        assert changes == [
            {"field": "averageSessionDuration", "change": "NULLED", "reason": "DESTINATION_FIELD_SIZE_LIMITATION"}
        ]
        assert sessions is not None and sessions > 0  # the rest of the record is kept
    typed = [row for row in rows if row[3] is not None]
    assert typed and all(json.loads(row[4])["changes"] == [] for row in typed)

    project = DbtProject(duckdb_path, tmp_path)
    built = project.run("build", "--select", "stg_ga4__website_overviews", check=False)
    assert built.returncode != 0
    failed = {r["unique_id"]: r["status"] for r in project.run_results() if r["status"] not in ("success", "pass")}
    assert any("stg_ga4__website_overviews_has_no_nulled_metric" in node for node in failed), failed
