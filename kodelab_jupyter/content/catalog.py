"""The challenge catalog: every challenge folder under the configured directories."""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from .challenge import CHALLENGE_FILE, Challenge, load_challenge
from .errors import ContentError, ContentIssue

_PACKAGE = Path(__file__).resolve().parents[1]
# A wheel carries the library inside the package; a source checkout has it at the top.
SHIPPED_CHALLENGES = (
    _PACKAGE / "challenges"
    if (_PACKAGE / "challenges").is_dir()
    else _PACKAGE.parent / "challenges"
)


def challenge_folders(paths: Iterable[Path]) -> list[Path]:
    """Challenge folders named by ``paths``: a folder with challenge.yaml, or a folder of them."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.name == CHALLENGE_FILE:
            path = path.parent
        if (path / CHALLENGE_FILE).is_file():
            found.append(path)
        elif path.is_dir():
            found += sorted(p.parent for p in path.glob(f"*/{CHALLENGE_FILE}"))
    return found


class Catalog:
    """Loaded challenges by id, plus the issues of those that failed to load."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self.directories = [Path(d) for d in directories]
        self.challenges: dict[str, Challenge] = {}
        self.issues: list[ContentIssue] = []
        self.reload()

    def reload(self) -> None:
        """Load every challenge again from disk."""
        self.challenges, self.issues = {}, []
        for folder in challenge_folders(self.directories):
            try:
                challenge = load_challenge(folder)
            except ContentError as exc:
                self.issues += exc.issues
                continue
            other = self.challenges.get(challenge.id)
            if other is not None:
                self.issues.append(
                    ContentIssue(
                        folder / CHALLENGE_FILE,
                        1,
                        f"duplicate id '{challenge.id}' (also in {other.root})",
                    )
                )
                continue
            self.challenges[challenge.id] = challenge

    def get(self, challenge_id: str) -> Challenge:
        """The challenge with this id; KeyError when unknown."""
        return self.challenges[challenge_id]

    def filter(
        self,
        difficulty: str | None = None,
        category: str | None = None,
        tag: str | None = None,
        query: str | None = None,
    ) -> list[Challenge]:
        """Challenges matching every given filter, sorted by difficulty then title."""
        order = {"easy": 0, "medium": 1, "hard": 2}
        needle = (query or "").lower()
        picked = [
            c
            for c in self.challenges.values()
            if (not difficulty or c.spec.difficulty == difficulty)
            and (not category or c.spec.category == category)
            and (not tag or tag in c.spec.tags)
            and (not needle or needle in c.spec.title.lower() or needle in c.id)
        ]
        return sorted(picked, key=lambda c: (order[c.spec.difficulty], c.spec.title.lower()))

    def random(
        self,
        rng: random.Random | None = None,
        prefer_not: Iterable[str] = (),
        difficulty: str | None = None,
        category: str | None = None,
        tag: str | None = None,
    ) -> Challenge | None:
        """One challenge matching the filters, preferring ids not in ``prefer_not``."""
        pool = self.filter(difficulty=difficulty, category=category, tag=tag)
        if not pool:
            return None
        avoid = set(prefer_not)
        fresh = [c for c in pool if c.id not in avoid]
        return (rng or random.Random()).choice(fresh or pool)


def resolve_challenge(ref: str, directories: Iterable[Path]) -> Challenge:
    """A challenge named by a folder path, or by id within ``directories``."""
    path = Path(ref)
    if (path / CHALLENGE_FILE).is_file() or path.name == CHALLENGE_FILE:
        return load_challenge(path if path.is_dir() else path.parent)
    for folder in challenge_folders(directories):
        if folder.name == ref:
            return load_challenge(folder)
    raise ContentError([ContentIssue(path, 1, f"no challenge folder or id '{ref}'")])
