"""Submissions end to end: persist first, then grade, then store the verdict."""

from __future__ import annotations

import asyncio

from traitlets.config import LoggingConfigurable

from ..content.catalog import Catalog
from ..content.challenge import Challenge
from ..store import Store, SubmissionRecord
from ..store.models import PENDING, RUN
from .judge import Judge
from .verdict import Verdict


class GradingService(LoggingConfigurable):
    """Records a submission as ``pending`` before grading, so a crash never loses it."""

    def __init__(
        self, judge: Judge, store: Store, catalog: Catalog, concurrency: int = 2, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)
        self.judge = judge
        self.store = store
        self.catalog = catalog
        self._slots = asyncio.Semaphore(max(1, concurrency))

    def submit(
        self, user: str, challenge: Challenge, answer: str, kind: str = "submit", late: bool = False
    ) -> int:
        """Persist the answer snapshot as a pending submission and return its id."""
        self.store.record_challenge(challenge.id, challenge.content_hash, challenge.spec.title)
        return self.store.create_submission(
            user, challenge.id, challenge.content_hash, answer, kind=kind, late=late
        )

    async def grade(
        self, submission_id: int, challenge: Challenge | None = None
    ) -> SubmissionRecord:
        """Grade a stored submission and store its verdict."""
        record = await asyncio.to_thread(self.store.get_submission, submission_id)
        challenge = challenge or self.catalog.get(record.challenge_id)
        async with self._slots:
            if record.status == PENDING:
                await asyncio.to_thread(self.store.mark_running, submission_id)
            verdict = await self.judge.grade(
                challenge, record.code, visible_only=record.kind == RUN
            )
        return await asyncio.to_thread(
            self.store.finish_submission, submission_id, verdict.to_json()
        )

    async def grade_answer(
        self, challenge: Challenge, answer: str, visible_only: bool = False
    ) -> Verdict:
        """Grade an answer without storing it (visible-test runs), within the same slots."""
        async with self._slots:
            return await self.judge.grade(challenge, answer, visible_only=visible_only)

    async def requeue_unfinished(self) -> int:
        """Grade every submission a crash left pending or running; returns how many."""
        records = await asyncio.to_thread(self.store.unfinished_submissions)
        jobs = []
        for record in records:
            if record.challenge_id not in self.catalog.challenges:
                self.log.warning(
                    "submission %s: challenge %r is gone; left unfinished",
                    record.id,
                    record.challenge_id,
                )
                continue
            if record.status != PENDING:
                await asyncio.to_thread(self.store.requeue, record.id)
            jobs.append(self.grade(record.id))
        if jobs:
            self.log.info("re-grading %d submission(s) left unfinished", len(jobs))
            await asyncio.gather(*jobs)
        return len(jobs)
