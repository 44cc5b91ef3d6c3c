"""The bad-input catalogue: every way the raw layer is known to go wrong, injected into a
copy of a landed and published DuckDB file, then `dbt build` and publish as the DAG runs
them. Each case ends one of two ways:

- handled: the build passes, the reporting tables are published and show the right thing;
- blocked: a named dbt test (or model) fails, the run fails naming it, and the published
  reporting tables are exactly as before.

Handled cases touch different shops, days and records, so they share one injected world
and one full build; each blocked case gets its own copy and builds what it needs.

Awkward input already covered elsewhere, not repeated here: GA4 lookback re-sends
(tests/dbt/test_marketing_models.py::test_ga4_latest_extract_wins_over_lookback_resends),
malformed GA4 values (::test_malformed_ga4_values_fail_loudly), a GA4 day missing
entirely (::test_sales_of_a_day_without_sessions_are_unattributed_not_lost), an unmapped
ledger type landing late on an old day through an incremental run
(tests/dbt/test_sales_model.py::test_unmapped_ledger_type_warns_and_is_kept).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pytest
from conftest import build_and_publish, failed_nodes, reporting_checksums

from tests.dbt.conftest import DbtProject

NEW_SHOP_ID = 50000099
UNICODE_TEXT = "🌸 Vase «Ünïcödé» 花瓶 — שלום ñ 👩🏽‍🎨"


def latest_receipt(connection, where: str) -> dict:
    """The latest version of one receipt matching `where` (a predicate on the latest versions)."""
    cursor = connection.execute(
        f"""
        select * from (
            select * from raw_etsy.receipts
            qualify row_number() over (partition by receipt_id order by _airbyte_extracted_at desc) = 1
        ) where {where}
        order by receipt_id limit 1
        """
    )
    names = [column[0] for column in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def resend_receipt(connection, receipt_id: int, replacements: str) -> None:
    """A new version of a receipt as the next sync lands it: new raw id, extracted now."""
    connection.execute(
        f"""
        insert into raw_etsy.receipts by name
        select * replace (uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at, {replacements})
        from raw_etsy.receipts where receipt_id = ?
        qualify row_number() over (order by _airbyte_extracted_at desc) = 1
        """,
        [receipt_id],
    )


def base_value(connection, sql: str, parameters: list | None = None):
    return connection.execute(sql, parameters or []).fetchone()[0]


# --- Handled: one injected world, one build ------------------------------------------------


def inject_duplicates_across_syncs(connection) -> dict:
    """The latest sync of receipts, ledger and payments lands a second time (at-least-once)."""
    for table in ("receipts", "ledger_entries", "payments"):
        connection.execute(
            f"""
            insert into raw_etsy.{table} by name
            select * replace (uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at)
            from raw_etsy.{table}
            where _airbyte_extracted_at = (select max(_airbyte_extracted_at) from raw_etsy.{table})
            """
        )
    return {}


def check_duplicates_across_syncs(project: DbtProject, facts: dict) -> None:
    orders, distinct_orders = project.query(
        "select count(*), count(distinct receipt_id) from reporting.fct_orders where order_date >= date '1900-01-01'"
    )[0]
    (raw_receipts,) = project.query("select count(distinct receipt_id) from raw_etsy.receipts")[0]
    lines, distinct_lines = project.query(
        "select count(*), count(distinct transaction_id) from reporting.fct_order_items"
    )[0]
    assert orders == distinct_orders == raw_receipts
    assert lines == distinct_lines


def inject_late_status_change(connection) -> dict:
    """A paid order of a month ago is canceled today (a new version of the receipt lands)."""
    receipt = latest_receipt(
        connection,
        "shop_id = 50000002 and status = 'completed' and created_timestamp < epoch(timestamp '2025-12-01')",
    )
    order_date = base_value(
        connection, "select order_date from reporting.fct_orders where receipt_id = ?", [str(receipt["receipt_id"])]
    )
    orders_that_day = base_value(
        connection,
        "select orders from reporting.fct_sales_daily where shop_id = '50000002' and date_day = ? and is_shop_currency",
        [order_date],
    )
    resend_receipt(connection, receipt["receipt_id"], "'canceled' as status, epoch(now())::bigint as updated_timestamp")
    return {"receipt_id": str(receipt["receipt_id"]), "order_date": order_date, "orders_that_day": orders_that_day}


def check_late_status_change(project: DbtProject, facts: dict) -> None:
    (is_canceled,) = project.query(
        "select is_canceled from reporting.fct_orders where order_date >= date '1900-01-01' and receipt_id = ?",
        [facts["receipt_id"]],
    )[0]
    (orders_that_day,) = project.query(
        "select orders from reporting.fct_sales_daily where shop_id = '50000002' and date_day = ? and is_shop_currency",
        [facts["order_date"]],
    )[0]
    assert is_canceled is True
    assert orders_that_day == facts["orders_that_day"] - 1


def inject_refund_after_order_day(connection) -> dict:
    """A completed order of ~40 days ago gets a 5.00 refund dated 20 days after the order."""
    receipt = latest_receipt(
        connection,
        "shop_id = 50000001 and status = 'completed' and json_array_length(refunds) = 0 "
        "and created_timestamp < epoch(timestamp '2025-11-25')",
    )
    currency = base_value(connection, "select ?::json->>'currency_code'", [receipt["total_price"]])
    refunded_at = receipt["created_timestamp"] + 20 * 86400
    refund = (
        f'[{{"amount":{{"amount":500,"divisor":100,"currency_code":"{currency}"}},'
        f'"created_timestamp":{refunded_at},"reason":"customer_request","note_from_issuer":null,"status":"SUCCEEDED"}}]'
    )
    resend_receipt(
        connection,
        receipt["receipt_id"],
        f"'partially refunded' as status, {refunded_at}::bigint as updated_timestamp, '{refund}'::json as refunds",
    )
    daily_refunds = dict(
        connection.execute(
            "select date_day, refunds from reporting.fct_sales_daily where shop_id = '50000001' and is_shop_currency"
        ).fetchall()
    )
    order_date = base_value(
        connection, "select order_date from reporting.fct_orders where receipt_id = ?", [str(receipt["receipt_id"])]
    )
    return {"receipt_id": str(receipt["receipt_id"]), "order_date": order_date, "daily_refunds": daily_refunds}


def check_refund_after_order_day(project: DbtProject, facts: dict) -> None:
    (refunds,) = project.query(
        "select refunds from reporting.fct_orders where order_date >= date '1900-01-01' and receipt_id = ?",
        [facts["receipt_id"]],
    )[0]
    assert refunds == Decimal("5.00")
    daily_refunds = dict(
        project.query(
            "select date_day, refunds from reporting.fct_sales_daily where shop_id = '50000001' and is_shop_currency"
        )
    )
    changed = {day: daily_refunds[day] - facts["daily_refunds"].get(day, 0) for day in daily_refunds}
    changed = {day: delta for day, delta in changed.items() if delta}
    assert list(changed.values()) == [Decimal("5.00")], changed
    (refund_day,) = changed
    assert 19 <= (refund_day - facts["order_date"]).days <= 21, "the refund is dated by the refund, not the order"


def inject_unknown_ledger_type(connection) -> dict:
    connection.execute(
        """
        insert into raw_etsy.ledger_entries by name
        select * replace (
            uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at,
            'brand_new_etsy_fee' as ledger_type, entry_id + 900000000000 as entry_id, -123 as amount
        )
        from raw_etsy.ledger_entries where ledger_type = 'renew_sold_auto' and shop_id = 50000002
        limit 1
        """
    )
    return {}


def check_unknown_ledger_type(project: DbtProject, facts: dict) -> None:
    (unclassified,) = project.query(
        "select sum(unclassified_ledger_amount) from reporting.fct_sales_daily where shop_id = '50000002'"
    )[0]
    assert unclassified == Decimal("-1.23")
    warned = {result["unique_id"].split(".")[2] for result in project.build_results if result["status"] == "warn"}
    assert "stg_etsy__ledger_entries_ledger_type_is_mapped" in warned


def inject_new_column(connection) -> dict:
    connection.execute("alter table raw_etsy.receipts add column etsy_new_field varchar default 'surprise'")
    connection.execute("alter table raw_ga4.website_overview add column userEngagementDuration bigint default 7")
    return {}


def check_new_column(project: DbtProject, facts: dict) -> None:
    columns = project.query(
        "select column_name from information_schema.columns where table_schema = 'reporting' "
        "and column_name in ('etsy_new_field', 'userEngagementDuration')"
    )
    assert columns == [], "a new raw column reaches no reporting table until a model selects it"


def inject_unicode_text(connection) -> dict:
    listing_id = base_value(connection, "select min(listing_id) from raw_etsy.listings")
    connection.execute(
        """
        insert into raw_etsy.listings by name
        select * replace (uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at, ? as title,
                          updated_timestamp + 1 as updated_timestamp)
        from raw_etsy.listings where listing_id = ?
        qualify row_number() over (order by _airbyte_extracted_at desc) = 1
        """,
        [UNICODE_TEXT, listing_id],
    )
    post_id = base_value(connection, "select min(id) from raw_instagram.media")
    connection.execute("update raw_instagram.media set caption = ? where id = ?", [UNICODE_TEXT, post_id])
    return {"listing_id": str(listing_id), "post_id": post_id}


def check_unicode_text(project: DbtProject, facts: dict) -> None:
    assert project.query("select title from reporting.dim_products where listing_id = ?", [facts["listing_id"]]) == [
        (UNICODE_TEXT,)
    ]
    assert project.query("select caption from reporting.fct_instagram_posts where post_id = ?", [facts["post_id"]]) == [
        (UNICODE_TEXT,)
    ]


def ga4_property_and_day(connection) -> tuple[str, str, str]:
    return connection.execute(
        """
        select accounts.shop_id, cast(accounts.ga4_property_id as varchar), strftime(traffic.date_day, '%Y%m%d')
        from reporting.fct_web_traffic_daily as traffic
        inner join reference.shop_accounts as accounts on traffic.shop_id = accounts.shop_id
        where accounts.shop_id = '50000002' and not traffic.is_provisional
        group by all order by 3 desc limit 1 offset 20
        """
    ).fetchone()


OVERVIEW_SESSIONS_OF_DAY = (
    "select sessions from reporting.mart_daily_business_overview where shop_id = ? and strftime(date_day, '%Y%m%d') = ?"
)


def inject_ga4_day_resent(connection) -> dict:
    """GA4 re-sends a settled day with different numbers (sessions doubled in every report,
    engaged sessions too where the report counts them: the rates stay as they were)."""
    shop_id, property_id, day = ga4_property_and_day(connection)
    tables = [
        table
        for (table,) in connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'raw_ga4' and column_name = 'sessions'"
        ).fetchall()
    ]
    engaged_tables = {
        table
        for (table,) in connection.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'raw_ga4' and column_name = 'engagedSessions'"
        ).fetchall()
    }
    for table in tables:
        engaged = ", engagedSessions * 2 as engagedSessions" if table in engaged_tables else ""
        connection.execute(
            f"""
            insert into raw_ga4.{table} by name
            select * replace (uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at,
                              sessions * 2 as sessions{engaged})
            from raw_ga4.{table} as resent
            where property_id = $1 and date = $2 and _airbyte_extracted_at = (
                select max(_airbyte_extracted_at) from raw_ga4.{table} where property_id = $1 and date = $2
            )
            """,
            [property_id, day],
        )
    sessions = base_value(
        connection,
        OVERVIEW_SESSIONS_OF_DAY,
        [shop_id, day],
    )
    return {"shop_id": shop_id, "day": day, "sessions": sessions}


def check_ga4_day_resent(project: DbtProject, facts: dict) -> None:
    (sessions,) = project.query(
        OVERVIEW_SESSIONS_OF_DAY,
        [facts["shop_id"], facts["day"]],
    )[0]
    assert sessions == 2 * facts["sessions"], "the latest extract replaces the day; it is never added to it"


def inject_deleted_post(connection) -> dict:
    post_id = base_value(
        connection,
        "select id from raw_instagram.media_insights group by id having count(*) >= 3 order by id desc limit 1",
    )
    reach = base_value(
        connection, "select lifetime_reach from reporting.fct_instagram_posts where post_id = ?", [post_id]
    )
    connection.execute("delete from raw_instagram.media where id = ?", [post_id])
    return {"post_id": post_id, "lifetime_reach": reach}


def check_deleted_post(project: DbtProject, facts: dict) -> None:
    rows = project.query(
        "select is_deleted, lifetime_reach from reporting.fct_instagram_posts where post_id = ?", [facts["post_id"]]
    )
    assert rows == [(True, facts["lifetime_reach"])]


def inject_nulled_instagram_metric(connection) -> dict:
    """Airbyte could not type one snapshot's reach: NULL, listed in _airbyte_meta.changes."""
    post_id = base_value(
        connection,
        "select id from raw_instagram.media_insights group by id having count(*) >= 3 "
        "order by id desc limit 1 offset 1",
    )
    connection.execute(
        """
        update raw_instagram.media_insights
        set reach = null,
            _airbyte_meta = '{"sync_id": 9, "changes": [{"field": "reach", "change": "NULLED",
                             "reason": "DESTINATION_SERIALIZATION_ERROR"}]}'
        where _airbyte_raw_id = (select _airbyte_raw_id from raw_instagram.media_insights where id = ?
                                 order by _airbyte_extracted_at desc limit 1 offset 1)
        """,
        [post_id],
    )
    return {"post_id": post_id}


def check_nulled_instagram_metric(project: DbtProject, facts: dict) -> None:
    lifetime, delta_sum = project.query(
        """
        select (select lifetime_reach from reporting.fct_instagram_posts where post_id = $1),
               (select sum(reach) from reporting.fct_instagram_post_insights_daily where post_id = $1)
        """,
        [facts["post_id"]],
    )[0]
    assert lifetime is not None and delta_sum == lifetime


@dataclass(frozen=True)
class Handled:
    inject: Callable[[duckdb.DuckDBPyConnection], dict]
    check: Callable[[DbtProject, dict], None]


HANDLED = {
    "duplicates_across_syncs": Handled(inject_duplicates_across_syncs, check_duplicates_across_syncs),
    "late_status_change": Handled(inject_late_status_change, check_late_status_change),
    "refund_dated_after_the_order_day": Handled(inject_refund_after_order_day, check_refund_after_order_day),
    "unknown_ledger_type": Handled(inject_unknown_ledger_type, check_unknown_ledger_type),
    "schema_drift_new_column": Handled(inject_new_column, check_new_column),
    "unicode_and_emoji_text": Handled(inject_unicode_text, check_unicode_text),
    "ga4_day_resent_with_different_numbers": Handled(inject_ga4_day_resent, check_ga4_day_resent),
    "deleted_instagram_post": Handled(inject_deleted_post, check_deleted_post),
    "airbyte_meta_nulled_instagram_metric": Handled(inject_nulled_instagram_metric, check_nulled_instagram_metric),
}


@pytest.fixture(scope="module")
def handled_world(published_base, tmp_path_factory) -> tuple[DbtProject, dict, object]:
    work_dir = tmp_path_factory.mktemp("quality_handled")
    project = DbtProject(work_dir / "shop_analytics.duckdb", work_dir)
    shutil.copy(published_base.duckdb_path, project.duckdb_path)
    facts = {}
    with duckdb.connect(str(project.duckdb_path)) as connection:
        for name, case in HANDLED.items():
            facts[name] = case.inject(connection)
    built = build_and_publish(project)
    return project, facts, built


# Handled cases the models do not handle yet: the test fails until they do (strict xfail).
HANDLED_GAPS: dict[str, str] = {}


@pytest.mark.parametrize(
    "case_name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=HANDLED_GAPS[name]))
        if name in HANDLED_GAPS
        else name
        for name in HANDLED
    ],
)
def test_handled(handled_world, case_name):
    project, facts, built = handled_world
    assert built.returncode == 0, f"{failed_nodes(project)}\n{built.stdout[-4000:]}"
    HANDLED[case_name].check(project, facts[case_name])


# --- Blocked: each on its own copy ---------------------------------------------------------


@dataclass(frozen=True)
class Blocked:
    inject: tuple[str, ...]
    select: tuple[str, ...]
    fails: str  # the dbt node (test or model) that must fail, named in the run's output


LATEST_RECEIPT = "(select max(_airbyte_raw_id) from raw_etsy.receipts where status = 'paid')"
RESEND_RECEIPT = """
    insert into raw_etsy.receipts by name
    select * replace (uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at, {replacements})
    from raw_etsy.receipts where _airbyte_raw_id = {latest}
"""


def resend(replacements: str) -> str:
    return RESEND_RECEIPT.format(replacements=replacements, latest=LATEST_RECEIPT)


RECEIPTS = ("base_etsy__receipts", "stg_etsy__receipts")
BLOCKED = {
    "null_primary_key": Blocked((resend("null as receipt_id"),), RECEIPTS, "not_null_base_etsy__receipts_receipt_id"),
    "malformed_money_json_missing_divisor": Blocked(
        (resend("""'{"amount":4800,"currency_code":"USD"}'::json as total_price"""),),
        RECEIPTS,
        "not_null_stg_etsy__receipts_total_price",
    ),
    "malformed_money_json_amount_not_a_number": Blocked(
        (resend("""'{"amount":"48.00 USD","divisor":100,"currency_code":"USD"}'::json as total_price"""),),
        RECEIPTS,
        "stg_etsy__receipts",
    ),
    "airbyte_meta_nulled_etsy_field": Blocked(
        (
            resend(
                """null as grandtotal, '{"sync_id": 9, "changes": [{"field": "grandtotal", "change": "NULLED",
                   "reason": "DESTINATION_SERIALIZATION_ERROR"}]}'::json as _airbyte_meta"""
            ),
        ),
        RECEIPTS,
        "not_null_stg_etsy__receipts_grand_total",
    ),
    # #15 item 6: Airbyte could not type a receipt's shipping cost and wrote NULL (listed in
    # _airbyte_meta.changes). Never read as 0 shipping: the record is kept, flagged, and the
    # test on its nulled needed fields stops the run naming it.
    "airbyte_meta_nulled_shipping_cost": Blocked(
        (
            resend(
                """null as total_shipping_cost, '{"sync_id": 9, "changes": [{"field": "total_shipping_cost",
                   "change": "NULLED", "reason": "DESTINATION_TYPECAST_ERROR"}]}'::json as _airbyte_meta"""
            ),
        ),
        RECEIPTS,
        "stg_etsy__receipts_has_no_airbyte_nulled_needed_field",
    ),
    # #15 item 7: a receipt whose completed refunds exceed what the buyer paid.
    "refunds_exceed_the_amount_paid": Blocked(
        (
            resend(
                """cast('[{"amount":{"amount":' || (cast(grandtotal->>'amount' as bigint) + 100) || ',"divisor":100,'
                   || '"currency_code":"' || (grandtotal->>'currency_code') || '"},"created_timestamp":'
                   || (created_timestamp + 86400) || ',"reason":"customer_request","note_from_issuer":null,'
                   || '"status":"SUCCEEDED"}]' as json) as refunds"""
            ),
        ),
        (*RECEIPTS, "stg_etsy__transactions", "stg_etsy__refunds", "int_sales__refunds", "int_sales__orders"),
        "int_sales__orders_refunds_do_not_exceed_the_amount_paid",
    ),
    "receipt_without_transactions": Blocked(
        (
            resend(
                "receipt_id + 200000000000 as receipt_id, '[]'::json as transactions, "
                "'[]'::json as shipments, '[]'::json as refunds"
            ),
        ),
        ("stg_etsy__receipts", "stg_etsy__transactions", "int_sales__orders"),
        "int_sales__orders_lines_sum_to_total_price",
    ),
    # A receipt priced in a currency that is not its shop's: never summed into the shop's
    # figures, never dropped; the run stops at staging and names the receipt.
    "unknown_currency": Blocked(
        (
            resend(
                "receipt_id + 100000000000 as receipt_id, "
                + ", ".join(
                    f"""cast(regexp_replace(regexp_replace(cast({column} as varchar),
                        '"currency_code":"[A-Z]{{3}}"', '"currency_code":"XTS"', 'g'),
                        '"(transaction_id|receipt_shipping_id)":(\\d+)', '"\\1":9\\2', 'g') as json) as {column}"""
                    for column in (
                        "grandtotal",
                        "subtotal",
                        "total_price",
                        "total_shipping_cost",
                        "total_tax_cost",
                        "total_vat_cost",
                        "discount_amt",
                        "gift_wrap_price",
                        "transactions",
                        "refunds",
                        "shipments",
                    )
                )
            ),
        ),
        (*RECEIPTS, "stg_etsy__transactions"),
        "stg_etsy__receipts_currency_is_the_shops",
    ),
    "negative_quantity": Blocked(
        (
            resend("""cast(regexp_replace(cast(transactions as varchar), '"quantity":\\d+', '"quantity":-1') as json)
                   as transactions"""),
        ),
        ("stg_etsy__transactions",),
        "accepted_range_stg_etsy__transactions_quantity",
    ),
    "timestamp_in_the_future": Blocked(
        (
            resend(
                "epoch(now() + interval 400 day)::bigint as created_timestamp, "
                "epoch(now() + interval 400 day)::bigint as create_timestamp"
            ),
        ),
        RECEIPTS,
        "stg_etsy__receipts_created_at_is_not_in_the_future",
    ),
    "second_shop_appearing_unconfigured": Blocked(
        (resend(f"{NEW_SHOP_ID} as shop_id, receipt_id + 3 * 10^11 as receipt_id"),),
        RECEIPTS,
        "relationships_stg_etsy__receipts_shop_id",
    ),
    "unknown_ledger_currency": Blocked(
        (
            """
            insert into raw_etsy.ledger_entries by name
            select * replace (uuid()::varchar as _airbyte_raw_id, now() as _airbyte_extracted_at,
                              'XTS' as currency, entry_id + 800000000000 as entry_id)
            from raw_etsy.ledger_entries limit 1
            """,
        ),
        ("stg_etsy__ledger_entries",),
        "stg_etsy__ledger_entries_currency_is_iso_4217",
    ),
    "empty_sync_of_an_overwritten_stream": Blocked(
        ("delete from raw_instagram.media",),
        ("stg_instagram__posts", "int_instagram__posts"),
        "stg_instagram__posts_not_empty_while_insights_arrive",
    ),
    # GA4 changes a metric from integer to number: Airbyte lands it NUMERIC, not INT64. Staging
    # and the daily totals pass it through; mart_daily_business_overview's enforced contract
    # (sessions: bigint) fails the build, so the new type never reaches a reporting table.
    "schema_drift_column_changes_type": Blocked(
        ("alter table raw_ga4.website_overview alter column sessions type decimal(38, 9)",),
        ("stg_ga4__website_overviews+",),
        "mart_daily_business_overview",
    ),
}


@pytest.mark.parametrize("case_name", list(BLOCKED))
def test_blocked(published_base, copy_of_base, case_name):
    case = BLOCKED[case_name]
    published = reporting_checksums(published_base.duckdb_path)
    with duckdb.connect(str(copy_of_base.duckdb_path)) as connection:
        for statement in case.inject:
            connection.execute(statement)
    built = build_and_publish(copy_of_base, "--select", *case.select)
    failed = failed_nodes(copy_of_base)
    assert built.returncode != 0, f"{case_name} was not blocked:\n{built.stdout[-3000:]}"
    assert any(case.fails in unique_id for unique_id in failed), failed
    assert case.fails in built.stdout, "the run's output names what failed"
    assert reporting_checksums(copy_of_base.duckdb_path) == published, "the reporting tables changed"
