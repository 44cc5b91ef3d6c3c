"""The dbt unit tests (`unit_tests:` in the models' yml) run and pass. Cosmos renders no task
for them: the DAG runs them in its dbt_unit_tests task (shop_analytics.publish), CI here.
dbt reads the columns of a unit-tested model's parents from the warehouse, so they run on
the built base project."""

from __future__ import annotations

from shop_analytics.publish import UNIT_TEST_SELECTOR

# The logic that is easy to get wrong, one unit test (at least) each.
EXPECTED_UNIT_TESTS = {
    "base_etsy__receipts_keeps_the_latest_airbyte_resend",  # dedup of Airbyte re-sends
    "stg_etsy__receipts_money_and_utc_dates",  # Money, epoch seconds and UTC days
    "int_sales__customer_orders_new_vs_returning",
    "int_sales__ledger_allocations_allocate_fees_to_their_orders",  # fee allocation
    "int_sales__ledger_allocations_classified_reads_the_mapping",  # ledger types classified when read
    "stg_ga4__traffic_sources_ratios_become_numerators",  # GA4 numerators
    "int_ga4__traffic_sources_classified_channel_mapping",
    "int_instagram__post_insights_daily_deltas",
    "stg_ga4__traffic_sources_latest_extract_replaces_the_day",  # GA4 day replacement
    "stg_instagram__post_insight_snapshots_reels_milliseconds_become_seconds",  # unit conversion
    "int_marketing__channel_sessions_daily_uses_ga4s_own_channel_groups",  # GA4's own channels
    "int_instagram__posts_expired_stories_keep_their_posting_day",
    # #15 money rules
    "stg_etsy__receipts_names_fields_airbyte_nulled",  # Airbyte NULLED values never read as 0
    "int_sales__refunds_split_tax_shipping_and_goods",  # refund split, rounding, yen, shop-local days
    "int_sales__order_fees_estimates_round_per_ledger_entry",  # fee rounding per ledger entry
    "fct_orders_tax_and_refunds_stay_out_of_net_sales_and_profit",  # tax, refunds, labels, net profit
}


def test_dbt_unit_tests_pass(published_base):
    completed = published_base.run("test", "--select", UNIT_TEST_SELECTOR, check=False)
    results = {result["unique_id"].split(".")[-1]: result["status"] for result in published_base.run_results()}
    assert set(results) >= EXPECTED_UNIT_TESTS, f"unit tests missing: {EXPECTED_UNIT_TESTS - set(results)}"
    failing = {name: status for name, status in results.items() if status != "pass"}
    assert not failing, f"{failing}\n{completed.stdout[-5000:]}"
