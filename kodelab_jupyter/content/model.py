"""Challenge definitions as authored in ``challenge.yaml`` (pydantic models)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
TEST_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SQL_IDENTIFIER_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LimitsSpec(_Strict):
    """Per-challenge overrides of the sandbox limits (unset fields use the configured defaults)."""

    wall_seconds: float | None = Field(default=None, gt=0, le=600)
    memory_mb: int | None = Field(default=None, ge=32, le=16384)
    max_processes: int | None = Field(default=None, ge=1, le=4096)
    output_kb: int | None = Field(default=None, ge=1, le=65536)


class CompareModel(_Strict):
    """``compare:`` — a mode name, or a mapping with tolerances or a custom comparator file."""

    mode: Literal["exact", "unordered", "float", "custom"] = "exact"
    rel_tol: float = Field(default=1e-9, ge=0)
    abs_tol: float = Field(default=1e-9, ge=0)
    file: str | None = None

    @model_validator(mode="after")
    def _custom_needs_file(self) -> CompareModel:
        if self.mode == "custom" and not self.file:
            raise ValueError("compare mode 'custom' needs 'file: <comparator>.py'")
        if self.mode != "custom" and self.file:
            raise ValueError("'file' is only used with compare mode 'custom'")
        return self


class TestSpec(_Strict):
    """One test: either a call (``args``/``kwargs`` -> ``expected``) or an assert-style ``code``."""

    name: str = Field(pattern=TEST_NAME_PATTERN, max_length=80)
    visible: bool = False
    points: float = Field(default=1, ge=0)
    args: list[Any] | None = None
    kwargs: dict[str, Any] | None = None
    expected: Any = None
    code: str | None = None
    has_expected: bool = Field(default=False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _note_expected(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            data["has_expected"] = "expected" in data
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> TestSpec:
        if self.code is not None:
            if self.has_expected or self.args is not None or self.kwargs is not None:
                raise ValueError("a 'code' test takes no 'args', 'kwargs' or 'expected'")
        elif not self.has_expected:
            raise ValueError("a test needs 'expected' (with 'args') or 'code'")
        return self

    @property
    def is_code(self) -> bool:
        """Whether this is an assert-style test run by the trusted checker."""
        return self.code is not None


class TableSpec(_Strict):
    """One table of a SQL dataset: typed columns (order kept) and inline ``rows`` or a ``csv``."""

    name: str = Field(pattern=SQL_IDENTIFIER_PATTERN, max_length=63)
    columns: dict[str, str] = Field(min_length=1)
    rows: list[list[Any]] | None = None
    csv: str | None = None

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: dict[str, str]) -> dict[str, str]:
        seen: set[str] = set()
        for column, type_name in value.items():
            if not re.match(SQL_IDENTIFIER_PATTERN, column):
                raise ValueError(
                    f"column '{column}' is not a SQL identifier ([A-Za-z_][A-Za-z0-9_]*)"
                )
            if column.lower() in seen:
                raise ValueError(f"duplicate column '{column}'")
            seen.add(column.lower())
            if not isinstance(type_name, str) or not type_name.strip():
                raise ValueError(f"column '{column}' needs a DuckDB type name")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> TableSpec:
        if (self.rows is None) == (self.csv is None):
            raise ValueError(f"table '{self.name}' needs exactly one of 'rows' or 'csv'")
        if self.rows is not None:
            width = len(self.columns)
            for idx, row in enumerate(self.rows):
                if len(row) != width:
                    raise ValueError(
                        f"table '{self.name}' row {idx + 1} has {len(row)} values"
                        f" but {width} columns are declared"
                    )
        return self


def unique_tables(tables: list[TableSpec]) -> list[TableSpec]:
    """``tables`` unchanged, or ValueError naming a table declared twice (case-insensitive)."""
    seen: set[str] = set()
    for table in tables:
        if table.name.lower() in seen:
            raise ValueError(f"duplicate table '{table.name}'")
        seen.add(table.name.lower())
    return tables


class DatasetSpec(_Strict):
    """One SQL dataset = one test: tables loaded into a fresh database, optional expected CSV."""

    name: str = Field(pattern=TEST_NAME_PATTERN, max_length=80)
    visible: bool = False
    points: float = Field(default=1, ge=0)
    tables: list[TableSpec] = Field(min_length=1)
    expected_output: str | None = None

    @field_validator("tables")
    @classmethod
    def _unique_tables(cls, value: list[TableSpec]) -> list[TableSpec]:
        return unique_tables(value)


class SqlCompareSpec(_Strict):
    """``compare:`` of a SQL challenge: how result sets are matched."""

    ordered: bool = False
    float_tol: float = Field(default=1e-6, ge=0)
    column_names: Literal["case_insensitive", "exact", "ignore"] = "case_insensitive"

    # Read-only stand-ins for CompareModel's fields, so code that reads ``spec.compare``
    # of any challenge keeps working: SQL comparison is never "exact" Python equality.
    @property
    def mode(self) -> str:
        """Always ``"sql"``."""
        return "sql"

    @property
    def file(self) -> None:
        """SQL challenges have no custom comparator file."""
        return None

    @property
    def rel_tol(self) -> float:
        """``float_tol`` (relative part)."""
        return self.float_tol

    @property
    def abs_tol(self) -> float:
        """``float_tol`` (absolute part)."""
        return self.float_tol


_SQL_COMPARE_KEYS = frozenset(SqlCompareSpec.model_fields)


def _compare_kind(value: Any) -> str:
    """Which compare model a ``compare:`` value is meant for (by its keys)."""
    if isinstance(value, SqlCompareSpec):
        return "sql"
    if isinstance(value, dict) and value and set(value) & _SQL_COMPARE_KEYS:
        return "sql"
    return "python"


class ChallengeSpec(_Strict):
    """A challenge folder's ``challenge.yaml``."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    difficulty: Literal["easy", "medium", "hard"]
    category: str = Field(min_length=1, max_length=80)
    tags: list[str] = Field(default_factory=list)
    language: Literal["python", "sql"] = "python"
    time_limit_minutes: int = Field(default=0, ge=0, le=24 * 60)
    statement: str
    starter: str
    solution: str
    entrypoint: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    hints: list[str] = Field(default_factory=list)
    allow_solution_reveal: bool = False
    tests: list[TestSpec] = Field(default_factory=list)
    datasets: list[DatasetSpec] | None = None
    compare: Annotated[
        Annotated[CompareModel, Tag("python")] | Annotated[SqlCompareSpec, Tag("sql")],
        Discriminator(_compare_kind),
    ] = Field(default_factory=CompareModel)

    @model_validator(mode="before")
    @classmethod
    def _sql_compare_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("language") == "sql":
            if data.get("compare") in (None, {}):
                data = dict(data)
                data["compare"] = SqlCompareSpec()
        return data

    @field_validator("compare", mode="before")
    @classmethod
    def _compare_shorthand(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value

    @field_validator("datasets")
    @classmethod
    def _datasets_shape(cls, value: list[DatasetSpec] | None) -> list[DatasetSpec] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("sql challenges need at least one dataset")
        seen: set[str] = set()
        for dataset in value:
            if dataset.name in seen:
                raise ValueError(f"duplicate dataset name '{dataset.name}'")
            seen.add(dataset.name)
        if not any(d.visible for d in value):
            raise ValueError("at least one dataset must be visible")
        return value

    @property
    def sql_compare(self) -> SqlCompareSpec:
        """``compare`` of a SQL challenge (defaults when the YAML gave none)."""
        return self.compare if isinstance(self.compare, SqlCompareSpec) else SqlCompareSpec()

    @model_validator(mode="after")
    def _language_fields(self) -> ChallengeSpec:
        if self.language == "python":
            if not self.entrypoint:
                raise ValueError("python challenges need an 'entrypoint'")
            if not self.tests:
                raise ValueError("python challenges need at least one test in 'tests'")
            if self.datasets is not None:
                raise ValueError("'datasets' belong to sql challenges")
            if isinstance(self.compare, SqlCompareSpec):
                raise ValueError(
                    "compare: 'ordered', 'float_tol' and 'column_names' belong to sql challenges"
                )
        else:
            if not self.datasets:
                raise ValueError("sql challenges need 'datasets' (at least one, one visible)")
            if self.tests:
                raise ValueError("sql challenges take 'datasets', not 'tests'")
            if self.entrypoint:
                raise ValueError("sql challenges take no 'entrypoint'")
            if not isinstance(self.compare, SqlCompareSpec):
                raise ValueError("compare: sql challenges take {ordered, float_tol, column_names}")
        return self
