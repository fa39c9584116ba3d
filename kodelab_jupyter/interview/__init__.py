"""Interview drills: scenario content (models, loading, validation, catalog, public views).

Scenarios live in ``interviews/<category>/<level>/<id>.yaml``; see ``loader`` for loading
and the lobby, and ``model`` for the round types and the scoring helpers.
"""

from .loader import (
    SHIPPED_INTERVIEWS,
    InterviewCatalog,
    Scenario,
    load_scenario,
    lobby_index,
    public_round,
    public_scenario,
    reference_answer,
    reference_answers,
    scenario_files,
)
from .model import (
    ScenarioSpec,
    score_architecture,
    score_modeling,
    score_quiz,
)

__all__ = [
    "SHIPPED_INTERVIEWS",
    "InterviewCatalog",
    "Scenario",
    "ScenarioSpec",
    "load_scenario",
    "lobby_index",
    "public_round",
    "public_scenario",
    "reference_answer",
    "reference_answers",
    "scenario_files",
    "score_architecture",
    "score_modeling",
    "score_quiz",
]
