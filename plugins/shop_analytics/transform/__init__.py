"""Transform: the dbt project rendered as Airflow tasks by astronomer-cosmos."""

from shop_analytics.transform.assets import reporting_assets
from shop_analytics.transform.cosmos_dbt import dbt_task_group, source_tasks
from shop_analytics.transform.run_params import run_params, selected_sync_tasks

__all__ = ["dbt_task_group", "reporting_assets", "run_params", "selected_sync_tasks", "source_tasks"]
