"""Interview scenarios as authored in ``interviews/<category>/<level>/<id>.yaml``.

A scenario is an ordered list of timed rounds. SQL-language rounds (``sql`` and ``debug``
with ``language: sql``) carry the same datasets as a SQL challenge (the visible ``tables``
plus ``hidden_tables``), so the SQL judge grades them like a challenge; Python-language
rounds carry ``tests`` exactly like a Python challenge. Quiz, architecture and modeling
rounds are scored here by pure functions (``score_quiz``, ``score_architecture``,
``score_modeling``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..content.model import (
    ID_PATTERN,
    TEST_NAME_PATTERN,
    CompareModel,
    DatasetSpec,
    SqlCompareSpec,
    TableSpec,
    TestSpec,
    unique_tables,
)

CATEGORIES = ("coding", "system_design")
LEVELS = ("junior", "mid", "senior", "staff")
ROUND_TYPES = ("sql", "python", "debug", "quiz", "architecture", "modeling")
QUESTION_TYPES = ("write", "fix", "quiz", "constraints", "design")
CATEGORY_TITLES = {"coding": "Coding", "system_design": "System design"}
LEVEL_TITLES = {"junior": "Junior", "mid": "Mid-level", "senior": "Senior", "staff": "Staff"}

# Which question types make sense for each round type; the first is the default.
ALLOWED_QUESTION_TYPES: dict[str, tuple[str, ...]] = {
    "sql": ("write", "fix"),
    "python": ("write", "fix"),
    "debug": ("fix",),
    "quiz": ("quiz", "constraints"),
    "architecture": ("design", "constraints"),
    "modeling": ("design", "constraints"),
}

# The name of the visible dataset built from a SQL round's ``tables``.
VISIBLE_DATASET_NAME = "example"

Category = Literal["coding", "system_design"]
Level = Literal["junior", "mid", "senior", "staff"]
QuestionType = Literal["write", "fix", "quiz", "constraints", "design"]
ItemId = Annotated[str, Field(pattern=TEST_NAME_PATTERN, max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- rounds


class _RoundBase(_Strict):
    """Fields every round has."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    type: str
    question_type: QuestionType | None = None
    time_minutes: int = Field(gt=0, le=240)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    initial_code: str = ""
    hints: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    # ``sql`` or ``python`` for rounds graded by the judge (sql, python, debug), else None.
    language: Literal["sql", "python"] | None = None

    @field_validator("question_type")
    @classmethod
    def _question_type_fits(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        allowed = ALLOWED_QUESTION_TYPES.get(kind or "", ())
        if value is not None and allowed and value not in allowed:
            raise ValueError(
                f"question_type '{value}' does not fit a round of type '{kind}'"
                f" (use {' or '.join(allowed)})"
            )
        return value

    @field_validator("language")
    @classmethod
    def _language_fits(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if value is not None and kind not in ("sql", "python", "debug"):
            raise ValueError(f"a {kind} round takes no 'language'")
        return value

    @model_validator(mode="after")
    def _default_question_type(self) -> _RoundBase:
        if self.question_type is None:
            object.__setattr__(self, "question_type", ALLOWED_QUESTION_TYPES[self.type][0])
        return self

    @property
    def graded_by_judge(self) -> bool:
        """Whether the answer is code the judge grades (sql, python, debug)."""
        return self.language is not None


class _SqlRoundBase(_RoundBase):
    """A round answered with one DuckDB query, graded on the visible and hidden datasets."""

    language: Literal["sql"] = "sql"
    tables: list[TableSpec] = Field(min_length=1)
    expected_output: str | None = None
    hidden_tables: list[DatasetSpec] = Field(min_length=1)
    solution: str = Field(min_length=1)
    compare: SqlCompareSpec = Field(default_factory=SqlCompareSpec)

    @field_validator("tables")
    @classmethod
    def _unique_tables(cls, value: list[TableSpec]) -> list[TableSpec]:
        return unique_tables(value)

    @field_validator("hidden_tables")
    @classmethod
    def _hidden_names(cls, value: list[DatasetSpec]) -> list[DatasetSpec]:
        seen = {VISIBLE_DATASET_NAME}
        for dataset in value:
            if dataset.visible:
                raise ValueError(f"hidden dataset '{dataset.name}' cannot be visible")
            if dataset.name in seen:
                raise ValueError(f"duplicate dataset name '{dataset.name}'")
            seen.add(dataset.name)
        return value

    @property
    def visible_dataset(self) -> DatasetSpec:
        """The dataset the candidate sees (``tables`` + ``expected_output``)."""
        return DatasetSpec(
            name=VISIBLE_DATASET_NAME,
            visible=True,
            tables=self.tables,
            expected_output=self.expected_output,
        )

    @property
    def datasets(self) -> list[DatasetSpec]:
        """Every dataset in grading order: the visible one, then the hidden ones."""
        return [self.visible_dataset, *self.hidden_tables]


class RoundTestSpec(TestSpec):
    """A challenge test plus an optional ``group`` (tests of a group report together)."""

    group: str | None = Field(default=None, pattern=TEST_NAME_PATTERN, max_length=80)


class _PythonRoundBase(_RoundBase):
    """A round answered with a Python function, graded by tests like a challenge."""

    language: Literal["python"] = "python"
    entrypoint: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    solution: str = Field(min_length=1)
    tests: list[RoundTestSpec] = Field(min_length=1)
    compare: CompareModel = Field(default_factory=CompareModel)

    @field_validator("compare", mode="before")
    @classmethod
    def _compare_shorthand(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value

    @field_validator("compare")
    @classmethod
    def _no_custom(cls, value: CompareModel) -> CompareModel:
        if value.mode == "custom":
            raise ValueError("custom comparators are not supported in interview rounds")
        return value

    @property
    def visible_tests(self) -> list[RoundTestSpec]:
        """Tests the candidate may see."""
        return [t for t in self.tests if t.visible]

    @property
    def groups(self) -> dict[str, list[RoundTestSpec]]:
        """Tests by group, in order of first appearance (an ungrouped test is its own group)."""
        out: dict[str, list[RoundTestSpec]] = {}
        for test in self.tests:
            out.setdefault(test.group or test.name, []).append(test)
        return out


class SqlRound(_SqlRoundBase):
    """``type: sql`` — write a query."""

    type: Literal["sql"]


class PythonRound(_PythonRoundBase):
    """``type: python`` — write a function."""

    type: Literal["python"]


class _DebugCheck(_RoundBase):
    @model_validator(mode="after")
    def _needs_buggy_code(self) -> _DebugCheck:
        if not self.initial_code.strip():
            raise ValueError("a debug round needs the buggy code in 'initial_code'")
        return self


class SqlDebugRound(_SqlRoundBase, _DebugCheck):
    """``type: debug`` with ``language: sql`` — fix the buggy query in ``initial_code``."""

    type: Literal["debug"]
    language: Literal["sql"]


class PythonDebugRound(_PythonRoundBase, _DebugCheck):
    """``type: debug`` with ``language: python`` — fix the buggy function in ``initial_code``."""

    type: Literal["debug"]
    language: Literal["python"]


class QuizQuestion(_Strict):
    """One question: an index into ``options`` or, for multi-select, a list of indices."""

    id: ItemId
    prompt: str = Field(min_length=1)
    options: list[str] = Field(min_length=2)
    correct_answer: StrictInt | list[StrictInt]
    explanation: str = ""

    @field_validator("correct_answer")
    @classmethod
    def _non_empty(cls, value: int | list[int]) -> int | list[int]:
        if isinstance(value, list):
            if not value:
                raise ValueError("a multi-select answer needs at least one index")
            if len(set(value)) != len(value):
                raise ValueError("a multi-select answer lists an index twice")
        return value

    @property
    def multi_select(self) -> bool:
        """Whether several options may be picked."""
        return isinstance(self.correct_answer, list)

    @property
    def correct_set(self) -> frozenset[int]:
        """The correct option indices."""
        answer = self.correct_answer
        return frozenset(answer) if isinstance(answer, list) else frozenset([answer])


class QuizRound(_RoundBase):
    """``type: quiz`` — multiple-choice questions."""

    type: Literal["quiz"]
    questions: list[QuizQuestion] = Field(min_length=1)


class Component(_Strict):
    """One box of an architecture palette."""

    id: ItemId
    label: str = Field(min_length=1, max_length=120)
    description: str = ""


class ArchitectureRound(_RoundBase):
    """``type: architecture`` — pick components from a palette and connect them.

    Components in the palette but in none of ``required``/``acceptable``/``wrong`` are
    neutral (accepted, but they score nothing).
    """

    type: Literal["architecture"]
    palette: list[Component] = Field(min_length=2)
    required: list[str] = Field(min_length=1)
    acceptable: list[str] = Field(default_factory=list)
    wrong: list[str] = Field(default_factory=list)
    required_connections: list[tuple[str, str]] = Field(default_factory=list)

    @property
    def palette_ids(self) -> list[str]:
        """Ids of the palette, in order."""
        return [c.id for c in self.palette]


class Entity(_Strict):
    """A target of a modeling round (a table such as a fact or a dimension, or a role)."""

    id: ItemId
    label: str = Field(min_length=1, max_length=120)
    description: str = ""


class ModelingField(_Strict):
    """A field to place; ``entity`` is the correct entity id."""

    id: ItemId
    label: str = Field(min_length=1, max_length=200)
    entity: str
    explanation: str = ""


class ModelingRound(_RoundBase):
    """``type: modeling`` — assign every field to one entity."""

    type: Literal["modeling"]
    entities: list[Entity] = Field(min_length=2)
    fields: list[ModelingField] = Field(min_length=1)


def _round_tag(value: Any) -> str | None:
    """Union tag of a round: its type, with ``debug`` split by language."""
    if isinstance(value, dict):
        kind, language = value.get("type"), value.get("language")
    else:
        kind, language = getattr(value, "type", None), getattr(value, "language", None)
    if kind == "debug":
        return f"debug-{language}" if language in ("sql", "python") else "debug-?"
    return kind if isinstance(kind, str) else None


ROUND_TAGS = frozenset(
    {"sql", "python", "debug-sql", "debug-python", "quiz", "architecture", "modeling"}
)

Round = Annotated[
    Annotated[SqlRound, Tag("sql")]
    | Annotated[PythonRound, Tag("python")]
    | Annotated[SqlDebugRound, Tag("debug-sql")]
    | Annotated[PythonDebugRound, Tag("debug-python")]
    | Annotated[QuizRound, Tag("quiz")]
    | Annotated[ArchitectureRound, Tag("architecture")]
    | Annotated[ModelingRound, Tag("modeling")],
    Discriminator(_round_tag),
]

SqlRoundLike = SqlRound | SqlDebugRound
PythonRoundLike = PythonRound | PythonDebugRound
AnyRound = (
    SqlRound
    | PythonRound
    | SqlDebugRound
    | PythonDebugRound
    | QuizRound
    | ArchitectureRound
    | ModelingRound
)


class ScenarioSpec(_Strict):
    """One interview scenario file."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    category: Category
    level: Level
    description: str = Field(min_length=1)
    estimated_minutes: int = Field(gt=0, le=24 * 60)
    tags: list[str] = Field(default_factory=list)
    rounds: list[Round] = Field(min_length=1)

    def round(self, round_id: str) -> AnyRound:
        """The round with this id; KeyError when unknown."""
        for r in self.rounds:
            if r.id == round_id:
                return r
        raise KeyError(round_id)


# --------------------------------------------------------------------------- scoring


def _answer_set(answer: Any) -> frozenset[int] | None:
    if answer is None or isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return frozenset([answer])
    if isinstance(answer, (list, tuple, set, frozenset)):
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in answer):
            return None
        return frozenset(answer)
    return None


def quiz_question_correct(question: QuizQuestion, answer: Any) -> bool:
    """Whether ``answer`` (an index, or indices for multi-select) is exactly right."""
    chosen = _answer_set(answer)
    if chosen is None:
        return False
    if not question.multi_select and len(chosen) != 1:
        return False
    return chosen == question.correct_set


def score_quiz(round: QuizRound, answers: Mapping[str, Any] | Sequence[Any] | None) -> float:
    """Fraction of questions answered exactly right (multi-select must match exactly).

    ``answers`` maps question id to the chosen index (or indices), or lists them by position.
    Unanswered or malformed answers count as wrong.
    """
    questions = round.questions
    correct = 0
    for idx, question in enumerate(questions):
        answer: Any = None
        if isinstance(answers, Mapping):
            answer = answers.get(question.id)
        elif isinstance(answers, Sequence) and not isinstance(answers, str):
            answer = answers[idx] if idx < len(answers) else None
        correct += quiz_question_correct(question, answer)
    return correct / len(questions)


def score_architecture(
    round: ArchitectureRound,
    components: Iterable[str],
    connections: Iterable[Sequence[str]] = (),
) -> float:
    """(required chosen + required connections drawn - wrong chosen) / (required + connections).

    Connections are directed ``[from, to]`` pairs; unknown ids and repeats are ignored.
    The result is clamped to [0, 1].
    """
    chosen = {c for c in components if isinstance(c, str)}
    drawn = {
        (str(pair[0]), str(pair[1]))
        for pair in connections
        if isinstance(pair, (list, tuple)) and len(pair) == 2
    }
    required = set(round.required)
    needed = {(a, b) for a, b in round.required_connections}
    total = len(required) + len(needed)
    hits = len(required & chosen) + len(needed & drawn)
    misses = len(set(round.wrong) & chosen)
    return max(0.0, min(1.0, (hits - misses) / total))


def score_modeling(round: ModelingRound, assignment: Mapping[str, str]) -> float:
    """Fraction of fields assigned to their correct entity."""
    correct = sum(1 for f in round.fields if assignment.get(f.id) == f.entity)
    return correct / len(round.fields)
