"""Starts bqemulator (1.4.0) with two fixes to its BigQuery -> DuckDB translation that dbt's SQL
needs; runs in the emulator's own virtualenv (make bigquery-venv):

    .venv-bigquery/bin/python bigquery/emulator.py start --rest-port 9050 --grpc-port 9060 --project p

Both fixes are to the emulator, not to the project's SQL (which runs unchanged on BigQuery):

- `create or replace table t (columns) ... as (select ...)` (dbt-bigquery's DDL for a model
  with an enforced contract): the emulator rewrites the column list into casts only when the
  body is a bare SELECT; dbt wraps it in parentheses, so DuckDB got the combined form and
  failed with `syntax error at or near "AS"`.
- `unnest(...) with offset as o`: the emulator rebases the offset to 0-based by rewriting
  every column named `o` anywhere in the statement to `(o - 1)`, which renamed a projected
  `o` (a later CTE reading it failed: column not found) and would rebase a later CTE's
  reference to it a second time (off by one). Here only references in the SELECT that owns
  the UNNEST are rebased, and a bare projection keeps its name.
- `div(x, y)` (integer division): sqlglot 30.11 writes DuckDB's `x // y` without parentheses,
  so `div(2 * a + c, 2 * d)` became `2 * a + c // 2 * d` (a wrong number, no error; the
  money rounding macros use it). Here both operands and the result are parenthesised.
"""

from __future__ import annotations

from sqlglot import exp


def _first_select_unwrapping_parentheses(body: exp.Expression | None) -> exp.Select | None:
    while isinstance(body, exp.Subquery | exp.Paren):
        body = body.this
    if isinstance(body, exp.Select):
        return body
    if isinstance(body, exp.Union):
        return _first_select_unwrapping_parentheses(body.this)
    return None


def _rebase_offset_columns_in_their_select(tree: exp.Expression, offset_names: set[str]) -> bool:
    modified = False
    for unnest in list(tree.find_all(exp.Unnest)):
        offset = unnest.args.get("offset")
        name = offset.name if isinstance(offset, exp.Identifier) else "offset" if offset is True else None
        owner = unnest.parent_select
        if name is None or owner is None:
            continue
        for column in list(owner.find_all(exp.Column)):
            if column.name != name or column.parent_select is not owner or column.find_ancestor(exp.Unnest):
                continue
            rebased = exp.Paren(this=exp.Sub(this=column.copy(), expression=exp.Literal.number(1)))
            if column.parent is owner:
                rebased = exp.alias_(rebased, name)
            column.replace(rebased)
            modified = True
    return modified


def _parenthesised_integer_division(unparenthesised):
    def generate(generator, division: exp.IntDiv) -> str:
        division = division.copy()
        division.set("this", exp.Paren(this=division.this))
        division.set("expression", exp.Paren(this=division.expression))
        return f"({unparenthesised(generator, division)})"

    return generate


def patch() -> None:
    from bqemulator.sql.rewriter import create_table_schema_ctas, unnest_offset
    from sqlglot.dialects.duckdb import DuckDB

    transforms = DuckDB.Generator.TRANSFORMS
    transforms[exp.IntDiv] = _parenthesised_integer_division(transforms[exp.IntDiv])

    create_table_schema_ctas._first_select = _first_select_unwrapping_parentheses
    unnest_offset._rebase_offset_columns = _rebase_offset_columns_in_their_select


if __name__ == "__main__":
    from bqemulator.cli import main

    patch()
    main()
