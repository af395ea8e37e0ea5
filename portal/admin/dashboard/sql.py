"""The three SQL pieces every dashboard query is made of, compiled per dialect.

- `wib_day(column)`: the WIB calendar day of a UTC timestamp. WIB is UTC+7 all year (no summer
  time), so SQLite shifts by seven hours and takes the date; PostgreSQL converts the timestamptz
  to Asia/Jakarta and casts. Both come back as a `date`.
- `seconds_between(start, end)`: the duration in seconds, as a float.
- `percentile(p, value, partition)`: the `percentile_cont` of `value` per group.
  PostgreSQL has it as an ordered-set aggregate. SQLite has none, so each row is ranked in its
  group by a window function (`row_number()` and `count()` over the group, in a subquery) and the
  outer query keeps the one or two rows around position p*(n-1), interpolated exactly as
  `percentile_cont` does. One statement either way, and the database only hands back one row per
  group: no rows travel to Python to be sorted there.
"""

from __future__ import annotations

from sqlalchemy import Date, Float, Integer, String, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class wib_day(FunctionElement):
    type = Date()
    inherit_cache = True


@compiles(wib_day)
def _wib_day_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(wib_day, "postgresql")
def _wib_day_postgresql(element, compiler, **kw) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Jakarta' AS DATE)"


class seconds_between(FunctionElement):
    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end}) - ({start}))"


def percentiles(source, value: str, keys: list[str], dialect: str, ps: tuple[float, ...] = (0.5, 0.9)):
    """SELECT keys..., count, percentile_cont(p) for each p ... FROM source GROUP BY keys.

    `source` is a subquery with the `keys` columns and a numeric `value` column.
    """
    group = [source.c[k] for k in keys]
    if dialect == "postgresql":
        column = source.c[value]
        pcts = [func.percentile_cont(p).within_group(column).label(f"p{int(p * 100)}") for p in ps]
        return select(*group, func.count().label("n"), *pcts).group_by(*group)
    ranked = select(
        *group,
        source.c[value].label("v"),
        (func.row_number().over(partition_by=group, order_by=source.c[value]) - 1).label("i"),
        func.count().over(partition_by=group).label("n"),
    ).subquery("ranked")
    keys_ranked = [ranked.c[k] for k in keys]
    return select(
        *keys_ranked,
        func.max(ranked.c.n).label("n"),
        *(_interpolated(ranked, p).label(f"p{int(p * 100)}") for p in ps),
    ).group_by(*keys_ranked)


def _interpolated(ranked, p: float) -> ColumnElement:
    position = p * (ranked.c.n - 1)
    low = cast(position, Integer)  # floor: the position is never negative
    fraction = position - low
    return func.sum(
        case(
            (ranked.c.i == low, ranked.c.v * (1 - fraction)),
            (ranked.c.i == low + 1, ranked.c.v * fraction),
            else_=0.0,
        )
    )


class month_of(FunctionElement):
    """'YYYY-MM' of a date (a `wib_day`), for figures by month."""

    type = String()
    inherit_cache = True


@compiles(month_of)
def _month_sqlite(element, compiler, **kw) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_postgresql(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"
