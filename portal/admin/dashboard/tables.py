"""What the dashboard shows is a list of tables: each drawn as HTML (beside its chart) and all of
them written into the one CSV download, with the headers in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.formatting import day, rupiah

# How a column's values are shown: "text", "int", "money" (rupiah), "minutes", "day", "pct".
KINDS = ("text", "int", "money", "minutes", "day", "pct")


@dataclass(frozen=True)
class Column:
    label: Any  # lazy string: translated when shown
    kind: str = "int"
    key: str = ""  # set on sortable columns: the `sort` parameter that orders by it


@dataclass
class Table:
    key: str  # the section anchor, and the CSV's table name
    title: Any
    columns: Sequence[Column]
    rows: list[tuple] = field(default_factory=list)
    empty: Any = ""  # what the page says when there are no rows
    sort: str = ""  # the column key the rows are ordered by, for sortable tables

    def cell(self, index: int, value: Any) -> str:
        return show(self.columns[index].kind, value)


def show(kind: str, value: Any) -> str:
    if value is None:
        return "–"
    if kind == "money":
        return rupiah(value)
    if kind == "minutes":
        return f"{value:.0f}"
    if kind == "day" and isinstance(value, date):
        return day(value)
    if kind == "pct":
        return f"{value:.0f}%"
    return str(value)


def raw(kind: str, value: Any) -> str:
    """A CSV cell: numbers as plain numbers (a spreadsheet sums them), days as ISO dates."""
    if value is None:
        return ""
    if kind == "minutes":
        return f"{value:.1f}"
    if kind == "pct":
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(tables: Sequence[Table], *, heading: Sequence[str] = ()) -> str:
    """Every table in one file: its title on a line, the header row, the rows, a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    if heading:
        writer.writerow(list(heading))
        writer.writerow([])
    for table in tables:
        writer.writerow([str(table.title)])
        writer.writerow([str(c.label) for c in table.columns])
        for row in table.rows:
            writer.writerow([raw(c.kind, v) for c, v in zip(table.columns, row, strict=True)])
        writer.writerow([])
    return out.getvalue()
