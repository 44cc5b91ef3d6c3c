"""Etsy's fee schedule, read from the dated dbt seed include/dbt/seeds/etsy_fee_schedule.csv so
the simulator charges exactly what the sales models expect (one schedule, two readers)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

FEE_SCHEDULE_CSV = Path(__file__).resolve().parents[2] / "include" / "dbt" / "seeds" / "etsy_fee_schedule.csv"
EPOCH = dt.date(1970, 1, 1)
# Minor units per major unit of a currency (ISO 4217): Etsy Money amounts and ledger entries
# are integers of the minor unit, and a Money divisor is this number (1 for the yen).
MINOR_UNITS_PER_MAJOR = {"JPY": 1}


def minor_units_per_major(currency_code: str | None) -> int:
    return MINOR_UNITS_PER_MAJOR.get(currency_code, 100)


@dataclass(frozen=True)
class FeeRule:
    fee_type: str
    ledger_type: str
    refund_ledger_type: str | None
    reference_type: str
    basis: str
    rate: float
    fixed_minor: int  # fixed amount in minor units (cents, yen) of currency_code
    cap_minor: int | None
    currency_code: str | None  # None: any currency
    seller_country: str | None  # None: any country
    valid_from: dt.date
    valid_to: dt.date | None  # inclusive; None: still valid

    def applies_to(self, currency_code: str, seller_country: str) -> bool:
        return self.currency_code in (None, currency_code) and self.seller_country in (None, seller_country)


def _minor(text: str, currency_code: str | None) -> int:
    return round(float(text) * minor_units_per_major(currency_code))


@cache
def fee_rules(path: Path = FEE_SCHEDULE_CSV) -> tuple[FeeRule, ...]:
    with path.open(newline="") as handle:
        return tuple(
            FeeRule(
                fee_type=row["fee_type"],
                ledger_type=row["ledger_type"],
                refund_ledger_type=row["refund_ledger_type"] or None,
                reference_type=row["reference_type"],
                basis=row["basis"],
                rate=float(row["rate"]),
                fixed_minor=_minor(row["fixed_amount"] or "0", row["currency_code"] or None),
                cap_minor=_minor(row["cap_amount"], row["currency_code"] or None) if row["cap_amount"] else None,
                currency_code=row["currency_code"] or None,
                seller_country=row["seller_country"] or None,
                valid_from=dt.date.fromisoformat(row["valid_from"]),
                valid_to=dt.date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            )
            for row in csv.DictReader(handle)
        )


def rule(fee_type: str) -> FeeRule:
    """Any rule of the fee type: for its ledger types and reference type, which never vary by date."""
    for candidate in fee_rules():
        if candidate.fee_type == fee_type:
            return candidate
    raise KeyError(f"{FEE_SCHEDULE_CSV} has no fee_type {fee_type!r}")


@dataclass(frozen=True)
class FeeTerms:
    """Per-event rate, fixed amount and cap (minor units) of one fee, by the event's date."""

    rate: np.ndarray
    fixed_minor: np.ndarray
    cap_minor: np.ndarray  # int64; no cap = a very large number

    def charge(self, basis_minor: np.ndarray) -> np.ndarray:
        """The fee in minor units (positive), rounded half away from zero as Etsy rounds cents."""
        fee = np.floor(basis_minor * self.rate + 0.5).astype(np.int64) + self.fixed_minor
        return np.minimum(fee, self.cap_minor)


NO_CAP = np.iinfo(np.int64).max // 4


def terms(fee_type: str, currency_code: str, seller_country: str, event_days: np.ndarray) -> FeeTerms:
    """The schedule's terms for each event day (days since 1970-01-01) of one shop; fails naming
    the fee, shop currency/country and date when the schedule does not cover an event."""
    rate = np.full(event_days.shape, np.nan)
    fixed = np.zeros(event_days.shape, dtype=np.int64)
    cap = np.full(event_days.shape, NO_CAP, dtype=np.int64)
    for candidate in fee_rules():
        if candidate.fee_type != fee_type or not candidate.applies_to(currency_code, seller_country):
            continue
        start = (candidate.valid_from - EPOCH).days
        end = (candidate.valid_to - EPOCH).days if candidate.valid_to else np.iinfo(np.int64).max
        covered = (event_days >= start) & (event_days <= end)
        rate[covered] = candidate.rate
        fixed[covered] = candidate.fixed_minor
        cap[covered] = candidate.cap_minor if candidate.cap_minor is not None else NO_CAP
    uncovered = np.isnan(rate)
    if uncovered.any():
        first_day = EPOCH + dt.timedelta(days=int(event_days[uncovered].min()))
        raise ValueError(
            f"{FEE_SCHEDULE_CSV} has no {fee_type!r} rule for a {seller_country} shop in {currency_code} "
            f"valid on {first_day}; add a dated row"
        )
    return FeeTerms(rate, fixed, cap)


def applies(fee_type: str, currency_code: str, seller_country: str) -> bool:
    """Whether the schedule charges the fee at all to a shop of that currency and country."""
    return any(r.fee_type == fee_type and r.applies_to(currency_code, seller_country) for r in fee_rules())
