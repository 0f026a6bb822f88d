"""Multi-step tasks generated against generated scenarios of BFCL's API classes.

Never BFCL's test questions: the requests are written here, over scenarios from
`scenarios.py`, so BFCL's multi-turn categories stay a clean benchmark (a test checks that
no BFCL question text appears in the tasks).

The splits use different API classes: train tasks the file system and the trading bot,
held-out tasks the vehicle and the messaging app, so a held-out score measures use of
APIs never trained on (the synthetic world's train and held-out tools are disjoint for the
same reason).

| split   | family          | classes           | shape                                  | checked by        |
| ------- | --------------- | ----------------- | -------------------------------------- | ----------------- |
| train   | file_first_line | GorillaFileSystem | cd, find, cd, cat                      | the line + state  |
| train   | archive_by_type | GorillaFileSystem | cd, ls, mkdir, mv each match           | state             |
| train   | sell_cheapest   | TradingBot        | watchlist, prices, place the order     | order id + state  |
| train   | cancel_pending  | TradingBot        | symbol, order ids, details, cancel     | state             |
| heldout | lock_and_fuel   | VehicleControlAPI | doors, lock the open ones, fuel        | fuel + state      |
| heldout | climate_keep_fan| VehicleControlAPI | read climate, set it keeping the fan   | humidity + state  |
| heldout | send_message    | MessageAPI        | two user ids, log in, send             | state             |

As in BFCL's multi-turn checker, every task checks the state of each class it involves
(`["matches_reference", class]`: the public attributes equal those after replaying the
reference trajectory on a fresh world), so a read-only task also fails when the episode
changed something. A task is an `Example` with the synthetic world's keys: `world`
(`{"classes": [...], "scenario": {class: config}}`), `family`, `trajectory` (every turn's
calls, as dicts) and `expected` (`{"answer": ...}` for `answers.answer_problem`,
`{"state": [...]}`). The tools offered are the needed ones plus `distractors` other methods
of the task's classes (None: every method, as BFCL offers them). Task `i` depends only on
(seed, split, i).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolzero.environments.bfcl_api.apis import tool_specs
from toolzero.environments.bfcl_api.scenarios import (
    COMPANIES,
    DOORS,
    MESSAGES,
    NEW_FOLDERS,
    file_system_scenario,
    file_tree,
    message_scenario,
    trading_scenario,
    vehicle_scenario,
)
from toolzero.protocol.types import Example, Message, ToolCall
from toolzero.user_files import BadInputError

SPLITS = ("train", "heldout")
SPLIT_CLASSES = {
    "train": ("GorillaFileSystem", "TradingBot"),
    "heldout": ("VehicleControlAPI", "MessageAPI"),
}


@dataclass
class ApiTask:
    """What a family builds: its class and scenario, the request, each turn's calls, the
    final answer, and the expected answer (None: the state alone is checked)."""

    class_name: str
    scenario: dict[str, Any]
    request: str
    turns: list[list[ToolCall]]
    answer: str
    expected_answer: dict[str, Any] | None = None


def generate_bfcl_api_tasks(
    n: int, seed: int = 0, split: str = "train", distractors: int | None = 4
) -> list[Example]:
    """`n` seeded multi-step tasks over the `train` or `heldout` API classes."""
    if split not in SPLITS:
        raise BadInputError(f"bfcl_api split must be one of {SPLITS}, got {split!r}")
    if distractors is not None and distractors < 0:
        raise BadInputError(f"distractors must be >= 0 or None, got {distractors}")
    return [make_api_task(i, seed, split, distractors) for i in range(n)]


def make_api_task(index: int, seed: int, split: str, distractors: int | None = 4) -> Example:
    """Task number `index`: its own scenario and RNG, independent of the tasks before it."""
    key = f"{split}:{seed}:{index}"
    rng = random.Random(f"toolzero-bfcl-api-task:{key}")
    family = rng.choice(sorted(FAMILIES[split]))
    task = FAMILIES[split][family](rng)
    needed = list(dict.fromkeys(c.name for turn in task.turns for c in turn))
    catalog = {spec.name: spec for spec in tool_specs(task.class_name)}
    others = [name for name in catalog if name not in needed]
    count = len(others) if distractors is None else min(distractors, len(others))
    offered = needed + rng.sample(others, count)
    rng.shuffle(offered)
    expected: dict[str, Any] = {"state": [["matches_reference", task.class_name]]}
    if task.expected_answer is not None:
        expected["answer"] = task.expected_answer
    return Example(
        id=f"bfcl-api-{split}-{seed}-{index}",
        tools=tuple(catalog[name] for name in offered),
        messages=(Message("user", task.request),),
        reference_calls=tuple(task.turns[0]),
        reference_response=task.answer,
        source=f"bfcl-api-{split}",
        metadata={
            "environment": "bfcl_api",
            "world": {"classes": [task.class_name], "scenario": {task.class_name: task.scenario}},
            "family": family,
            "trajectory": [[c.to_dict() for c in turn] for turn in task.turns],
            "expected": expected,
        },
    )


# --- train: the file system --------------------------------------------------------------
FS = "GorillaFileSystem"


def file_first_line(rng: random.Random) -> ApiTask:
    user, tree = file_tree(rng)
    folder = rng.choice(sorted(tree))
    contents = tree[folder]["contents"]
    sub = rng.choice(sorted(k for k, v in contents.items() if v["type"] == "directory"))
    name = rng.choice(sorted(contents[sub]["contents"]))
    word = name.split("_")[0]
    first_line = contents[sub]["contents"][name]["content"].split("\n")[0]
    request = rng.choice((
        f"Somewhere inside my '{folder}' folder there is a file with '{word}' in its name. "
        "What does its first line say?",
        f"Find the file whose name contains '{word}' under the '{folder}' directory and "
        "tell me its first line.",
    ))  # fmt: skip
    turns = [
        [ToolCall("cd", {"folder": folder})],
        [ToolCall("find", {"path": ".", "name": word})],
        [ToolCall("cd", {"folder": sub})],
        [ToolCall("cat", {"file_name": name})],
    ]
    answer = f"The first line of {folder}/{sub}/{name} is: {first_line}"
    return ApiTask(FS, file_system_scenario(user, tree), request, turns, answer,
                   {"kind": "contains", "value": first_line})  # fmt: skip


def archive_by_type(rng: random.Random) -> ApiTask:
    while True:  # a folder with two or more files of one type and some of another
        user, tree = file_tree(rng)
        choices = []
        for folder, entry in sorted(tree.items()):
            files = [k for k, v in entry["contents"].items() if v["type"] == "file"]
            for ext in sorted({f.rsplit(".", 1)[1] for f in files}):
                matching = sorted(f for f in files if f.endswith(f".{ext}"))
                if len(matching) >= 2 and len(matching) < len(files):
                    choices.append((folder, ext, matching))
        if choices:
            break
    folder, ext, matching = rng.choice(choices)
    new = rng.choice(NEW_FOLDERS)
    request = rng.choice((
        f"In my '{folder}' folder, make a new folder called '{new}' and move every .{ext} "
        "file of that folder into it.",
        f"Tidy up '{folder}': put all of its .{ext} files into a new subfolder named '{new}'.",
    ))  # fmt: skip
    turns = [
        [ToolCall("cd", {"folder": folder})],
        [ToolCall("ls", {})],
        [ToolCall("mkdir", {"dir_name": new})],
        [ToolCall("mv", {"source": f, "destination": new}) for f in matching],
    ]
    answer = f"Moved {', '.join(matching)} into {folder}/{new}."
    return ApiTask(FS, file_system_scenario(user, tree), request, turns, answer)


# --- train: the trading bot --------------------------------------------------------------
TRADING = "TradingBot"


def sell_cheapest(rng: random.Random) -> ApiTask:
    scenario = trading_scenario(rng)
    watched = scenario["watch_list"]
    cheapest = min(watched, key=lambda s: scenario["stocks"][s]["price"])
    price = scenario["stocks"][cheapest]["price"]
    amount = rng.randint(2, 30)
    order_id = scenario["order_counter"]
    request = (
        f"Sell {amount} shares of whichever stock on my watchlist is cheapest right now, at "
        "its current price, and tell me the new order's ID."
    )
    turns = [
        [ToolCall("get_watchlist", {})],
        [ToolCall("get_stock_info", {"symbol": s}) for s in watched],
        [ToolCall("place_order", {"order_type": "Sell", "symbol": cheapest, "price": price,
                                  "amount": amount})],
    ]  # fmt: skip
    answer = f"Placed a sell order for {amount} {cheapest} at {price}: order {order_id}."
    return ApiTask(TRADING, scenario, request, turns, answer, {"kind": "number", "value": order_id})


def cancel_pending(rng: random.Random) -> ApiTask:
    scenario = trading_scenario(rng)
    orders = scenario["orders"]
    pending = sorted(k for k, o in orders.items() if o["status"] == "Pending")
    target = orders[rng.choice(pending)]
    company = COMPANIES[target["symbol"]]
    request = rng.choice((
        f"Cancel my pending order for {company} stock.",
        f"I changed my mind about {company}: please cancel the order of it that is still pending.",
    ))  # fmt: skip
    turns = [
        [ToolCall("get_symbol_by_name", {"name": company}), ToolCall("get_order_history", {})],
        [ToolCall("get_order_details", {"order_id": int(k)}) for k in orders],
        [ToolCall("cancel_order", {"order_id": target["id"]})],
    ]
    answer = f"Order {target['id']} for {target['symbol']} is cancelled."
    return ApiTask(TRADING, scenario, request, turns, answer)


# --- held-out: the vehicle ---------------------------------------------------------------
VEHICLE = "VehicleControlAPI"


def lock_and_fuel(rng: random.Random) -> ApiTask:
    scenario = vehicle_scenario(rng)
    unlocked = [d for d in DOORS if scenario["doorStatus"][d] == "unlocked"]
    fuel = scenario["fuelLevel"]
    request = rng.choice((
        "Lock every door of my car that is still unlocked, and tell me how much fuel is left.",
        "Make sure all the car doors are locked, then tell me the fuel level in gallons.",
    ))  # fmt: skip
    turns = [
        [ToolCall("displayCarStatus", {"option": "doors"})],
        [ToolCall("lockDoors", {"unlock": False, "door": unlocked}),
         ToolCall("displayCarStatus", {"option": "fuel"})],
    ]  # fmt: skip
    answer = f"All doors are locked and there are {fuel} gallons of fuel."
    return ApiTask(VEHICLE, scenario, request, turns, answer, {"kind": "number", "value": fuel})


def climate_keep_fan(rng: random.Random) -> ApiTask:
    scenario = vehicle_scenario(rng)
    while True:  # a setting that differs from the current one, so there is work to do
        celsius = float(rng.randint(16, 28))
        mode = rng.choice(("cool", "heat", "auto", "defrost"))
        if (celsius, mode) != (scenario["acTemperature"], scenario["acMode"]):
            break
    fan = scenario["fanSpeed"]
    request = (
        f"Set the car's climate control to {mode} mode at {celsius:g} degrees Celsius without "
        "changing the current fan speed, and tell me the humidity."
    )
    turns = [
        [ToolCall("displayCarStatus", {"option": "climate"})],
        [ToolCall("adjustClimateControl", {"temperature": celsius, "unit": "celsius",
                                           "fanSpeed": fan, "mode": mode})],
    ]  # fmt: skip
    humidity = scenario["humidityLevel"]
    answer = f"Climate set to {mode} at {celsius:g} C with the fan kept at {fan}; humidity is {humidity}%."
    return ApiTask(VEHICLE, scenario, request, turns, answer,
                   {"kind": "number", "value": humidity})  # fmt: skip


# --- held-out: messaging -----------------------------------------------------------------
def send_message(rng: random.Random) -> ApiTask:
    scenario = message_scenario(rng)
    sender, receiver = rng.sample(sorted(scenario["user_map"]), 2)
    text = rng.choice(MESSAGES)
    request = rng.choice((
        f"I'm {sender}. Log me in to the messaging app and send {receiver} this message: \"{text}\"",
        f"This is {sender}; please sign me in and message {receiver} the following: \"{text}\"",
    ))  # fmt: skip
    ids = scenario["user_map"]
    turns = [
        [ToolCall("get_user_id", {"user": sender}), ToolCall("get_user_id", {"user": receiver})],
        [ToolCall("message_login", {"user_id": ids[sender]})],
        [ToolCall("send_message", {"receiver_id": ids[receiver], "message": text})],
    ]
    answer = f"Logged in as {sender} and sent {receiver} the message."
    return ApiTask("MessageAPI", scenario, request, turns, answer)


Family = Callable[[random.Random], ApiTask]
FAMILIES: dict[str, dict[str, Family]] = {
    "train": {f.__name__: f for f in (file_first_line, archive_by_type, sell_cheapest,
                                     cancel_pending)},
    "heldout": {f.__name__: f for f in (lock_and_fuel, climate_keep_fan, send_message)},
}  # fmt: skip
