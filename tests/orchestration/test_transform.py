"""The transform group: one task per dbt node, watchers behind the one `dbt build`, and the
producer leaving out exactly what a failed or stale source feeds (DECISIONLOG "Orchestration")."""

from __future__ import annotations

import json
import threading

import pytest

from shop_analytics.config import REPO_ROOT, Settings, load_sources

MANIFEST = json.loads((REPO_ROOT / "include" / "dbt" / "target" / "manifest.json").read_text())
PROJECT = "shop_analytics"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False)
    assert dagbag.import_errors == {}
    return dagbag.dags["etsy_shop_analytics"]


@pytest.fixture(scope="module")
def transform(dag):
    return dag.task_group_dict["transform"]


def _manifest_ids(resource_type: str) -> set[str]:
    return {node_id for node_id, node in MANIFEST["nodes"].items() if node["resource_type"] == resource_type}


def _layer_and_domain(original_file_path: str) -> tuple[str, str]:
    parts = original_file_path.split("/")
    assert parts[0] == "models", original_file_path
    return parts[1], parts[2]


def test_every_model_is_one_task_in_its_layer_and_source_or_domain_group(dag):
    models = [node for node in MANIFEST["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) > 40
    for model in models:
        layer, domain = _layer_and_domain(model["original_file_path"])
        task = dag.get_task(f"transform.{layer}.{domain}.{model['name']}")
        assert task.task_group.group_id == f"transform.{layer}.{domain}", model["name"]
        assert task.model_unique_id == model["unique_id"]
    staging_etsy = {t.task_id for t in dag.task_group_dict["transform.staging.etsy"]}
    assert {f"transform.staging.etsy.{m['name']}" for m in models if m["name"].startswith("stg_etsy__")} <= staging_etsy
    assert all(".stg_etsy__" in t or ".base_etsy__" in t for t in staging_etsy), staging_etsy


def test_the_graph_reads_like_the_architecture(dag):
    groups = set(dag.task_group_dict)
    expected = {
        "transform.sources",
        "transform.seeds",
        "transform.staging.etsy",
        "transform.staging.ga4",
        "transform.staging.instagram",
        "transform.intermediate.sales",
        "transform.intermediate.marketing",
        "transform.marts.sales",
        "transform.marts.marketing",
        "transform.marts.overview",
    }
    assert expected <= groups, expected - groups
    # no group per model any more: a model and its tests are one task
    assert not {g for g in groups if g.rsplit(".", 1)[-1].startswith(("stg_", "int_", "fct_", "dim_"))}


def test_every_seed_is_its_own_task_and_every_source_one_task_for_all_its_tables(dag, transform):
    for node_id in _manifest_ids("seed"):
        name = node_id.split(".")[-1]
        assert dag.get_task(f"transform.seeds.{name}").task_group.group_id == "transform.seeds"
    tables = MANIFEST["sources"].values()
    assert {t for t in dag.task_ids if t.startswith("transform.sources.")} == {
        f"transform.sources.{table['source_name']}" for table in tables
    }
    for table in tables:
        task = dag.get_task(f"transform.sources.{table['source_name']}")
        assert transform.tasks_map[table["unique_id"]] is task, table["unique_id"]
        assert task.model_unique_id == f"source.{PROJECT}.{table['source_name']}"
        # a retry checks the whole source again, every table of it
        assert task.select == f"source:{table['source_name']}"


def test_source_tasks_are_the_sources_one_task_below_its_sync(dag, transform):
    from shop_analytics.transform import source_tasks

    for name in load_sources():
        assert [task.task_id for task in source_tasks(transform, name)] == [f"transform.sources.{name}"]
        assert dag.get_task(f"transform.sources.{name}").upstream_task_ids >= {f"extract.{name}.wait_for_sync"}
    with pytest.raises(LookupError, match="no source 'shopify'"):
        source_tasks(transform, "shopify")


def test_a_model_task_reports_its_tests_and_falls_back_to_building_them(dag):
    fct_orders = dag.get_task("transform.marts.sales.fct_orders")
    assert fct_orders.base_cmd == ["build"], "a retried model task must rebuild the model with its tests"
    producer = dag.get_task("transform.dbt_producer_watcher")
    tested = {parent for parent, tests in producer.tests_per_model.items() if tests}
    assert "model.shop_analytics.fct_orders" in tested
    assert not [t for t in dag.task_ids if t.endswith((".test", ".run"))], "tests are no separate tasks any more"


def test_watchers_start_beside_the_build_and_defer_under_a_scheduler(dag, transform):
    """No gate behind the producer in production: a watcher starts as soon as its own
    upstream tasks end (the syncs, its parent nodes' watchers) and defers on its node."""
    producer = dag.get_task("transform.dbt_producer_watcher")
    gate = dag.get_task("transform.dbt_producer_watcher_done")
    assert producer.upstream_task_ids == {"all_syncs_done"}
    watchers = [task for task in transform if task.task_id not in (producer.task_id, gate.task_id)]
    assert len(watchers) > len(_manifest_ids("model"))
    for task in watchers:
        assert task.deferrable, f"{task.task_id} would hold a worker while the build runs"
        upstream = task.get_flat_relative_ids(upstream=True)
        assert gate.task_id not in upstream and producer.task_id not in upstream, f"{task.task_id} waits for the build"


def test_under_dags_test_inline_triggers_the_watchers_wait_for_the_build(monkeypatch):
    """`airflow dags test` runs a deferred trigger inline: there (and only there) the
    watchers start once the producer has ended, whatever its state."""
    import pendulum
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    from shop_analytics.transform import dbt_task_group
    from shop_analytics.transform.cosmos_dbt import INLINE_TRIGGERS_ENV
    from standin.local_airflow import INLINE_TRIGGERS_ENV as RUNNER_SETS

    assert RUNNER_SETS == INLINE_TRIGGERS_ENV
    monkeypatch.setenv(INLINE_TRIGGERS_ENV, "1")
    with DAG("inline_triggers", schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as inline_dag:
        syncs = {name: EmptyOperator(task_id=f"{name}_sync") for name in load_sources()}
        group = dbt_task_group(Settings.from_env(), {name: task.task_id for name, task in syncs.items()})
    producer = inline_dag.get_task("transform.dbt_producer_watcher")
    gate = inline_dag.get_task("transform.dbt_producer_watcher_done")
    assert gate.upstream_task_ids == {producer.task_id}
    assert gate.trigger_rule == "all_done", "a failed build must still let each model's task report its node"
    for task in group:
        if task.task_id in (producer.task_id, gate.task_id):
            continue
        assert gate.task_id in task.get_flat_relative_ids(upstream=True), f"{task.task_id} may start before the build"


def test_only_the_producer_takes_the_duckdb_writer_pool(dag):
    producer = dag.get_task("transform.dbt_producer_watcher")
    settings = Settings.from_env()
    assert producer.env["DBT_THREADS"] == str(settings.dbt_threads)
    assert producer.pool == "duckdb_writer", "the build may write DuckDB beside another writer"
    watchers = [task for task in dag.tasks if getattr(task, "model_unique_id", None)]
    sources = {source["source_name"] for source in MANIFEST["sources"].values()}
    assert len(watchers) >= len(_manifest_ids("model")) + len(_manifest_ids("seed")) + len(sources)
    assert {task.pool for task in watchers} == {"default_pool"}, "a watcher that only watches holds the writer slot"


def test_a_watchers_fallback_rebuild_holds_the_duckdb_writer_lock(tmp_path):
    from shop_analytics.transform.watchers import duckdb_writer_lock

    env = {"DBT_TARGET": "local", "SHOP_ANALYTICS_DUCKDB_PATH": str(tmp_path / "shop.duckdb")}
    order: list[str] = []

    def second_writer():
        with duckdb_writer_lock(env):
            order.append("second")

    with duckdb_writer_lock(env):
        other = threading.Thread(target=second_writer)
        other.start()
        other.join(timeout=0.5)
        order.append("first")
    other.join(timeout=10)
    assert order == ["first", "second"], "two dbt writers held the DuckDB file at once"


class _TaskInstance:
    dag_id = "etsy_shop_analytics"

    def __init__(self, states: dict[str, str]):
        self.states = states

    def get_task_states(self, dag_id, task_ids, run_ids):
        return {run_ids[0]: {task_id: self.states[task_id] for task_id in task_ids}}


def _excluded(dag, sync_states: dict[str, str], freshness: dict[str, str] | None = None) -> set[str]:
    producer = dag.get_task("transform.dbt_producer_watcher")
    nodes = producer.task_group.dbt_graph.nodes
    sync_task_ids = {name: f"extract.{name}.wait_for_sync" for name in load_sources()}
    context = {
        "run_id": "manual__1",
        "ti": _TaskInstance({sync_task_ids[name]: state for name, state in sync_states.items()}),
    }
    sources_json = {"results": [{"unique_id": uid, "status": status} for uid, status in (freshness or {}).items()]}
    excluded = producer._freshness_callback(context, dag, producer.task_group, nodes, sources_json)
    assert {state for _, state in excluded} <= {"skipped"}
    return {node_id.split(".")[-1] for node_id, _ in excluded}


def test_the_build_leaves_out_everything_built_on_a_failed_sync_and_nothing_else(dag):
    excluded = _excluded(dag, {"etsy": "success", "ga4": "failed", "instagram": "success"})
    assert {"stg_ga4__events", "fct_web_traffic_daily", "fct_channel_performance_daily"} <= excluded
    assert "mart_daily_business_overview" in excluded, "a mart joining GA4 must not build on stale GA4 data"
    assert not {name for name in excluded if name.startswith(("stg_etsy", "stg_instagram"))}
    assert {"fct_orders", "fct_instagram_posts"}.isdisjoint(excluded)


def test_the_build_leaves_out_unselected_sources_models_and_keeps_the_selected(dag):
    excluded = _excluded(dag, {"etsy": "success", "ga4": "skipped", "instagram": "skipped"})
    assert "fct_orders" not in excluded
    assert {"stg_ga4__events", "fct_instagram_posts"} <= excluded


def test_the_build_leaves_out_what_a_source_with_an_errored_freshness_feeds_but_builds_on_a_warning(dag):
    all_synced = {"etsy": "success", "ga4": "success", "instagram": "success"}
    assert _excluded(dag, all_synced) == set()
    for failure in ("error", "runtime error"):
        errored = _excluded(dag, all_synced, {f"source.{PROJECT}.instagram.media": failure})
        assert "fct_instagram_posts" in errored
        # the source's task fails, so Airflow stops every model on the source: dbt builds none of them
        assert "stg_instagram__account_insights" in errored, "a model on another table of the source"
        assert "fct_orders" not in errored
    assert _excluded(dag, all_synced, {f"source.{PROJECT}.instagram.media": "warn"}) == set()


def _event(unique_id: str, status: str, resource_type: str = "model", message: str = "OK", name: str = "NodeFinished"):
    return {
        "info": {"name": name, "msg": f"{unique_id} {status}", "level": "info"},
        "data": {
            "node_info": {
                "unique_id": unique_id,
                "node_status": status,
                "resource_type": resource_type,
                "node_path": "marts/sales/fct_orders.sql",
            },
            "run_result": {"message": message, "execution_time": 0.5},
        },
    }


class _PushedXComs:
    def __init__(self):
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key, value):
        assert key not in self.pushed, f"{key} pushed twice"
        self.pushed[key] = value


def test_the_producer_pushes_a_nodes_result_once_it_and_all_its_tests_have_ended(dag, tmp_path):
    from shop_analytics.transform.watchers import result_xcom_key

    producer = dag.get_task("transform.dbt_producer_watcher")
    ti = _PushedXComs()
    producer._results_lock, producer._node_results, producer._compiled_sql = threading.Lock(), {}, {}
    producer._pushed = set()
    producer._parents_of_test = {}
    for parent, parent_tests in producer.tests_per_model.items():
        for test in parent_tests:
            producer._parents_of_test.setdefault(test, []).append(parent)
    fct_orders = f"model.{PROJECT}.fct_orders"
    tests = producer.tests_per_model[fct_orders]
    assert len(tests) >= 3
    compiled = tmp_path / "target" / "compiled" / PROJECT / "models" / "marts" / "sales" / "fct_orders.sql"
    compiled.parent.mkdir(parents=True)
    compiled.write_text("select 1 as receipt_id")
    extra = {"project_dir": str(tmp_path), "context": {"ti": ti}}
    producer._record_dbt_event(_event(fct_orders, "executing", name="NodeExecuting"), extra)
    assert producer._node_results == {}, "only terminal statuses are results"
    producer._record_dbt_event(_event(fct_orders, "success"), extra)
    producer._record_dbt_event(_event(tests[0], "fail", "test", "Got 3 results, configured to fail if != 0"), extra)
    for test in tests[1:-1]:
        producer._record_dbt_event(_event(test, "pass", "test"), extra)
    assert ti.pushed == {}, "a model's result waits for its last test"
    producer._record_dbt_event(_event(tests[-1], "pass", "test"), extra)
    assert set(ti.pushed) == {result_xcom_key(fct_orders)}, "tests ride on their model's result"

    result = ti.pushed[result_xcom_key(fct_orders)]
    assert result["status"] == "success"
    assert result["compiled_sql"] == "select 1 as receipt_id"
    assert len(result["tests"]) == len(tests)
    assert result["tests"][tests[0]] == {
        "status": "fail",
        "execution_time": 0.5,
        "finished_at": None,
        "message": "Got 3 results, configured to fail if != 0",
    }
    # what was left out of the build, or never finished, is pushed when the build ends
    producer._push_node_state_xcom(None, f"model.{PROJECT}.fct_web_traffic_daily", "skipped")
    for unique_id in list(producer._node_results):
        producer._push_result(ti, unique_id, final=True)
    assert ti.pushed[result_xcom_key(f"model.{PROJECT}.fct_web_traffic_daily")]["status"] == "skipped"


def test_the_producer_callback_gets_what_ends_a_node_and_no_debug_chatter():
    """dbt's real events: a node's end (debug NodeFinished with its run result, and the
    result line) reaches the results callback; per-statement debug events do not."""
    from dbt.adapters.events.types import SQLQuery
    from dbt.events.types import LogModelResult, MainReportVersion, NodeExecuting, NodeFinished
    from dbt_common.events.base_types import EventLevel, msg_from_base_event

    from shop_analytics.transform.producer import _callback_wants

    node = {"unique_id": f"model.{PROJECT}.fct_orders", "resource_type": "model"}
    running = {**node, "node_status": "executing"}
    ended = {**node, "node_status": "success"}
    wanted = [
        msg_from_base_event(NodeFinished(node_info=ended, run_result={"status": "success", "message": "OK"})),
        msg_from_base_event(NodeFinished(node_info={**node, "node_status": "skipped"})),
        msg_from_base_event(
            LogModelResult(description="x", status="OK", index=1, total=2, execution_time=0.5, node_info=ended),
            level=EventLevel.INFO,
        ),
        msg_from_base_event(MainReportVersion(version="1.11", log_version=3), level=EventLevel.INFO),
    ]
    chatter = [
        msg_from_base_event(NodeExecuting(node_info=running)),
        msg_from_base_event(SQLQuery(conn_name="c", sql="select 1", node_info=running)),
    ]
    assert [_callback_wants(event) for event in wanted] == [True] * len(wanted)
    assert [_callback_wants(event) for event in chatter] == [False] * len(chatter)


def test_the_producer_reads_a_dbt_event_as_dbts_json_log_line_shows_it():
    """`event_fields` reads the event object's fields; what it returns matches dbt's JSON
    line for that event (protobuf's MessageToJson, what Cosmos's callback parses)."""
    from dbt.events.types import LogModelResult, NodeFinished
    from dbt_common.events.base_types import EventLevel, msg_from_base_event
    from google.protobuf.json_format import MessageToJson

    from shop_analytics.transform.producer import event_fields

    node = {
        "unique_id": f"model.{PROJECT}.fct_orders",
        "resource_type": "model",
        "node_path": "marts/sales/fct_orders.sql",
        "node_status": "error",
        "node_started_at": "2026-01-02T03:04:05.000001",
        "node_finished_at": "2026-01-02T03:04:06.000001",
    }
    events = [
        msg_from_base_event(
            NodeFinished(
                node_info=node,
                run_result={"status": "error", "message": "Runtime Error in model fct_orders", "execution_time": 0.25},
            )
        ),
        msg_from_base_event(
            LogModelResult(description="x", status="ERROR", index=1, total=2, execution_time=0.25, node_info=node),
            level=EventLevel.ERROR,
        ),
    ]
    for event in events:
        line = json.loads(MessageToJson(event, preserving_proto_field_name=True))
        fields = event_fields(event)
        assert fields["info"] == {key: line["info"][key] for key in ("name", "msg", "level", "ts")}
        node_info = fields["data"]["node_info"]
        assert node_info == {key: line["data"]["node_info"][key] for key in node_info}
        assert ("run_result" in fields["data"]) == ("run_result" in line["data"])
    finished = event_fields(events[0])["data"]["run_result"]
    assert finished == {"message": "Runtime Error in model fct_orders", "execution_time": 0.25}


def test_a_model_task_fails_on_its_model_or_any_of_its_tests_and_skips_what_was_left_out():
    from shop_analytics.transform.watchers import judge_node

    passing = {"status": "success", "tests": {"test.p.unique_x.1": {"status": "pass"}}}
    assert judge_node("model.p.x", passing).state == "success"
    failed_test = judge_node("model.p.x", {"status": "success", "tests": {"test.p.unique_x.1": {"status": "fail"}}})
    assert failed_test.state == "failed" and "unique_x" in failed_test.reason
    error = judge_node("model.p.x", {"status": "error", "message": "Runtime Error in model x"})
    assert error.state == "failed" and "Runtime Error" in error.reason
    assert judge_node("model.p.x", {"status": "skipped"}).state == "skipped"
    # a relationships test skipped because its other parent failed: that parent's task fails, not this one
    assert judge_node(
        "seed.p.s", {"status": "success", "tests": {"test.p.rel_y_s.1": {"status": "skipped"}}}
    ).state == ("success")


def test_a_source_task_fails_naming_each_table_past_its_freshness_error_threshold(dag):
    from airflow.exceptions import AirflowException

    etsy = dag.get_task("transform.sources.etsy")
    fresh = {"status": "pass", "message": "freshness pass: max loaded at 2026-01-01"}
    assert etsy._judge({"tables": {f"source.{PROJECT}.etsy.receipts": fresh}}) is True
    warned = {"status": "warn", "message": "freshness warn: max loaded at 2026-01-01 (27.0 h ago)"}
    assert etsy._judge({"tables": {f"source.{PROJECT}.etsy.receipts": warned}}) is True
    stale = {"status": "error", "message": "freshness error: max loaded at 2026-01-01 (60.0 h ago)"}
    with pytest.raises(AirflowException, match=r"1 of its 2 tables.*etsy\.ledger_entries \(freshness error.*60\.0 h"):
        etsy._judge(
            {"tables": {f"source.{PROJECT}.etsy.receipts": fresh, f"source.{PROJECT}.etsy.ledger_entries": stale}}
        )


def test_the_producer_pushes_one_freshness_result_per_source_with_each_table(dag):
    from shop_analytics.transform.watchers import result_xcom_key

    producer = dag.get_task("transform.dbt_producer_watcher")
    ti = _PushedXComs()
    producer._sources_json = {
        "results": [
            {"unique_id": f"source.{PROJECT}.etsy.receipts", "status": "pass", "max_loaded_at_time_ago_in_s": 3600},
            {"unique_id": f"source.{PROJECT}.etsy.ledger_entries", "status": "error"},
            {"unique_id": f"source.{PROJECT}.ga4.events", "status": "warn"},
        ]
    }
    producer._push_source_freshness_results({"ti": ti})
    assert set(ti.pushed) == {result_xcom_key(f"source.{PROJECT}.etsy"), result_xcom_key(f"source.{PROJECT}.ga4")}
    etsy = ti.pushed[result_xcom_key(f"source.{PROJECT}.etsy")]["tables"]
    assert {table: result["status"] for table, result in etsy.items()} == {
        f"source.{PROJECT}.etsy.receipts": "pass",
        f"source.{PROJECT}.etsy.ledger_entries": "error",
    }
    assert "(1.0 h ago)" in etsy[f"source.{PROJECT}.etsy.receipts"]["message"]


def test_a_test_reading_several_nodes_reports_on_the_node_it_is_defined_on():
    """A seed's task must not wait for the relationships tests of the models pointing at it
    (the staging tasks waiting on the seed would wait for the whole build)."""
    from types import SimpleNamespace

    from shop_analytics.transform.cosmos_dbt import tests_on_their_last_parents

    def node(path, *parents):
        return SimpleNamespace(original_file_path=path, depends_on=list(parents))

    nodes = {
        "seed.p.shops": node("seeds/shops.csv"),
        "model.p.stg_a": node("models/staging/a/stg_a.sql"),
        "model.p.stg_b": node("models/staging/a/stg_b.sql", "seed.p.shops"),
        "model.p.fct": node("models/marts/fct.sql", "model.p.stg_a"),
        "test.p.rel_a_shops": node("models/staging/a/_a__models.yml", "model.p.stg_a", "seed.p.shops"),
        "test.p.rel_b_shops": node("models/staging/a/_a__models.yml", "model.p.stg_b", "seed.p.shops"),
        "test.p.fct_vs_a": node("tests/fct_vs_a.sql", "model.p.fct", "model.p.stg_a"),
        "test.p.a_vs_b": node("tests/a_vs_b.sql", "model.p.stg_a", "model.p.stg_b"),
    }
    cosmos_lists = {
        "seed.p.shops": ["test.p.rel_a_shops", "test.p.rel_b_shops"],
        "model.p.stg_a": ["test.p.rel_a_shops", "test.p.fct_vs_a", "test.p.a_vs_b"],
        "model.p.stg_b": ["test.p.rel_b_shops", "test.p.a_vs_b"],
        "model.p.fct": ["test.p.fct_vs_a"],
    }
    assert tests_on_their_last_parents(cosmos_lists, nodes) == {
        "seed.p.shops": [],
        "model.p.stg_a": ["test.p.rel_a_shops", "test.p.a_vs_b"],
        "model.p.stg_b": ["test.p.rel_b_shops", "test.p.a_vs_b"],
        "model.p.fct": ["test.p.fct_vs_a"],
    }
