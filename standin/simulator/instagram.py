"""Instagram (Airbyte source-instagram 4.1.x): each shop's business account, its posts and
stories, their lifetime insights as the Graph API reports them at a given moment, and the
social visits the posts send to the shop in the following days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from standin.simulator import calendar
from standin.simulator.randomness import (
    PART_INSTAGRAM_ACCOUNT,
    PART_INSTAGRAM_POSTS,
    PART_INSTAGRAM_STORIES,
    block_rng,
)
from standin.simulator.reference import stream_columns
from standin.simulator.scenario import Scenario, ShopAccount

MEDIA_TYPES = np.array(["IMAGE", "CAROUSEL_ALBUM", "VIDEO"])
MEDIA_TYPE_WEIGHTS = np.array([0.45, 0.30, 0.25])
# Share of a post's reach that visits the shop, spread over the day of posting and the next three.
VISITS_PER_REACH = 0.012
VISIT_LAG_KERNEL = np.array([0.40, 0.30, 0.18, 0.12])
# Lifetime metrics grow towards their final value with this time constant (seconds).
GROWTH_SECONDS = {"IMAGE": 20 * 3600, "CAROUSEL_ALBUM": 24 * 3600, "VIDEO": 40 * 3600}
STORY_LIFETIME_SECONDS = 24 * 3600
# Posts before the history: the account existed before the simulated shop data starts.
PRE_HISTORY_DAYS = 60
CAPTIONS = (
    "New in the shop today ✨ link in bio",
    "Behind the scenes at the studio this week",
    "Restocked! Your favourites are back",
    "Gift guide: something for everyone on your list 🎁",
    "Made by hand, one at a time",
    "Weekend sale: 15% off everything with code WEEKEND15",
    "Packing orders all morning ☕",
    "Which colour is your favourite? Tell us below 👇",
)


@dataclass(frozen=True)
class Account:
    shop: ShopAccount
    username: str
    initial_followers: int
    daily_follows: float  # follows a day without posts


@dataclass(frozen=True)
class Posts:
    """Every post of every simulated account through a last day (one row per post)."""

    shop_index: np.ndarray
    media_id: np.ndarray  # int64; the API sends it as a string
    timestamp: np.ndarray  # epoch seconds
    local_day: np.ndarray  # epoch day in the shop's zone
    media_type: np.ndarray  # index into MEDIA_TYPES
    caption: np.ndarray  # index into CAPTIONS
    children: np.ndarray  # carousel size (0 for others)
    final: dict[str, np.ndarray]  # lifetime totals once the post has run its course


def account(scenario: Scenario, shop: ShopAccount) -> Account:
    rng = block_rng(scenario.seed, PART_INSTAGRAM_ACCOUNT, shop.index)
    return Account(
        shop=shop,
        username=f"studio.{shop.shop_id}",
        initial_followers=int(rng.integers(1_500, 9_000)),
        daily_follows=float(rng.uniform(2.0, 8.0)),
    )


def follower_trend(scenario: Scenario, acct: Account, epoch_days: np.ndarray) -> np.ndarray:
    years = (epoch_days - calendar.epoch_day(scenario.history_start)) / 365.25
    return acct.initial_followers * (1 + 0.35 * np.maximum(years, -0.5))


def _month_posts(scenario: Scenario, shop: ShopAccount, month: dt.date) -> dict[str, np.ndarray]:
    rng = block_rng(scenario.seed, PART_INSTAGRAM_POSTS, shop.index, calendar.month_key(month))
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    days = np.arange(calendar.epoch_day(month), calendar.epoch_day(next_month), dtype=np.int64)
    per_day = rng.poisson(scenario.instagram_posts_per_week / 7, size=days.size)
    day = np.repeat(days, per_day)
    count = day.size
    media_type = rng.choice(3, size=count, p=MEDIA_TYPE_WEIGHTS)
    quality = rng.lognormal(0.0, 0.45, size=count)
    return {
        "local_day": day,
        "seconds": rng.integers(10 * 3600, 21 * 3600, size=count),
        "media_type": media_type,
        "caption": rng.integers(0, len(CAPTIONS), size=count),
        "children": np.where(media_type == 1, rng.integers(2, 7, size=count), 0),
        "quality": quality,
        "engagement": rng.uniform(0.035, 0.085, size=count),
        "media_id": 17_900_000_000_000_000
        + shop.index * 10_000_000_000_000
        + calendar.month_key(month) * 1_000_000
        + np.arange(count),
    }


def posts(scenario: Scenario, last_day: dt.date) -> Posts:
    """Every post through the end of last_day's month (whole months: see calendar.month_end)."""
    return _posts(scenario, calendar.month_end(last_day))


@cache
def _posts(scenario: Scenario, last_day: dt.date) -> Posts:
    first_day = scenario.history_start - dt.timedelta(days=PRE_HISTORY_DAYS)
    parts = []
    for shop in scenario.shops:
        acct = account(scenario, shop)
        clock = calendar.shop_clock(shop, first_day, last_day)
        for month in calendar.month_starts(first_day, last_day):
            block = _month_posts(scenario, shop, month)
            keep = (block["local_day"] >= clock.days[0]) & (block["local_day"] <= clock.days[-1])
            block = {name: values[keep] for name, values in block.items()}
            day_index = block["local_day"] - clock.days[0]
            block["timestamp"] = clock.local_to_epoch(day_index, block["seconds"])
            block["shop_index"] = np.full(block["local_day"].size, shop.index)
            is_video = block["media_type"] == 2
            reach = np.round(
                follower_trend(scenario, acct, block["local_day"])
                * 0.28
                * block["quality"]
                * np.where(is_video, 1.8, 1.0)
            )
            likes = np.round(reach * block["engagement"])
            block["final"] = {
                "reach": reach,
                "likes": likes,
                "comments": np.round(likes * 0.06),
                "saved": np.round(reach * 0.012),
                "shares": np.round(reach * 0.006),
                "follows": np.round(reach * 0.0025),
                "profile_visits": np.round(reach * 0.02),
                "ig_reels_avg_watch_time": np.where(is_video, 4_000 + 9_000 * block["engagement"] / 0.085, np.nan),
            }
            parts.append(block)
    concat = {
        name: np.concatenate([p[name] for p in parts]) if parts else np.array([], dtype=np.int64)
        for name in ("shop_index", "media_id", "timestamp", "local_day", "media_type", "caption", "children")
    }
    final = {
        name: np.concatenate([p["final"][name] for p in parts]) if parts else np.array([])
        for name in (
            "reach",
            "likes",
            "comments",
            "saved",
            "shares",
            "follows",
            "profile_visits",
            "ig_reels_avg_watch_time",
        )
    }
    final["total_interactions"] = final["likes"] + final["comments"] + final["saved"] + final["shares"]
    final["ig_reels_video_view_total_time"] = np.where(
        np.isnan(final["ig_reels_avg_watch_time"]), np.nan, final["ig_reels_avg_watch_time"] * final["reach"] * 1.3
    )
    return Posts(final=final, **concat)


def growth(posts_: Posts, at_epoch: np.ndarray) -> np.ndarray:
    """Share of its final lifetime totals a post has reached at a moment (0 before it exists)."""
    tau = np.array([GROWTH_SECONDS[name] for name in MEDIA_TYPES])[posts_.media_type]
    age = np.maximum(at_epoch - posts_.timestamp, 0)
    return 1.0 - np.exp(-age / tau)


def social_visits(scenario: Scenario, shop: ShopAccount, clock: calendar.ShopClock) -> np.ndarray:
    """Shop visits sent by the account's posts on each day of the clock (before seasonality)."""
    all_posts = posts(scenario, calendar.to_date(clock.days[-1]))
    mine = all_posts.shop_index == shop.index
    visits = np.zeros(clock.days.size)
    for lag, weight in enumerate(VISIT_LAG_KERNEL):
        target = all_posts.local_day[mine] + lag - clock.days[0]
        inside = (target >= 0) & (target < clock.days.size)
        np.add.at(visits, target[inside], weight * VISITS_PER_REACH * all_posts.final["reach"][mine][inside])
    return visits


def _ig_time(epoch_seconds: np.ndarray) -> pa.Array:
    text = np.datetime_as_string(np.asarray(epoch_seconds, dtype="datetime64[s]"), unit="s")
    return pa.array(np.char.add(text.astype(str), "+0000"), type=pa.string())


def _page_id(shop: ShopAccount) -> str:
    return str(100_000_000_000_000 + shop.shop_id)


def _story_block(scenario: Scenario, shop: ShopAccount, day: int) -> dict[str, np.ndarray]:
    rng = block_rng(scenario.seed, PART_INSTAGRAM_STORIES, shop.index, day)
    count = int(rng.poisson(0.9))
    return {
        "day": np.full(count, day),
        "seconds": rng.integers(8 * 3600, 22 * 3600, size=count),
        "reach_share": rng.uniform(0.05, 0.12, size=count),
        "story_id": 18_100_000_000_000_000 + shop.index * 10_000_000_000_000 + day * 100 + np.arange(count),
    }


def records(scenario: Scenario, stream: str, sync_day: dt.date) -> pa.Table:
    """What the Graph API returns for the stream when the sync of sync_day runs (every record
    the stream can send; the sync applies cursors)."""
    last_day = sync_day - dt.timedelta(days=1)
    builders = {
        "users": _users,
        "user_insights": _user_insights,
        "media": _media,
        "media_insights": _media_insights,
        "stories": _stories,
        "story_insights": _story_insights,
    }
    return builders[stream](scenario, sync_day, last_day)


def _visible_posts(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> tuple[Posts, np.ndarray, np.ndarray]:
    all_posts = posts(scenario, last_day)
    cutoffs = np.array([calendar.cutoff(shop, sync_day) for shop in scenario.shops])[all_posts.shop_index]
    visible = all_posts.timestamp < cutoffs
    return all_posts, visible, cutoffs


def _users(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> pa.Table:
    all_posts, visible, _ = _visible_posts(scenario, sync_day, last_day)
    rows = []
    for shop in scenario.shops:
        acct = account(scenario, shop)
        mine = visible & (all_posts.shop_index == shop.index)
        days_in = max((last_day - scenario.history_start).days + 1, 0)
        followers = (
            follower_trend(scenario, acct, np.array([calendar.epoch_day(last_day)]))[0]
            + acct.daily_follows * days_in
            + all_posts.final["follows"][mine].sum()
        )
        rows.append(
            {
                "page_id": _page_id(shop),
                "id": shop.instagram_business_account_id,
                "biography": "Handmade in small batches. Shop our Etsy store ↓",
                "ig_id": 1_000_000_000 + shop.shop_id,
                "followers_count": int(followers),
                "follows_count": 300 + shop.index * 17,
                "media_count": int(mine.sum()) + 120,
                "name": f"Studio {shop.shop_id}",
                "profile_picture_url": f"https://scontent.cdninstagram.com/v/{shop.instagram_business_account_id}.jpg",
                "username": acct.username,
                "website": f"https://www.etsy.com/shop/Studio{shop.shop_id}",
            }
        )
    return pa.Table.from_pylist(rows)


def _user_insights(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> pa.Table:
    all_posts = posts(scenario, last_day)
    tables = []
    for shop in scenario.shops:
        acct = account(scenario, shop)
        clock = calendar.shop_clock(shop, scenario.history_start, last_day)
        mine = all_posts.shop_index == shop.index
        rng = block_rng(scenario.seed, PART_INSTAGRAM_ACCOUNT, shop.index, 1)
        base = follower_trend(scenario, acct, clock.days) * 0.06
        daily_reach = base * rng.uniform(0.8, 1.2, size=clock.days.size)
        daily_follows = rng.poisson(acct.daily_follows, size=clock.days.size).astype(float)
        for lag, weight in enumerate((0.55, 0.3, 0.15)):
            target = all_posts.local_day[mine] + lag - clock.days[0]
            inside = (target >= 0) & (target < clock.days.size)
            np.add.at(daily_reach, target[inside], weight * all_posts.final["reach"][mine][inside])
            np.add.at(daily_follows, target[inside], weight * all_posts.final["follows"][mine][inside])
        # The Graph API keeps counting a day's reach for about two days.
        age = calendar.epoch_day(sync_day) - clock.days
        settled = np.where(age <= 1, 0.85, np.where(age == 2, 0.97, 1.0))
        daily_reach = np.round(daily_reach * settled)
        week = np.convolve(daily_reach, np.ones(7))[: daily_reach.size] * 0.72
        month = np.convolve(daily_reach, np.ones(28))[: daily_reach.size] * 0.55
        hours = np.arange(24)
        online_shape = 0.25 + np.exp(-0.5 * ((hours - 19) / 3.5) ** 2)
        followers = follower_trend(scenario, acct, clock.days)
        online = np.round(np.outer(followers * 0.3, online_shape / online_shape.max())).astype(np.int64)
        online_followers = pa.StructArray.from_arrays(
            [pa.array(online[:, h]) for h in hours], names=[str(h) for h in hours]
        )
        end_times = np.char.add(clock.days.astype("datetime64[D]").astype(str), "T07:00:00+0000")
        tables.append(
            pa.table(
                {
                    "page_id": pa.array([_page_id(shop)] * clock.days.size),
                    "business_account_id": pa.array([shop.instagram_business_account_id] * clock.days.size),
                    "date": pa.array(end_times),
                    "follower_count": pa.array(np.round(daily_follows).astype(np.int64)),
                    "reach": pa.array(daily_reach.astype(np.int64)),
                    "reach_week": pa.array(np.round(week).astype(np.int64)),
                    "reach_days_28": pa.array(np.round(month).astype(np.int64)),
                    "online_followers": online_followers,
                }
            )
        )
    return pa.concat_tables(tables)


def _media(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> pa.Table:
    all_posts, visible, cutoffs = _visible_posts(scenario, sync_day, last_day)
    index = np.flatnonzero(visible)
    share = growth(all_posts, cutoffs)[index]
    shops = scenario.shops
    account_ids = np.array([s.instagram_business_account_id for s in shops])[all_posts.shop_index[index]]
    usernames = np.array([account(scenario, s).username for s in shops])[all_posts.shop_index[index]]
    media_ids = all_posts.media_id[index].astype(str)
    shortcodes = np.char.add("C", np.char.mod("%x", all_posts.media_id[index] % 10**12))
    media_types = MEDIA_TYPES[all_posts.media_type[index]]
    timestamps = _ig_time(all_posts.timestamp[index])
    children = []
    for position, size in enumerate(all_posts.children[index]):
        children.append(
            None
            if size == 0
            else [
                {
                    "id": str(int(all_posts.media_id[index][position]) * 10 + k),
                    "media_type": "IMAGE",
                    "media_url": f"https://scontent.cdninstagram.com/v/{media_ids[position]}_{k}.jpg",
                    "owner": {"id": account_ids[position]},
                    "shortcode": f"{shortcodes[position]}{k}",
                    "timestamp": timestamps[position].as_py(),
                    "username": usernames[position],
                }
                for k in range(int(size))
            ]
        )
    return pa.table(
        {
            "business_account_id": pa.array(account_ids),
            "page_id": pa.array(np.array([_page_id(s) for s in shops])[all_posts.shop_index[index]], pa.string()),
            "caption": pa.array(np.array(CAPTIONS)[all_posts.caption[index]]),
            "comments_count": pa.array(np.round(all_posts.final["comments"][index] * share).astype(np.int64)),
            "id": pa.array(media_ids),
            "ig_id": pa.array(np.char.add("3", media_ids)),
            "is_comment_enabled": pa.array(np.ones(index.size, dtype=bool)),
            "like_count": pa.array(np.round(all_posts.final["likes"][index] * share).astype(np.int64)),
            "media_type": pa.array(media_types),
            "media_product_type": pa.array(np.where(media_types == "VIDEO", "REELS", "FEED")),
            "media_url": pa.array(np.char.add(np.char.add("https://scontent.cdninstagram.com/v/", media_ids), ".jpg")),
            "owner": pa.array([{"id": a} for a in account_ids], pa.struct([("id", pa.string())])),
            "permalink": pa.array(np.char.add(np.char.add("https://www.instagram.com/p/", shortcodes), "/")),
            "shortcode": pa.array(shortcodes),
            "thumbnail_url": pa.array(
                [
                    f"https://scontent.cdninstagram.com/v/{m}_thumb.jpg" if t == "VIDEO" else None
                    for m, t in zip(media_ids, media_types, strict=True)
                ],
                pa.string(),
            ),
            "timestamp": timestamps,
            "username": pa.array(usernames),
            "children": pa.array(children),
        }
    )


def _media_insights(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> pa.Table:
    all_posts, visible, cutoffs = _visible_posts(scenario, sync_day, last_day)
    index = np.flatnonzero(visible)
    share = growth(all_posts, cutoffs)[index]
    final = {name: values[index] for name, values in all_posts.final.items()}

    def lifetime(name: str) -> pa.Array:
        return pa.array(np.round(final[name] * share).astype(np.int64))

    def reels_only(name: str) -> pa.Array:
        values = final[name] * np.where(name == "ig_reels_video_view_total_time", share, 1.0)
        return pa.array(np.round(values, 1), mask=np.isnan(values))

    account_ids = np.array([s.instagram_business_account_id for s in scenario.shops])[all_posts.shop_index[index]]
    page_ids = np.array([_page_id(s) for s in scenario.shops])[all_posts.shop_index[index]]
    return pa.table(
        {
            "business_account_id": pa.array(account_ids, pa.string()),
            "page_id": pa.array(page_ids, pa.string()),
            "id": pa.array(all_posts.media_id[index].astype(str), pa.string()),
            "ig_reels_avg_watch_time": reels_only("ig_reels_avg_watch_time"),
            "ig_reels_video_view_total_time": reels_only("ig_reels_video_view_total_time"),
            "reach": lifetime("reach"),
            "saved": lifetime("saved"),
            "comments": lifetime("comments"),
            "likes": lifetime("likes"),
            "shares": lifetime("shares"),
            "total_interactions": lifetime("total_interactions"),
            "follows": lifetime("follows"),
            "profile_visits": lifetime("profile_visits"),
        }
    )


def _live_stories(scenario: Scenario, sync_day: dt.date) -> list[dict]:
    """Stories still live when the sync runs: the Graph API lists only the last 24 hours."""
    stories = []
    for shop in scenario.shops:
        acct = account(scenario, shop)
        end = calendar.cutoff(shop, sync_day)
        for day in (sync_day - dt.timedelta(days=2), sync_day - dt.timedelta(days=1)):
            block = _story_block(scenario, shop, calendar.epoch_day(day))
            start = calendar.local_midnight(shop, day)
            for seconds, reach_share, story_id in zip(
                block["seconds"], block["reach_share"], block["story_id"], strict=True
            ):
                timestamp = start + int(seconds)
                if end - STORY_LIFETIME_SECONDS <= timestamp < end:
                    age_share = 1 - np.exp(-(end - timestamp) / (6 * 3600))
                    reach = int(
                        follower_trend(scenario, acct, np.array([calendar.epoch_day(day)]))[0] * reach_share * age_share
                    )
                    stories.append(
                        {"shop": shop, "acct": acct, "id": str(int(story_id)), "timestamp": timestamp, "reach": reach}
                    )
    return stories


def _stories(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> pa.Table:
    rows = []
    for story in _live_stories(scenario, sync_day):
        shop = story["shop"]
        rows.append(
            {
                "business_account_id": shop.instagram_business_account_id,
                "page_id": _page_id(shop),
                "caption": None,
                "id": story["id"],
                "ig_id": "3" + story["id"],
                "like_count": None,
                "media_type": "IMAGE",
                "media_product_type": "STORY",
                "media_url": f"https://scontent.cdninstagram.com/v/{story['id']}.jpg",
                "owner": {"id": shop.instagram_business_account_id},
                "permalink": f"https://instagram.com/stories/{story['acct'].username}/{story['id']}",
                "shortcode": "S" + story["id"][-10:],
                "thumbnail_url": None,
                "timestamp": str(_ig_time(np.array([story["timestamp"]]))[0]),
                "username": story["acct"].username,
            }
        )
    return _table_or_empty(rows, "instagram", "stories")


def _story_insights(scenario: Scenario, sync_day: dt.date, last_day: dt.date) -> pa.Table:
    rows = [
        {
            "business_account_id": story["shop"].instagram_business_account_id,
            "page_id": _page_id(story["shop"]),
            "id": story["id"],
            "reach": story["reach"],
            "replies": story["reach"] // 150,
            "follows": story["reach"] // 400,
            "profile_visits": story["reach"] // 40,
            "shares": story["reach"] // 300,
            "total_interactions": story["reach"] // 150 + story["reach"] // 300,
        }
        for story in _live_stories(scenario, sync_day)
    ]
    return _table_or_empty(rows, "instagram", "story_insights")


def _table_or_empty(rows: list[dict], source_name: str, stream: str) -> pa.Table:
    """The rows as a table; with no rows, the stream's columns with no values."""
    if rows:
        return pa.Table.from_pylist(rows)
    return pa.table({column.name: pa.nulls(0) for column in stream_columns(source_name, stream)})
