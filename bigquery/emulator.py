"""Starts bqemulator (1.4.0) with fixes to its BigQuery -> DuckDB translation that dbt's SQL
needs; runs in the emulator's own virtualenv (make bigquery-venv):

    .venv-bigquery/bin/python bigquery/emulator.py start --rest-port 9050 --grpc-port 9060 --project p

The fixes are to the emulator, not to the project's SQL (which runs unchanged on BigQuery):

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
- `numeric` without precision (dbt's type_numeric(), and every `decimal(38, 9)` of a contract:
  the emulator's contract rewrite prints it back as NUMERIC): sqlglot writes DuckDB's bare
  DECIMAL, which is DECIMAL(18, 3), so values were rounded to 3 places (Instagram watch
  seconds: a reconciliation off by 0.001) and capped at 15 integer digits. BigQuery's NUMERIC
  is DECIMAL(38, 9): written so here.
- `array_agg(distinct x ignore nulls)` (dbt-bigquery's insert_overwrite: the partitions to
  replace): the emulator turns IGNORE NULLS into `filter (where x is not null)` but took the
  DISTINCT for the value, writing `filter (where not distinct ...)`, a syntax error: every
  incremental run after the first failed. Here the filter is on the aggregated value.
- `set (dbt_partitions_for_replacement) = (select as struct array_agg(...))` (the same
  script): BigQuery assigns a parenthesised target list from the struct's fields; the
  emulator gave a single target the whole struct, so `date(x) in
  unnest(dbt_partitions_for_replacement)` compared a date with a struct of an array. Here
  parenthesised targets take the struct's fields.
- `bytes || bytes` (the customer_id HMAC): the emulator casts every `||` to VARCHAR (for
  string concatenations with a typed NULL), which turned bytes into their escaped text
  (`\\x00\\xFF`), so every customer_id differed from DuckDB's and from RFC 2104, without an
  error. Here a concatenation of bytes stays bytes.
"""

from __future__ import annotations

import dataclasses

from bqemulator.scripting.ast import SetStmt
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


def _bare_decimal_as_bigquery_numeric(datatype_sql):
    def generate(generator, datatype: exp.DataType) -> str:
        if datatype.this == exp.DataType.Type.DECIMAL and not datatype.expressions:
            return "DECIMAL(38, 9)"
        return datatype_sql(generator, datatype)

    return generate


def _aggregated_value(operand: exp.Expression) -> exp.Expression:
    if isinstance(operand, exp.Order):
        operand = operand.this
    if isinstance(operand, exp.Distinct) and len(operand.expressions) == 1:
        operand = operand.expressions[0]
    return operand


@dataclasses.dataclass(frozen=True, slots=True)
class _SetFromRowStmt(SetStmt):
    """`set (a, ...) = (select ...)`: the targets take the row's fields, even a single one."""


def _parse_set_remembering_parentheses(parse_set):
    def parse(parser) -> SetStmt:
        next_token = parser._cursor.peek()
        from_row = next_token.kind == "PUNCT" and next_token.value == "("
        statement = parse_set(parser)
        if not from_row:
            return statement
        fields = {field.name: getattr(statement, field.name) for field in dataclasses.fields(statement)}
        return _SetFromRowStmt(**fields)

    return parse


def _set_targets_from_struct_fields(exec_set):
    async def execute(interpreter, statement: SetStmt) -> None:
        if not isinstance(statement, _SetFromRowStmt):
            await exec_set(interpreter, statement)
            return
        values = await interpreter._eval_expr_row(statement.source_expr)
        # `select as struct ...` arrives as one struct column: its fields are the values.
        if len(values) == 1 and isinstance(values[0], dict):
            values = list(values[0].values())
        if len(values) != len(statement.targets):
            raise ValueError(f"SET {statement.targets} = a row of {len(values)} values")
        for name, value in zip(statement.targets, values, strict=True):
            interpreter._frames.set(name, value)

    return execute


BYTES_TYPES = (exp.DataType.Type.VARBINARY, exp.DataType.Type.BINARY, exp.DataType.Type.BLOB)


def _is_bytes(operand: exp.Expression) -> bool:
    """An operand of DuckDB SQL (as translated) that is BYTES: from_hex / sha256 (UNHEX), a
    cast to bytes, or a concatenation of those."""
    if isinstance(operand, exp.Paren):
        return _is_bytes(operand.this)
    if isinstance(operand, exp.DPipe):
        return _is_bytes(operand.this) or _is_bytes(operand.expression)
    if isinstance(operand, exp.Cast):
        return operand.to.this in BYTES_TYPES
    return isinstance(operand, exp.Unhex)


def _except_bytes_concatenation(applies_to):
    def applies(rule, node: exp.Expression) -> bool:
        return applies_to(rule, node) and not _is_bytes(node)

    return applies


def patch() -> None:
    from bqemulator.scripting.interpreter import ScriptInterpreter
    from bqemulator.scripting.parser import Parser
    from bqemulator.sql.rewriter import aggregate_variants, create_table_schema_ctas, unnest_offset
    from bqemulator.sql.rules.datetime_semantics import ConcatStringTypeRule
    from sqlglot.dialects.duckdb import DuckDB

    transforms = DuckDB.Generator.TRANSFORMS
    transforms[exp.IntDiv] = _parenthesised_integer_division(transforms[exp.IntDiv])
    DuckDB.Generator.datatype_sql = _bare_decimal_as_bigquery_numeric(DuckDB.Generator.datatype_sql)

    create_table_schema_ctas._first_select = _first_select_unwrapping_parentheses
    unnest_offset._rebase_offset_columns = _rebase_offset_columns_in_their_select
    aggregate_variants._filter_target = _aggregated_value
    Parser._parse_set = _parse_set_remembering_parentheses(Parser._parse_set)
    ScriptInterpreter._exec_set = _set_targets_from_struct_fields(ScriptInterpreter._exec_set)
    ConcatStringTypeRule.applies_to = _except_bytes_concatenation(ConcatStringTypeRule.applies_to)


if __name__ == "__main__":
    from bqemulator.cli import main

    patch()
    main()
