"""Shop clocks and the shape of demand: local days, their UTC boundaries (DST included),
weekly and yearly seasonality with the Q4 peak, growth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np

from standin.simulator.scenario import Scenario, ShopAccount

EPOCH = dt.date(1970, 1, 1)
SECONDS_PER_DAY = 86_400

# Etsy buyers shop most on Sundays and Mondays, least on Fridays and Saturdays.
WEEKDAY_FACTOR = np.array([1.08, 1.02, 0.98, 0.95, 0.90, 0.92, 1.15])  # Monday first
WEEKDAY_FACTOR = WEEKDAY_FACTOR / WEEKDAY_FACTOR.mean()

# (day of year, amplitude, width in days): holiday gifting dominates a maker's year.
YEARLY_BUMPS = (
    (337, 1.15, 17.0),  # Black Friday .. mid-December
    (318, 0.35, 12.0),  # early holiday shoppers
    (38, 0.30, 5.0),  # Valentine's Day
    (126, 0.22, 6.0),  # Mother's Day
    (30, -0.22, 22.0),  # January/February slump
    (200, -0.12, 30.0),  # summer lull
    (362, -0.45, 6.0),  # after the last shipping day before Christmas
)
ANNUAL_GROWTH = 0.15


def _yearly_raw(day_of_year: np.ndarray) -> np.ndarray:
    factor = np.ones(day_of_year.shape)
    for centre, amplitude, width in YEARLY_BUMPS:
        distance = np.minimum(np.abs(day_of_year - centre), 365 - np.abs(day_of_year - centre))
        factor += amplitude * np.exp(-0.5 * (distance / width) ** 2)
    return factor


_YEARLY_MEAN = float(_yearly_raw(np.arange(1, 366)).mean())


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


def to_date(epoch_days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(epoch_days))


def seasonality(days: np.ndarray, history_start: dt.date) -> np.ndarray:
    """Demand multiplier per epoch day: weekday x time of year x growth since history_start."""
    dates = days.astype("datetime64[D]")
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    years_in = (days - epoch_day(history_start)) / 365.25
    return WEEKDAY_FACTOR[weekday] * _yearly_raw(day_of_year) / _YEARLY_MEAN * (1 + ANNUAL_GROWTH * years_in)


@dataclass(frozen=True)
class ShopClock:
    """Local calendar days of one shop over [first_day, last_day] and their UTC boundaries."""

    shop: ShopAccount
    days: np.ndarray  # epoch days, consecutive
    day_start: np.ndarray  # epoch seconds of each local midnight, plus the one after the last day

    def local_to_epoch(self, day_index: np.ndarray, seconds_of_day: np.ndarray) -> np.ndarray:
        """Epoch seconds of a local time of day; 23- and 25-hour DST days are stretched to fit."""
        length = self.day_start[day_index + 1] - self.day_start[day_index]
        return self.day_start[day_index] + (seconds_of_day * length) // SECONDS_PER_DAY


def local_midnight(shop: ShopAccount, day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=shop.zone).timestamp())


@cache
def shop_clock(shop: ShopAccount, first_day: dt.date, last_day: dt.date) -> ShopClock:
    count = (last_day - first_day).days + 1
    starts = np.array(
        [local_midnight(shop, first_day + dt.timedelta(days=i)) for i in range(count + 1)], dtype=np.int64
    )
    return ShopClock(shop, np.arange(epoch_day(first_day), epoch_day(first_day) + count, dtype=np.int64), starts)


def month_starts(first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    """First days of the calendar months overlapping [first_day, last_day]: the world's blocks."""
    months, month = [], first_day.replace(day=1)
    while month <= last_day:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def month_key(month: dt.date) -> int:
    """Months since January 2000: the block coordinate of a month (also inside ids)."""
    return (month.year - 2000) * 12 + month.month - 1


def month_end(day: dt.date) -> dt.date:
    """Last day of day's month: the world is simulated in whole months, so a month's draws never
    depend on which of its days has been synced."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def cutoff(shop: ShopAccount, sync_day: dt.date) -> int:
    """A sync early on sync_day sees the shop's data complete through its local sync_day - 1."""
    return local_midnight(shop, sync_day)


def extraction_start(scenario: Scenario, sync_day: dt.date) -> dt.datetime:
    """When the sync of sync_day starts: after every simulated shop's day has closed."""
    latest = max(cutoff(shop, sync_day) for shop in scenario.shops)
    utc_midnight = int(dt.datetime.combine(sync_day, dt.time(), tzinfo=dt.UTC).timestamp())
    return dt.datetime.fromtimestamp(max(latest, utc_midnight) + 2 * 3600, tz=dt.UTC)


def sync_day_as_of(scenario: Scenario, sync_day: dt.date, now: dt.datetime) -> dt.date:
    """The day a sync asked for on sync_day can land as of `now`: sync_day itself once its
    extraction has started, else the latest earlier day whose extraction had. A sync never
    lands a record created after the moment it runs (at 02:22 UTC New York's day is still
    open), whatever the hour or the clock of the machine running it."""
    while extraction_start(scenario, sync_day) > now:
        sync_day -= dt.timedelta(days=1)
    return sync_day
