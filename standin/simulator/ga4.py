"""Google Analytics 4 (Airbyte source-google-analytics-data-api 2.8.x) default reports of the
shops' Etsy pages: one record per property x date x dimension values, with `date` as
YYYYMMDD, integer counts and number ratios. Visits follow the same demand as the orders
(seasonality, Instagram lift), so sessions and orders meet at a plausible conversion rate.
GA4 keeps processing a day for about two days: the most recent dates are reported short,
and the connector's lookback re-sends them with their settled values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from standin.simulator import calendar, etsy, etsy_world, instagram
from standin.simulator.randomness import PART_GA4, block_rng
from standin.simulator.reference import GA4_INTEGER_METRICS, stream_columns
from standin.simulator.scenario import Scenario, ShopAccount

# (sessionSource, sessionMedium, sessionDefaultChannelGrouping, share of non-Instagram sessions).
# The channel is GA4's own: etsy is on Google's list of shopping sites, so its referrals and
# its etsy_ads medium (not a paid medium by GA4's regex) are Organic Shopping, not Referral.
TRAFFIC_SOURCES = (
    ("etsy.com", "referral", "Organic Shopping", 0.40),
    ("(direct)", "(none)", "Direct", 0.22),
    ("google", "organic", "Organic Search", 0.17),
    ("pinterest.com", "referral", "Organic Social", 0.07),
    ("bing", "organic", "Organic Search", 0.02),
    ("facebook.com", "referral", "Organic Social", 0.03),
    ("newsletter", "email", "Email", 0.03),
    ("(not set)", "(not set)", "Unassigned", 0.02),
    ("duckduckgo", "organic", "Organic Search", 0.01),
    ("etsy", "etsy_ads", "Organic Shopping", 0.03),
)
# Instagram visits arrive from the in-app browser (l.instagram.com) or the profile link.
INSTAGRAM_SOURCES = (
    ("instagram.com", "referral", "Organic Social", 0.35),
    ("l.instagram.com", "referral", "Organic Social", 0.65),
)
CHANNELS = tuple(dict.fromkeys(channel for _, _, channel, _ in TRAFFIC_SOURCES + INSTAGRAM_SOURCES))
DEVICES = (
    ("mobile", "iOS", "Safari", 0.34),
    ("mobile", "Android", "Chrome", 0.22),
    ("desktop", "Windows", "Chrome", 0.14),
    ("desktop", "Macintosh", "Safari", 0.09),
    ("desktop", "Macintosh", "Chrome", 0.06),
    ("desktop", "Windows", "Edge", 0.05),
    ("tablet", "iOS", "Safari", 0.06),
    ("mobile", "iOS", "Instagram", 0.04),
)
# (region, country, city) with weights per shop country; GA4 names countries in English.
LOCATIONS = {
    "US": (
        ("New York", "United States", "New York", 0.16),
        ("California", "United States", "Los Angeles", 0.12),
        ("Texas", "United States", "Austin", 0.08),
        ("Illinois", "United States", "Chicago", 0.07),
        ("Washington", "United States", "Seattle", 0.05),
        ("Georgia", "United States", "Atlanta", 0.05),
    ),
    "GB": (
        ("England", "United Kingdom", "London", 0.2),
        ("England", "United Kingdom", "Manchester", 0.07),
        ("Scotland", "United Kingdom", "Edinburgh", 0.04),
    ),
    "FR": (("Île-de-France", "France", "Paris", 0.2), ("Auvergne-Rhône-Alpes", "France", "Lyon", 0.06)),
    "DE": (
        ("Berlin", "Germany", "Berlin", 0.14),
        ("Bavaria", "Germany", "Munich", 0.08),
        ("Hamburg", "Germany", "Hamburg", 0.06),
    ),
    "CA": (
        ("Ontario", "Canada", "Toronto", 0.16),
        ("British Columbia", "Canada", "Vancouver", 0.08),
        ("Quebec", "Canada", "Montreal", 0.06),
    ),
    "AU": (("New South Wales", "Australia", "Sydney", 0.18), ("Victoria", "Australia", "Melbourne", 0.12)),
}
OTHER_LOCATIONS = (("(not set)", "(not set)", "(not set)", 0.03), ("Noord-Holland", "Netherlands", "Amsterdam", 0.02))
EVENTS = ("page_view", "session_start", "user_engagement", "first_visit", "scroll", "view_item", "click", "add_to_cart")
KEY_EVENTS = ("add_to_cart",)
ADD_TO_CART_PER_SESSION = 0.045
# Share of a day's final counts GA4 reports this many days after it (processing latency).
SETTLED_SHARE = {1: 0.92, 2: 0.985}
# GA4 resolves some dimensions late: while a day is provisional (reported the day after),
# part of one row's sessions shows under a label that the settled extract no longer has
# (a medium, browser or city not yet resolved). (share moved, row it comes from, dimension
# values of the provisional-only row); the row indexes are into TRAFFIC_SOURCES, DEVICES
# and the shop's locations.
PROVISIONAL_SHARE = 0.3
PROVISIONAL_SOURCE = (2, ("google", "(not set)", "Organic Search"))
PROVISIONAL_DEVICE = (0, ("mobile", "iOS", "(not set)"))
PROVISIONAL_LOCATION = (0, "(not set)")  # the home region's city is not resolved yet
HOST_NAME = "www.etsy.com"
TOP_LISTING_PAGES = 14


@dataclass(frozen=True)
class DayTraffic:
    """Settled daily traffic of one property: sessions per traffic source, device, location."""

    days: np.ndarray  # epoch days
    by_source: np.ndarray  # (days, sources) sessions
    by_device: np.ndarray
    by_location: np.ndarray
    ratios: dict[str, np.ndarray]  # per-row random ratios, each (days, rows of its report)


def _locations(shop: ShopAccount) -> tuple[tuple[str, str, str, float], ...]:
    home = LOCATIONS.get(shop.country, ())
    abroad = tuple(row for country, rows in LOCATIONS.items() if country != shop.country for row in rows[:1])
    rows = home + tuple((r, c, city, w * 0.3) for r, c, city, w in abroad) + OTHER_LOCATIONS
    return rows


def _normalised(weights) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()


@cache
def traffic(scenario: Scenario, shop: ShopAccount, last_day: dt.date) -> DayTraffic:
    """Daily traffic of the shop's property from history_start through last_day's month end."""
    through = calendar.month_end(last_day)
    clock = calendar.shop_clock(shop, scenario.history_start, through)
    social = instagram.social_visits(scenario, shop, clock)
    source_p = _normalised([share for *_, share in TRAFFIC_SOURCES])
    device_p = _normalised([share for *_, share in DEVICES])
    location_p = _normalised([share for *_, share in _locations(shop)])
    parts = []
    for month in calendar.month_starts(scenario.history_start, through):
        rng = block_rng(scenario.seed, PART_GA4, shop.index, calendar.month_key(month))
        days = np.arange(calendar.epoch_day(month), calendar.epoch_day(calendar.month_end(month)) + 1)
        visits = (
            scenario.orders_per_day
            * etsy_world.SHOP_SIZE[shop.index % len(etsy_world.SHOP_SIZE)]
            * calendar.seasonality(days, scenario.history_start)
            / scenario.session_conversion_rate
            * rng.lognormal(0.0, 0.08, size=days.size)
        )
        day_index = np.clip(days - clock.days[0], 0, clock.days.size - 1)
        instagram_visits = rng.poisson(social[day_index])
        by_source = rng.multinomial(np.round(visits).astype(np.int64), source_p)
        by_instagram = rng.multinomial(instagram_visits, _normalised([s for *_, s in INSTAGRAM_SOURCES]))
        by_source = np.concatenate([by_source, by_instagram], axis=1)
        total = by_source.sum(axis=1)
        part = {
            "days": days,
            "by_source": by_source,
            "by_device": rng.multinomial(total, device_p),
            "by_location": rng.multinomial(total, location_p),
            "ratios": {
                name: rng.uniform(low, high, size=(days.size, width))
                for name, low, high, width in (
                    ("sessions_per_user", 1.05, 1.35, 64),
                    ("new_user_share", 0.55, 0.8, 64),
                    ("duration", 45.0, 210.0, 64),
                    ("pages_per_session", 2.2, 4.4, 64),
                    ("bounce", 0.3, 0.65, 64),
                    ("events_per_session", 6.5, 10.5, 64),
                    ("page_share", 0.5, 1.5, TOP_LISTING_PAGES + 2),
                )
            },
        }
        parts.append(part)
    inside = np.concatenate([(p["days"] >= clock.days[0]) for p in parts])
    return DayTraffic(
        days=np.concatenate([p["days"] for p in parts])[inside],
        by_source=np.concatenate([p["by_source"] for p in parts])[inside],
        by_device=np.concatenate([p["by_device"] for p in parts])[inside],
        by_location=np.concatenate([p["by_location"] for p in parts])[inside],
        ratios={name: np.concatenate([p["ratios"][name] for p in parts])[inside] for name in parts[0]["ratios"]},
    )


def _settled(values: np.ndarray, days: np.ndarray, sync_day: dt.date) -> np.ndarray:
    """Counts as GA4 reports them on sync_day (recent days are still being processed)."""
    age = calendar.epoch_day(sync_day) - days
    share = np.ones(days.shape)
    for lag, fraction in SETTLED_SHARE.items():
        share[age == lag] = fraction
    return np.floor(values * share.reshape((-1,) + (1,) * (values.ndim - 1))).astype(np.int64)


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    return np.char.replace(days.astype("datetime64[D]").astype(str), "-", "")


def _iso(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype(str)


def _session_metrics(sessions: np.ndarray, ratios: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The standard session metrics of rows with these sessions (ratios aligned with the rows)."""
    users = np.maximum(np.round(sessions / ratios["sessions_per_user"]), np.minimum(sessions, 1)).astype(np.int64)
    views = np.round(sessions * ratios["pages_per_session"]).astype(np.int64)
    safe = np.maximum(sessions, 1)
    return {
        "totalUsers": users,
        "newUsers": np.round(users * ratios["new_user_share"]).astype(np.int64),
        "sessions": sessions,
        "sessionsPerUser": np.round(sessions / np.maximum(users, 1), 6),
        "averageSessionDuration": np.round(ratios["duration"], 6),
        "screenPageViews": views,
        "screenPageViewsPerSession": np.round(views / safe, 6),
        "bounceRate": np.round(ratios["bounce"], 6),
    }


def _row_ratios(traffic_: DayTraffic, rows: np.ndarray, columns: np.ndarray, offset: int) -> dict[str, np.ndarray]:
    return {name: values[rows, (columns + offset) % values.shape[1]] for name, values in traffic_.ratios.items()}


def _report(
    shop: ShopAccount, report: str, days: np.ndarray, dimensions: dict[str, np.ndarray], metrics: dict[str, np.ndarray]
) -> pa.Table:
    count = days.size
    columns = {"property_id": pa.repeat(pa.scalar(shop.ga4_property_id), count)}
    for column in stream_columns("ga4", report):
        name = column.name
        if name in ("property_id", "startDate", "endDate"):
            continue
        if name == "date":
            columns[name] = pa.array(_yyyymmdd(days))
        elif name in dimensions:
            columns[name] = pa.array(np.asarray(dimensions[name]))
        elif name in GA4_INTEGER_METRICS:
            columns[name] = pa.array(np.asarray(metrics[name], dtype=np.int64))
        else:
            columns[name] = pa.array(np.asarray(metrics[name], dtype=np.float64))
    # The connector reads one day per request: each record's date range is its own day.
    columns["startDate"] = pa.array(_iso(days))
    columns["endDate"] = pa.array(_iso(days))
    return pa.table(columns)


def _dimension_report(
    traffic_: DayTraffic, sessions: np.ndarray, offset: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Rows with sessions > 0 of a (days x values) session matrix, with their session metrics."""
    rows, columns = np.nonzero(sessions)
    metrics = _session_metrics(sessions[rows, columns], _row_ratios(traffic_, rows, columns, offset))
    return traffic_.days[rows], rows, columns, metrics


def _with_provisional_row(values: np.ndarray, days: np.ndarray, sync_day: dt.date, row: int) -> np.ndarray:
    """The (days x rows) sessions with a provisional-only row appended: on the day reported
    one day after it, PROVISIONAL_SHARE of row `row` shows there instead (GA4 has not
    resolved that dimension yet); later extracts of the day have it back in its own row."""
    age = calendar.epoch_day(sync_day) - days
    moved = np.where(age == 1, np.floor(values[:, row] * PROVISIONAL_SHARE), 0).astype(np.int64)
    values = np.concatenate([values, moved[:, None]], axis=1)
    values[:, row] -= moved
    return values


def _shared(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each day's total split across the day's rows in proportion to their weights, in whole
    counts that add up to the total (largest remainder); a row never gets more than its
    weight while the total is at most the day's weights."""
    whole = weights.sum(axis=1, keepdims=True)
    quota = totals[:, None] * weights / np.maximum(whole, 1)
    floor = np.floor(quota).astype(np.int64)
    left = totals - floor.sum(axis=1)
    order = np.argsort(-(quota - floor), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(weights.shape[1]), order.shape), axis=1)
    return floor + (rank < left[:, None])


def _bounce_rate(sessions: np.ndarray, engaged: np.ndarray) -> np.ndarray:
    """GA4's bounceRate (1 - engagement rate) of rows with these counts."""
    return np.round(1 - engaged / np.maximum(sessions, 1), 6)


# Beyond BigQuery NUMERIC's 29 integer digits (Scenario.untypable_values).
OVERSIZED_METRIC_VALUE = 1e30


def reports(scenario: Scenario, shop: ShopAccount, report: str, sync_day: dt.date, first_day: dt.date) -> pa.Table:
    """One report's records of the shop's property. Every report breaks down the same
    sessions: sessions, engaged sessions and key events of each day add up across sources,
    channels, devices and locations to the website overview (on provisional days each report
    is rounded down separately, as GA4 does)."""
    last_day = sync_day - dt.timedelta(days=1)
    full = traffic(scenario, shop, last_day)
    keep = (full.days >= calendar.epoch_day(first_day)) & (full.days <= calendar.epoch_day(last_day))
    days_kept = full.days[keep]
    source_row, source_label = PROVISIONAL_SOURCE
    device_row, device_label = PROVISIONAL_DEVICE
    location_row, city_label = PROVISIONAL_LOCATION
    traffic_ = DayTraffic(
        days=days_kept,
        by_source=_with_provisional_row(
            _settled(full.by_source[keep], days_kept, sync_day), days_kept, sync_day, source_row
        ),
        by_device=_with_provisional_row(
            _settled(full.by_device[keep], days_kept, sync_day), days_kept, sync_day, device_row
        ),
        by_location=_with_provisional_row(
            _settled(full.by_location[keep], days_kept, sync_day), days_kept, sync_day, location_row
        ),
        ratios={name: values[keep] for name, values in full.ratios.items()},
    )
    sessions = traffic_.by_source.sum(axis=1)
    # Engagement is decided per traffic source; the other breakdowns share the day's engaged
    # sessions (and key events) out of the same total.
    source_bounce = traffic_.ratios["bounce"][:, (np.arange(traffic_.by_source.shape[1]) + 1) % 64]
    engaged_by_source = np.round(traffic_.by_source * (1 - source_bounce)).astype(np.int64)
    engaged = engaged_by_source.sum(axis=1)
    key_events = np.round(sessions * ADD_TO_CART_PER_SESSION).astype(np.int64)
    everyone = np.zeros(traffic_.days.size, dtype=np.int64)
    day_rows = np.arange(traffic_.days.size)
    overview = _session_metrics(sessions, _row_ratios(traffic_, day_rows, everyone, 0))
    overview["bounceRate"] = _bounce_rate(sessions, engaged)
    sources = TRAFFIC_SOURCES + INSTAGRAM_SOURCES + ((*source_label, 0.0),)
    if report in ("website_overview", "daily_active_users"):
        metrics = dict(overview)
        metrics["totalUsers"] = np.round(metrics["totalUsers"] * 0.93).astype(
            np.int64
        )  # users visit via several sources
        metrics["active1DayUsers"] = metrics["totalUsers"]
        if scenario.ga4_reports_an_oversized_metric and report == "website_overview" and traffic_.days.size:
            metrics["averageSessionDuration"] = np.asarray(metrics["averageSessionDuration"], dtype=np.float64).copy()
            metrics["averageSessionDuration"][-1] = OVERSIZED_METRIC_VALUE
        return _report(shop, report, traffic_.days, {}, metrics)
    if report == "traffic_sources":
        days, rows, columns, metrics = _dimension_report(traffic_, traffic_.by_source, 1)
        metrics["bounceRate"] = _bounce_rate(metrics["sessions"], engaged_by_source[rows, columns])
        dims = {
            "sessionSource": np.array([s for s, *_ in sources])[columns],
            "sessionMedium": np.array([m for _, m, *_ in sources])[columns],
        }
        return _report(shop, report, days, dims, metrics)
    if report == "traffic_acquisition_session_default_channel_grouping_report":
        channel_of_source = np.array([CHANNELS.index(c) for _, _, c, _ in sources])
        by_channel = np.zeros((traffic_.days.size, len(CHANNELS)), dtype=np.int64)
        engaged_by_channel = np.zeros_like(by_channel)
        for source, channel in enumerate(channel_of_source):
            by_channel[:, channel] += traffic_.by_source[:, source]
            engaged_by_channel[:, channel] += engaged_by_source[:, source]
        key_events_by_channel = _shared(key_events, by_channel)
        days, rows, columns, metrics = _dimension_report(traffic_, by_channel, 20)
        channel_engaged = engaged_by_channel[rows, columns]
        events_per_session = _row_ratios(traffic_, rows, columns, 20)["events_per_session"]
        event_count = np.round(metrics["sessions"] * events_per_session).astype(np.int64)
        metrics.update(
            engagedSessions=channel_engaged,
            bounceRate=_bounce_rate(metrics["sessions"], channel_engaged),
            eventsPerSession=np.round(event_count / np.maximum(metrics["sessions"], 1), 6),
            engagementRate=np.round(channel_engaged / np.maximum(metrics["sessions"], 1), 6),
            eventCount=event_count,
            conversions=key_events_by_channel[rows, columns].astype(np.float64),
            totalRevenue=np.zeros(days.size),  # the checkout happens on Etsy: GA4 sees no revenue
            userEngagementDuration=np.round(channel_engaged * metrics["averageSessionDuration"], 1),
        )
        return _report(shop, report, days, {"sessionDefaultChannelGrouping": np.array(CHANNELS)[columns]}, metrics)
    if report == "devices":
        days, rows, columns, metrics = _dimension_report(traffic_, traffic_.by_device, 40)
        engaged_by_device = _shared(np.minimum(engaged, traffic_.by_device.sum(axis=1)), traffic_.by_device)
        metrics["bounceRate"] = _bounce_rate(metrics["sessions"], engaged_by_device[rows, columns])
        devices = DEVICES + ((*device_label, 0.0),)
        dims = {
            "deviceCategory": np.array([d for d, *_ in devices])[columns],
            "operatingSystem": np.array([o for _, o, *_ in devices])[columns],
            "browser": np.array([b for _, _, b, _ in devices])[columns],
        }
        return _report(shop, report, days, dims, metrics)
    if report == "locations":
        days, rows, columns, metrics = _dimension_report(traffic_, traffic_.by_location, 50)
        engaged_by_location = _shared(np.minimum(engaged, traffic_.by_location.sum(axis=1)), traffic_.by_location)
        metrics["bounceRate"] = _bounce_rate(metrics["sessions"], engaged_by_location[rows, columns])
        places = _locations(shop)
        region, country, *_ = places[location_row]
        places = places + ((region, country, city_label, 0.0),)
        dims = {
            "region": np.array([r for r, *_ in places])[columns],
            "country": np.array([c for _, c, *_ in places])[columns],
            "city": np.array([c for _, _, c, _ in places])[columns],
        }
        return _report(shop, report, days, dims, metrics)
    if report == "pages":
        return _pages(scenario, shop, traffic_, overview)
    if report in ("events_report", "conversions_report"):
        return _events(shop, report, traffic_, overview)
    raise KeyError(f"the GA4 simulator has no report {report!r}")


def _pages(scenario: Scenario, shop: ShopAccount, traffic_: DayTraffic, overview: dict) -> pa.Table:
    # The listing pages need the catalogue only, not the shop's orders.
    cat = etsy_world.catalogue(scenario, shop)
    top = np.argsort(-cat.popularity)[:TOP_LISTING_PAGES]
    name = etsy.shop_name(shop)
    paths = np.array(
        [f"/shop/{name}", f"/shop/{name}?section_id=reviews"] + [f"/listing/{cat.listing_id[i]}" for i in top]
    )
    weights = np.concatenate([[6.0, 0.8], cat.popularity[top] / cat.popularity[top].sum() * 8.0])
    share = traffic_.ratios["page_share"][:, : paths.size] * weights
    share = share / share.sum(axis=1, keepdims=True)
    views = np.floor(overview["screenPageViews"][:, None] * share).astype(np.int64)
    rows, columns = np.nonzero(views)
    bounce = np.round(traffic_.ratios["bounce"][rows, columns % 64] * (1.1 if columns.size else 1.0), 6)
    return _report(
        shop,
        "pages",
        traffic_.days[rows],
        {"hostName": np.full(rows.size, HOST_NAME), "pagePathPlusQueryString": paths[columns]},
        {"screenPageViews": views[rows, columns], "bounceRate": np.minimum(bounce, 1.0)},
    )


def _events(shop: ShopAccount, report: str, traffic_: DayTraffic, overview: dict) -> pa.Table:
    sessions, users, views = overview["sessions"], overview["totalUsers"], overview["screenPageViews"]
    counts = {
        "page_view": views,
        "session_start": sessions,
        "user_engagement": np.round(sessions * (1 - overview["bounceRate"]) * 1.6),
        "first_visit": overview["newUsers"],
        "scroll": np.round(views * 0.42),
        "view_item": np.round(views * 0.55),
        "click": np.round(sessions * 0.21),
        "add_to_cart": np.round(sessions * ADD_TO_CART_PER_SESSION),
    }
    names = KEY_EVENTS if report == "conversions_report" else EVENTS
    matrix = np.stack([np.asarray(counts[name], dtype=np.int64) for name in names], axis=1)
    rows, columns = np.nonzero(matrix)
    count = matrix[rows, columns]
    event_users = np.minimum(users[rows], np.maximum(np.round(count / 1.4), 1)).astype(np.int64)
    metrics = {
        "eventCount": count,
        "conversions": count.astype(np.float64),
        "totalUsers": event_users,
        "eventCountPerUser": np.round(count / np.maximum(event_users, 1), 6),
        "totalRevenue": np.zeros(rows.size),
    }
    return _report(shop, report, traffic_.days[rows], {"eventName": np.array(names)[columns]}, metrics)


def records(scenario: Scenario, stream: str, sync_day: dt.date, since: str | None) -> Iterator[pa.Table]:
    """The report's records from `since` (YYYYMMDD, the connector's start date; None: the
    configured start, history_start) through the day before sync_day, per property."""
    first_day = dt.datetime.strptime(since, "%Y%m%d").date() if since else scenario.history_start
    first_day = max(first_day, scenario.history_start)
    for shop in scenario.shops:
        yield reports(scenario, shop, stream, sync_day, first_day)
