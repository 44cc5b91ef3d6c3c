"""Seeded randomness by position, not by call order: every block of the world (a shop, a month,
a stream) draws from its own generator keyed by the scenario seed and the block's coordinates,
so syncing any day reproduces exactly the same world without simulating from the beginning."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Stable keys for the independent parts of the world (never reorder: seeds depend on them).
PART_CATALOGUE = 1
PART_BUYERS = 2
PART_ORDERS = 3
PART_INSTAGRAM_POSTS = 4
PART_INSTAGRAM_STORIES = 5
PART_INSTAGRAM_ACCOUNT = 6
PART_GA4 = 7


def block_rng(seed: int, part: int, *coordinates: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, part, *coordinates])))


def _splitmix64(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uuid4_array(seed: int, key: int, count: int) -> pa.ExtensionArray:
    """`count` version-4 UUIDs, a deterministic function of (seed, key, position)."""
    positions = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        base = _splitmix64(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ _splitmix64(np.uint64(key & 0xFFFFFFFFFFFFFFFF)))
        high = _splitmix64(positions ^ base)
        low = _splitmix64(high ^ np.uint64(0xD1B54A32D192ED03))
    high = (high & ~np.uint64(0xF000)) | np.uint64(0x4000)  # version 4
    low = (low & ~np.uint64(0xC000000000000000)) | np.uint64(0x8000000000000000)  # RFC 4122 variant
    big_endian = np.empty((count, 2), dtype=">u8")
    big_endian[:, 0] = high
    big_endian[:, 1] = low
    storage = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), count, [None, pa.py_buffer(big_endian.tobytes())])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)
