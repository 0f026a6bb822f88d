"""The synthetic world's executable tools, split as the offline library is: train and
held-out tools are disjoint, so held-out episodes measure tool use on unseen tools.

Tools the offline library already has (`toolzero.data.synthetic.tools_train` /
`tools_heldout`) keep their spec byte for byte; the world adds the tools multi-step tasks
need: ones that return ids (`find_account`, `list_events`, `find_shipment`, ...) and ones
that act on them (`transfer_money`, `cancel_event`, ...). Each function takes the episode
state and the call's arguments, returns JSON data, and raises `ToolFailure` with a message
the model can act on when the request cannot be served.

Not every offline tool is executable yet: the ones here are those the world's tasks use,
plus a few pure ones (`calculate_tip`, `is_prime`, `split_bill`, ...) offered as
distractors.
"""

from __future__ import annotations

from typing import Any

from toolzero.data.synthetic.tools_heldout import HELDOUT_TOOLS
from toolzero.data.synthetic.tools_train import TRAIN_TOOLS
from toolzero.environments.base import EpisodeState, Tool, ToolFailure
from toolzero.environments.synthetic_world.world import World
from toolzero.protocol.types import ToolSpec

OFFLINE = {t.name: t for t in (*TRAIN_TOOLS, *HELDOUT_TOOLS)}


def offline_spec(name: str) -> ToolSpec:
    return OFFLINE[name].spec()


def new_spec(name: str, description: str, **params: tuple[str, str]) -> ToolSpec:
    """A spec for a world-only tool; every parameter `name=(type, description)` is required."""
    properties = {k: {"type": t, "description": d} for k, (t, d) in params.items()}
    schema = {"type": "object", "properties": properties, "required": list(params)}
    return ToolSpec(name, description, schema)


def _world(state: EpisodeState) -> World:
    return state.world


def _known(value: str, table: dict[str, Any], what: str) -> None:
    if value not in table:
        raise ToolFailure(f"no {what} {value!r}")


# --- train: accounts -------------------------------------------------------------------
def find_account(state: EpisodeState, owner: str) -> dict[str, Any]:
    account = _world(state).account_of(owner)
    if account is None:
        raise ToolFailure(f"no account for owner {owner!r}")
    return {"account_id": account, "owner": owner}


def get_balance(state: EpisodeState, account_id: str) -> dict[str, Any]:
    accounts = _world(state).accounts
    _known(account_id, accounts, "account")
    return {"account_id": account_id, "balance": accounts[account_id]["balance"], "currency": "USD"}


def transfer_money(
    state: EpisodeState, from_account: str, to_account: str, amount: float
) -> dict[str, Any]:
    accounts = _world(state).accounts
    _known(from_account, accounts, "account")
    _known(to_account, accounts, "account")
    if from_account == to_account or amount <= 0:
        raise ToolFailure("a transfer needs two different accounts and an amount above 0")
    if accounts[from_account]["balance"] < amount:
        raise ToolFailure(f"insufficient funds in {from_account}")
    accounts[from_account]["balance"] = round(accounts[from_account]["balance"] - amount, 2)
    accounts[to_account]["balance"] = round(accounts[to_account]["balance"] + amount, 2)
    return {"status": "completed", "from_account": from_account, "to_account": to_account}


# --- train: markets and weather --------------------------------------------------------
def get_stock_price(state: EpisodeState, symbol: str) -> dict[str, Any]:
    stocks = _world(state).stocks
    _known(symbol, stocks, "stock with symbol")
    return {"symbol": symbol, "price": stocks[symbol], "currency": "USD"}


def exchange_rate(world: World, base: str, quote: str) -> float:
    _known(base, world.rates, "currency")
    _known(quote, world.rates, "currency")
    return round(world.rates[quote] / world.rates[base], 4)


def get_exchange_rate(state: EpisodeState, base: str, quote: str) -> dict[str, Any]:
    return {"base": base, "quote": quote, "rate": exchange_rate(_world(state), base, quote)}


def converted(world: World, amount: float, from_currency: str, to_currency: str) -> float:
    return round(amount * exchange_rate(world, from_currency, to_currency), 2)


def convert_currency(
    state: EpisodeState, amount: float, from_currency: str, to_currency: str
) -> dict[str, Any]:
    value = converted(_world(state), amount, from_currency, to_currency)
    return {"amount": value, "currency": to_currency}


def get_weather(state: EpisodeState, city: str, unit: str = "celsius") -> dict[str, Any]:
    weather = _world(state).weather
    _known(city, weather, "weather data for")
    celsius = weather[city]["celsius"]
    value = celsius if unit == "celsius" else round(celsius * 9 / 5 + 32, 1)
    return {
        "city": city,
        "temperature": value,
        "unit": unit,
        "condition": weather[city]["condition"],
    }


# --- train: calendar and orders --------------------------------------------------------
def list_events(state: EpisodeState, date: str) -> list[dict[str, Any]]:
    events = _world(state).events.items()
    return [
        {"event_id": i, "title": e["title"], "time": e["time"]}
        for i, e in sorted(events, key=lambda item: item[1]["time"])
        if e["date"] == date and not e["cancelled"]
    ]


def cancel_event(state: EpisodeState, event_id: str) -> dict[str, Any]:
    events = _world(state).events
    _known(event_id, events, "event")
    if events[event_id]["cancelled"]:
        raise ToolFailure(f"event {event_id} is already cancelled")
    events[event_id]["cancelled"] = True
    return {"event_id": event_id, "status": "cancelled"}


def create_event(state: EpisodeState, title: str, date: str, time: str = "09:00") -> dict[str, Any]:
    events = _world(state).events
    event_id = f"EV-{1000 + len(events)}"
    events[event_id] = {"title": title, "date": date, "time": time, "cancelled": False}
    return {"event_id": event_id, "status": "created"}


def list_orders(state: EpisodeState, customer: str) -> list[dict[str, Any]]:
    return [
        {"order_id": i, "product": o["product"], "price": o["price"], "status": o["status"]}
        for i, o in _world(state).orders.items()
        if o["customer"] == customer
    ]


def cancel_order(state: EpisodeState, order_id: str) -> dict[str, Any]:
    orders = _world(state).orders
    _known(order_id, orders, "order")
    if orders[order_id]["status"] == "cancelled":
        raise ToolFailure(f"order {order_id} is already cancelled")
    orders[order_id]["status"] = "cancelled"
    return {"order_id": order_id, "status": "cancelled"}


def send_message(state: EpisodeState, contact: str, text: str) -> dict[str, Any]:
    _world(state).sent.append({"contact": contact, "text": text})
    return {"status": "sent", "contact": contact}


def calculate_tip(state: EpisodeState, bill: float, percent: int) -> dict[str, Any]:
    tip = round(bill * percent / 100, 2)
    return {"tip": tip, "total": round(bill + tip, 2)}


def is_prime(state: EpisodeState, number: int) -> dict[str, Any]:
    prime = number > 1 and all(number % d for d in range(2, int(number**0.5) + 1))
    return {"number": number, "is_prime": prime}


# --- held-out: parcels and home --------------------------------------------------------
def find_shipment(state: EpisodeState, shop: str) -> dict[str, Any]:
    for tracking, s in _world(state).shipments.items():
        if s["shop"].casefold() == shop.casefold():
            return {"shop": s["shop"], "tracking_number": tracking, "carrier": s["carrier"]}
    raise ToolFailure(f"no shipment from {shop!r}")


def track_package(state: EpisodeState, tracking_number: str, carrier: str = "") -> dict[str, Any]:
    shipments = _world(state).shipments
    _known(tracking_number, shipments, "parcel with tracking number")
    s = shipments[tracking_number]
    if carrier and carrier != s["carrier"]:
        raise ToolFailure(f"{carrier} has no parcel {tracking_number}")
    return {"tracking_number": tracking_number, "status": s["status"], "location": s["location"]}


def _room(state: EpisodeState, room: str) -> dict[str, Any]:
    rooms = _world(state).rooms
    if room not in rooms:
        raise ToolFailure(f"no room {room!r} in this home; rooms: {', '.join(sorted(rooms))}")
    return rooms[room]


def get_room_temperature(state: EpisodeState, room: str) -> dict[str, Any]:
    r = _room(state, room)
    return {"room": room, "temperature_celsius": r["celsius"], "thermostat_target": r["target"]}


def set_thermostat(state: EpisodeState, room: str, celsius: int) -> dict[str, Any]:
    _room(state, room)["target"] = celsius
    return {"room": room, "thermostat_target": celsius, "status": "set"}


def list_devices(state: EpisodeState, room: str) -> list[dict[str, Any]]:
    return [{"device": d, "on": on} for d, on in _room(state, room)["devices"].items()]


def switch_device(state: EpisodeState, device: str, room: str, on: bool) -> dict[str, Any]:
    devices = _room(state, room)["devices"]
    if device not in devices:
        raise ToolFailure(f"no {device!r} in the {room}; devices: {', '.join(devices)}")
    devices[device] = on
    return {"room": room, "device": device, "on": on}


def split_bill(state: EpisodeState, total: float, people: int) -> dict[str, Any]:
    if people < 1:
        raise ToolFailure("people must be at least 1")
    return {"per_person": round(total / people, 2)}


def count_steps_goal(state: EpisodeState, age: int) -> dict[str, Any]:
    return {"daily_steps": 10000 if age < 40 else 8000 if age < 65 else 7000}


TRAIN_WORLD_TOOLS = (
    Tool(new_spec("find_account", "Find a customer's bank account id.",
                  owner=("string", "Account owner's first name")), find_account),
    Tool(new_spec("get_balance", "Balance of a bank account in USD.",
                  account_id=("string", "Account id, e.g. ACC-1234")), get_balance),
    Tool(new_spec("transfer_money", "Move money between two bank accounts.",
                  from_account=("string", "Account id to take the money from"),
                  to_account=("string", "Account id to pay into"),
                  amount=("number", "Amount in USD")), transfer_money),
    Tool(new_spec("list_events", "Calendar events on a date, with their ids.",
                  date=("string", "Date, YYYY-MM-DD")), list_events),
    Tool(new_spec("cancel_event", "Cancel a calendar event.",
                  event_id=("string", "Event id, e.g. EV-123")), cancel_event),
    Tool(new_spec("list_orders", "A customer's shop orders, with their ids.",
                  customer=("string", "Customer's first name")), list_orders),
    Tool(new_spec("cancel_order", "Cancel a shop order.",
                  order_id=("string", "Order id, e.g. ORD-12345")), cancel_order),
    Tool(offline_spec("get_weather"), get_weather),
    Tool(offline_spec("get_stock_price"), get_stock_price),
    Tool(offline_spec("get_exchange_rate"), get_exchange_rate),
    Tool(offline_spec("convert_currency"), convert_currency),
    Tool(offline_spec("create_event"), create_event),
    Tool(offline_spec("send_message"), send_message),
    Tool(offline_spec("calculate_tip"), calculate_tip),
    Tool(offline_spec("is_prime"), is_prime),
)  # fmt: skip

HELDOUT_WORLD_TOOLS = (
    Tool(new_spec("find_shipment", "Find the parcel a shop sent, with its tracking number.",
                  shop=("string", "Shop name")), find_shipment),
    Tool(new_spec("get_room_temperature", "Current temperature and thermostat target of a room.",
                  room=("string", "Room name")), get_room_temperature),
    Tool(new_spec("list_devices", "Devices in a room and whether each is on.",
                  room=("string", "Room name")), list_devices),
    Tool(offline_spec("track_package"), track_package),
    Tool(offline_spec("set_thermostat"), set_thermostat),
    Tool(offline_spec("switch_device"), switch_device),
    Tool(offline_spec("split_bill"), split_bill),
    Tool(offline_spec("count_steps_goal"), count_steps_goal),
)  # fmt: skip

WORLD_TOOLS = {"train": TRAIN_WORLD_TOOLS, "heldout": HELDOUT_WORLD_TOOLS}
