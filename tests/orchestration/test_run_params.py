"""Manual-run params: JSON-schema validated, cross-checked by the first task, and the dbt
window they give (the run's data interval unless a range is asked for)."""

from __future__ import annotations

import jinja2
import pendulum
import pytest

from shop_analytics.config import load_sources
from shop_analytics.config.run_params import DBT_WINDOW_ENV, run_params
from shop_analytics.extract import selected_sync_tasks

TRIGGERS = {name: f"extract.{name}.trigger_sync" for name in load_sources()}


def _validated(**conf):
    from airflow.sdk.definitions.param import ParamsDict

    params = ParamsDict(run_params(TRIGGERS))
    for key, value in conf.items():
        params[key] = value
    return params.validate()


def test_defaults_sync_every_source_over_the_data_interval_without_full_refresh():
    params = _validated()
    assert params == {"sources": sorted(TRIGGERS), "start_date": None, "end_date": None, "full_refresh": False}
    assert selected_sync_tasks(params, TRIGGERS) == [TRIGGERS[name] for name in sorted(TRIGGERS)]


@pytest.mark.parametrize(
    "conf",
    [
        {"sources": ["shopify"]},
        {"sources": []},
        {"sources": ["etsy", "etsy"]},
        {"start_date": "10/03/2026"},
        {"end_date": "2026-02-30"},
        {"full_refresh": "yes"},
    ],
)
def test_the_schema_rejects_what_it_can(conf):
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        _validated(**conf)


def test_a_subset_of_sources_runs_only_their_syncs():
    params = _validated(sources=["etsy"])
    assert selected_sync_tasks(params, TRIGGERS) == ["extract.etsy.trigger_sync"]


def test_a_half_or_inverted_range_fails_the_first_task_with_the_reason():
    with pytest.raises(ValueError, match="give both days of the range"):
        selected_sync_tasks(_validated(start_date="2026-03-01"), TRIGGERS)
    with pytest.raises(ValueError, match="must be after start_date"):
        selected_sync_tasks(_validated(start_date="2026-03-05", end_date="2026-03-05"), TRIGGERS)


def _dbt_window(params, logical_day):
    start = pendulum.datetime(logical_day.year, logical_day.month, logical_day.day, tz="UTC")
    context = {"params": params, "data_interval_start": start, "data_interval_end": start.add(days=1)}
    return {key: jinja2.Template(template).render(context) for key, template in DBT_WINDOW_ENV.items()}


def test_dbt_rebuilds_the_runs_data_interval_so_a_backfill_rebuilds_exactly_its_days():
    for day in (pendulum.date(2026, 3, 1), pendulum.date(2026, 3, 2)):
        assert _dbt_window(_validated(), day) == {
            "SHOP_ANALYTICS_START_DATE": str(day),
            "SHOP_ANALYTICS_END_DATE": str(day.add(days=1)),
        }


def test_a_manual_range_overrides_the_data_interval():
    params = _validated(start_date="2026-02-01", end_date="2026-03-01")
    assert _dbt_window(params, pendulum.date(2026, 3, 10)) == {
        "SHOP_ANALYTICS_START_DATE": "2026-02-01",
        "SHOP_ANALYTICS_END_DATE": "2026-03-01",
    }


def test_the_dag_validates_its_params_and_sends_the_window_and_full_refresh_to_the_build():
    from airflow.dag_processing.dagbag import DagBag

    from shop_analytics.config import REPO_ROOT
    from shop_analytics.publish import reporting_assets

    dag = DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False).dags["etsy_shop_analytics"]
    assert set(dag.params) == {"sources", "start_date", "end_date", "full_refresh"}
    producer = dag.get_task("transform.dbt_producer_watcher")
    assert DBT_WINDOW_ENV.items() <= producer.env.items()
    assert producer.full_refresh == "{{ params.full_refresh }}"
    check = dag.get_task("check_run_params")
    assert {task.task_id for task in check.downstream_list} == set(TRIGGERS.values())
    publish = dag.get_task("publish_reporting_tables")
    assert publish.outlets == reporting_assets()
    assert len(publish.outlets) >= 10
