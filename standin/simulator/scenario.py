"""What world to simulate: the seed, how many shops (rows of shop_accounts.csv), since when,
how busy. The simulated world is a pure function of a Scenario."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

SHOP_ACCOUNTS_CSV = Path(__file__).resolve().parents[2] / "include" / "dbt" / "seeds" / "shop_accounts.csv"

# Etsy's Shop object has no time zone and shop_accounts.csv no country; the seller's country
# follows from where the shop keeps its clock (it decides fees: processing, regulatory).
COUNTRY_OF_TIME_ZONE = {
    "America/New_York": "US",
    "America/Chicago": "US",
    "America/Denver": "US",
    "America/Los_Angeles": "US",
    "Europe/London": "GB",
    "Europe/Paris": "FR",
    "Europe/Berlin": "DE",
    "America/Toronto": "CA",
    "Australia/Sydney": "AU",
    "Asia/Tokyo": "JP",
}


@dataclass(frozen=True)
class ShopAccount:
    """One row of shop_accounts.csv; `index` is its 0-based row number (shop i = row i)."""

    index: int
    shop_id: int
    time_zone: str
    currency_code: str
    ga4_property_id: str
    instagram_business_account_id: str

    @property
    def country(self) -> str:
        try:
            return COUNTRY_OF_TIME_ZONE[self.time_zone]
        except KeyError:
            raise ValueError(
                f"{SHOP_ACCOUNTS_CSV}: shop {self.shop_id} has time zone {self.time_zone!r}, which the simulator "
                f"cannot place in a country; add it to COUNTRY_OF_TIME_ZONE in {__file__}"
            ) from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@cache
def load_shop_accounts(path: Path = SHOP_ACCOUNTS_CSV) -> tuple[ShopAccount, ...]:
    with path.open(newline="") as handle:
        return tuple(
            ShopAccount(
                index=index,
                shop_id=int(row["shop_id"]),
                time_zone=row["shop_time_zone"],
                currency_code=row["shop_currency_code"],
                ga4_property_id=row["ga4_property_id"],
                instagram_business_account_id=row["instagram_business_account_id"],
            )
            for index, row in enumerate(csv.DictReader(handle))
        )


@dataclass(frozen=True)
class Scenario:
    """A simulated world. Same Scenario, same records, whatever day is synced."""

    seed: int
    n_shops: int
    history_start: dt.date
    orders_per_day: float
    instagram_posts_per_week: float = 4.0
    # Orders per GA4 session on the shop's pages; Etsy shops convert at 1-4 %.
    session_conversion_rate: float = 0.025
    # GA4 reports an average session duration beyond BigQuery NUMERIC on the last day of each
    # website_overview extract: the destination writes it NULL and lists it as NULLED.
    ga4_reports_an_oversized_metric: bool = False

    def __post_init__(self) -> None:
        accounts = load_shop_accounts()
        if not 1 <= self.n_shops <= len(accounts):
            raise ValueError(
                f"Scenario.n_shops={self.n_shops}: {SHOP_ACCOUNTS_CSV} defines {len(accounts)} shops; "
                f"simulate between 1 and {len(accounts)} (or add rows to the seed)"
            )
        if self.orders_per_day <= 0:
            raise ValueError(f"Scenario.orders_per_day={self.orders_per_day}: must be positive")
        if not 0 < self.session_conversion_rate < 1:
            raise ValueError(f"Scenario.session_conversion_rate={self.session_conversion_rate}: must be in (0, 1)")
        if self.instagram_posts_per_week < 0:
            raise ValueError(f"Scenario.instagram_posts_per_week={self.instagram_posts_per_week}: must be >= 0")

    @classmethod
    def default(cls, end_day: dt.date) -> Scenario:
        """The small embedded default (`make run`, e2e tests): 2 shops, 90 days up to end_day."""
        return cls(seed=20240917, n_shops=2, history_start=end_day - dt.timedelta(days=89), orders_per_day=15.0)

    @classmethod
    def every_shop(cls, end_day: dt.date) -> Scenario:
        """Every shop of shop_accounts.csv (the ninth sells in yen, a zero-decimal currency), 30
        quiet days up to end_day: the sales tests' world for currencies and their divisors."""
        return cls(
            seed=20240917,
            n_shops=len(load_shop_accounts()),
            history_start=end_day - dt.timedelta(days=29),
            orders_per_day=3.0,
        )

    @classmethod
    def untypable_values(cls, end_day: dt.date) -> Scenario:
        """The default world, but GA4 sends a value Airbyte's destination cannot type (issue
        #15 item 6): the raw writer lands it NULL with its `_airbyte_meta.changes` entry."""
        return replace(cls.default(end_day), ga4_reports_an_oversized_metric=True)

    @property
    def shops(self) -> tuple[ShopAccount, ...]:
        return load_shop_accounts()[: self.n_shops]

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "history_start": self.history_start.isoformat()}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        values = json.loads(text)
        known = {field.name for field in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"stored scenario has fields {sorted(unknown)} this simulator does not know")
        values["history_start"] = dt.date.fromisoformat(values["history_start"])
        return cls(**values)
