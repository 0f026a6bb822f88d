"""Value pools for the synthetic tasks: what a request says, and what the call receives.

`draw(pool, rng)` returns `(surface, value)`: the words written into the request and the
argument value the reference call carries. Usually they are the same string; a pool of
pairs maps a spoken form to a canonical value ("US dollars" -> "USD"), and the generated
kinds turn spec strings into values:

- `int:LO:HI` an integer (surface = digits); `num:LO:HI` a number with one decimal;
- `date` a 2025 date, written "March 14, 2025", passed as "2025-03-14";
- `time` a time of day, "7:30 pm" -> "19:30";
- `list:POOL:K` K distinct values of POOL, written "a, b and c", passed as a list.
"""

from __future__ import annotations

import random
from typing import Any

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

POOLS: dict[str, tuple[Any, ...]] = {
    "city": (
        "Oslo", "Paris", "Tokyo", "Lima", "Nairobi", "Toronto", "Madrid", "Seoul", "Cairo",
        "Sydney", "Berlin", "Chicago", "Mumbai", "Lisbon", "Denver", "Hanoi", "Dublin",
        "Austin", "Prague", "Bogota", "Vienna", "Osaka", "Boston", "Athens",
    ),
    "country": (
        "Japan", "Brazil", "Kenya", "Canada", "Norway", "India", "Mexico", "Spain", "Egypt",
        "Peru", "Vietnam", "Ireland", "Portugal", "Chile",
    ),
    "currency": (
        ("US dollars", "USD"), ("euros", "EUR"), ("yen", "JPY"), ("British pounds", "GBP"),
        ("Swiss francs", "CHF"), ("Canadian dollars", "CAD"), ("rupees", "INR"),
        ("pesos", "MXN"), ("Australian dollars", "AUD"), ("kroner", "NOK"),
    ),
    "language": (
        ("French", "fr"), ("Spanish", "es"), ("German", "de"), ("Japanese", "ja"),
        ("Italian", "it"), ("Portuguese", "pt"), ("Korean", "ko"), ("Dutch", "nl"),
    ),
    "phrase": (
        "good morning", "where is the train station", "thank you very much", "I am lost",
        "how much does this cost", "see you tomorrow", "the bill, please", "happy birthday",
    ),
    "person": (
        "Maria", "Ken", "Aisha", "Tom", "Lena", "Ravi", "Sofia", "Omar", "Grace", "Diego",
        "Mei", "Jonas", "Priya", "Sam",
    ),
    "email": (
        "maria@example.com", "ken.sato@example.org", "aisha@mail.example", "tom@example.net",
        "lena.b@example.com", "ravi@work.example", "grace@example.org",
    ),
    "ticker": (
        ("Apple", "AAPL"), ("Microsoft", "MSFT"), ("Tesla", "TSLA"), ("Amazon", "AMZN"),
        ("Nvidia", "NVDA"), ("Google", "GOOGL"), ("Netflix", "NFLX"), ("Intel", "INTC"),
    ),
    "crypto": (("bitcoin", "BTC"), ("ether", "ETH"), ("solana", "SOL"), ("dogecoin", "DOGE")),
    "cuisine": ("Thai", "Italian", "Mexican", "Indian", "Japanese", "Greek", "vegan", "Korean"),
    "ingredient": (
        "chicken", "tofu", "rice", "spinach", "mushrooms", "lentils", "salmon", "eggs",
        "tomatoes", "potatoes", "chickpeas", "beef",
    ),
    "genre": ("jazz", "rock", "classical", "hip hop", "country", "reggae", "blues", "techno"),
    "artist": (
        "Adele", "Miles Davis", "Taylor Swift", "Daft Punk", "Bob Marley", "Nina Simone",
        "Radiohead", "Beyonce",
    ),
    "song": (
        "Hey Jude", "Bohemian Rhapsody", "Clair de Lune", "Imagine", "Yesterday",
        "Purple Rain", "Hallelujah", "Wonderwall",
    ),
    "movie": (
        "Inception", "Casablanca", "Spirited Away", "The Matrix", "Parasite", "Amelie",
        "Jaws", "Up", "Arrival", "Heat",
    ),
    "team": (
        "Lakers", "Arsenal", "Yankees", "Real Madrid", "Celtics", "Juventus", "Packers",
        "Ajax", "Dodgers",
    ),
    "sport": ("football", "basketball", "tennis", "cricket", "baseball", "hockey"),
    "topic": (
        "climate", "elections", "space exploration", "electric cars", "AI", "the economy",
        "healthcare", "renewable energy",
    ),
    "product": (
        "running shoes", "a coffee grinder", "wireless earbuds", "a yoga mat", "a desk lamp",
        "a backpack", "a water bottle", "a phone charger",
    ),
    "activity": ("running", "cycling", "swimming", "walking", "yoga", "rowing"),
    "unit_length": (("kilometers", "km"), ("miles", "mi"), ("meters", "m"), ("feet", "ft")),
    "unit_weight": (("kilograms", "kg"), ("pounds", "lb"), ("grams", "g"), ("ounces", "oz")),
    "temp_unit": (("Celsius", "celsius"), ("Fahrenheit", "fahrenheit")),
    "transport": (("driving", "driving"), ("walking", "walking"), ("by bike", "cycling"),
                  ("by transit", "transit")),
    "word": ("serendipity", "ephemeral", "ubiquitous", "resilient", "candid", "lucid",
             "meticulous", "gregarious"),
    "timezone_city": ("London", "New York", "Singapore", "Los Angeles", "Dubai", "Auckland"),
    "reminder": (
        "call the dentist", "water the plants", "pay the rent", "pick up the kids",
        "submit the report", "buy milk", "renew my passport",
    ),
    "meeting": ("team sync", "budget review", "project kickoff", "one-on-one", "design review"),
    "airport": (
        ("Oslo", "OSL"), ("Paris", "CDG"), ("Tokyo", "HND"), ("Lima", "LIM"),
        ("Toronto", "YYZ"), ("Madrid", "MAD"), ("Chicago", "ORD"), ("Lisbon", "LIS"),
        ("Dublin", "DUB"), ("Boston", "BOS"),
    ),
    "cabin": (("economy", "economy"), ("business class", "business"), ("first class", "first")),
    "sort_order": (("cheapest first", "price"), ("best rated first", "rating")),
    "on_off": (("on", True), ("off", False)),
    "remote": (("remote", True),),
    # held-out vocabulary: used only by held-out tools, so that their values are new too
    "book": (
        "Dune", "Beloved", "Middlemarch", "The Hobbit", "Frankenstein", "Emma", "Ulysses",
        "Persuasion",
    ),
    "author": ("Toni Morrison", "Jane Austen", "Ursula Le Guin", "Chinua Achebe", "Mary Shelley"),
    "tracking": ("1Z999AA10123456784", "9400110200881234567890", "LX123456789DE", "RR987654321CN"),
    "carrier": (("UPS", "ups"), ("FedEx", "fedex"), ("DHL", "dhl"), ("USPS", "usps")),
    "room": ("living room", "kitchen", "bedroom", "office", "garage", "hallway"),
    "device": ("lights", "heater", "fan", "speaker", "air purifier"),
    "plant": ("basil", "tomatoes", "roses", "ferns", "orchids", "cucumbers", "lavender"),
    "pet": (("dog", "dog"), ("cat", "cat"), ("rabbit", "rabbit"), ("parrot", "bird")),
    "job_title": ("data analyst", "nurse", "electrician", "graphic designer", "teacher", "chef"),
    "specialty": ("dermatology", "cardiology", "pediatrics", "dentistry", "physiotherapy"),
    "planet": ("Mars", "Jupiter", "Venus", "Saturn", "Mercury"),
    "course_subject": ("statistics", "Spanish", "piano", "Python", "watercolor", "chemistry"),
    "car_class": (("compact car", "compact"), ("SUV", "suv"), ("minivan", "minivan"),
                  ("convertible", "convertible")),
    "podcast_topic": ("history", "true crime", "science", "comedy", "startups", "philosophy"),
}  # fmt: skip


def _date(rng: random.Random) -> tuple[str, str]:
    month = rng.randrange(12)
    day = rng.randint(1, 28)
    return f"{MONTHS[month]} {day}, 2025", f"2025-{month + 1:02d}-{day:02d}"


def _time(rng: random.Random) -> tuple[str, str]:
    hour = rng.randint(7, 21)
    minute = rng.choice((0, 15, 30, 45))
    suffix = "am" if hour < 12 else "pm"
    spoken = f"{(hour - 1) % 12 + 1}:{minute:02d} {suffix}"
    return spoken, f"{hour:02d}:{minute:02d}"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def draw(pool: str, rng: random.Random) -> tuple[str, Any]:
    """One `(surface, value)` from a pool name or a generated-kind spec.

    >>> draw("int:3:3", random.Random(0))
    ('3', 3)
    >>> draw("currency", random.Random(1))[1] in {"USD", "EUR", "JPY", "GBP", "CHF", "CAD", "INR", "MXN", "AUD", "NOK"}
    True
    """
    kind, _, rest = pool.partition(":")
    if kind == "int":
        lo, hi = (int(x) for x in rest.split(":"))
        n = rng.randint(lo, hi)
        return str(n), n
    if kind == "num":
        lo, hi = (float(x) for x in rest.split(":"))
        x = round(rng.uniform(lo, hi), 1)
        return f"{x:g}", x
    if kind == "date":
        return _date(rng)
    if kind == "time":
        return _time(rng)
    if kind == "list":
        name, k = rest.split(":")
        items = rng.sample(POOLS[name], int(k))
        pairs = [i if isinstance(i, tuple) else (i, i) for i in items]
        return _join([s for s, _ in pairs]), [v for _, v in pairs]
    if pool not in POOLS:
        raise KeyError(f"unknown value pool {pool!r}")
    item = rng.choice(POOLS[pool])
    return item if isinstance(item, tuple) else (item, item)
