"""Questions for the search environment: generated over the offline corpus, or a user's own.

Generated tasks (`generate_search_tasks`) ask about one split's entities of the corpus
`synthetic:SEED` (`corpus.py`); half need one search, half two, where the second query is
read from the first result:

| hops | family                   | question (about)                        | searches        |
| ---- | ------------------------ | --------------------------------------- | --------------- |
| 1    | employer                 | the company a person works for          | person          |
| 1    | birthplace, birth_year   | where / when a person was born          | person          |
| 1    | headquarters             | a company's headquarters city           | company         |
| 1    | founding_year, founder   | when / by whom a company was founded    | company         |
| 1    | city_country, city_river | a city's country / river                | city            |
| 2    | employer_headquarters    | where a person's employer is based      | person, company |
| 2    | employer_founding_year   | when a person's employer was founded    | person, company |
| 2    | birthplace_country       | the country a person was born in        | person, city    |
| 2    | founder_birthplace       | where a company's founder was born      | company, person |
| 2    | headquarters_country     | the country of a company's headquarters | company, city   |

A task is an `Example` like the synthetic world's: the question (plus a line asking for
the short answer: the outcome is exact match), the `search` tool, `reference_calls` (the
first search), the gold answer as `reference_response`, and `metadata`: `corpus` (the key
`build_corpus` takes), `family`, `hops`, `question`, `trajectory` (every turn's calls, as
dicts) and `expected` (`{"answer": {"kind": "qa", "values": [gold, ...]}}`). Task `i`
depends only on (seed, split, i); train and held-out tasks ask about disjoint entities.

A user's own tasks (`read_search_tasks`): a JSONL file (or JSON list) of
`{"question": ..., "answers": [...]}` rows (`"answer": "..."` for one), for an environment
built over the user's collection, `make_search(corpus=PATH)`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero.environments.search.corpus import SPLITS, Entities, build_corpus
from toolzero.environments.search.environment import SEARCH_SPEC
from toolzero.protocol.types import Example, Message, ToolCall
from toolzero.user_files import BadInputError, json_document, json_line, read_text

ANSWER_HINT = "Search the encyclopedia, then reply with only the short answer."


@dataclass
class SearchTask:
    """What a family builds: the question, each turn's search queries, the gold answers."""

    question: str
    queries: list[str]
    golds: list[str]


def corpus_key(seed: int) -> str:
    """The offline corpus a seed's tasks ask about."""
    return f"synthetic:{seed}"


def generate_search_tasks(n: int, seed: int = 0, split: str = "train") -> list[Example]:
    """`n` seeded questions about the `split`'s entities of the corpus `synthetic:SEED`."""
    if split not in SPLITS:
        raise BadInputError(f"search split must be one of {SPLITS}, got {split!r}")
    return [make_search_task(i, seed, split) for i in range(n)]


def make_search_task(index: int, seed: int, split: str) -> Example:
    """Task number `index`: its own RNG, independent of the tasks before it."""
    rng = random.Random(f"toolzero-search-task:{split}:{seed}:{index}")
    key = corpus_key(seed)
    entities = build_corpus(key).splits[split]
    hops = rng.choice((1, 2))
    family = rng.choice(sorted(FAMILIES[hops]))
    task = FAMILIES[hops][family](rng, entities)
    turns = [[ToolCall("search", {"query": query})] for query in task.queries]
    return Example(
        id=f"search-{split}-{seed}-{index}",
        tools=(SEARCH_SPEC,),
        messages=(Message("user", f"{task.question} {ANSWER_HINT}"),),
        reference_calls=tuple(turns[0]),
        reference_response=task.golds[0],
        source=f"search-{split}",
        metadata={
            "environment": "search",
            "corpus": key,
            "family": family,
            "hops": hops,
            "question": task.question,
            "trajectory": [[c.to_dict() for c in turn] for turn in turns],
            "expected": qa_expected(task.golds),
        },
    )


def qa_expected(golds: list[str]) -> dict[str, Any]:
    """The `expected` metadata of a question with these gold answers."""
    return {"answer": {"kind": "qa", "values": list(golds)}}


def read_search_tasks(path: str | Path) -> list[Example]:
    """A user's questions: JSONL (or a JSON list) of `{"question", "answers"}` rows."""
    fix = 'give JSONL rows {"question": "...", "answers": ["...", ...]}'
    text = read_text(path, "search tasks", fix)
    rows = (
        json_document(text, path)
        if text.lstrip().startswith("[")
        else [json_line(x, path, n) for n, x in enumerate(text.splitlines(), 1) if x.strip()]
    )
    tasks = []
    for n, row in enumerate(rows, start=1):
        question, golds = _question_and_answers(row)
        if question is None or not golds:
            raise BadInputError(f"{path} row {n}: needs a 'question' and 'answers'; {fix}")
        tasks.append(
            Example(
                id=str(row.get("id") or f"search-user-{n}"),
                tools=(SEARCH_SPEC,),
                messages=(Message("user", f"{question} {ANSWER_HINT}"),),
                reference_response=golds[0],
                source="search-user",
                metadata={
                    "environment": "search",
                    "question": question,
                    "expected": qa_expected(golds),
                },
            )
        )
    if not tasks:
        raise BadInputError(f"search tasks: no rows in {path}; {fix}")
    return tasks


def _question_and_answers(row: Any) -> tuple[str | None, list[str]]:
    if not isinstance(row, dict) or not isinstance(row.get("question"), str):
        return None, []
    answers = row.get("answers", row.get("answer"))
    answers = [answers] if isinstance(answers, str) else answers
    if not isinstance(answers, list) or not all(isinstance(a, str) and a for a in answers):
        return row["question"], []
    return row["question"], answers


# --- families: (rng, one split's entities) -> SearchTask ---------------------------------
def _employee(rng: random.Random, entities: Entities) -> str:
    return rng.choice(sorted(n for n, p in entities.people.items() if not p.founder))


def employer(rng: random.Random, e: Entities) -> SearchTask:
    person = e.people[_employee(rng, e)]
    company = e.companies[person.employer]
    return SearchTask(
        f"Which company does {person.name} work for?",
        [person.name],
        [company.name, company.short],
    )


def birthplace(rng: random.Random, e: Entities) -> SearchTask:
    person = e.people[rng.choice(sorted(e.people))]
    return SearchTask(f"In which city was {person.name} born?", [person.name], [person.birthplace])


def birth_year(rng: random.Random, e: Entities) -> SearchTask:
    person = e.people[rng.choice(sorted(e.people))]
    return SearchTask(f"In what year was {person.name} born?", [person.name], [str(person.born)])


def headquarters(rng: random.Random, e: Entities) -> SearchTask:
    company = e.companies[rng.choice(sorted(e.companies))]
    return SearchTask(
        f"In which city are the headquarters of {company.name}?",
        [company.name],
        [company.headquarters],
    )


def founding_year(rng: random.Random, e: Entities) -> SearchTask:
    company = e.companies[rng.choice(sorted(e.companies))]
    return SearchTask(
        f"In what year was {company.name} founded?", [company.name], [str(company.founded)]
    )


def founder(rng: random.Random, e: Entities) -> SearchTask:
    company = e.companies[rng.choice(sorted(e.companies))]
    return SearchTask(f"Who founded {company.name}?", [company.name], [company.founder])


def city_country(rng: random.Random, e: Entities) -> SearchTask:
    city = e.cities[rng.choice(sorted(e.cities))]
    return SearchTask(f"In which country is the city of {city.name}?", [city.name], [city.country])


def city_river(rng: random.Random, e: Entities) -> SearchTask:
    city = e.cities[rng.choice(sorted(e.cities))]
    return SearchTask(
        f"Which river does {city.name} lie on?", [city.name], [f"{city.river} River", city.river]
    )


def employer_headquarters(rng: random.Random, e: Entities) -> SearchTask:
    person = e.people[_employee(rng, e)]
    company = e.companies[person.employer]
    return SearchTask(
        f"In which city is the company that {person.name} works for headquartered?",
        [person.name, company.name],
        [company.headquarters],
    )


def employer_founding_year(rng: random.Random, e: Entities) -> SearchTask:
    person = e.people[_employee(rng, e)]
    company = e.companies[person.employer]
    return SearchTask(
        f"In what year was the company {person.name} works for founded?",
        [person.name, company.name],
        [str(company.founded)],
    )


def birthplace_country(rng: random.Random, e: Entities) -> SearchTask:
    person = e.people[rng.choice(sorted(e.people))]
    city = e.cities[person.birthplace]
    return SearchTask(
        f"In which country was {person.name} born?", [person.name, city.name], [city.country]
    )


def founder_birthplace(rng: random.Random, e: Entities) -> SearchTask:
    company = e.companies[rng.choice(sorted(e.companies))]
    person = e.people[company.founder]
    return SearchTask(
        f"In which city was the founder of {company.name} born?",
        [company.name, person.name],
        [person.birthplace],
    )


def headquarters_country(rng: random.Random, e: Entities) -> SearchTask:
    company = e.companies[rng.choice(sorted(e.companies))]
    city = e.cities[company.headquarters]
    return SearchTask(
        f"In which country are the headquarters of {company.name}?",
        [company.name, city.name],
        [city.country],
    )


Family = Callable[[random.Random, Entities], SearchTask]
FAMILIES: dict[int, dict[str, Family]] = {
    1: {f.__name__: f for f in (employer, birthplace, birth_year, headquarters, founding_year,
                               founder, city_country, city_river)},
    2: {f.__name__: f for f in (employer_headquarters, employer_founding_year,
                               birthplace_country, founder_birthplace, headquarters_country)},
}  # fmt: skip
