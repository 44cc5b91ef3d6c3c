"""Any ISO 4217 currency flows through with its own divisor (#15 item 8): a world with
every shop of shop_accounts.csv, one of them selling in yen (no minor unit), builds with
every test passing, and the yen shop's figures are whole yen equal to the raw records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from standin.simulator import Scenario

YEN_SHOP = "50000009"
SYNC_DAYS = (dt.date(2026, 1, 1),)
# The sales models and everything they feed; the marketing sources are not what this tests.
SALES_SELECTION = (
    "--select",
    "path:seeds",
    "path:models/staging/etsy+",
    "--exclude",
    "path:models/intermediate/marketing",
    "path:models/marts/marketing",
    "path:models/marts/overview",
    "fct_instagram_funnel_daily",  # reads the marketing marts left out above
)


@pytest.fixture(scope="module")
def every_shop(make_dbt_project):
    scenario = Scenario.every_shop(SYNC_DAYS[0] - dt.timedelta(days=1))
    project = make_dbt_project("every_shop", sync_days=SYNC_DAYS, scenario=scenario, build=False)
    if not project.build_results:
        project.run("build", *SALES_SELECTION, check=False)
        project.build_results = project.run_results()
    return project


def test_every_currency_builds_and_passes(every_shop):
    assert every_shop.build_results, "the build ran nothing"
    assert every_shop.failed_nodes(("models/", "seeds/", "tests/")) == {}
    currencies = {code for (code,) in every_shop.query("select distinct currency_code from marts.fct_sales_daily")}
    assert {"JPY", "USD", "GBP", "EUR", "CAD", "AUD"} <= currencies


def test_yen_amounts_use_their_own_divisor(every_shop):
    (divisors,) = every_shop.query(
        f"select list(distinct grandtotal->>'divisor') from raw_etsy.receipts where shop_id = {YEN_SHOP}"
    )[0]
    assert divisors == ["1"]
    raw_gross, raw_ledger, raw_listing_fees = every_shop.query(
        f"""
        with receipts as (
            select * from raw_etsy.receipts where shop_id = {YEN_SHOP}
            qualify row_number() over (partition by receipt_id order by _airbyte_extracted_at desc) = 1
        ),
        ledger as (
            select * from raw_etsy.ledger_entries where shop_id = {YEN_SHOP}
            qualify row_number() over (partition by entry_id order by _airbyte_extracted_at desc) = 1
        )
        select
            (select sum(cast(total_price->>'amount' as bigint)) from receipts where status <> 'canceled'),
            (select sum(amount) from ledger),
            (select -sum(amount) from ledger where ledger_type in ('listing', 'renew_expired', 'renew_sold_auto'))
        """
    )[0]
    (ledger,) = every_shop.query(
        f"select sum(amount) from intermediate.int_sales__ledger_allocations where shop_id = '{YEN_SHOP}'"
    )[0]
    gross, listing_fees, fractional = every_shop.query(
        f"""
        select sum(gross_sales), sum(listing_fees),
               count(*) filter (where net_profit <> round(net_profit) or etsy_fees <> round(etsy_fees))
        from marts.fct_sales_daily where shop_id = '{YEN_SHOP}' and currency_code = 'JPY'
        """
    )[0]
    assert gross == Decimal(raw_gross) > 0
    assert ledger == Decimal(raw_ledger), "ledger minor units of yen are whole yen"
    assert listing_fees == Decimal(raw_listing_fees) > 0
    assert fractional == 0, "a yen figure has a fraction"
