"""Generated run ids and readable run names.

Ids are 8 characters of base36 (lowercase letters and digits), like wandb's;
names read as ``adjective-noun-N`` so runs are easy to tell apart in a chart
legend.

>>> len(generate_id())
8
"""

from __future__ import annotations

import functools
import getpass
import os
import re
import secrets

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

_ADJECTIVES = (
    "amber", "ancient", "autumn", "bold", "brave", "bright", "calm", "celestial", "cool",
    "crimson", "curious", "dainty", "dark", "dashing", "dawn", "deep", "divine", "dry",
    "eager", "earthy", "electric", "elegant", "fancy", "fearless", "fiery", "floral",
    "fluent", "fresh", "gentle", "glad", "glowing", "golden", "graceful", "grateful",
    "hardy", "hidden", "honest", "icy", "jolly", "keen", "lively", "lucky", "lunar",
    "major", "mellow", "misty", "morning", "noble", "northern", "olive", "peachy", "polar",
    "proud", "quiet", "radiant", "rare", "restful", "rosy", "royal", "rustic", "sage",
    "scarlet", "serene", "sharp", "silent", "silver", "sleek", "smooth", "snowy", "solar",
    "spring", "stellar", "still", "stoic", "summer", "sunny", "swift", "tender", "twilight",
    "vibrant", "vivid", "wandering", "warm", "wild", "winter", "wise", "young", "zesty",
)  # fmt: skip

_NOUNS = (
    "aurora", "bird", "blaze", "breeze", "brook", "butterfly", "canyon", "cedar", "cliff",
    "cloud", "comet", "cosmos", "crane", "creek", "dawn", "dew", "dream", "dune", "eagle",
    "ember", "falcon", "feather", "fern", "field", "firefly", "flower", "fog", "forest",
    "frost", "galaxy", "glade", "glitter", "grass", "harbor", "haze", "heron", "hill",
    "lake", "leaf", "lichen", "meadow", "moon", "morning", "mountain", "night", "oak",
    "ocean", "orbit", "paper", "pebble", "pine", "planet", "pond", "rain", "reef", "river",
    "sea", "shadow", "shape", "sky", "smoke", "snow", "sound", "spark", "star", "stone",
    "storm", "sun", "sunset", "surf", "thunder", "tree", "valley", "violet", "water",
    "wave", "willow", "wind", "wood",
)  # fmt: skip

_ENTITY_RE = re.compile(r"[^A-Za-z0-9_.\-]+")


def generate_id(length: int = 8) -> str:
    """A random base36 run id (8 characters: about 2.8e12 possibilities)."""
    number = secrets.randbelow(len(_ALPHABET) ** length)  # one draw, not one per character
    digits = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def generate_name(number: int | None = None) -> str:
    """A readable run name such as ``silent-river-12``."""
    if number is None:
        number = secrets.randbelow(1000) + 1
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{number}"


@functools.cache
def default_entity() -> str:
    """The OS user name, made into a valid entity name (``user`` if there is none)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = os.environ.get("USER", "")
    cleaned = _ENTITY_RE.sub("-", user).strip("-._")[:128]
    return cleaned or "user"
