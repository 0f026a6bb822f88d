"""The synthetic world: seeded, deterministic data the world's tools read and change.

`build_world(key)` depends only on `key` (a task's `metadata["world"]`), so an episode's
world is rebuilt exactly from the task, and every episode starts from a fresh copy.

What it holds, by split:
- train tools: bank accounts (owner, id, balance), weather in every pool city, stock
  prices, exchange rates, calendar events by date, shop orders by customer;
- held-out tools: parcels by shop (tracking number, carrier, status, location), and a
  home's rooms (temperature, thermostat target, devices on or off).

Values are drawn so that comparisons never tie (distinct temperatures, distinct prices).
`state_problems` checks a world against a task's expected state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from toolzero.data.synthetic.pools import POOLS, draw

# Units of each currency per US dollar, before each world's small jitter.
BASE_RATES = {
    "USD": 1.0, "EUR": 0.92, "JPY": 150.0, "GBP": 0.79, "CHF": 0.88, "CAD": 1.36,
    "INR": 83.0, "MXN": 17.0, "AUD": 1.52, "NOK": 10.6,
}  # fmt: skip
CONDITIONS = ("sunny", "cloudy", "rain", "snow", "windy", "fog")
SHOPS = (
    "Nordic Books",
    "Pixel Store",
    "Green Garden",
    "Atlas Outdoors",
    "Lumen Lights",
    "Kite & Co",
)
PARCEL_STATUS = ("in transit", "out for delivery", "at the depot", "delivered")


@dataclass
class World:
    """Everything the tools can read or change, keyed by the ids the tools return."""

    key: str
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    weather: dict[str, dict[str, Any]] = field(default_factory=dict)
    stocks: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)  # messages, new events, ...

    def account_of(self, owner: str) -> str | None:
        return next((i for i, a in self.accounts.items() if a["owner"] == owner), None)


def build_world(key: str) -> World:
    """The world named `key`; the same key always gives the same world."""
    rng = random.Random(f"toolzero-world:{key}")
    world = World(key)
    people = rng.sample(POOLS["person"], 6)
    ids = rng.sample(range(1000, 10000), len(people))
    for person, number in zip(people, ids, strict=True):
        balance = round(rng.uniform(150, 5000), 2)
        world.accounts[f"ACC-{number}"] = {"owner": person, "balance": balance}
    temperatures = rng.sample(range(-5, 36), len(POOLS["city"]))
    for city, celsius in zip(POOLS["city"], temperatures, strict=True):
        world.weather[city] = {"celsius": celsius, "condition": rng.choice(CONDITIONS)}
    cents = rng.sample(range(2000, 90000), len(POOLS["ticker"]))
    world.stocks = {symbol: c / 100 for (_, symbol), c in zip(POOLS["ticker"], cents, strict=True)}
    world.rates = {
        code: rate if code == "USD" else round(rate * rng.uniform(0.95, 1.05), 4)
        for code, rate in BASE_RATES.items()
    }
    _add_events(world, rng)
    _add_orders(world, rng, people)
    _add_shipments(world, rng)
    _add_rooms(world, rng)
    return world


def _add_events(world: World, rng: random.Random) -> None:
    numbers = iter(rng.sample(range(100, 1000), 12))
    dates = sorted({draw("date", rng)[1] for _ in range(3)})
    for date in dates:
        for title in rng.sample(POOLS["meeting"], rng.randint(2, 3)):
            world.events[f"EV-{next(numbers)}"] = {
                "title": title,
                "date": date,
                "time": draw("time", rng)[1],
                "cancelled": False,
            }


def _add_orders(world: World, rng: random.Random, people: list[str]) -> None:
    numbers = iter(rng.sample(range(10000, 100000), 12))
    for person in people[:4]:
        for product in rng.sample(POOLS["product"], rng.randint(1, 3)):
            world.orders[f"ORD-{next(numbers)}"] = {
                "customer": person,
                "product": product,
                "price": round(rng.uniform(9, 250), 2),
                "status": rng.choice(("placed", "shipped")),
            }


def _add_shipments(world: World, rng: random.Random) -> None:
    for shop in rng.sample(SHOPS, 4):
        tracking = f"TZ{rng.randrange(10**9, 10**10)}"
        world.shipments[tracking] = {
            "shop": shop,
            "carrier": rng.choice(POOLS["carrier"])[1],
            "status": rng.choice(PARCEL_STATUS),
            "location": rng.choice(POOLS["city"]),
        }


def _add_rooms(world: World, rng: random.Random) -> None:
    rooms = rng.sample(POOLS["room"], 4)
    tenths = rng.sample(range(160, 260), len(rooms))
    for room, t in zip(rooms, tenths, strict=True):
        devices = {d: rng.random() < 0.5 for d in rng.sample(POOLS["device"], rng.randint(2, 3))}
        devices[next(iter(devices))] = True  # something is on in every room
        world.rooms[room] = {"celsius": t / 10, "target": None, "devices": devices}


def state_problems(world: World, checks: list[list[Any]]) -> list[str]:
    """One line per expected-state check the world fails. Checks are lists:

    - `["events_cancelled", [ids]]` / `["orders_cancelled", [ids]]`: exactly these are
      cancelled;
    - `["balance", account_id, amount]`: the balance, to the cent;
    - `["thermostat", room, celsius]`: the room's thermostat target;
    - `["devices", room, {device: on}]`: every device of the room in that state.
    """
    problems = []
    for kind, *args in checks:
        if kind in ("events_cancelled", "orders_cancelled"):
            records = world.events if kind == "events_cancelled" else world.orders
            done = sorted(
                i
                for i, r in records.items()
                if r.get("cancelled") or r.get("status") == "cancelled"
            )
            if done != sorted(args[0]):
                problems.append(f"{kind}: expected {sorted(args[0])}, found {done}")
        elif kind == "balance":
            balance = world.accounts[args[0]]["balance"]
            if abs(balance - args[1]) > 0.005:
                problems.append(
                    f"balance of {args[0]}: expected {args[1]:.2f}, found {balance:.2f}"
                )
        elif kind == "thermostat":
            target = world.rooms[args[0]]["target"]
            if target != args[1]:
                problems.append(f"thermostat in the {args[0]}: expected {args[1]}, found {target}")
        elif kind == "devices":
            devices = world.rooms[args[0]]["devices"]
            if devices != args[1]:
                problems.append(f"devices in the {args[0]}: expected {args[1]}, found {devices}")
        else:
            raise ValueError(f"unknown state check {kind!r}")
    return problems
