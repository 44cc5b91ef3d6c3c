"""The Etsy side of the world as numbers: catalogue, buyers, orders with their lifecycle
(payment, shipment, cancellation, refunds days later), reviews and the payment-account ledger
with the fee schedule applied. Vectorised per (shop, month) block; etsy.py turns these arrays
into the API's records as of any moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from standin.simulator import calendar, fees, instagram
from standin.simulator.randomness import PART_BUYERS, PART_CATALOGUE, PART_ORDERS, block_rng
from standin.simulator.scenario import Scenario, ShopAccount, load_shop_accounts

DAY = calendar.SECONDS_PER_DAY
HOUR = 3600
NEVER = np.iinfo(np.int64).max // 2

# Price level of each shop currency against USD (Etsy sellers set round prices in their own currency).
PRICE_LEVEL = {"USD": 1.0, "GBP": 0.8, "EUR": 0.92, "CAD": 1.36, "AUD": 1.52, "JPY": 150.0}
# Relative size of each shop (row of shop_accounts.csv); the mean over shops is about 1.
SHOP_SIZE = (1.15, 0.85, 1.0, 1.1, 0.9, 0.95, 1.05, 0.8)

# Buyers: where they live, what they pay in, which tax Etsy collects from them.
BUYER_COUNTRIES = ("US", "GB", "CA", "AU", "DE", "FR", "NL", "IE", "JP")
BUYER_CURRENCY = ("USD", "GBP", "CAD", "AUD", "EUR", "EUR", "EUR", "EUR", "JPY")
INTERNATIONAL_MIX = np.array([0.45, 0.15, 0.1, 0.07, 0.08, 0.05, 0.04, 0.03, 0.03])
# VAT/GST Etsy collects on imports into the buyer's country (shops in the same country charge none).
IMPORT_VAT = {"GB": 0.20, "DE": 0.19, "FR": 0.20, "NL": 0.21, "IE": 0.23, "AU": 0.10, "CA": 0.05}
EU = frozenset({"DE", "FR", "NL", "IE"})
FIRST_NAMES = np.array(
    [
        "Emma",
        "Olivia",
        "Ava",
        "Sophie",
        "Mia",
        "Noah",
        "Liam",
        "Lucas",
        "Amelia",
        "Grace",
        "Chloe",
        "Hannah",
        "Jack",
        "Ethan",
        "Isla",
        "Zoe",
        "Ruby",
        "Leo",
        "Lea",
        "Yuki",
        "Maya",
        "Sara",
        "Ben",
        "Clara",
    ]
)
LAST_NAMES = np.array(
    [
        "Smith",
        "Johnson",
        "Brown",
        "Taylor",
        "Martin",
        "Dubois",
        "Müller",
        "Schmidt",
        "Wilson",
        "Clarke",
        "Nguyen",
        "Garcia",
        "Lee",
        "Walker",
        "Wright",
        "Moreau",
        "Becker",
        "Kelly",
        "Murphy",
        "Tanaka",
        "Rossi",
        "Evans",
    ]
)
# (city, state/region, zip) per buyer country.
CITIES = {
    "US": (
        ("Brooklyn", "NY", "11215"),
        ("Austin", "TX", "78704"),
        ("Portland", "OR", "97214"),
        ("Denver", "CO", "80205"),
        ("Chicago", "IL", "60614"),
        ("Seattle", "WA", "98103"),
        ("Atlanta", "GA", "30306"),
        ("San Diego", "CA", "92104"),
    ),
    "GB": (
        ("London", "Greater London", "N1 7GU"),
        ("Manchester", "Greater Manchester", "M4 1HN"),
        ("Bristol", "Bristol", "BS1 5TR"),
    ),
    "CA": (("Toronto", "ON", "M5V 2T6"), ("Vancouver", "BC", "V6B 1A1"), ("Montreal", "QC", "H2X 1Y4")),
    "AU": (("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000"), ("Brisbane", "QLD", "4000")),
    "DE": (("Berlin", "Berlin", "10115"), ("Hamburg", "Hamburg", "20095"), ("München", "Bayern", "80331")),
    "FR": (
        ("Paris", "Île-de-France", "75011"),
        ("Lyon", "Auvergne-Rhône-Alpes", "69002"),
        ("Nantes", "Pays de la Loire", "44000"),
    ),
    "NL": (("Amsterdam", "Noord-Holland", "1012 AB"), ("Utrecht", "Utrecht", "3511 AA")),
    "IE": (("Dublin", "Leinster", "D02 X285"), ("Cork", "Munster", "T12 X70A")),
    "JP": (("Tokyo", "Tokyo", "150-0001"), ("Osaka", "Osaka", "530-0001")),
}
US_SALES_TAX = np.array([0.0, 0.045, 0.06, 0.0625, 0.07, 0.0725, 0.08, 0.0875, 0.095])

# What each shop makes: (product, base price in USD) and its variation property.
THEMES = (
    (
        "Ceramic",
        (("Mug", 34), ("Bowl", 42), ("Vase", 68), ("Planter", 48), ("Plate", 38), ("Espresso Cup", 24)),
        "Glaze",
        ("Speckled White", "Sage", "Midnight Blue", "Terracotta"),
    ),
    (
        "Sterling Silver",
        (("Ring", 45), ("Necklace", 62), ("Earrings", 38), ("Bracelet", 55), ("Pendant", 49)),
        "Size",
        ("S", "M", "L", "XL"),
    ),
    (
        "Art Print",
        (("A4 Print", 22), ("A3 Print", 32), ("A2 Print", 48), ("Postcard Set", 14), ("Framed Print", 95)),
        "Size",
        ("A5", "A4", "A3", "A2"),
    ),
    (
        "Soy Candle",
        (("Candle", 28), ("Travel Tin", 14), ("Wax Melt Set", 12), ("Gift Box", 58)),
        "Scent",
        ("Fig", "Cedar", "Lavender", "Orange Blossom"),
    ),
    (
        "Linen",
        (("Apron", 44), ("Napkin Set", 36), ("Tea Towel", 18), ("Tablecloth", 89), ("Tote Bag", 32)),
        "Color",
        ("Natural", "Rust", "Olive", "Charcoal"),
    ),
    (
        "Leather",
        (("Wallet", 58), ("Card Holder", 32), ("Key Fob", 18), ("Belt", 72), ("Journal Cover", 64)),
        "Color",
        ("Tan", "Brown", "Black", "Oxblood"),
    ),
    (
        "Knitted",
        (("Beanie", 38), ("Scarf", 64), ("Mittens", 34), ("Baby Blanket", 95), ("Socks", 26)),
        "Color",
        ("Oatmeal", "Forest", "Mustard", "Grey"),
    ),
    (
        "Wooden",
        (("Cutting Board", 56), ("Spoon Set", 34), ("Serving Tray", 72), ("Coasters", 28), ("Bowl", 64)),
        "Wood",
        ("Oak", "Walnut", "Cherry", "Maple"),
    ),
)
ADJECTIVES = np.array(
    ["Handmade", "Minimalist", "Rustic", "Personalised", "Modern", "Vintage Style", "Hand Painted", "Organic"]
)
SIZE_PRICE_STEP = 0.22  # each size up costs 22 % more

PAYMENT_METHODS = np.array(["cc", "paypal", "apple_pay", "google_pay", "klarna", "other"])
PAYMENT_METHOD_WEIGHTS = np.array([0.61, 0.20, 0.08, 0.04, 0.04, 0.03])
CARRIERS = np.array(["usps", "royal-mail", "la-poste", "canada-post", "australia-post", "dhl"])
CARRIER_OF_COUNTRY = {"US": 0, "GB": 1, "FR": 2, "CA": 3, "AU": 4, "DE": 5}

# Listing lifecycle (Etsy listings run 4 months, then renew automatically or expire).
LISTING_PERIOD = 120 * DAY
LISTING_STATES = np.array(["active", "sold_out", "inactive", "expired", "draft"])
LISTING_STATE_WEIGHTS = np.array([0.75, 0.06, 0.05, 0.06, 0.08])

# Ledger: every entry type the simulated shops produce (fee types come from the fee schedule).
LEDGER_SALE = "PAYMENT_GROSS"
LEDGER_REFUND = "REFUND_GROSS"
LEDGER_PAYOUT = "DISBURSE"
PAYOUT_WEEKDAY = 0  # Mondays
# receipt_shipping_id = receipt id + SHIPMENT_ID_OFFSET; a label not referencing a shipment
# carries receipt id + LABEL_ID_OFFSET, which is no shipment's id.
SHIPMENT_ID_OFFSET = 5_000_000_000
LABEL_ID_OFFSET = 6_000_000_000
PAYOUT_SECONDS = 9 * HOUR  # local time


@dataclass(frozen=True)
class Catalogue:
    """One shop's listings (all their timestamps; a listing is visible once created)."""

    listing_id: np.ndarray
    product: np.ndarray  # index into the shop theme's products
    adjective: np.ndarray
    base_price: np.ndarray  # minor units, before variation
    has_variations: np.ndarray
    popularity: np.ndarray
    created: np.ndarray
    final_state: np.ndarray  # index into LISTING_STATES
    state_change: np.ndarray  # when it left `active` (NEVER: it did not)
    quantity: np.ndarray
    processing_min: np.ndarray
    processing_max: np.ndarray
    num_favorers: np.ndarray
    auto_renew: np.ndarray

    @property
    def sellable_from(self) -> np.ndarray:
        return np.where(LISTING_STATES[self.final_state] == "draft", NEVER, self.created)

    def renewals(self, until: int) -> tuple[np.ndarray, np.ndarray]:
        """(listing position, time) of every automatic renewal before `until`."""
        end = np.minimum(self.state_change, until)
        periods = np.where(self.auto_renew & (self.sellable_from < NEVER), (end - self.created) // LISTING_PERIOD, 0)
        periods = np.maximum(periods, 0)
        position = np.repeat(np.arange(self.listing_id.size), periods)
        k = np.arange(position.size) - np.repeat(np.cumsum(periods) - periods, periods) + 1
        return position, self.created[position] + k * LISTING_PERIOD


@dataclass(frozen=True)
class Buyers:
    user_id: np.ndarray
    country: np.ndarray  # index into BUYER_COUNTRIES
    first_name: np.ndarray
    last_name: np.ndarray
    city: np.ndarray  # index into CITIES[country]
    street_number: np.ndarray
    us_tax_rate: np.ndarray
    loyal_count: int


def _shop_user_id(shop: ShopAccount) -> int:
    return 700_000_000 + shop.shop_id % 10_000_000


def price_level(shop: ShopAccount) -> float:
    try:
        return PRICE_LEVEL[shop.currency_code]
    except KeyError:
        raise ValueError(
            f"shop {shop.shop_id} sells in {shop.currency_code}, which the simulator has no price level for; "
            f"add it to PRICE_LEVEL in {__file__}"
        ) from None


def minor_units_per_major(shop: ShopAccount) -> int:
    return fees.minor_units_per_major(shop.currency_code)


@cache
def catalogue(scenario: Scenario, shop: ShopAccount) -> Catalogue:
    rng = block_rng(scenario.seed, PART_CATALOGUE, shop.index)
    _, products, _, _ = THEMES[shop.index % len(THEMES)]
    count = int(40 + min(scenario.orders_per_day, 200) * 1.5)
    start = calendar.local_midnight(shop, scenario.history_start)
    established = rng.random(count) < 0.8
    created = np.where(
        established,
        start - rng.integers(DAY, 3 * 365 * DAY, size=count),
        start + rng.integers(0, 2 * 365 * DAY, size=count),
    )
    final_state = rng.choice(LISTING_STATES.size, size=count, p=LISTING_STATE_WEIGHTS)
    state_name = LISTING_STATES[final_state]
    lived = rng.integers(30 * DAY, 400 * DAY, size=count)
    state_change = np.select(
        [np.isin(state_name, ["sold_out", "inactive"]), state_name == "expired"],
        [created + lived, created + LISTING_PERIOD * (1 + lived // LISTING_PERIOD)],
        NEVER,
    )
    product = rng.integers(0, len(products), size=count)
    level = price_level(shop)
    base_usd = np.array([price for _, price in products])[product] * rng.choice([0.85, 1.0, 1.0, 1.15, 1.3], size=count)
    unit = minor_units_per_major(shop)
    # 34.00 or 33.99 (a yen price is whole: 5100 or 5090)
    base_price = np.round(base_usd * level) * unit - np.where(rng.random(count) < 0.4, 1 if unit > 1 else 10, 0)
    processing_min = rng.integers(1, 4, size=count)
    return Catalogue(
        listing_id=1_000_000_000 + shop.index * 10_000_000 + np.arange(count, dtype=np.int64) * 37 + 11,
        product=product,
        adjective=rng.integers(0, ADJECTIVES.size, size=count),
        base_price=base_price.astype(np.int64),
        has_variations=rng.random(count) < 0.55,
        popularity=rng.lognormal(0.0, 1.0, size=count),
        created=created,
        final_state=final_state,
        state_change=state_change,
        quantity=rng.integers(1, 40, size=count),
        processing_min=processing_min,
        processing_max=processing_min + rng.integers(1, 4, size=count),
        num_favorers=rng.integers(0, 2_500, size=count),
        auto_renew=state_name != "expired",
    )


@cache
def buyers(scenario: Scenario, shop: ShopAccount) -> Buyers:
    rng = block_rng(scenario.seed, PART_BUYERS, shop.index)
    count = int(max(400, scenario.orders_per_day * 420))
    domestic = BUYER_COUNTRIES.index(shop.country) if shop.country in BUYER_COUNTRIES else 0
    country = np.where(
        rng.random(count) < 0.7, domestic, rng.choice(len(BUYER_COUNTRIES), size=count, p=INTERNATIONAL_MIX)
    )
    city_counts = np.array([len(CITIES[c]) for c in BUYER_COUNTRIES])
    return Buyers(
        user_id=900_000_000 + shop.index * 20_000_000 + np.arange(count, dtype=np.int64),
        country=country,
        first_name=rng.integers(0, FIRST_NAMES.size, size=count),
        last_name=rng.integers(0, LAST_NAMES.size, size=count),
        city=(rng.random(count) * city_counts[country]).astype(np.int64),
        street_number=rng.integers(1, 400, size=count),
        us_tax_rate=rng.choice(US_SALES_TAX, size=count),
        loyal_count=max(count // 12, 1),
    )


def _hour_profile() -> np.ndarray:
    hours = np.arange(24)
    weights = 0.15 + np.exp(-0.5 * ((hours - 20.5) / 2.5) ** 2) + 0.6 * np.exp(-0.5 * ((hours - 12.5) / 2.0) ** 2)
    return weights / weights.sum()


HOUR_PROFILE = _hour_profile()


def _allocate(total: np.ndarray, weights: np.ndarray, group: np.ndarray, group_count: int) -> np.ndarray:
    """Split each group's integer total over its members in proportion to weights, exactly."""
    weight_sum = np.bincount(group, weights=weights, minlength=group_count)
    share = np.floor(total[group] * weights / np.where(weight_sum[group] > 0, weight_sum[group], 1)).astype(np.int64)
    remainder = total - np.bincount(group, weights=share, minlength=group_count).astype(np.int64)
    last_member = np.r_[group[1:] != group[:-1], True]
    share[last_member] += remainder[group[last_member]]
    return share


@dataclass
class ShopOrders:
    """Orders (receipts) and their transactions of one shop, all events included (also those
    after any cutoff: snapshots hide what has not happened yet)."""

    shop: ShopAccount
    catalogue: Catalogue
    buyers: Buyers
    order: dict[str, np.ndarray]
    item: dict[str, np.ndarray]  # transactions; item["order"] = position of the order
    ledger: dict[str, np.ndarray] | None = None  # every entry, in ledger order


def _month_orders(
    scenario: Scenario, shop: ShopAccount, month: dt.date, clock: calendar.ShopClock
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = block_rng(scenario.seed, PART_ORDERS, shop.index, calendar.month_key(month))
    first = calendar.epoch_day(month)
    last = calendar.epoch_day(calendar.month_end(month))
    days = np.arange(first, last + 1)
    in_clock = (days >= clock.days[0]) & (days <= clock.days[-1])
    day_index = np.clip(days - clock.days[0], 0, clock.days.size - 1)
    social = instagram.social_visits(scenario, shop, clock)[day_index]
    demand = (
        scenario.orders_per_day
        * SHOP_SIZE[shop.index % len(SHOP_SIZE)]
        * calendar.seasonality(days, scenario.history_start)
        + social * scenario.session_conversion_rate
    )
    per_day = rng.poisson(demand)
    count = int(per_day.sum())
    capacity = 400_000
    if count >= capacity:
        raise ValueError(
            f"shop {shop.shop_id} would take {count} orders in {month:%Y-%m}; receipt ids leave room for {capacity} "
            "a month: lower Scenario.orders_per_day"
        )
    day_of_order = np.repeat(np.arange(days.size), per_day)
    hour = rng.choice(24, size=count, p=HOUR_PROFILE)
    seconds = hour * HOUR + rng.integers(0, HOUR, size=count)
    keep = in_clock[day_of_order]
    block_coordinate = calendar.month_key(month) * 16 + shop.index
    order = {
        "receipt_id": 1_000_000_000 + block_coordinate * capacity + np.arange(count, dtype=np.int64),
        "local_day": days[day_of_order],
        "created": clock.local_to_epoch(day_index[day_of_order], seconds),
        "loyal_pick": rng.random(count) < 0.3,
        "buyer_u": rng.random(count),
        "items": 1 + np.minimum(rng.poisson(1.5, size=count), 7),
        "method": rng.choice(PAYMENT_METHODS.size, size=count, p=PAYMENT_METHOD_WEIGHTS),
        "pay_delay_u": rng.random(count),
        "never_paid_u": rng.random(count),
        "cancel_u": rng.random(count),
        "cancel_delay": rng.integers(2 * HOUR, 2 * DAY, size=count),
        "ship_extra": rng.integers(0, 7 * HOUR, size=count),
        "refund_u": rng.random(count),
        "refund_delay": rng.integers(4 * DAY, 28 * DAY, size=count),
        "refund_share": rng.uniform(0.15, 0.5, size=count),
        "coupon_u": rng.random(count),
        "coupon_pct": rng.choice([10, 15, 20], size=count),
        "gift_u": rng.random(count),
        "offsite_ads_u": rng.random(count),
        "label_u": rng.random(count),
        "label_price": rng.integers(400, 950, size=count),
        "message_u": rng.random(count),
    }
    items = int(order["items"].sum())
    item = {
        "order": np.repeat(np.arange(count), order["items"]),
        "listing_u": rng.random(items),
        "fallback_u": rng.random(items),
        "quantity": 1 + (rng.random(items) < 0.18) + (rng.random(items) < 0.05),
        "variation": rng.integers(0, 4, size=items),
        "review_u": rng.random(items),
        "review_delay": rng.integers(3 * DAY, 30 * DAY, size=items),
        "rating_u": rng.random(items),
        "review_text": rng.integers(0, 8, size=items),
    }
    item["transaction_id"] = 2_000_000_000 + block_coordinate * 4 * capacity + np.arange(items, dtype=np.int64)
    item_keep = keep[item["order"]]
    order = {name: values[keep] for name, values in order.items()}
    item = {name: values[item_keep] for name, values in item.items()}
    item["order"] = np.repeat(np.arange(order["receipt_id"].size), order["items"])
    return order, item


# Every shop of one world and day: an Etsy sync reads each shop once per stream, and the
# long-running Airbyte stand-in, syncing day after day, must not keep every past day's orders.
@lru_cache(maxsize=len(load_shop_accounts()))
def shop_orders(scenario: Scenario, shop: ShopAccount, last_day: dt.date) -> ShopOrders:
    """All orders of the shop from history_start through the end of last_day's month, with
    their money, lifecycle, reviews and fees."""
    through = calendar.month_end(last_day)
    clock = calendar.shop_clock(shop, scenario.history_start, through)
    blocks = [
        _month_orders(scenario, shop, month, clock) for month in calendar.month_starts(scenario.history_start, through)
    ]
    order = {name: np.concatenate([block[0][name] for block in blocks]) for name in blocks[0][0]}
    offsets = np.cumsum([0] + [block[0]["receipt_id"].size for block in blocks[:-1]])
    item = {name: np.concatenate([block[1][name] for block in blocks]) for name in blocks[0][1] if name != "order"}
    item["order"] = np.concatenate([block[1]["order"] + offset for block, offset in zip(blocks, offsets, strict=True)])
    orders = ShopOrders(shop, catalogue(scenario, shop), buyers(scenario, shop), order, item)
    _choose_buyers_and_listings(scenario, orders)
    _price(orders)
    _lifecycle(scenario, orders)
    _fees(orders)
    orders.ledger = _ledger(scenario, orders, through)
    return orders


def _choose_buyers_and_listings(scenario: Scenario, orders: ShopOrders) -> None:
    """Repeat customers come from a loyal core of the buyer pool; items from the catalogue by
    popularity, among listings on sale at the time of the order."""
    o, it = orders.order, orders.item
    pool = orders.buyers
    size = pool.user_id.size
    o["buyer"] = np.where(o["loyal_pick"], o["buyer_u"] * pool.loyal_count, o["buyer_u"] * size).astype(np.int64)
    cat = orders.catalogue
    weights = np.cumsum(cat.popularity)
    pick = np.minimum(np.searchsorted(weights, it["listing_u"] * weights[-1]), weights.size - 1)
    ordered_at = o["created"][it["order"]]
    on_sale = (cat.sellable_from[pick] <= ordered_at) & (ordered_at < cat.state_change[pick])
    evergreen = np.flatnonzero((cat.state_change == NEVER) & (cat.sellable_from < ordered_at.min(initial=NEVER)))
    if evergreen.size == 0:
        raise ValueError(f"shop {orders.shop.shop_id}: the catalogue has no listing on sale for the whole history")
    evergreen_weights = np.cumsum(cat.popularity[evergreen])
    fallback = evergreen[
        np.minimum(np.searchsorted(evergreen_weights, it["fallback_u"] * evergreen_weights[-1]), evergreen.size - 1)
    ]
    it["listing"] = np.where(on_sale, pick, fallback)


def _price(orders: ShopOrders) -> None:
    """Receipt money in minor units of the shop currency: Etsy's totals identities hold exactly."""
    o, it, shop = orders.order, orders.item, orders.shop
    count = o["receipt_id"].size
    cat = orders.catalogue
    _, _, variation_property, _ = THEMES[shop.index % len(THEMES)]
    listing = it["listing"]
    varies_price = cat.has_variations[listing] & (variation_property == "Size")
    unit = minor_units_per_major(shop)
    step = 100 if unit > 1 else 10
    sized = (np.round(cat.base_price[listing] * (1 + SIZE_PRICE_STEP * it["variation"]) / step) * step - 1).astype(
        np.int64
    )
    it["price"] = np.where(varies_price, sized, cat.base_price[listing])
    it["line_total"] = it["price"] * it["quantity"]
    o["total_price"] = np.bincount(it["order"], weights=it["line_total"], minlength=count).astype(np.int64)
    o["discount"] = np.where(o["coupon_u"] < 0.12, np.floor(o["total_price"] * o["coupon_pct"] / 100 + 0.5), 0).astype(
        np.int64
    )
    it["discount"] = _allocate(o["discount"], it["line_total"].astype(float), it["order"], count)
    o["subtotal"] = o["total_price"] - o["discount"]
    pool = orders.buyers
    o["buyer_country"] = pool.country[o["buyer"]]
    buyer_country = np.array(BUYER_COUNTRIES)[o["buyer_country"]]
    domestic = buyer_country == shop.country
    level = price_level(shop)
    free = domestic & (o["total_price"] >= 35 * level * unit)
    first_item = np.r_[True, it["order"][1:] != it["order"][:-1]]
    item_domestic = domestic[it["order"]]
    # Shipping rates end in ten cents (or ten yen).
    decimals = 1 if unit > 1 else -1
    primary = np.where(item_domestic, np.round(4.95 * level, decimals) * unit, np.round(14 * level) * unit)
    extra = np.where(item_domestic, np.round(1.0 * level, decimals) * unit, np.round(3 * level) * unit)
    it["shipping"] = np.where(free[it["order"]], 0, np.where(first_item, primary, extra)).astype(np.int64)
    o["shipping"] = np.bincount(it["order"], weights=it["shipping"], minlength=count).astype(np.int64)
    o["is_gift"] = o["gift_u"] < 0.05
    o["gift_wrap"] = np.where(o["gift_u"] < 0.02, np.round(4 * level) * unit, 0).astype(np.int64)
    us_buyer = buyer_country == "US"
    vat_rate = np.array([IMPORT_VAT.get(c, 0.0) for c in BUYER_COUNTRIES])[o["buyer_country"]]
    same_market = (buyer_country == shop.country) | (np.isin(buyer_country, list(EU)) & (shop.country in EU))
    rate = np.where(us_buyer, pool.us_tax_rate[o["buyer"]], np.where(same_market, 0.0, vat_rate))
    o["tax"] = np.floor((o["subtotal"] + o["shipping"]) * rate + 0.5).astype(np.int64)
    o["vat"] = np.where(us_buyer, 0, o["tax"])
    o["grandtotal"] = o["subtotal"] + o["shipping"] + o["tax"] + o["gift_wrap"]


# Payment methods: seconds until paid (low, high); Klarna sits in "payment processing", a
# manual payment ("other") leaves the receipt "open" for days and sometimes is never paid.
PAY_DELAY = {
    "cc": (5, 90),
    "paypal": (5, 300),
    "apple_pay": (5, 60),
    "google_pay": (5, 60),
    "klarna": (HOUR, 30 * HOUR),
    "other": (DAY, 4 * DAY),
}
UNPAID_CANCEL_AFTER = 5 * DAY
P_NEVER_PAID = 0.2  # of manual payments
P_CANCEL = 0.018
P_REFUND_FULL = 0.012
P_REFUND_PARTIAL = 0.022
P_REFUND_FAILED = 0.006  # a refund attempt that failed, on an order never refunded after all
P_REVIEW = 0.4
RATING_CDF = np.cumsum([0.02, 0.02, 0.04, 0.14, 0.78])
REFUND_NONE, REFUND_PARTIAL, REFUND_FULL, REFUND_CANCEL = 0, 1, 2, 3


def _lifecycle(scenario: Scenario, orders: ShopOrders) -> None:
    """When each order is paid, shipped, canceled, refunded and reviewed (NEVER: it is not)."""
    o, it, cat = orders.order, orders.item, orders.catalogue
    method = PAYMENT_METHODS[o["method"]]
    low = np.array([PAY_DELAY[m][0] for m in PAYMENT_METHODS])[o["method"]]
    high = np.array([PAY_DELAY[m][1] for m in PAYMENT_METHODS])[o["method"]]
    never_paid = (method == "other") & (o["never_paid_u"] < P_NEVER_PAID)
    o["paid"] = np.where(never_paid, NEVER, o["created"] + low + (o["pay_delay_u"] * (high - low)).astype(np.int64))
    canceled_after_payment = ~never_paid & (o["cancel_u"] < P_CANCEL)
    o["canceled"] = np.select(
        [never_paid, canceled_after_payment],
        [o["created"] + UNPAID_CANCEL_AFTER, o["paid"] + o["cancel_delay"]],
        NEVER,
    )
    first_item = np.r_[True, it["order"][1:] != it["order"][:-1]]
    processing_days = cat.processing_min[it["listing"][first_item]]
    o["shipped"] = np.where(o["canceled"] < NEVER, NEVER, o["paid"] + processing_days * DAY + o["ship_extra"])
    shipped = o["shipped"] < NEVER
    o["refund_kind"] = np.select(
        [
            canceled_after_payment,
            shipped & (o["refund_u"] < P_REFUND_FULL),
            shipped & (o["refund_u"] < P_REFUND_FULL + P_REFUND_PARTIAL),
        ],
        [REFUND_CANCEL, REFUND_FULL, REFUND_PARTIAL],
        REFUND_NONE,
    )
    o["refunded"] = np.select(
        [o["refund_kind"] == REFUND_CANCEL, o["refund_kind"] != REFUND_NONE],
        [o["canceled"], o["shipped"] + o["refund_delay"]],
        NEVER,
    )
    partial = np.minimum(np.floor(o["subtotal"] * o["refund_share"] + 0.5).astype(np.int64), o["grandtotal"])
    o["refund_amount"] = np.select(
        [o["refund_kind"] == REFUND_PARTIAL, o["refund_kind"] != REFUND_NONE], [partial, o["grandtotal"]], 0
    )
    # Refunds that failed (status FAILED: the buyer got nothing back): a first attempt
    # before some completed refunds, and some attempts on orders never refunded after all.
    # Drawn from the digits of refund_u, so the rest of the world stays as it was.
    failure_u = (o["refund_u"] * 1000) % 1
    refunded_later = np.isin(o["refund_kind"], [REFUND_PARTIAL, REFUND_FULL]) & (failure_u < 0.25)
    failed_u_below = P_REFUND_FULL + P_REFUND_PARTIAL + P_REFUND_FAILED
    failed_only = shipped & (o["refund_kind"] == REFUND_NONE) & (o["refund_u"] < failed_u_below)
    o["failed_refund"] = np.where(
        refunded_later, o["refunded"] - 2 * HOUR, np.where(failed_only, o["shipped"] + o["refund_delay"], NEVER)
    )
    o["failed_refund_amount"] = np.where(refunded_later, o["refund_amount"], np.where(failed_only, partial, 0))
    reviewable = shipped & np.isin(o["refund_kind"], [REFUND_NONE, REFUND_PARTIAL])
    it["reviewed"] = np.where(
        reviewable[it["order"]] & (it["review_u"] < P_REVIEW), o["shipped"][it["order"]] + it["review_delay"], NEVER
    )
    rating = 1 + np.searchsorted(RATING_CDF, it["rating_u"])
    it["rating"] = np.where(
        o["refund_kind"][it["order"]] == REFUND_PARTIAL, np.maximum(rating - 2, 1), np.minimum(rating, 5)
    )
    o["has_label"] = (
        shipped & (np.array(BUYER_COUNTRIES)[o["buyer_country"]] == orders.shop.country) & (o["label_u"] < 0.55)
    )
    label_scale = price_level(orders.shop) * (minor_units_per_major(orders.shop) / 100)
    o["label_amount"] = np.round(o["label_price"] * label_scale).astype(np.int64)
    # Etsy does not document how a label's reference id relates to the receipt's shipment:
    # most labels here reference the shipment (receipt_shipping_id), a few an id of their own.
    o["label_references_shipment"] = o["label_u"] >= 0.02
    o["offsite_ads"] = o["offsite_ads_u"] < 0.06


def _fees(orders: ShopOrders) -> None:
    """Every fee Etsy charges on the orders, by the dated fee schedule."""
    o, it, shop = orders.order, orders.item, orders.shop
    currency, country = shop.currency_code, shop.country
    day = o["local_day"]
    order_total = o["subtotal"] + o["shipping"] + o["gift_wrap"]
    o["processing_fee"] = fees.terms("payment_processing", currency, country, day).charge(o["grandtotal"])
    it["transaction_fee"] = fees.terms("transaction", currency, country, day[it["order"]]).charge(
        it["line_total"] - it["discount"]
    )
    o["shipping_fee"] = fees.terms("shipping_transaction", currency, country, day).charge(
        o["shipping"] + o["gift_wrap"]
    )
    o["offsite_ads_fee"] = np.where(
        o["offsite_ads"], fees.terms("offsite_ads", currency, country, day).charge(order_total), 0
    )
    if fees.applies("regulatory_operating_fee", currency, country):
        o["regulatory_fee"] = fees.terms("regulatory_operating_fee", currency, country, day).charge(order_total)
    else:
        o["regulatory_fee"] = np.zeros_like(order_total)
    it["renewal_fee"] = (
        fees.terms("listing_renewal_sold", currency, country, day[it["order"]]).charge(np.zeros_like(it["quantity"]))
        * it["quantity"]
    )


# Ledger vocabulary: entry types, what they reference, and their order within one second.
LEDGER_TYPES = (
    LEDGER_SALE,
    fees.rule("payment_processing").ledger_type,
    fees.rule("transaction").ledger_type,
    fees.rule("shipping_transaction").ledger_type,
    fees.rule("sales_tax").ledger_type,
    fees.rule("offsite_ads").ledger_type,
    fees.rule("regulatory_operating_fee").ledger_type,
    fees.rule("listing_renewal_sold").ledger_type,
    fees.rule("shipping_label").ledger_type,
    LEDGER_REFUND,
    fees.rule("payment_processing").refund_ledger_type,
    fees.rule("transaction").refund_ledger_type,
    fees.rule("shipping_transaction").refund_ledger_type,
    fees.rule("sales_tax").refund_ledger_type,
    fees.rule("offsite_ads").refund_ledger_type,
    fees.rule("regulatory_operating_fee").refund_ledger_type,
    fees.rule("listing").ledger_type,
    fees.rule("listing_renewal").ledger_type,
    LEDGER_PAYOUT,
)
LEDGER_REFERENCE_TYPES = ("payment", "transaction", "receipt", "listing", "shipping_label", "disbursement")
LEDGER_DESCRIPTIONS = {
    LEDGER_SALE: "Payment for order",
    LEDGER_REFUND: "Refund to buyer",
    LEDGER_PAYOUT: "Deposit to your bank account",
    "PAYMENT_PROCESSING_FEE": "Payment processing fee",
    "REFUND_PROCESSING_FEE": "Payment processing fee credit for refund",
    "transaction": "Transaction fee",
    "transaction_refund": "Transaction fee credit for refund",
    "shipping_transaction": "Transaction fee: shipping",
    "shipping_transaction_refund": "Transaction fee credit: shipping",
    "sales_tax": "Sales tax paid by buyer",
    "sales_tax_refund": "Sales tax refunded to buyer",
    "offsite_ads_fee": "Offsite Ads fee",
    "offsite_ads_fee_refund": "Offsite Ads fee credit for refund",
    "regulatory_operating_fee": "Regulatory operating fee",
    "regulatory_operating_fee_refund": "Regulatory operating fee credit for refund",
    "renew_sold_auto": "Auto-renew sold listing",
    "renew_expired": "Auto-renew expired listing",
    "listing": "Listing fee",
    "shipping_labels": "Shipping label",
}


def _entries(ledger_type: str, reference_type: str, when, amount, reference_id, order=None) -> dict[str, np.ndarray]:
    when = np.asarray(when, dtype=np.int64)
    return {
        "time": when,
        "rank": np.full(when.size, LEDGER_TYPES.index(ledger_type), dtype=np.int8),
        "amount": np.asarray(amount, dtype=np.int64),
        "reference_type": np.full(when.size, LEDGER_REFERENCE_TYPES.index(reference_type), dtype=np.int8),
        "reference_id": np.asarray(reference_id, dtype=np.int64),
        "order": np.full(when.size, -1, dtype=np.int64) if order is None else np.asarray(order, dtype=np.int64),
    }


def _ledger(scenario: Scenario, orders: ShopOrders, through: dt.date) -> dict[str, np.ndarray]:
    """The shop's payment-account ledger through `through`: sales, fees, refunds, fee credits,
    listing fees and weekly payouts, with Etsy's running balance."""
    o, it, cat, shop = orders.order, orders.item, orders.catalogue, orders.shop
    end = calendar.local_midnight(shop, through + dt.timedelta(days=1))
    start = calendar.local_midnight(shop, scenario.history_start)
    positions = np.arange(o["receipt_id"].size)
    payment_id = o["receipt_id"] + 2_000_000_000
    paid = o["paid"] < NEVER
    refunded = o["refund_kind"] != REFUND_NONE
    share = np.where(refunded, o["refund_amount"] / np.maximum(o["grandtotal"], 1), 0.0)

    def credit(fee: np.ndarray) -> np.ndarray:
        return np.floor(fee * share + 0.5).astype(np.int64)

    item_paid = paid[it["order"]]
    item_refunded = refunded[it["order"]]
    item_share = share[it["order"]]
    parts = [
        _entries(LEDGER_SALE, "payment", o["paid"][paid], o["grandtotal"][paid], payment_id[paid], positions[paid]),
        _entries("PAYMENT_PROCESSING_FEE", "payment", o["paid"][paid], -o["processing_fee"][paid], payment_id[paid]),
        _entries(
            "transaction",
            "transaction",
            o["paid"][it["order"]][item_paid],
            -it["transaction_fee"][item_paid],
            it["transaction_id"][item_paid],
        ),
        _entries(
            "renew_sold_auto",
            "listing",
            o["paid"][it["order"]][item_paid],
            -it["renewal_fee"][item_paid],
            cat.listing_id[it["listing"][item_paid]],
        ),
    ]
    for ledger_type, fee in (
        ("shipping_transaction", o["shipping_fee"]),
        ("sales_tax", o["tax"]),
        ("offsite_ads_fee", o["offsite_ads_fee"]),
        ("regulatory_operating_fee", o["regulatory_fee"]),
    ):
        charged = paid & (fee > 0)
        parts.append(_entries(ledger_type, "receipt", o["paid"][charged], -fee[charged], o["receipt_id"][charged]))
    labelled = o["has_label"]
    parts.append(
        _entries(
            "shipping_labels",
            "shipping_label",
            o["shipped"][labelled],
            -o["label_amount"][labelled],
            o["receipt_id"][labelled]
            + np.where(o["label_references_shipment"][labelled], SHIPMENT_ID_OFFSET, LABEL_ID_OFFSET),
        )
    )
    parts.append(
        _entries(
            LEDGER_REFUND,
            "payment",
            o["refunded"][refunded],
            -o["refund_amount"][refunded],
            payment_id[refunded],
            positions[refunded],
        )
    )
    parts.append(
        _entries(
            "REFUND_PROCESSING_FEE",
            "payment",
            o["refunded"][refunded],
            credit(o["processing_fee"])[refunded],
            payment_id[refunded],
        )
    )
    item_credit = np.floor(it["transaction_fee"] * item_share + 0.5).astype(np.int64)
    parts.append(
        _entries(
            "transaction_refund",
            "transaction",
            o["refunded"][it["order"]][item_refunded],
            item_credit[item_refunded],
            it["transaction_id"][item_refunded],
        )
    )
    for ledger_type, fee in (
        ("shipping_transaction_refund", o["shipping_fee"]),
        ("sales_tax_refund", o["tax"]),
        ("offsite_ads_fee_refund", o["offsite_ads_fee"]),
        ("regulatory_operating_fee_refund", o["regulatory_fee"]),
    ):
        amount = credit(fee)
        credited = refunded & (amount > 0)
        parts.append(
            _entries(ledger_type, "receipt", o["refunded"][credited], amount[credited], o["receipt_id"][credited])
        )
    # Listing fees: new listings and automatic renewals within the simulated history.
    level_day = calendar.epoch_day(scenario.history_start)
    new = (cat.created >= start) & (cat.created < end)
    listing_fee = fees.terms("listing", shop.currency_code, shop.country, np.full(new.sum(), level_day)).charge(
        np.zeros(new.sum(), dtype=np.int64)
    )
    parts.append(_entries("listing", "listing", cat.created[new], -listing_fee, cat.listing_id[new]))
    renewed, renewed_at = cat.renewals(end)
    in_range = renewed_at >= start
    renewal_fee = fees.terms("listing_renewal", shop.currency_code, shop.country, renewed_at[in_range] // DAY).charge(
        np.zeros(in_range.sum(), dtype=np.int64)
    )
    parts.append(
        _entries("renew_expired", "listing", renewed_at[in_range], -renewal_fee, cat.listing_id[renewed[in_range]])
    )

    ledger = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    inside = ledger["time"] < end
    ledger = {name: values[inside] for name, values in ledger.items()}
    ledger = _with_payouts(shop, ledger, scenario.history_start, through)
    order = np.lexsort((ledger["reference_id"], ledger["rank"], ledger["time"]))
    ledger = {name: values[order] for name, values in ledger.items()}
    ledger["balance"] = np.cumsum(ledger["amount"])
    ledger["sequence_number"] = np.arange(1, ledger["time"].size + 1, dtype=np.int64)
    ledger["entry_id"] = 8_000_000_000 + shop.index * 200_000_000 + ledger["sequence_number"]
    return ledger


def _with_payouts(
    shop: ShopAccount, ledger: dict[str, np.ndarray], first: dt.date, last: dt.date
) -> dict[str, np.ndarray]:
    """Weekly deposits (DISBURSE) of the whole available balance, on Monday mornings."""
    first_monday = first + dt.timedelta(days=(PAYOUT_WEEKDAY - first.weekday()) % 7)
    mondays = [first_monday + dt.timedelta(weeks=k) for k in range((last - first_monday).days // 7 + 1)]
    times = np.array([calendar.local_midnight(shop, m) + PAYOUT_SECONDS for m in mondays], dtype=np.int64)
    order = np.argsort(ledger["time"], kind="stable")
    sorted_times = ledger["time"][order]
    running = np.cumsum(ledger["amount"][order])
    before = np.searchsorted(sorted_times, times, side="left")
    paid_out = 0
    amounts = np.zeros(times.size, dtype=np.int64)
    for k, position in enumerate(before):
        balance = (running[position - 1] if position else 0) - paid_out
        amounts[k] = -max(int(balance), 0)
        paid_out -= amounts[k]
    payouts = _entries(
        LEDGER_PAYOUT, "disbursement", times, amounts, 300_000_000 + shop.index * 1_000_000 + np.arange(times.size)
    )
    keep = payouts["amount"] < 0
    return {name: np.concatenate([ledger[name], payouts[name][keep]]) for name in ledger}
