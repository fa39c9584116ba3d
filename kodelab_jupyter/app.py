"""The Jupyter server extension: configuration and services of KodeLab."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Instance, Int, List, Unicode, default

from . import __version__
from .content.catalog import SHIPPED_CHALLENGES, Catalog
from .grading.judge import Judge
from .grading.service import GradingService
from .handlers.challenges import HANDLERS
from .handlers.interviews import INTERVIEW_HANDLERS
from .interview.engine import InterviewEngine
from .interview.loader import SHIPPED_INTERVIEWS, InterviewCatalog
from .practice import PracticeService
from .sandbox.local import LocalSandbox
from .store import Store, SubmissionRecord

VERDICT_SCHEMA = Path(__file__).parent / "events" / "verdict.yaml"
VERDICT_EVENT = "https://events.kodelab.dev/kodelab_jupyter/verdict"


class KodeLabApp(ExtensionApp):
    """KodeLab inside jupyter-server: catalog, judge, store and grading service."""

    name = "kodelab_jupyter"
    version = __version__
    description = "Coding challenges graded against hidden tests in a sandboxed kernel."

    challenge_directories = List(
        Unicode(),
        help="Folders holding challenge folders. Default: [] (only the shipped library).",
    ).tag(config=True)
    include_shipped_challenges = Bool(
        True, help="Also serve the challenges shipped with KodeLab. Default: True."
    ).tag(config=True)
    include_shipped_interviews = Bool(
        True, help="Also serve the interview scenarios shipped with KodeLab. Default: True."
    ).tag(config=True)
    grading_concurrency = Int(
        0, help="Grading runs at once; 0 means the number of CPUs. Default: 0."
    ).tag(config=True)
    regrade_unfinished_on_start = Bool(
        True,
        help="Grade submissions a crash left pending or running when the server starts. "
        "Default: True.",
    ).tag(config=True)

    local_user = Unicode(
        help="Name recorded for the person using a single-user server with jupyter-server's "
        "default token identity (which invents a new anonymous user per browser). "
        "Default: the operating-system user name."
    ).tag(config=True)

    @default("local_user")
    def _default_local_user(self) -> str:
        import getpass

        return getpass.getuser()

    catalog = Instance(Catalog, allow_none=True)
    judge = Instance(Judge, allow_none=True)
    store = Instance(Store, allow_none=True)
    grading = Instance(GradingService, allow_none=True)
    practice = Instance(PracticeService, allow_none=True)
    interviews = Instance(InterviewEngine, allow_none=True)
    interview_directories = List(
        Unicode(),
        help="Folders of interview scenarios (<category>/<level>/<id>.yaml). Default: [] "
        "(only the shipped scenarios).",
    ).tag(config=True)

    @default("grading_concurrency")
    def _default_concurrency(self) -> int:
        import os

        return os.cpu_count() or 2

    def directories(self) -> list[Path]:
        """Every challenge directory served."""
        dirs = [Path(d) for d in self.challenge_directories]
        if self.include_shipped_challenges and SHIPPED_CHALLENGES.is_dir():
            dirs.append(SHIPPED_CHALLENGES)
        return dirs

    def initialize_settings(self) -> None:
        """Build the services; say loudly when the sandbox cannot run here."""
        self.catalog = Catalog(self.directories())
        for issue in self.catalog.issues:
            self.log.error("KodeLab content problem: %s", issue)
        self.judge = Judge(parent=self)
        if isinstance(self.judge.sandbox, LocalSandbox):
            # Challenge folders (hidden tests) must not be readable through the environment.
            sandbox = self.judge.sandbox
            sandbox.hidden_paths = [*sandbox.hidden_paths, *map(str, self.directories())]
        problems = self.judge.sandbox.problems()
        if problems:
            self.log.error(
                "KodeLab: the %s sandbox cannot run here, so grading will fail: %s",
                self.judge.sandbox.name,
                " ".join(problems),
            )
        if self.judge.sandbox.name == "unsafe-local":
            self.log.warning("KodeLab: UNSAFE sandbox configured: answers run WITHOUT isolation")
        self.store = Store(parent=self)
        self.store.ensure_schema()
        self.grading = GradingService(
            self.judge, self.store, self.catalog, concurrency=self.grading_concurrency, parent=self
        )
        assert self.serverapp is not None
        self.practice = PracticeService(
            self.catalog, self.store, self.grading, self.serverapp.contents_manager, parent=self
        )
        interview_dirs = [Path(d) for d in self.interview_directories]
        if self.include_shipped_interviews and SHIPPED_INTERVIEWS.is_dir():
            interview_dirs.append(SHIPPED_INTERVIEWS)
        interview_catalog = InterviewCatalog(interview_dirs)
        for issue in interview_catalog.issues:
            self.log.error("KodeLab interview content problem: %s", issue)
        self.interviews = InterviewEngine(interview_catalog, self.store, self.grading, parent=self)
        self._setup_events()
        self.settings.update({"kodelab": self})
        self.log.info(
            "KodeLab %s: %d challenge(s), sandbox %s, database %s",
            __version__,
            len(self.catalog.challenges),
            self.judge.sandbox.name,
            self.store.db_url,
        )

    def _setup_events(self) -> None:
        """Push verdicts on the server's event bus, so clients need not poll."""
        events = getattr(self.serverapp, "event_logger", None)
        if events is None or self.practice is None:
            return
        events.register_event_schema(VERDICT_SCHEMA)

        def emit(record: SubmissionRecord) -> None:
            verdict = record.to_verdict() or {}
            events.emit(
                schema_id=VERDICT_EVENT,
                data={
                    "submission_id": record.id,
                    "challenge_id": record.challenge_id,
                    "status": record.status,
                    "verdict": verdict.get("verdict", ""),
                    "score": verdict.get("score", 0),
                    "max_score": verdict.get("max_score", 0),
                },
            )

        self.practice.listeners.append(emit)

    def initialize_handlers(self) -> None:
        """The REST API under <base_url>/kodelab/api/."""
        # Interview routes first: the challenge routes end with a catch-all JSON 404.
        self.handlers.extend(INTERVIEW_HANDLERS + HANDLERS)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if (
            self.judge is not None
            and self.judge.pool_size > 0
            and not self.judge.sandbox.problems()
        ):
            self.judge.start_pool()
        if self.regrade_unfinished_on_start and self.grading is not None:
            self._requeue = asyncio.ensure_future(self.grading.requeue_unfinished())

    async def stop_extension(self) -> None:
        """Let grading runs in flight finish, then close the database."""
        if self.practice is not None:
            await self.practice.close()
        if self.judge is not None:
            await self.judge.close()
        if self.store is not None:
            self.store.close()
