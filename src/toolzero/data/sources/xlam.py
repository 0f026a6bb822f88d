"""xLAM / APIGen (`Salesforce/xlam-function-calling-60k`) and Hammer's irrelevance set
(`MadeAgents/xlam-irrelevance-7.5k`): `{"id", "query", "tools", "answers"}` rows, where
`tools` and `answers` are JSON text (lists of specs and of `{"name", "arguments"}` calls).

An empty `answers` list means no offered tool fits (Hammer removed the needed tool); the
reference becomes a response saying so. Hammer's *masked* variant is this data with its
function and parameter names replaced by random strings: load it with format `hammer` and
the `mask` augmentation (`toolzero.data.augment.masking`), which is how ToolRL built it.
"""

from __future__ import annotations

from typing import Any

from toolzero.data.report import RowError
from toolzero.data.sources.dialogue import IRRELEVANT_RESPONSE, calls_from, tools_from
from toolzero.protocol.types import Example, Message


def convert_xlam(record: dict[str, Any], row: int, source: str, **_: Any) -> list[Example]:
    query = record.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RowError("missing query")
    if "answers" not in record or "tools" not in record:
        raise RowError("missing tools or answers")
    tools = tools_from(record["tools"])
    calls = calls_from(record["answers"], "answers")
    return [
        Example(
            id=f"{source}-{record.get('id', row)}",
            tools=tools,
            messages=(Message("user", query),),
            reference_calls=calls,
            reference_response=None if calls else IRRELEVANT_RESPONSE,
            source=source,
            metadata={} if calls else {"irrelevance": True},
        )
    ]
