"""The offline corpus: short encyclopedia entries about fictional cities, companies and people.

    corpus = build_corpus("synthetic:0")
    corpus.splits["train"].people["Yara Yormar"]   # Person(..., employer='Istnor Pharmaceuticals')
    corpus.documents()                              # [SearchHit(title, text), ...]

The corpus is the search environment's default collection (no download, no network) and
the source of its tasks (`tasks.py`). Everything depends only on the key, so a task that
carries `metadata["corpus"]` rebuilds the same collection in any process.

Each split has its own entities (countries, cities, companies, people) and no name is
shared between splits: held-out questions ask about entities a model never saw in
training. Both splits' entries sit in one collection, so each is a distractor for the
other. Names are coined from syllables (every coined word is used once per corpus), so a
fact cannot be recalled from pre-training and a name's words point at one entity only.

Facts, one entry per entity:
- a city lies in a country, on a river, with a population;
- a company has an industry, a founding year, a founder (a person) and a headquarters city;
- a person has an occupation, a birthplace (city), a birth year and an employer (company);
  a founder's entry names the company they founded (born 25-45 years before it) instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from toolzero.environments.search.index import SearchHit

SPLITS = ("train", "heldout")
SYLLABLES = (
    "bar", "bel", "cor", "dal", "dov", "fen", "gar", "hal", "ist", "jor", "kel", "lin", "mar",
    "nor", "orv", "pel", "quin", "ros", "sel", "tor", "ulm", "var", "wen", "yor", "zan", "brem",
    "cald", "drav", "esk", "thal",
)  # fmt: skip
FIRST_NAMES = (
    "Ilsa", "Orm", "Tavi", "Bren", "Cael", "Dara", "Elin", "Fenn", "Iva", "Joss", "Kira", "Lio",
    "Maro", "Nell", "Oska", "Pia", "Rue", "Sten", "Tova", "Ulla", "Vero", "Wren", "Yara", "Zeb",
)  # fmt: skip
OCCUPATIONS = (
    "chemist", "architect", "engineer", "translator", "pilot", "economist", "surgeon",
    "geologist", "composer", "accountant", "librarian", "botanist",
)  # fmt: skip
# (adjective in the entry, the word that ends the company's name)
INDUSTRIES = (
    ("shipping", "Shipping"), ("textile", "Textiles"), ("software", "Software"),
    ("food", "Foods"), ("mining", "Mining"), ("aircraft", "Aeronautics"),
    ("pharmaceutical", "Pharmaceuticals"), ("glass", "Glassworks"),
)  # fmt: skip
CITY_SUFFIXES = ("holm", "ford", "by", "stad", "mouth", "haven", "wick", "dale")
COUNTRY_SUFFIXES = ("ia", "land", "mark", "ora")
# entities per split
COUNTRIES, CITIES, COMPANIES, EMPLOYEES = 3, 6, 8, 24


@dataclass(frozen=True)
class City:
    name: str
    country: str
    river: str
    population: int


@dataclass(frozen=True)
class Company:
    name: str  # "Istnor Pharmaceuticals"
    short: str  # "Istnor": also accepted as the answer
    industry: str
    founded: int
    founder: str
    headquarters: str


@dataclass(frozen=True)
class Person:
    name: str
    occupation: str
    birthplace: str
    born: int
    employer: str  # for a founder, the company they founded
    founder: bool = False


@dataclass(frozen=True)
class Entities:
    """One split's entities, by name."""

    cities: dict[str, City]
    companies: dict[str, Company]
    people: dict[str, Person]

    def names(self) -> set[str]:
        """Every entity name and every place or river named in this split's entries."""
        places = {c.country for c in self.cities.values()} | {c.river for c in self.cities.values()}
        return {*self.cities, *self.companies, *self.people, *places}


@dataclass(frozen=True)
class Corpus:
    key: str
    splits: dict[str, Entities]

    def documents(self) -> list[SearchHit]:
        """One entry per city, company and person of both splits, in a fixed order."""
        docs = []
        for split in SPLITS:
            entities = self.splits[split]
            docs += [city_entry(c) for c in entities.cities.values()]
            docs += [company_entry(c) for c in entities.companies.values()]
            docs += [person_entry(p) for p in entities.people.values()]
        return docs


def city_entry(city: City) -> SearchHit:
    return SearchHit(
        city.name,
        f"{city.name} is a city in {city.country}, on the {city.river} River. "
        f"It has about {city.population:,} inhabitants.",
    )


def company_entry(company: Company) -> SearchHit:
    return SearchHit(
        company.name,
        f"{company.name} is a {company.industry} company founded in {company.founded} by "
        f"{company.founder}. Its headquarters are in {company.headquarters}.",
    )


def person_entry(person: Person) -> SearchHit:
    article = "an" if person.occupation[0] in "aeiou" else "a"
    surname = person.name.split()[-1]
    work = "founded" if person.founder else "works for"
    return SearchHit(
        person.name,
        f"{person.name} is {article} {person.occupation} born in {person.birthplace} in "
        f"{person.born}. {surname} {work} {person.employer}.",
    )


@lru_cache(maxsize=8)
def build_corpus(key: str) -> Corpus:
    """The corpus for `key` (any string; tasks use "synthetic:SEED"); same key, same corpus."""
    rng = random.Random(f"toolzero-search-corpus:{key}")
    coined: set[str] = set()
    return Corpus(key, {split: _split_entities(rng, coined) for split in SPLITS})


def _coin(rng: random.Random, coined: set[str], suffix: str = "") -> str:
    """A new two-syllable word, never used before in this corpus."""
    while True:
        first, second = rng.sample(SYLLABLES, 2)
        word = (first + second).capitalize()
        if word not in coined:
            coined.add(word)
            return word + suffix


def _split_entities(rng: random.Random, coined: set[str]) -> Entities:
    countries = [_coin(rng, coined, rng.choice(COUNTRY_SUFFIXES)) for _ in range(COUNTRIES)]
    cities = {}
    for _ in range(CITIES):
        name = _coin(rng, coined, rng.choice(CITY_SUFFIXES))
        population = rng.randint(20, 2000) * 1000
        cities[name] = City(name, rng.choice(countries), _coin(rng, coined), population)
    city_names = sorted(cities)
    companies, people = {}, {}
    for _ in range(COMPANIES):
        short = _coin(rng, coined)
        industry, word = rng.choice(INDUSTRIES)
        founded = rng.randint(1890, 2010)
        name, born = f"{short} {word}", founded - rng.randint(25, 45)
        founder = _person(rng, coined, city_names, name, "entrepreneur", born, founder=True)
        people[founder.name] = founder
        headquarters = rng.choice(city_names)
        companies[name] = Company(name, short, industry, founded, founder.name, headquarters)
    for _ in range(EMPLOYEES):
        employer, occupation = rng.choice(sorted(companies)), rng.choice(OCCUPATIONS)
        person = _person(rng, coined, city_names, employer, occupation, rng.randint(1950, 2000))
        people[person.name] = person
    return Entities(cities, companies, people)


def _person(
    rng: random.Random,
    coined: set[str],
    cities: list[str],
    employer: str,
    occupation: str,
    born: int,
    founder: bool = False,
) -> Person:
    name = f"{rng.choice(FIRST_NAMES)} {_coin(rng, coined)}"
    return Person(name, occupation, rng.choice(cities), born, employer, founder)
