"""One home for building KodeLab's services: the catalog, the judge (with its sandbox and warm
pool), the store, grading, the student workflow and the interview engine.

The single-user server extension (:class:`~kodelab_jupyter.app.KodeLabApp`) and the JupyterHub
service (:class:`~kodelab_jupyter.hub.service.KodeLabHubService`) both call
:func:`build_services`; each service is a traitlets ``Configurable`` whose ``parent`` is the
application, so ``c.Judge.*``, ``c.Store.db_url``, ``c.PracticeService.*`` ... configure both.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets import Bool, Instance, Int, List, Unicode, default
from traitlets.config import Configurable

from .content.catalog import SHIPPED_CHALLENGES, Catalog
from .grading.judge import Judge
from .grading.service import GradingService
from .interview.engine import InterviewEngine
from .interview.loader import SHIPPED_INTERVIEWS, InterviewCatalog
from .practice import PracticeService
from .sandbox.local import LocalSandbox
from .store import Store


def content_directories(
    configured: Iterable[str], include_shipped: bool, shipped: Path
) -> list[Path]:
    """The configured content folders, then the shipped library when it is included."""
    dirs = [Path(d) for d in configured]
    if include_shipped and shipped.is_dir():
        dirs.append(shipped)
    return dirs


class ServicesHost(Configurable):
    """The options and services the single-user extension (``c.KodeLabApp.*``) and the hub
    service (``c.KodeLabHubService.*``) share; handlers find the services on it
    (``settings["kodelab"].practice`` ...)."""

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
    interview_directories = List(
        Unicode(),
        help="Folders of interview scenarios (<category>/<level>/<id>.yaml). Default: [] "
        "(only the shipped scenarios).",
    ).tag(config=True)
    grading_concurrency = Int(
        0, help="Grading runs at once; 0 means the number of CPUs. Default: 0."
    ).tag(config=True)
    regrade_unfinished_on_start = Bool(
        True,
        help="Grade submissions a crash left pending or running when the server starts. "
        "Default: True.",
    ).tag(config=True)

    catalog = Instance(Catalog, allow_none=True)
    judge = Instance(Judge, allow_none=True)
    store = Instance(Store, allow_none=True)
    grading = Instance(GradingService, allow_none=True)
    practice = Instance(PracticeService, allow_none=True)
    interviews = Instance(InterviewEngine, allow_none=True)
    services: Services | None = None

    @default("grading_concurrency")
    def _default_concurrency(self) -> int:
        return os.cpu_count() or 2

    def directories(self) -> list[Path]:
        """Every challenge directory served."""
        return content_directories(
            self.challenge_directories, self.include_shipped_challenges, SHIPPED_CHALLENGES
        )

    def interview_dirs(self) -> list[Path]:
        """Every interview scenario directory served."""
        return content_directories(
            self.interview_directories, self.include_shipped_interviews, SHIPPED_INTERVIEWS
        )

    def setup_services(self, contents: Any = None) -> Services:
        """Build the services (:func:`build_services`) with these options and keep them."""
        services = build_services(
            self,
            challenge_directories=self.directories(),
            interview_directories=self.interview_dirs(),
            grading_concurrency=self.grading_concurrency,
            contents=contents,
            log=getattr(self, "log", None),
        )
        self.services = services
        self.catalog, self.judge, self.store = services.catalog, services.judge, services.store
        self.grading, self.practice = services.grading, services.practice
        self.interviews = services.interviews
        return services


@dataclass
class Services:
    """Everything KodeLab serves, built and wired together."""

    catalog: Catalog
    judge: Judge
    store: Store
    grading: GradingService
    practice: PracticeService
    interviews: InterviewEngine
    _requeue: asyncio.Future[Any] | None = field(default=None, repr=False)

    def start(self, *, pool: bool = True, requeue: bool = True) -> None:
        """Warm the kernel pool and re-grade what a crash left unfinished (needs a loop)."""
        if pool and self.judge.pool_size > 0 and not self.judge.sandbox.problems():
            self.judge.start_pool()
        if requeue:
            self._requeue = asyncio.ensure_future(self.grading.requeue_unfinished())

    async def close(self) -> None:
        """Let grading runs in flight finish, stop the pool, close the database."""
        await self.practice.close()
        await self.judge.close()
        self.store.close()


def build_services(
    parent: Configurable,
    *,
    challenge_directories: list[Path],
    interview_directories: list[Path],
    grading_concurrency: int,
    contents: Any = None,
    log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> Services:
    """Build every service, configured from ``parent``'s config; upgrade the database schema.

    ``contents`` is the Jupyter contents manager holding the students' notebooks (single-user
    server), or ``None`` in the hub service, which never sees students' files: there the
    notebooks come in the requests (see :class:`~kodelab_jupyter.practice.PracticeService`).
    Content problems and a sandbox that cannot run here are logged loudly, not raised.
    """
    log = log or logging.getLogger("kodelab")
    catalog = Catalog(challenge_directories)
    for issue in catalog.issues:
        log.error("KodeLab content problem: %s", issue)
    judge = Judge(parent=parent)
    if isinstance(judge.sandbox, LocalSandbox):
        # Challenge folders (hidden tests) must not be readable through the environment.
        sandbox = judge.sandbox
        sandbox.hidden_paths = [*sandbox.hidden_paths, *map(str, challenge_directories)]
    problems = judge.sandbox.problems()
    if problems:
        log.error(
            "KodeLab: the %s sandbox cannot run here, so grading will fail: %s",
            judge.sandbox.name,
            " ".join(problems),
        )
    if judge.sandbox.name == "unsafe-local":
        log.warning("KodeLab: UNSAFE sandbox configured: answers run WITHOUT isolation")
    store = Store(parent=parent)
    store.ensure_schema()
    grading = GradingService(judge, store, catalog, concurrency=grading_concurrency, parent=parent)
    practice = PracticeService(catalog, store, grading, contents, parent=parent)
    interview_catalog = InterviewCatalog(interview_directories)
    for issue in interview_catalog.issues:
        log.error("KodeLab interview content problem: %s", issue)
    interviews = InterviewEngine(interview_catalog, store, grading, parent=parent)
    return Services(catalog, judge, store, grading, practice, interviews)


__all__ = [
    "SHIPPED_CHALLENGES",
    "SHIPPED_INTERVIEWS",
    "Services",
    "ServicesHost",
    "build_services",
    "content_directories",
]
