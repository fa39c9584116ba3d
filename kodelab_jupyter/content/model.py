"""Challenge definitions as authored in ``challenge.yaml`` (pydantic models)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
TEST_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


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
    datasets: list[dict[str, Any]] | None = None
    compare: CompareModel = Field(default_factory=CompareModel)

    @field_validator("compare", mode="before")
    @classmethod
    def _compare_shorthand(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _language_fields(self) -> ChallengeSpec:
        if self.language == "python":
            if not self.entrypoint:
                raise ValueError("python challenges need an 'entrypoint'")
            if not self.tests:
                raise ValueError("python challenges need at least one test in 'tests'")
            if self.datasets is not None:
                raise ValueError("'datasets' belong to sql challenges")
        return self
