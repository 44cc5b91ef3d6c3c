"""Etsy Open API v3 records of our connector's streams, as the API returns them at a moment:
Money objects, epoch seconds, nested transactions/refunds/shipments, the statuses an order has
gone through by then. Built column-wise in Arrow from etsy_world's arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from standin.simulator import calendar, etsy_world, fees
from standin.simulator.etsy_world import REFUND_CANCEL, REFUND_FULL, REFUND_NONE, REFUND_PARTIAL, ShopOrders
from standin.simulator.scenario import Scenario, ShopAccount

CHUNK_ORDERS = 100_000
MONEY_TYPE = pa.struct([("amount", pa.int64()), ("divisor", pa.int64()), ("currency_code", pa.string())])
REVIEW_TEXTS = np.array(
    [
        "Beautiful, even better in person. Fast shipping too!",
        "Exactly as described, lovely quality.",
        "Bought as a gift and they loved it.",
        "Gorgeous work, will order again.",
        "Arrived well packed, thank you!",
        "",
        "Great seller, quick to answer my questions.",
        "Nice but smaller than I expected.",
    ]
)
REFUND_REASONS = {
    REFUND_PARTIAL: "customer_request",
    REFUND_FULL: "item_not_as_described",
    REFUND_CANCEL: "order_canceled",
}


def _repeat(value, count: int, type_: pa.DataType | None = None) -> pa.Array:
    return pa.repeat(pa.scalar(value, type=type_), count)


def money(amount: np.ndarray, currency_code: str) -> pa.StructArray:
    amount = np.asarray(amount, dtype=np.int64)
    return pa.StructArray.from_arrays(
        [
            pa.array(amount),
            _repeat(fees.minor_units_per_major(currency_code), amount.size, pa.int64()),
            _repeat(currency_code, amount.size),
        ],
        fields=list(MONEY_TYPE),
    )


def _nullable_money(amount: np.ndarray, present: np.ndarray, currency_code: str) -> pa.StructArray:
    values = money(amount, currency_code)
    return pa.StructArray.from_arrays(
        [values.field(i) for i in range(3)], fields=list(MONEY_TYPE), mask=pa.array(~present)
    )


def _ints(values: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    values = np.asarray(values, dtype=np.int64)
    return pa.array(values) if present is None else pa.array(values, mask=~present)


def _take(words: np.ndarray | pa.Array, index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(words), pa.array(np.asarray(index, dtype=np.int64)))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def _list(offsets_counts: np.ndarray, values: pa.Array) -> pa.ListArray:
    offsets = np.zeros(offsets_counts.size + 1, dtype=np.int32)
    np.cumsum(offsets_counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _struct(columns: dict[str, pa.Array]) -> pa.StructArray:
    return pa.StructArray.from_arrays(list(columns.values()), names=list(columns))


def _event_max(*times: np.ndarray, before: int) -> np.ndarray:
    """The latest of the events that happened before `before`."""
    stacked = np.stack([np.where(t < before, t, 0) for t in times])
    return stacked.max(axis=0)


def theme_of(shop: ShopAccount) -> tuple:
    return etsy_world.THEMES[shop.index % len(etsy_world.THEMES)]


def shop_user_id(shop: ShopAccount) -> int:
    return 60_000_000 + shop.shop_id % 10_000_000


def shop_name(shop: ShopAccount) -> str:
    theme = theme_of(shop)[0]
    return f"{theme.replace(' ', '')}Studio{shop.index + 1}"


# --- listings -----------------------------------------------------------------------------


def _listing_words(shop: ShopAccount, orders: ShopOrders) -> dict[str, pa.Array]:
    material, products, variation_property, _ = theme_of(shop)
    cat = orders.catalogue
    product_names = np.array([name for name, _ in products])
    title = pc.binary_join_element_wise(
        _take(etsy_world.ADJECTIVES, cat.adjective), pa.scalar(material), _take(product_names, cat.product), " "
    )
    description = pc.binary_join_element_wise(
        title, pa.scalar(f"Made to order in our studio. Choose your {variation_property.lower()} at checkout."), ". "
    )
    slug = pc.utf8_lower(pc.replace_substring(title, " ", "-"))
    return {"title": title, "description": description, "slug": slug}


def listings(scenario: Scenario, orders: ShopOrders, as_of: int, since: int | None) -> pa.Table:
    shop, cat = orders.shop, orders.catalogue
    words = _listing_words(shop, orders)
    renewed, renewed_at = cat.renewals(as_of)
    last_renewal = np.zeros(cat.listing_id.size, dtype=np.int64)
    np.maximum.at(last_renewal, renewed, renewed_at)
    changed = cat.state_change < as_of
    state_name = np.where(
        etsy_world.LISTING_STATES[cat.final_state] == "draft",
        "draft",
        np.where(changed, etsy_world.LISTING_STATES[cat.final_state], "active"),
    )
    updated = np.maximum.reduce([cat.created, last_renewal, np.where(changed, cat.state_change, 0)])
    visible = (cat.created < as_of) & (updated >= (since or 0))
    index = np.flatnonzero(visible)
    count = index.size
    period_start = np.maximum(cat.created, last_renewal)[index]
    _, _, variation_property, _ = theme_of(shop)
    return pa.table(
        {
            "listing_id": _ints(cat.listing_id[index]),
            "user_id": _repeat(shop_user_id(shop), count, pa.int64()),
            "shop_id": _repeat(shop.shop_id, count, pa.int64()),
            "title": pc.take(words["title"], pa.array(index)),
            "description": pc.take(words["description"], pa.array(index)),
            "state": pa.array(state_name[index]),
            "creation_timestamp": _ints(cat.created[index]),
            "created_timestamp": _ints(cat.created[index]),
            "ending_timestamp": _ints(period_start + etsy_world.LISTING_PERIOD),
            "original_creation_timestamp": _ints(cat.created[index]),
            "last_modified_timestamp": _ints(updated[index]),
            "updated_timestamp": _ints(updated[index]),
            "state_timestamp": _ints(np.where(changed, cat.state_change, cat.created)[index]),
            "quantity": _ints(np.where(state_name == "sold_out", 0, cat.quantity)[index]),
            "shop_section_id": _ints(40_000_000 + shop.index * 100 + cat.product[index]),
            "featured_rank": _ints(np.where(cat.popularity[index] > 2.5, 1, -1)),
            "url": _join(
                "https://www.etsy.com/listing/",
                _text(cat.listing_id[index]),
                "/",
                pc.take(words["slug"], pa.array(index)),
            ),
            "num_favorers": _ints(cat.num_favorers[index]),
            "non_taxable": _repeat(False, count),
            "is_taxable": _repeat(True, count),
            "is_customizable": pa.array(cat.has_variations[index]),
            "is_personalizable": pa.array(cat.product[index] == 0),
            "personalization_is_required": _repeat(False, count),
            "personalization_char_count_max": pa.array(
                np.where(cat.product[index] == 0, 40, 0), mask=cat.product[index] != 0
            ),
            "personalization_instructions": pa.array(
                np.where(cat.product[index] == 0, "Name or initials (up to 40 characters)", ""),
                mask=cat.product[index] != 0,
            ),
            "listing_type": _repeat("physical", count),
            "tags": pa.array([["handmade", "gift", variation_property.lower()]] * count, pa.list_(pa.string())),
            "materials": pa.array([[theme_of(shop)[0].lower()]] * count, pa.list_(pa.string())),
            "shipping_profile_id": _repeat(50_000_000 + shop.index, count, pa.int64()),
            "return_policy_id": _repeat(51_000_000 + shop.index, count, pa.int64()),
            "processing_min": _ints(cat.processing_min[index]),
            "processing_max": _ints(cat.processing_max[index]),
            "who_made": _repeat("i_did", count),
            "when_made": _repeat("made_to_order", count),
            "is_supply": _repeat(False, count),
            "item_weight": pa.array(np.round(0.2 + cat.product[index] * 0.15, 2)),
            "item_weight_unit": _repeat("kg", count),
            "item_length": pa.array(np.round(10.0 + cat.product[index] * 4, 1)),
            "item_width": pa.array(np.round(8.0 + cat.product[index] * 3, 1)),
            "item_height": pa.array(np.round(5.0 + cat.product[index] * 2, 1)),
            "item_dimensions_unit": _repeat("cm", count),
            "is_private": _repeat(False, count),
            "style": pa.array([["Minimalist"]] * count, pa.list_(pa.string())),
            "file_data": _repeat("", count),
            "has_variations": pa.array(cat.has_variations[index]),
            "should_auto_renew": pa.array(cat.auto_renew[index]),
            "language": _repeat("en-US", count),
            "price": money(cat.base_price[index], shop.currency_code),
            "taxonomy_id": _repeat(1_000 + shop.index, count, pa.int64()),
        }
    )


# --- receipts -----------------------------------------------------------------------------


def _buyer_words(orders: ShopOrders) -> dict[str, pa.Array]:
    pool = orders.buyers
    country_codes = np.array(etsy_world.BUYER_COUNTRIES)[pool.country]
    city_table = [etsy_world.CITIES[c] for c in etsy_world.BUYER_COUNTRIES]
    flat = [entry for cities in city_table for entry in cities]
    city_offset = np.cumsum([0] + [len(c) for c in city_table[:-1]])
    city_index = city_offset[pool.country] + pool.city
    name = pc.binary_join_element_wise(
        _take(etsy_world.FIRST_NAMES, pool.first_name), _take(etsy_world.LAST_NAMES, pool.last_name), " "
    )
    city = _take(np.array([c for c, _, _ in flat]), city_index)
    state = _take(np.array([s for _, s, _ in flat]), city_index)
    zip_code = _take(np.array([z for _, _, z in flat]), city_index)
    first_line = _join(_text(pool.street_number), " ", _take(etsy_world.LAST_NAMES, pool.last_name), " Street")
    return {
        "name": name,
        "first_line": first_line,
        "city": city,
        "state": state,
        "zip": zip_code,
        "country_iso": pa.array(country_codes),
        "formatted_address": _join(
            name, "\n", first_line, "\n", city, ", ", state, " ", zip_code, "\n", pa.array(country_codes)
        ),
        "currency": _take(np.array(etsy_world.BUYER_CURRENCY), pool.country),
    }


def _order_status(o: dict[str, np.ndarray], as_of: int) -> np.ndarray:
    refunded = o["refunded"] < as_of
    return np.select(
        [
            o["canceled"] < as_of,
            refunded & (o["refund_kind"] == REFUND_FULL),
            refunded & (o["refund_kind"] == REFUND_PARTIAL),
            o["shipped"] < as_of,
            o["paid"] < as_of,
            etsy_world.PAYMENT_METHODS[o["method"]] == "klarna",
        ],
        ["canceled", "fully refunded", "partially refunded", "completed", "paid", "payment processing"],
        "open",
    )


def receipt_updated(o: dict[str, np.ndarray], as_of: int) -> np.ndarray:
    return _event_max(
        o["created"], o["paid"], o["canceled"], o["shipped"], o["refunded"], o["failed_refund"], before=as_of
    )


def _transactions(orders: ShopOrders, index: np.ndarray, as_of: int) -> pa.ListArray:
    """The receipts' transactions (items are stored contiguously per order)."""
    o, it, shop, cat = orders.order, orders.item, orders.shop, orders.catalogue
    selected = np.zeros(o["receipt_id"].size, dtype=bool)
    selected[index] = True
    items = np.flatnonzero(selected[it["order"]])
    order_of = it["order"][items]
    listing = it["listing"][items]
    count = items.size
    words = _listing_words(shop, orders)
    paid = o["paid"][order_of]
    shipped = o["shipped"][order_of]
    _, _, variation_property, variation_values = theme_of(shop)
    has_variation = cat.has_variations[listing]
    varied = np.flatnonzero(has_variation)
    value_id = 1_000_000 + it["variation"][items][varied]
    value = _take(np.array(variation_values), it["variation"][items][varied])
    variations = _list(
        has_variation.astype(np.int32),
        _struct(
            {
                "property_id": _repeat(513, varied.size, pa.int64()),
                "value_id": _ints(value_id),
                "formatted_name": _repeat(variation_property, varied.size),
                "formatted_value": value,
            }
        ),
    )
    product_data = _list(
        has_variation.astype(np.int32),
        _struct(
            {
                "property_id": _repeat(513, varied.size, pa.int64()),
                "property_name": _repeat(variation_property, varied.size),
                "scale_id": pa.nulls(varied.size, pa.int64()),
                "scale_name": pa.nulls(varied.size, pa.string()),
                "value_ids": _list(np.ones(varied.size, dtype=np.int32), _ints(value_id)),
                "values": _list(np.ones(varied.size, dtype=np.int32), value),
            }
        ),
    )
    unit = fees.minor_units_per_major(shop.currency_code)
    shop_coupon = np.round(it["discount"][items] / unit, 2)
    processing_max = cat.processing_max[listing]
    struct = _struct(
        {
            "transaction_id": _ints(it["transaction_id"][items]),
            "title": pc.take(words["title"], pa.array(listing)),
            "description": pc.take(words["description"], pa.array(listing)),
            "seller_user_id": _repeat(shop_user_id(shop), count, pa.int64()),
            "buyer_user_id": _ints(orders.buyers.user_id[o["buyer"][order_of]]),
            "create_timestamp": _ints(o["created"][order_of]),
            "created_timestamp": _ints(o["created"][order_of]),
            "paid_timestamp": _ints(paid, paid < as_of),
            "shipped_timestamp": _ints(shipped, shipped < as_of),
            "quantity": _ints(it["quantity"][items]),
            "listing_image_id": _ints(cat.listing_id[listing] * 10 + 1),
            "receipt_id": _ints(o["receipt_id"][order_of]),
            "is_digital": _repeat(False, count),
            "file_data": _repeat("", count),
            "listing_id": _ints(cat.listing_id[listing]),
            "transaction_type": _repeat("listing", count),
            "product_id": _ints(cat.listing_id[listing] * 100 + it["variation"][items]),
            "sku": _join("SKU-", _text(cat.listing_id[listing] % 100_000), "-", _text(it["variation"][items])),
            "price": money(it["price"][items], shop.currency_code),
            "shipping_cost": money(it["shipping"][items], shop.currency_code),
            "variations": variations,
            "product_data": product_data,
            "shipping_profile_id": _repeat(50_000_000 + shop.index, count, pa.int64()),
            "min_processing_days": _ints(cat.processing_min[listing]),
            "max_processing_days": _ints(processing_max),
            "shipping_method": pa.nulls(count, pa.string()),
            "shipping_upgrade": pa.nulls(count, pa.string()),
            "expected_ship_date": _ints(o["created"][order_of] + processing_max * etsy_world.DAY),
            "buyer_coupon": pa.array(np.zeros(count)),
            "shop_coupon": pa.array(shop_coupon),
        }
    )
    per_order = np.bincount(order_of, minlength=o["receipt_id"].size)[index]
    return _list(per_order.astype(np.int32), struct)


def receipts(scenario: Scenario, orders: ShopOrders, index: np.ndarray, as_of: int) -> pa.Table:
    o, shop = orders.order, orders.shop
    currency = shop.currency_code
    count = index.size
    words = _buyer_words(orders)
    buyer = pa.array(o["buyer"][index])
    status = _order_status({k: v[index] for k, v in o.items()}, as_of)
    updated = receipt_updated(o, as_of)[index]
    refunded = o["refunded"][index] < as_of
    shipped = o["shipped"][index] < as_of
    failed = o["failed_refund"][index] < as_of
    # Each receipt's refunds in the order Etsy appends them: a failed attempt, then the refund.
    slots = np.concatenate([np.flatnonzero(failed) * 2, np.flatnonzero(refunded) * 2 + 1])
    slots.sort()
    position, is_refund = slots // 2, (slots % 2).astype(bool)
    refund_kind = o["refund_kind"][index][position]
    refunds = _list(
        failed.astype(np.int32) + refunded.astype(np.int32),
        _struct(
            {
                "amount": money(
                    np.where(
                        is_refund, o["refund_amount"][index][position], o["failed_refund_amount"][index][position]
                    ),
                    currency,
                ),
                "created_timestamp": _ints(
                    np.where(is_refund, o["refunded"][index][position], o["failed_refund"][index][position])
                ),
                "reason": pa.array([REFUND_REASONS.get(k, "customer_request") for k in refund_kind], pa.string()),
                "note_from_issuer": pa.nulls(position.size, pa.string()),
                "status": pa.array(np.where(is_refund, "SUCCEEDED", "FAILED")),
            }
        ),
    )
    ship_positions = np.flatnonzero(shipped)
    carrier = etsy_world.CARRIER_OF_COUNTRY.get(shop.country, 5)
    receipt_ids = o["receipt_id"][index]
    shipments = _list(
        shipped.astype(np.int32),
        _struct(
            {
                "receipt_shipping_id": _ints(receipt_ids[ship_positions] + etsy_world.SHIPMENT_ID_OFFSET),
                "shipment_notification_timestamp": _ints(o["shipped"][index][ship_positions]),
                "carrier_name": _repeat(str(etsy_world.CARRIERS[carrier]), ship_positions.size),
                "tracking_code": _join("TRK", _text(receipt_ids[ship_positions] * 7 % 10_000_000_000)),
            }
        ),
    )
    has_message = o["message_u"][index] < 0.06
    return pa.table(
        {
            "receipt_id": _ints(receipt_ids),
            "receipt_type": _repeat(0, count, pa.int64()),
            "seller_user_id": _repeat(shop_user_id(shop), count, pa.int64()),
            "seller_email": _repeat(f"hello@{shop_name(shop).lower()}.example", count),
            "buyer_user_id": _ints(orders.buyers.user_id[o["buyer"][index]]),
            "buyer_email": pa.nulls(count, pa.string()),
            "name": pc.take(words["name"], buyer),
            "first_line": pc.take(words["first_line"], buyer),
            "second_line": pa.nulls(count, pa.string()),
            "city": pc.take(words["city"], buyer),
            "state": pc.take(words["state"], buyer),
            "zip": pc.take(words["zip"], buyer),
            "status": pa.array(status),
            "formatted_address": pc.take(words["formatted_address"], buyer),
            "country_iso": pc.take(words["country_iso"], buyer),
            "payment_method": _take(etsy_world.PAYMENT_METHODS, o["method"][index]),
            "payment_email": pa.nulls(count, pa.string()),
            "message_from_seller": pa.nulls(count, pa.string()),
            "message_from_buyer": pa.array(
                np.where(has_message, "Could you gift wrap it please? Thank you!", ""), mask=~has_message
            ),
            "message_from_payment": pa.nulls(count, pa.string()),
            "is_paid": pa.array(o["paid"][index] < as_of),
            "is_shipped": pa.array(shipped),
            "create_timestamp": _ints(o["created"][index]),
            "created_timestamp": _ints(o["created"][index]),
            "update_timestamp": _ints(updated),
            "updated_timestamp": _ints(updated),
            "is_gift": pa.array(o["is_gift"][index]),
            "gift_message": pa.array(np.where(o["is_gift"][index], "Happy birthday! Love, A.", "")),
            "gift_sender": pa.array(np.where(o["is_gift"][index], "A.", "")),
            "grandtotal": money(o["grandtotal"][index], currency),
            "subtotal": money(o["subtotal"][index], currency),
            "total_price": money(o["total_price"][index], currency),
            "total_shipping_cost": money(o["shipping"][index], currency),
            "total_tax_cost": money(o["tax"][index], currency),
            "total_vat_cost": money(o["vat"][index], currency),
            "discount_amt": money(o["discount"][index], currency),
            "gift_wrap_price": money(o["gift_wrap"][index], currency),
            "shipments": shipments,
            "transactions": _transactions(orders, index, as_of),
            "refunds": refunds,
            "shop_id": _repeat(shop.shop_id, count, pa.int64()),
        }
    )


# --- payments and the ledger ---------------------------------------------------------------


def _fee_credit(o: dict[str, np.ndarray]) -> np.ndarray:
    share = np.where(o["refund_kind"] != REFUND_NONE, o["refund_amount"] / np.maximum(o["grandtotal"], 1), 0.0)
    return np.floor(o["processing_fee"] * share + 0.5).astype(np.int64)


def _payment_adjustments(orders: ShopOrders, positions: np.ndarray, present: np.ndarray) -> pa.ListArray:
    """Zero or one refund adjustment per payment (positions: orders; present: adjustment shown)."""
    o, shop = orders.order, orders.shop
    with_adjustment = positions[present]
    receipt_id = o["receipt_id"][with_adjustment]
    adjustment_id = receipt_id + 7_000_000_000
    refund = o["refund_amount"][with_adjustment]
    when = _ints(o["refunded"][with_adjustment])
    count = with_adjustment.size
    items = _struct(
        {
            "payment_adjustment_id": _ints(adjustment_id),
            "payment_adjustment_item_id": _ints(adjustment_id * 10 + 1),
            "adjustment_type": _repeat("REFUND", count),
            "amount": _ints(refund),
            "shop_amount": _ints(refund),
            "transaction_id": pa.nulls(count, pa.int64()),
            "bill_payment_id": pa.nulls(count, pa.int64()),
            "created_timestamp": when,
            "updated_timestamp": when,
        }
    )
    adjustments = _struct(
        {
            "payment_adjustment_id": _ints(adjustment_id),
            "payment_id": _ints(receipt_id + 2_000_000_000),
            "status": _repeat("SUCCEEDED", count),
            "is_success": _repeat(True, count),
            "user_id": _repeat(shop_user_id(shop), count, pa.int64()),
            "reason_code": pa.array([REFUND_REASONS[k] for k in o["refund_kind"][with_adjustment]], pa.string()),
            "total_adjustment_amount": _ints(refund),
            "shop_total_adjustment_amount": _ints(refund),
            "buyer_total_adjustment_amount": _ints(refund),
            "total_fee_adjustment_amount": _ints(_fee_credit(o)[with_adjustment]),
            "create_timestamp": when,
            "created_timestamp": when,
            "update_timestamp": when,
            "updated_timestamp": when,
            "payment_adjustment_items": _list(np.ones(count, dtype=np.int32), items),
        }
    )
    return _list(present.astype(np.int32), adjustments)


def payment_updated(o: dict[str, np.ndarray], as_of: int) -> np.ndarray:
    return _event_max(o["paid"], o["refunded"], before=as_of)


def payments(scenario: Scenario, orders: ShopOrders, index: np.ndarray, as_of: int) -> pa.Table:
    o, shop = orders.order, orders.shop
    currency = shop.currency_code
    count = index.size
    refunded = o["refunded"][index] < as_of
    gross, fee = o["grandtotal"][index], o["processing_fee"][index]
    adjusted_gross = gross - np.where(refunded, o["refund_amount"][index], 0)
    adjusted_fees = fee - np.where(refunded, _fee_credit(o)[index], 0)
    status = np.where(
        refunded, np.where(o["refund_kind"][index] == REFUND_PARTIAL, "partially refunded", "refunded"), "settled"
    )
    words = _buyer_words(orders)
    paid = o["paid"][index]
    shipped = o["shipped"][index]
    return pa.table(
        {
            "payment_id": _ints(o["receipt_id"][index] + 2_000_000_000),
            "buyer_user_id": _ints(orders.buyers.user_id[o["buyer"][index]]),
            "shop_id": _repeat(shop.shop_id, count, pa.int64()),
            "receipt_id": _ints(o["receipt_id"][index]),
            "amount_gross": money(gross, currency),
            "amount_fees": money(fee, currency),
            "amount_net": money(gross - fee, currency),
            "posted_gross": money(gross, currency),
            "posted_fees": money(fee, currency),
            "posted_net": money(gross - fee, currency),
            "adjusted_gross": _nullable_money(adjusted_gross, refunded, currency),
            "adjusted_fees": _nullable_money(adjusted_fees, refunded, currency),
            "adjusted_net": _nullable_money(adjusted_gross - adjusted_fees, refunded, currency),
            "currency": _repeat(currency, count),
            "shop_currency": _repeat(currency, count),
            "buyer_currency": pc.take(words["currency"], pa.array(o["buyer"][index])),
            "shipping_user_id": _ints(orders.buyers.user_id[o["buyer"][index]]),
            "shipping_address_id": _ints(orders.buyers.user_id[o["buyer"][index]] + 3_000_000_000),
            "billing_address_id": _ints(orders.buyers.user_id[o["buyer"][index]] + 3_000_000_000),
            "status": pa.array(status),
            "shipped_timestamp": _ints(shipped, shipped < as_of),
            "create_timestamp": _ints(paid),
            "created_timestamp": _ints(paid),
            "update_timestamp": _ints(payment_updated(o, as_of)[index]),
            "updated_timestamp": _ints(payment_updated(o, as_of)[index]),
            "payment_adjustments": _payment_adjustments(orders, index, refunded),
        }
    )


def ledger_entries(scenario: Scenario, orders: ShopOrders, index: np.ndarray) -> pa.Table:
    ledger, shop = orders.ledger, orders.shop
    count = index.size
    ledger_type = np.array(etsy_world.LEDGER_TYPES)[ledger["rank"][index]]
    descriptions = np.array([etsy_world.LEDGER_DESCRIPTIONS[t] for t in etsy_world.LEDGER_TYPES])
    order_position = ledger["order"][index]
    is_refund = ledger_type == etsy_world.LEDGER_REFUND
    return pa.table(
        {
            "entry_id": _ints(ledger["entry_id"][index]),
            "ledger_id": _repeat(70_000_000 + shop.index, count, pa.int64()),
            "sequence_number": _ints(ledger["sequence_number"][index]),
            "amount": _ints(ledger["amount"][index]),
            "currency": _repeat(shop.currency_code, count),
            "description": _take(descriptions, ledger["rank"][index]),
            "balance": _ints(ledger["balance"][index]),
            "create_date": _ints(ledger["time"][index]),
            "created_timestamp": _ints(ledger["time"][index]),
            "ledger_type": _take(np.array(etsy_world.LEDGER_TYPES), ledger["rank"][index]),
            "reference_type": _take(np.array(etsy_world.LEDGER_REFERENCE_TYPES), ledger["reference_type"][index]),
            "reference_id": _text(ledger["reference_id"][index]),
            "payment_adjustments": _payment_adjustments(orders, np.where(is_refund, order_position, 0), is_refund),
            "shop_id": _repeat(shop.shop_id, count, pa.int64()),
        }
    )


def reviews(scenario: Scenario, orders: ShopOrders, index: np.ndarray) -> pa.Table:
    it, o, shop, cat = orders.item, orders.order, orders.shop, orders.catalogue
    count = index.size
    when = _ints(it["reviewed"][index])
    return pa.table(
        {
            "shop_id": _repeat(shop.shop_id, count, pa.int64()),
            "listing_id": _ints(cat.listing_id[it["listing"][index]]),
            "transaction_id": _ints(it["transaction_id"][index]),
            "buyer_user_id": _ints(orders.buyers.user_id[o["buyer"][it["order"][index]]]),
            "rating": _ints(it["rating"][index]),
            "review": _take(REVIEW_TEXTS, it["review_text"][index]),
            "language": _repeat("en", count),
            "image_url_fullxfull": pa.nulls(count, pa.string()),
            "create_timestamp": when,
            "created_timestamp": when,
            "update_timestamp": when,
            "updated_timestamp": when,
        }
    )


def shops(scenario: Scenario, as_of_by_shop: dict[int, int], last_day: dt.date) -> pa.Table:
    rows = []
    for shop in scenario.shops:
        orders = etsy_world.shop_orders(scenario, shop, last_day)
        as_of = as_of_by_shop[shop.shop_id]
        sold = int(orders.item["quantity"][orders.order["paid"][orders.item["order"]] < as_of].sum())
        reviewed = orders.item["reviewed"] < as_of
        cat = orders.catalogue
        active = (cat.sellable_from < as_of) & (cat.state_change >= as_of)
        name = shop_name(shop)
        created = calendar.local_midnight(shop, scenario.history_start) - 3 * 365 * etsy_world.DAY
        rows.append(
            {
                "shop_id": shop.shop_id,
                "user_id": shop_user_id(shop),
                "shop_name": name,
                "create_date": created,
                "created_timestamp": created,
                "title": f"{theme_of(shop)[0]} goods, handmade in small batches",
                "announcement": "Order by December 15 for holiday delivery.",
                "currency_code": shop.currency_code,
                "is_vacation": False,
                "vacation_message": None,
                "sale_message": "Thank you for your order!",
                "digital_sale_message": None,
                "update_date": as_of - 3600,
                "updated_timestamp": as_of - 3600,
                "listing_active_count": int(active.sum()),
                "digital_listing_count": 0,
                "login_name": name.lower(),
                "accepts_custom_requests": True,
                "policy_welcome": None,
                "policy_payment": None,
                "policy_shipping": None,
                "policy_refunds": None,
                "policy_additional": None,
                "policy_seller_info": None,
                "policy_update_date": created,
                "policy_has_private_receipt_info": False,
                "has_unstructured_policies": False,
                "policy_privacy": None,
                "vacation_autoreply": None,
                "url": f"https://www.etsy.com/shop/{name}",
                "image_url_760x100": None,
                "num_favorers": int(cat.num_favorers.sum() // 10),
                "languages": ["en-US"],
                "icon_url_fullxfull": f"https://i.etsystatic.com/isla/{shop.shop_id}/icon.jpg",
                "is_using_structured_policies": True,
                "has_onboarded_structured_policies": True,
                "include_dispute_form_link": False,
                "is_direct_checkout_onboarded": True,
                "is_etsy_payments_onboarded": True,
                "is_calculated_eligible": True,
                "is_opted_in_to_buyer_promise": True,
                "is_shop_us_based": shop.country == "US",
                "transaction_sold_count": sold,
                "shipping_from_country_iso": shop.country,
                "shop_location_country_iso": shop.country,
                "review_count": int(reviewed.sum()),
                "review_average": round(float(orders.item["rating"][reviewed].mean()), 4) if reviewed.any() else None,
            }
        )
    return pa.Table.from_pylist(rows)


def records(scenario: Scenario, stream: str, sync_day: dt.date, since: int | None) -> Iterator[pa.Table]:
    """The stream's records as the API lists them early on sync_day; `since` is the connector's
    lower bound on the stream's cursor (min_last_modified / min_created), None on a first sync."""
    last_day = sync_day - dt.timedelta(days=1)
    as_of_by_shop = {shop.shop_id: calendar.cutoff(shop, sync_day) for shop in scenario.shops}
    if stream == "shops":
        yield shops(scenario, as_of_by_shop, last_day)
        return
    lower = since if since is not None else 0
    for shop in scenario.shops:
        orders = etsy_world.shop_orders(scenario, shop, last_day)
        as_of = as_of_by_shop[shop.shop_id]
        o = orders.order
        if stream == "listings":
            yield listings(scenario, orders, as_of, since)
        elif stream == "receipts":
            selected = np.flatnonzero((o["created"] < as_of) & (receipt_updated(o, as_of) >= lower))
            for chunk in np.array_split(selected, max(1, -(-selected.size // CHUNK_ORDERS))):
                yield receipts(scenario, orders, chunk, as_of)
        elif stream == "payments":
            selected = np.flatnonzero((o["paid"] < as_of) & (payment_updated(o, as_of) >= lower))
            for chunk in np.array_split(selected, max(1, -(-selected.size // CHUNK_ORDERS))):
                yield payments(scenario, orders, chunk, as_of)
        elif stream == "reviews":
            reviewed = orders.item["reviewed"]
            yield reviews(scenario, orders, np.flatnonzero((reviewed < as_of) & (reviewed >= lower)))
        elif stream == "ledger_entries":
            times = orders.ledger["time"]
            selected = np.flatnonzero((times < as_of) & (times >= lower))
            for chunk in np.array_split(selected, max(1, -(-selected.size // (4 * CHUNK_ORDERS)))):
                yield ledger_entries(scenario, orders, chunk)
        else:
            raise KeyError(f"the Etsy simulator has no stream {stream!r}")
