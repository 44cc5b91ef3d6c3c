"""Bytes processed on BigQuery: read from dbt-bigquery's adapter response on each node's end,
logged per model, and summed in the build's summary line."""

from __future__ import annotations

import dataclasses

from dbt.adapters.bigquery.connections import BigQueryAdapterResponse
from dbt.events.types import NodeFinished
from dbt_common.events.base_types import msg_from_base_event

from shop_analytics.transform.producer import bytes_processed_summary, event_fields

PROJECT = "shop_analytics"


def _node_finished(unique_id: str, adapter_response: dict) -> object:
    return msg_from_base_event(
        NodeFinished(
            node_info={"unique_id": unique_id, "node_status": "success", "resource_type": "model"},
            run_result={"status": "success", "message": "OK", "adapter_response": adapter_response},
        )
    )


def _bigquery_response(bytes_processed: int) -> dict:
    """The adapter response as dbt-bigquery returns it (its own class, serialised as dbt does)."""
    response = BigQueryAdapterResponse(
        _message=f"CREATE TABLE (10 rows, {bytes_processed} processed)",
        rows_affected=10,
        bytes_processed=bytes_processed,
        bytes_billed=max(bytes_processed, 10 * 2**20),
        location="US",
        project_id="p",
        job_id="j",
    )
    return {key: value for key, value in dataclasses.asdict(response).items() if value is not None}


def test_a_bigquery_nodes_bytes_processed_are_read_from_its_adapter_response():
    event = _node_finished(f"model.{PROJECT}.fct_orders", _bigquery_response(3 * 2**30))
    assert event_fields(event)["data"]["run_result"]["bytes_processed"] == 3 * 2**30


def test_a_duckdb_node_has_no_bytes_processed():
    event = _node_finished(f"model.{PROJECT}.fct_orders", {"_message": "OK", "rows_affected": 10})
    assert "bytes_processed" not in event_fields(event)["data"]["run_result"]


def test_the_summary_sums_bytes_processed_and_names_the_largest():
    results = {
        f"model.{PROJECT}.fct_orders": {"status": "success", "bytes_processed": 2 * 2**30},
        f"model.{PROJECT}.fct_sales_daily": {"status": "success", "bytes_processed": 2**30},
        f"test.{PROJECT}.not_null_fct_orders_order_id": {"status": "pass", "bytes_processed": 2**20},
        f"model.{PROJECT}.stg_etsy__shops": {"status": "success"},
    }
    summary = bytes_processed_summary(results, largest=2)
    total = 3 * 2**30 + 2**20
    assert f"{total:,} bytes" in summary
    assert "over 3 nodes" in summary
    assert "largest: fct_orders 2,147,483,648 bytes (2.000 GiB), fct_sales_daily" in summary
    assert bytes_processed_summary({f"model.{PROJECT}.fct_orders": {"status": "success"}}) is None


def test_the_dags_producer_records_and_logs_each_bigquery_nodes_bytes(caplog):
    """The DAG's own producer, handed dbt-bigquery's end-of-node events as its callback reads
    them: each node's bytes are logged and recorded, and the build's summary sums them."""
    import logging
    import threading

    from airflow.dag_processing.dagbag import DagBag

    from shop_analytics.config import REPO_ROOT

    dagbag = DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False)
    assert dagbag.import_errors == {}
    producer = dagbag.dags["etsy_shop_analytics"].get_task("transform.dbt_producer_watcher")
    producer._results_lock, producer._node_results, producer._compiled_sql = threading.Lock(), {}, {}
    processed = {f"model.{PROJECT}.fct_orders": 3 * 2**30, f"model.{PROJECT}.fct_sales_daily": 2**20}
    with caplog.at_level(logging.INFO):
        for unique_id, bytes_processed in processed.items():
            event = event_fields(_node_finished(unique_id, _bigquery_response(bytes_processed)))
            producer._record_dbt_event(event, {"project_dir": None, "context": None})
    assert {uid: r["bytes_processed"] for uid, r in producer._node_results.items()} == processed
    assert f"model.{PROJECT}.fct_orders processed 3,221,225,472 bytes (3.000 GiB) on BigQuery" in caplog.text
    summary = bytes_processed_summary(producer._node_results)
    assert f"{3 * 2**30 + 2**20:,} bytes" in summary and "over 2 nodes" in summary
