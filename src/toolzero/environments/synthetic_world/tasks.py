"""Multi-step tasks over the synthetic world, each one solvable only with the tools' results.

Families, by split (held-out tasks use only held-out tools):

| split   | family              | shape                     | checked by              |
| ------- | ------------------- | ------------------------- | ----------------------- |
| train   | city_weather        | one lookup                | the number              |
| train   | stock_quote         | one lookup                | the number              |
| train   | account_id          | one lookup                | the id named            |
| train   | tip                 | one call, two values      | the number              |
| train   | account_balance     | look up an id, then use it | the number              |
| train   | balance_in_currency | id -> balance -> convert  | the number              |
| train   | warmer_city         | compare two results       | the choice              |
| train   | pricier_stock       | compare two results       | the choice              |
| train   | cancel_event        | act, then confirm         | the world's events      |
| train   | transfer            | ids -> act -> confirm     | balances and the number |
| train   | cancel_order        | look up, then act         | the world's orders      |
| heldout | room_temperature    | one lookup                | the number              |
| heldout | package_status      | one lookup                | the place named         |
| heldout | parcel_location     | look up an id, then use it | the place named         |
| heldout | warmer_room         | compare two results       | the choice              |
| heldout | set_and_confirm     | act, then confirm         | the thermostat          |
| heldout | devices_off         | look up, then act         | the room's devices      |

A task is an `Example`: the user's request, the tools on offer (the needed ones plus
`distractors` others of the split), `reference_calls` (the first turn), and the final
answer as `reference_response`. `metadata` holds what rollout and reward code read:
`world` (the key `build_world` takes), `family`, `trajectory` (every turn's calls, as
dicts) and `expected` (`{"answer": ...}` for `answers.answer_problem`, `{"state": [...]}`
for `world.state_problems`). Task `i` depends only on (seed, split, i).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolzero.data.synthetic.pools import MONTHS, POOLS
from toolzero.environments.synthetic_world.tools import WORLD_TOOLS, converted
from toolzero.environments.synthetic_world.world import World, build_world
from toolzero.protocol.types import Example, Message, ToolCall
from toolzero.user_files import BadInputError

SPLITS = ("train", "heldout")


@dataclass
class WorldTask:
    """What a family builds: the request, each turn's calls, the answer, what is checked."""

    request: str
    turns: list[list[ToolCall]]
    answer: str
    expected: dict[str, Any]


def generate_world_tasks(
    n: int, seed: int = 0, split: str = "train", distractors: int = 2
) -> list[Example]:
    """`n` seeded multi-step tasks for the `train` or `heldout` tools."""
    if split not in SPLITS:
        raise BadInputError(f"synthetic_world split must be one of {SPLITS}, got {split!r}")
    if distractors < 0:
        raise BadInputError(f"distractors must be >= 0, got {distractors}")
    return [make_world_task(i, seed, split, distractors) for i in range(n)]


def make_world_task(index: int, seed: int, split: str, distractors: int = 2) -> Example:
    """Task number `index`: its own world and RNG, independent of the tasks before it."""
    key = f"{split}:{seed}:{index}"
    rng = random.Random(f"toolzero-world-task:{key}")
    world = build_world(key)
    # Families take turns (from a seeded start), so any first n tasks cover them evenly:
    # a 16-task evaluation is not 7 of one family by chance.
    families = sorted(FAMILIES[split])
    start = random.Random(f"toolzero-world-order:{split}:{seed}").randrange(len(families))
    family = families[(start + index) % len(families)]
    task = FAMILIES[split][family](rng, world)
    needed = list(dict.fromkeys([c.name for turn in task.turns for c in turn]))
    catalog = {t.name: t.spec for t in WORLD_TOOLS[split]}
    others = [name for name in catalog if name not in needed]
    offered = needed + rng.sample(others, min(distractors, len(others)))
    rng.shuffle(offered)
    return Example(
        id=f"world-{split}-{seed}-{index}",
        tools=tuple(catalog[name] for name in offered),
        messages=(Message("user", task.request),),
        reference_calls=tuple(task.turns[0]),
        reference_response=task.answer,
        source=f"synthetic-world-{split}",
        metadata={
            "environment": "synthetic_world",
            "world": key,
            "family": family,
            "trajectory": [[c.to_dict() for c in turn] for turn in task.turns],
            "expected": task.expected,
        },
    )


def spoken_date(value: str) -> str:
    """'2025-03-14' -> 'March 14, 2025'."""
    year, month, day = value.split("-")
    return f"{MONTHS[int(month) - 1]} {int(day)}, {year}"


def _choice(value: str, options: dict[str, list[str]]) -> dict[str, Any]:
    return {"answer": {"kind": "choice", "value": value, "options": options}}


# --- train families ---------------------------------------------------------------------
def account_balance(rng: random.Random, world: World) -> WorldTask:
    account, record = rng.choice(sorted(world.accounts.items()))
    owner, balance = record["owner"], record["balance"]
    request = rng.choice(
        (f"How much money is in {owner}'s bank account?", f"What is {owner}'s account balance?")
    )
    turns = [[ToolCall("find_account", {"owner": owner})],
             [ToolCall("get_balance", {"account_id": account})]]  # fmt: skip
    answer = f"{owner}'s account holds {balance:.2f} USD."
    return WorldTask(request, turns, answer, {"answer": {"kind": "number", "value": balance}})


def city_weather(rng: random.Random, world: World) -> WorldTask:
    """One call, then the answer read from its result (the shortest episode)."""
    city = rng.choice(sorted(world.weather))
    celsius = world.weather[city]["celsius"]
    request = rng.choice(
        (f"What is the temperature in {city} right now, in Celsius?",
         f"How many degrees Celsius is it in {city} at the moment?")
    )  # fmt: skip
    turns = [[ToolCall("get_weather", {"city": city})]]
    answer = f"It is {celsius} degrees Celsius in {city}."
    return WorldTask(request, turns, answer, {"answer": {"kind": "number", "value": celsius}})


def stock_quote(rng: random.Random, world: World) -> WorldTask:
    name, symbol = rng.choice(POOLS["ticker"])
    price = world.stocks[symbol]
    request = f"What does one share of {name} ({symbol}) cost right now?"
    turns = [[ToolCall("get_stock_price", {"symbol": symbol})]]
    answer = f"One {name} share costs {price:.2f} USD."
    return WorldTask(request, turns, answer, {"answer": {"kind": "number", "value": price}})


def account_id(rng: random.Random, world: World) -> WorldTask:
    """One lookup whose result is the answer: the call's value is the owner's name."""
    account, record = rng.choice(sorted(world.accounts.items()))
    owner = record["owner"]
    request = rng.choice(
        (f"What is the id of {owner}'s bank account?", f"Which account id does {owner} have?")
    )
    turns = [[ToolCall("find_account", {"owner": owner})]]
    answer = f"{owner}'s account id is {account}."
    return WorldTask(request, turns, answer, {"answer": {"kind": "contains", "value": account}})


def tip(rng: random.Random, world: World) -> WorldTask:
    """Two values copied from the request into two parameters, the tip read from the result."""
    bill = round(rng.uniform(10, 250), 2)
    percent = rng.choice((10, 12, 15, 18, 20, 25))
    request = rng.choice(
        (f"What is a {percent}% tip on a bill of {bill:.2f} dollars?",
         f"How much should I tip at {percent} percent on {bill:.2f} USD?")
    )  # fmt: skip
    turns = [[ToolCall("calculate_tip", {"bill": bill, "percent": percent})]]
    value = round(bill * percent / 100, 2)
    answer = f"A {percent}% tip on {bill:.2f} USD is {value:.2f} USD."
    return WorldTask(request, turns, answer, {"answer": {"kind": "number", "value": value}})


def balance_in_currency(rng: random.Random, world: World) -> WorldTask:
    account, record = rng.choice(sorted(world.accounts.items()))
    owner, balance = record["owner"], record["balance"]
    spoken, code = rng.choice([c for c in POOLS["currency"] if c[1] != "USD"])
    value = converted(world, balance, "USD", code)
    request = f"What is {owner}'s account balance worth in {spoken}?"
    turns = [
        [ToolCall("find_account", {"owner": owner})],
        [ToolCall("get_balance", {"account_id": account})],
        [ToolCall("convert_currency", {"amount": balance, "from_currency": "USD", "to_currency": code})],
    ]  # fmt: skip
    answer = f"{owner}'s balance of {balance:.2f} USD is {value:.2f} {code}."
    return WorldTask(request, turns, answer, {"answer": {"kind": "number", "value": value}})


def warmer_city(rng: random.Random, world: World) -> WorldTask:
    a, b = rng.sample(sorted(world.weather), 2)
    warmer = max((a, b), key=lambda city: world.weather[city]["celsius"])
    request = rng.choice(
        (f"Which is warmer right now, {a} or {b}?", f"Is it warmer in {a} or in {b} today?")
    )
    turns = [[ToolCall("get_weather", {"city": a}), ToolCall("get_weather", {"city": b})]]
    answer = f"{warmer} is warmer."
    return WorldTask(request, turns, answer, _choice(warmer, {a: [a], b: [b]}))


def pricier_stock(rng: random.Random, world: World) -> WorldTask:
    (name_a, a), (name_b, b) = rng.sample(POOLS["ticker"], 2)
    pricier = name_a if world.stocks[a] > world.stocks[b] else name_b
    request = f"Which costs more per share right now, {name_a} or {name_b}?"
    turns = [
        [ToolCall("get_stock_price", {"symbol": a}), ToolCall("get_stock_price", {"symbol": b})]
    ]
    options = {name_a: [name_a, a], name_b: [name_b, b]}
    return WorldTask(request, turns, f"{pricier} costs more per share.", _choice(pricier, options))


def cancel_event(rng: random.Random, world: World) -> WorldTask:
    event_id, event = rng.choice(sorted(world.events.items()))
    date, title = event["date"], event["title"]
    request = f"Cancel the {title} on {spoken_date(date)}, then check what is left on my calendar that day."
    listing = ToolCall("list_events", {"date": date})
    turns = [[listing], [ToolCall("cancel_event", {"event_id": event_id})], [listing]]
    answer = f"The {title} on {spoken_date(date)} is cancelled."
    return WorldTask(request, turns, answer, {"state": [["events_cancelled", [event_id]]]})


def transfer(rng: random.Random, world: World) -> WorldTask:
    (payer_id, payer), (payee_id, payee) = rng.sample(sorted(world.accounts.items()), 2)
    amount = rng.randint(10, min(300, int(payer["balance"])))
    left = round(payer["balance"] - amount, 2)
    received = round(payee["balance"] + amount, 2)
    request = (
        f"Send {amount} USD from {payer['owner']}'s account to {payee['owner']}'s, "
        f"then tell me {payer['owner']}'s new balance."
    )
    turns = [
        [ToolCall("find_account", {"owner": payer["owner"]}),
         ToolCall("find_account", {"owner": payee["owner"]})],
        [ToolCall("transfer_money", {"from_account": payer_id, "to_account": payee_id, "amount": amount})],
        [ToolCall("get_balance", {"account_id": payer_id})],
    ]  # fmt: skip
    expected = {
        "answer": {"kind": "number", "value": left},
        "state": [["balance", payer_id, left], ["balance", payee_id, received]],
    }
    return WorldTask(request, turns, f"Done. {payer['owner']} now has {left:.2f} USD.", expected)


def cancel_order(rng: random.Random, world: World) -> WorldTask:
    order_id, order = rng.choice(sorted(world.orders.items()))
    request = f"Please cancel {order['customer']}'s order of {order['product']}."
    turns = [[ToolCall("list_orders", {"customer": order["customer"]})],
             [ToolCall("cancel_order", {"order_id": order_id})]]  # fmt: skip
    answer = f"{order['customer']}'s order of {order['product']} is cancelled."
    return WorldTask(request, turns, answer, {"state": [["orders_cancelled", [order_id]]]})


# --- held-out families ------------------------------------------------------------------
def parcel_location(rng: random.Random, world: World) -> WorldTask:
    tracking, parcel = rng.choice(sorted(world.shipments.items()))
    request = rng.choice(
        (f"Where is my parcel from {parcel['shop']} right now?",
         f"Could you tell me where the package {parcel['shop']} sent me is?")
    )  # fmt: skip
    turns = [[ToolCall("find_shipment", {"shop": parcel["shop"]})],
             [ToolCall("track_package", {"tracking_number": tracking})]]  # fmt: skip
    answer = f"It is {parcel['status']} in {parcel['location']}."
    return WorldTask(
        request, turns, answer, {"answer": {"kind": "contains", "value": parcel["location"]}}
    )


def room_temperature(rng: random.Random, world: World) -> WorldTask:
    """One call, then the answer read from its result."""
    room = rng.choice(sorted(world.rooms))
    celsius = world.rooms[room]["celsius"]
    request = f"How warm is it in the {room} right now, in degrees Celsius?"
    turns = [[ToolCall("get_room_temperature", {"room": room})]]
    answer = f"The {room} is at {celsius} degrees Celsius."
    return WorldTask(request, turns, answer, {"answer": {"kind": "number", "value": celsius}})


def package_status(rng: random.Random, world: World) -> WorldTask:
    tracking, parcel = rng.choice(sorted(world.shipments.items()))
    request = f"Where is the package with tracking number {tracking} now?"
    turns = [[ToolCall("track_package", {"tracking_number": tracking})]]
    answer = f"It is {parcel['status']} in {parcel['location']}."
    return WorldTask(
        request, turns, answer, {"answer": {"kind": "contains", "value": parcel["location"]}}
    )


def warmer_room(rng: random.Random, world: World) -> WorldTask:
    a, b = rng.sample(sorted(world.rooms), 2)
    warmer = max((a, b), key=lambda room: world.rooms[room]["celsius"])
    request = f"Is the {a} or the {b} warmer at the moment?"
    turns = [[ToolCall("get_room_temperature", {"room": a}),
              ToolCall("get_room_temperature", {"room": b})]]  # fmt: skip
    return WorldTask(request, turns, f"The {warmer} is warmer.", _choice(warmer, {a: [a], b: [b]}))


def set_and_confirm(rng: random.Random, world: World) -> WorldTask:
    room = rng.choice(sorted(world.rooms))
    celsius = rng.randint(16, 26)
    request = f"Could you set the {room} to {celsius} degrees and check that it took?"
    turns = [[ToolCall("set_thermostat", {"room": room, "celsius": celsius})],
             [ToolCall("get_room_temperature", {"room": room})]]  # fmt: skip
    answer = f"The {room} thermostat is now set to {celsius} degrees."
    return WorldTask(request, turns, answer, {"state": [["thermostat", room, celsius]]})


def devices_off(rng: random.Random, world: World) -> WorldTask:
    room = rng.choice(sorted(world.rooms))
    devices = world.rooms[room]["devices"]
    request = rng.choice(
        (f"Turn off everything that is on in the {room}.",
         f"Would you switch off whatever is running in the {room}?")
    )  # fmt: skip
    switches = [
        ToolCall("switch_device", {"device": d, "room": room, "on": False})
        for d, on in devices.items()
        if on
    ]
    turns = [[ToolCall("list_devices", {"room": room})], switches]
    off = {d: False for d in devices}
    return WorldTask(
        request, turns, f"Everything in the {room} is off.", {"state": [["devices", room, off]]}
    )


Family = Callable[[random.Random, World], WorldTask]
FAMILIES: dict[str, dict[str, Family]] = {
    "train": {f.__name__: f for f in (city_weather, stock_quote, account_id, tip,
                                     account_balance, balance_in_currency, warmer_city,
                                     pricier_stock, cancel_event, transfer, cancel_order)},
    "heldout": {f.__name__: f for f in (room_temperature, package_status, parcel_location,
                                       warmer_room, set_and_confirm, devices_off)},
}  # fmt: skip
