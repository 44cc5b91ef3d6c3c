"""Transform: the dbt project rendered as Airflow tasks by astronomer-cosmos."""

from shop_analytics.transform.cosmos_dbt import dbt_task_group, source_tasks

__all__ = ["dbt_task_group", "source_tasks"]
