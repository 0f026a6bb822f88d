"""Generated starting states for BFCL's API classes, in the form their `_load_scenario` reads.

Every scenario is plain JSON data drawn from a seeded `random.Random`, with names and
contents from toolzero's own small word pools (never BFCL's test scenarios): a user's
folder tree with files of random lines, a trading account with random prices, watchlist
and orders, a car with random doors, fuel and climate, a messaging workspace with random
users and inbox. A task stores its scenario in `metadata["world"]`, so an episode's world
is rebuilt from the task alone.
"""

from __future__ import annotations

import random
from typing import Any

USERS = ("maya", "tomas", "ines", "oskar", "leila", "arjun", "nora", "felix", "yara", "hugo")
FOLDERS = ("projects", "notes", "reports", "media", "drafts", "invoices", "research", "travel",
           "recipes", "garden", "music", "letters")  # fmt: skip
SUBFOLDERS = ("old", "shared", "q1", "q2", "misc", "final", "review", "scans", "backup_2")
NEW_FOLDERS = ("archive", "sorted", "done", "keep", "to_send", "batch")
FILE_WORDS = ("budget", "harbor", "lantern", "meadow", "quartz", "saddle", "thistle", "velvet",
              "walrus", "zephyr", "cobalt", "fennel", "juniper", "kettle", "marble", "nutmeg",
              "orchid", "pepper", "raven", "sequoia", "tundra", "umber", "violet", "willow",
              "anchor", "bramble", "cinder", "dapple", "ember", "flint", "gossamer", "hazel",
              "indigo", "jasper", "kelp", "lichen")  # fmt: skip
EXTENSIONS = ("txt", "md", "log", "csv")
LINE_WORDS = ("amber", "delta", "copper", "signal", "morning", "ledger", "river", "orbit",
              "granite", "summit", "echo", "falcon", "silver", "harvest", "pilot", "canyon")  # fmt: skip
PEOPLE = ("Amira", "Bruno", "Chiara", "Dmitri", "Elena", "Farah", "Goran", "Hana", "Ivo",
          "Jonas", "Kaito", "Lucia", "Mateo", "Nadia", "Omar", "Priya")  # fmt: skip
MESSAGES = ("The slides are ready for review.", "Can we move our call to Thursday?",
            "I left the keys at the front desk.", "Lunch is on me today.",
            "Please send me the signed contract.", "The build passed, ship it.",
            "Running ten minutes late.", "Thanks for the quick fix!")  # fmt: skip
# the symbols of TradingBot's stock table, with the company names `get_symbol_by_name` knows
COMPANIES = {"AAPL": "Apple", "GOOG": "Google", "TSLA": "Tesla", "MSFT": "Microsoft",
             "NVDA": "Nvidia", "ZETA": "Zeta Corp", "ALPH": "Alpha Tech",
             "OMEG": "Omega Industries", "QUAS": "Quasar Ltd.", "NEPT": "Neptune Systems",
             "SYNX": "Synex Solutions"}  # fmt: skip
DOORS = ("driver", "passenger", "rear_left", "rear_right")


def _line(rng: random.Random) -> str:
    return f"{' '.join(rng.sample(LINE_WORDS, 3))} {rng.randint(100, 9999)}"


def _file(rng: random.Random) -> dict[str, Any]:
    return {"type": "file", "content": "\n".join(_line(rng) for _ in range(rng.randint(2, 4)))}


def file_tree(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """(the user's folder name, its contents): three top folders, each with 3-5 files and
    1-2 subfolders of 2-3 files. File names are `word_N.ext`, every word used once, and no
    word is part of another, so a word names one file only."""
    words = iter(rng.sample(FILE_WORDS, len(FILE_WORDS)))

    def files(count: int) -> dict[str, Any]:
        return {f"{next(words)}_{rng.randint(1, 9)}.{rng.choice(EXTENSIONS)}": _file(rng)
                for _ in range(count)}  # fmt: skip

    tree = {}
    for folder in rng.sample(FOLDERS, 3):
        contents = files(rng.randint(3, 5))
        for sub in rng.sample(SUBFOLDERS, rng.randint(1, 2)):
            contents[sub] = {"type": "directory", "contents": files(rng.randint(2, 3))}
        tree[folder] = {"type": "directory", "contents": contents}
    return rng.choice(USERS), tree


def file_system_scenario(user: str, tree: dict[str, Any]) -> dict[str, Any]:
    return {"root": {user: {"type": "directory", "contents": tree}}}


def trading_scenario(rng: random.Random) -> dict[str, Any]:
    """A logged-in account on an open market: random prices, a 3-4 stock watchlist, and
    4 orders of distinct stocks (at least one pending)."""
    stocks = {}
    for symbol in COMPANIES:
        price = round(rng.uniform(15, 900), 2)
        stocks[symbol] = {
            "price": price,
            "percent_change": round(rng.uniform(-3, 3), 2),
            "volume": round(rng.uniform(0.3, 4.0), 3),
            "MA(5)": round(price * rng.uniform(0.97, 1.03), 2),
            "MA(20)": round(price * rng.uniform(0.95, 1.05), 2),
        }
    first_id = rng.randint(20000, 80000)
    orders = {}
    for offset, symbol in enumerate(rng.sample(sorted(COMPANIES), 4)):
        order_id = first_id + 7 * offset
        orders[str(order_id)] = {
            "id": order_id,
            "order_type": rng.choice(("Buy", "Sell")),
            "symbol": symbol,
            "price": round(stocks[symbol]["price"] * rng.uniform(0.9, 1.1), 2),
            "amount": rng.randint(1, 40),
            "status": "Pending" if offset == 0 else rng.choice(("Completed", "Pending", "Open")),
        }
    return {
        "orders": orders,
        "account_info": {
            "account_id": rng.randint(10000, 99999),
            "balance": round(rng.uniform(2000, 60000), 2),
            "binding_card": rng.randint(10**15, 10**16 - 1),
        },
        "authenticated": True,
        "market_status": "Open",
        "order_counter": first_id + 7 * 4,
        "stocks": stocks,
        "watch_list": rng.sample(sorted(COMPANIES), rng.randint(3, 4)),
        "transaction_history": [],
        "random_seed": rng.randint(1, 10**6),
    }


def vehicle_scenario(rng: random.Random) -> dict[str, Any]:
    """A parked car: doors locked at random (at least one unlocked), random fuel, battery
    and climate."""
    locked = rng.sample(DOORS, rng.randint(0, 3))
    return {
        "random_seed": rng.randint(1, 10**6),
        "fuelLevel": round(rng.uniform(3, 48), 1),
        "batteryVoltage": round(rng.uniform(11.6, 13.4), 1),
        "engineState": "stopped",
        "doorStatus": {d: "locked" if d in locked else "unlocked" for d in DOORS},
        "acTemperature": float(rng.randint(17, 27)),
        # never 50, `adjustClimateControl`'s default: keeping the fan needs reading it
        "fanSpeed": rng.choice([speed for speed in range(10, 91, 5) if speed != 50]),
        "acMode": rng.choice(("auto", "cool", "heat")),
        "humidityLevel": round(rng.uniform(30, 70), 1),
        "headLightStatus": rng.choice(("on", "off")),
        "parkingBrakeStatus": "engaged",
        "brakePedalStatus": "released",
    }


def message_scenario(rng: random.Random) -> dict[str, Any]:
    """A workspace of 5 users with random ids, nobody logged in, and a few messages."""
    names = rng.sample(PEOPLE, 5)
    ids = rng.sample(range(100, 1000), 5)
    user_map = {name: f"USR{number}" for name, number in zip(names, ids, strict=True)}
    inbox = [{rng.choice(list(user_map.values())): rng.choice(MESSAGES)}
             for _ in range(rng.randint(2, 4))]  # fmt: skip
    return {
        "random_seed": rng.randint(1, 10**6),
        "user_count": len(user_map),
        "user_map": user_map,
        "inbox": inbox,
        "message_count": len(inbox),
        "current_user": None,
    }
