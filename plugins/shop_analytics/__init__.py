"""Etsy shop analytics: the code that deploys to Composer with the DAG.

Sub-modules: ``config`` (sources, settings), ``extract`` (Airbyte syncs),
``transform`` (Cosmos rendering of the dbt project), ``publish`` (reporting tables).
"""
