"""The bigquery target executed: the default world landed into the BigQuery emulator (the raw
writer's BigQuery sink, beside DuckDB), the full `dbt build` and one daily incremental run with
`--target bigquery-emulator`, and the marts compared with the DuckDB marts of the same world:
row counts, key sets and money sums per table and day. `make test-bigquery`; docs/bigquery.md
lists what the emulator cannot check and where that is covered instead."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from standin import raw_writer, sync
from tests.bigquery.emulator import running_emulator
from tests.dbt.conftest import DEFAULT_SYNC_DAYS, DbtProject, source_names

# A pepper for these runs only: BigQuery refuses to build customer_id without one, and both
# targets must hash with the same one for their customer keys to be equal.
PEPPER = "00112233445566778899aabbccddeeff"
FIRST_SYNC_DAYS, DAILY_SYNC_DAY = DEFAULT_SYNC_DAYS[:-1], DEFAULT_SYNC_DAYS[-1]
# The daily run's window is its data interval: the day before the sync (shop data complete
# through it), as the DAG hands it to dbt.
DAILY_WINDOW = (DAILY_SYNC_DAY - dt.timedelta(days=1), DAILY_SYNC_DAY)
MARTS = "marts"
MONEY_PLACES = Decimal("0.000001")


class EmulatorDbtProject(DbtProject):
    """The dbt project on one DuckDB file and, for target bigquery-emulator, on the emulator."""

    def __init__(self, duckdb_path: Path, work_dir: Path, endpoint: str, project: str) -> None:
        super().__init__(duckdb_path, work_dir)
        self.endpoint = endpoint
        self.project = project

    def environment(self, target: str = "local", window=None) -> dict[str, str]:
        return {
            **super().environment(target, window),
            "SHOP_ANALYTICS_BQ_EMULATOR_ENDPOINT": self.endpoint,
            "SHOP_ANALYTICS_GCP_PROJECT": self.project,
            "SHOP_ANALYTICS_CUSTOMER_ID_PEPPER": PEPPER,
            # Each target keeps its own partial parse: they would otherwise re-parse each other's.
            "DBT_TARGET_PATH": str(self.target_path / target),
        }

    def run_results_of(self, target: str) -> list[dict]:
        return json.loads((self.target_path / target / "run_results.json").read_text())["results"]


def land(duckdb_path: Path, sync_days, sink: raw_writer.BigQuerySink) -> None:
    for sync_day in sync_days:
        for source_name in source_names():
            sync.run_sync(duckdb_path, source_name, sync_day, bigquery=sink)


def not_passed(results: list[dict]) -> dict[str, str]:
    return {
        r["unique_id"]: f"{r['status']}: {(r.get('message') or '')[:300]}"
        for r in results
        if r["status"] not in ("success", "pass")
    }


def _normalised(value):
    if isinstance(value, Decimal | float):
        return Decimal(str(value)).quantize(MONEY_PLACES)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def mart_summary(columns: dict[str, str], rows: list[dict]) -> dict:
    """Row count, the set of keys (every `_id` and date column) and the sum of every money
    (decimal) column per day (the table's first date column), values normalised across the
    two engines."""
    id_and_date = [name for name, kind in columns.items() if name.endswith("_id") or kind == "date"]
    day = next((name for name, kind in columns.items() if kind == "date"), None)
    money = [name for name, kind in columns.items() if kind == "decimal"]
    sums: dict = {}
    for row in rows:
        per_day = sums.setdefault(str(row[day]) if day else "all", {name: Decimal(0) for name in money})
        for name in money:
            if row[name] is not None:
                per_day[name] += Decimal(str(row[name]))
    return {
        "rows": len(rows),
        "keys": sorted({tuple(str(_normalised(row[name])) for name in id_and_date) for row in rows}),
        "money_per_day": {d: {n: v.quantize(MONEY_PLACES) for n, v in s.items()} for d, s in sorted(sums.items())},
    }


def duckdb_marts(duckdb_path: Path) -> dict[str, dict]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        tables = [
            t
            for (t,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'",
                [MARTS],
            ).fetchall()
        ]
        summaries = {}
        for table in tables:
            cursor = connection.execute(f'select * from {MARTS}."{table}"')
            kinds = {
                name: "date" if type_code == "DATE" else "decimal" if str(type_code).startswith("DECIMAL") else "other"
                for name, type_code, *_ in cursor.description
            }
            names = list(kinds)
            summaries[table] = mart_summary(kinds, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    return summaries


def bigquery_marts(client) -> dict[str, dict]:
    summaries = {}
    for table_item in client.list_tables(f"{client.project}.{MARTS}"):
        table = client.get_table(table_item.reference)
        if table.table_type != "TABLE":
            continue
        kinds = {
            field.name: "date"
            if field.field_type == "DATE"
            else "decimal"
            if field.field_type in ("NUMERIC", "BIGNUMERIC")
            else "other"
            for field in table.schema
        }
        rows = [dict(row) for row in client.query(f"select * from `{table.full_table_id.replace(':', '.')}`").result()]
        summaries[table.table_id] = mart_summary(kinds, rows)
    return summaries


def _first_differences(expected, actual, shown: int = 3):
    """What differs, briefly: the counts, the days whose sums differ, or a few keys only
    DuckDB or only BigQuery has."""
    if isinstance(expected, int):
        return {"duckdb": expected, "bigquery": actual}
    if isinstance(expected, dict):
        days = sorted(set(expected) | set(actual))
        differing = [day for day in days if expected.get(day) != actual.get(day)]
        return {day: {"duckdb": expected.get(day), "bigquery": actual.get(day)} for day in differing[:shown]}
    return {
        "only_duckdb": sorted(set(expected) - set(actual))[:shown],
        "only_bigquery": sorted(set(actual) - set(expected))[:shown],
    }


def assert_marts_equal(expected: dict[str, dict], actual: dict[str, dict]) -> None:
    assert expected, "no marts on DuckDB"
    assert sorted(actual) == sorted(expected), "the two targets built different mart tables"
    differences = {}
    for table, summary in expected.items():
        for aspect in ("rows", "keys", "money_per_day"):
            if actual[table][aspect] != summary[aspect]:
                differences[f"{table}.{aspect}"] = _first_differences(summary[aspect], actual[table][aspect])
    assert not differences, f"BigQuery (emulator) marts differ from DuckDB's: {differences}"


@pytest.fixture(scope="module")
def both_targets(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("bigquery_emulator")
    with running_emulator(work_dir / "emulator.log") as emulator:
        project = EmulatorDbtProject(work_dir / "shop_analytics.duckdb", work_dir, emulator.endpoint, emulator.project)
        client = emulator.client()
        sink = raw_writer.BigQuerySink(client)
        land(project.duckdb_path, FIRST_SYNC_DAYS, sink)
        stages = {}
        for target in ("local", "bigquery-emulator"):
            project.run("build", target=target, check=False)
            stages[("full_build", target)] = project.run_results_of(target)
        stages[("full_build", "marts")] = (duckdb_marts(project.duckdb_path), bigquery_marts(client))
        land(project.duckdb_path, [DAILY_SYNC_DAY], sink)
        for target in ("local", "bigquery-emulator"):
            project.run("build", target=target, window=DAILY_WINDOW, check=False)
            stages[("daily_run", target)] = project.run_results_of(target)
        stages[("daily_run", "marts")] = (duckdb_marts(project.duckdb_path), bigquery_marts(client))
        yield stages


@pytest.mark.parametrize("stage", ["full_build", "daily_run"])
def test_the_build_passes_on_both_targets(both_targets, stage):
    for target in ("local", "bigquery-emulator"):
        results = both_targets[(stage, target)]
        assert results, f"{stage} on {target} ran nothing"
        assert not not_passed(results), f"{stage} on {target}: {json.dumps(not_passed(results), indent=1)}"


def test_the_daily_run_is_incremental_on_bigquery(both_targets):
    """The daily run took the incremental branch (insert_overwrite of the window's days): the
    compiled SQL of an incremental mart names the window's first day, the full build's does not."""
    lookback_days = 3  # sales_lookback_days, the macros' default
    window_start = f"date '{DAILY_WINDOW[0] - dt.timedelta(days=lookback_days)}'"

    def compiled(stage: str) -> str:
        (result,) = (
            r
            for r in both_targets[(stage, "bigquery-emulator")]
            if r["unique_id"] == "model.shop_analytics.fct_order_items"
        )
        return result["compiled_code"]

    assert window_start in compiled("daily_run")
    assert window_start not in compiled("full_build")


@pytest.mark.parametrize("stage", ["full_build", "daily_run"])
def test_every_bigquery_model_reports_its_bytes_processed(both_targets, stage):
    """dbt-bigquery's adapter response carries each job's bytes processed, which the producer
    logs per node and sums (shop_analytics.transform.producer.bytes_processed_summary). The
    emulator reports 0 for every job (docs/bigquery.md): the figure itself is not checked."""
    from shop_analytics.transform.producer import bytes_processed_summary

    results = both_targets[(stage, "bigquery-emulator")]
    models = {r["unique_id"]: r["adapter_response"] for r in results if r["unique_id"].startswith("model.")}
    without = sorted(uid for uid, response in models.items() if not isinstance(response.get("bytes_processed"), int))
    assert not without, f"models without bytes_processed in their adapter response: {without}"
    summary = bytes_processed_summary(models)
    assert summary is not None and f"over {len(models)} nodes" in summary, summary


@pytest.mark.parametrize("stage", ["full_build", "daily_run"])
def test_bigquery_marts_equal_duckdb_marts(both_targets, stage):
    expected, actual = both_targets[(stage, "marts")]
    assert_marts_equal(expected, actual)


def test_the_comparison_sees_a_difference():
    """The summary notices one changed cent, one key changed and one row missing, and names them."""
    columns = {"order_id": "other", "order_date": "date", "net_sales": "decimal"}
    rows = [
        {"order_id": "1", "order_date": dt.date(2026, 1, 1), "net_sales": Decimal("10.00")},
        {"order_id": "2", "order_date": dt.date(2026, 1, 1), "net_sales": Decimal("5.00")},
    ]
    changed = [rows[0], {**rows[1], "net_sales": Decimal("5.01")}]
    with pytest.raises(AssertionError, match="money_per_day"):
        assert_marts_equal({"t": mart_summary(columns, rows)}, {"t": mart_summary(columns, changed)})
    with pytest.raises(AssertionError, match=r"keys.*only_duckdb.*'2'.*only_bigquery.*'3'"):
        assert_marts_equal(
            {"t": mart_summary(columns, rows)}, {"t": mart_summary(columns, rows[:1] + [{**rows[1], "order_id": "3"}])}
        )
    with pytest.raises(AssertionError, match=r"t\.rows.*'duckdb': 2, 'bigquery': 1"):
        assert_marts_equal({"t": mart_summary(columns, rows)}, {"t": mart_summary(columns, rows[:1])})
