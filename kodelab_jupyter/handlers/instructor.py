"""Instructor REST endpoints under /kodelab/api/instructor (and a student's own assignments).

Paths (JSON in and out unless said otherwise; ``{course}`` and ``{assignment}`` are slugs):

- ``GET  /kodelab/api/instructor/courses`` -- the courses you instruct, each with its
  assignments and head counts.
- ``GET|PUT /kodelab/api/instructor/courses/{course}`` ``{title}`` -- read, create or rename.
- ``GET|PUT /kodelab/api/instructor/courses/{course}/assignments/{assignment}``
  ``{title?, challenge_ids, interview_ids?, opens_at?, due_at?, late_policy?}`` -- distribute
  (upsert) an assignment; ids must exist (422), times are ISO 8601 with an offset,
  ``late_policy`` = ``{"mode": "accept"|"penalty"|"reject", "penalty_per_day", "max_late_days"}``.
  A missing course is created (only by a global instructor); 409 if the assignment id
  belongs to another course.
- ``GET  /kodelab/api/instructor/courses/{course}/enrollments`` -- who is enrolled.
- ``POST /kodelab/api/instructor/courses/{course}/enrollments`` ``{users, role?}`` enrolls
  by hand; ``{group, members?, role?}`` syncs a hub group (adds its members, removes those
  who left that group). Without ``members`` the handler asks :meth:`group_members`, which
  the JupyterHub service overrides (here: 400).
- ``DELETE /kodelab/api/instructor/courses/{course}/enrollments/{user}``
- ``GET  /kodelab/api/instructor/gradebook?course=`` -- assignments (LTI line items) and one
  row per student x assignment.
- ``GET  /kodelab/api/instructor/gradebook.csv?course=`` -- the same as a ``text/csv``
  download (``student,assignment,score,max_score,attempts,late,last_submission_at``).
- ``POST /kodelab/api/instructor/assignments/{assignment}/regrade`` -- **synchronous**: the
  request returns when every submission was regraded, ``200`` with the report (``total``,
  ``unchanged``, ``changed`` [old/new verdict and score], ``problems``); 409 while a regrade
  of the same assignment runs.
- ``GET  /kodelab/api/instructor/dashboard?course=`` -- pass rates, time to solve, hardest
  tests, recent activity.
- ``GET  /kodelab/api/assignments`` -- any user: the assignments they see (open ones of the
  courses they take, all of those they teach).

Authorization: :meth:`InstructorHandler.can_instruct` -- a user instructs a course when
:meth:`InstructorHandler.instructor_scope_ok` (the global right) or their enrollment in that
course has role ``instructor``. Without either: 403 with a message. ``GET courses`` lists
only the courses the user instructs unless they hold the global right; creating a course
needs the global right. On a single-user server the local user holds it
(``InstructorService.local_user_instructs``), so do the names in
``InstructorService.instructors``; the JupyterHub service overrides
``instructor_scope_ok`` to check its instructor scope (see :func:`instructor_handlers`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequest, Forbidden, NotFound
from ..hub.instructor import InstructorService, assignment_view
from .base import _ANONYMOUS_PROVIDERS, KodeLabHandler

API = "kodelab/api"
COURSE = r"(?P<course_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
ASSIGNMENT = r"(?P<assignment_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
USER = r"(?P<user>[^/]{1,255})"
SETTINGS_KEY = "kodelab_instructor"


class InstructorHandler(KodeLabHandler):
    """Base of the instructor endpoints: the service and the authorization hooks."""

    @property
    def instructor(self) -> InstructorService:
        """The instructor service: ``settings["kodelab_instructor"]``, or one built (once)
        from the extension's store, catalog, grader and interview catalog."""
        service: InstructorService | None = self.settings.get(SETTINGS_KEY)
        if service is None:
            app = self.settings["kodelab"]
            interviews = getattr(app, "interviews", None)
            service = InstructorService(
                app.store,
                app.catalog,
                app.grading,
                interviews=getattr(interviews, "catalog", None),
                parent=app,
            )
            self.settings[SETTINGS_KEY] = service
        return service

    def instructor_scope_ok(self) -> bool:
        """Whether the user instructs *every* course (the global instruct right).

        Here: the local user of a single-user server (jupyter-server's own token identity)
        when ``InstructorService.local_user_instructs``, and the users named in
        ``InstructorService.instructors``. The JupyterHub service overrides this to check
        the user's hub scopes.
        """
        service = self.instructor
        if service.local_user_instructs and type(self.identity_provider) in _ANONYMOUS_PROVIDERS:
            return True
        return self.user_name in service.instructors

    async def can_instruct(self, course_id: str) -> bool:
        """Whether the user may see and change the course: the global right, or an
        enrollment in it with role ``instructor``."""
        if self.instructor_scope_ok():
            return True
        return await asyncio.to_thread(
            self.instructor.store.is_instructor, self.user_name, course_id
        )

    async def require_instructor(self, course_id: str) -> None:
        """403 unless the user instructs the course."""
        if not await self.can_instruct(course_id):
            raise Forbidden(f"only instructors of course '{course_id}' may do this")

    async def instructed_courses(self) -> list[str] | None:
        """Ids of the courses the user instructs; ``None`` means every course. 403 when
        the user instructs none."""
        if self.instructor_scope_ok():
            return None
        courses = await asyncio.to_thread(
            self.instructor.store.courses_of, self.user_name, "instructor"
        )
        if not courses:
            raise Forbidden("instructor endpoints are for course instructors only")
        return [c.id for c in courses]

    async def group_members(self, group: str) -> list[str]:
        """The members of a hub group; the JupyterHub service overrides this (it asks the
        hub). A single-user server has no groups: give ``members`` in the body."""
        raise BadRequest(f"no hub to ask for the members of group '{group}': give 'members'")

    def course_argument(self) -> str:
        """The ``course`` query argument; 400 without it."""
        course = self.get_query_argument("course", None)
        if not course:
            raise BadRequest("give the course: ?course=<id>")
        return course

    async def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a (blocking, database-bound) service method in a thread."""
        return await asyncio.to_thread(func, *args, **kwargs)


class CoursesHandler(InstructorHandler):
    """GET /kodelab/api/instructor/courses"""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        mine = await self.instructed_courses()
        self.reply(await self.call(self.instructor.courses_view, mine))


class CourseHandler(InstructorHandler):
    """GET|PUT /kodelab/api/instructor/courses/{course} {title}"""

    async def _view(self, course_id: str) -> dict[str, Any]:
        views = await self.call(self.instructor.courses_view, [course_id])
        if not views:
            raise NotFound(f"no course '{course_id}'")
        return dict(views[0])

    @web.authenticated
    @authorized
    async def get(self, course_id: str) -> None:
        await self.require_instructor(course_id)
        self.reply(await self._view(course_id))

    @web.authenticated
    @authorized
    async def put(self, course_id: str) -> None:
        body = self.json_body()
        try:
            await self.call(self.instructor.course, course_id)
        except NotFound:
            if not self.instructor_scope_ok():
                raise Forbidden("only global instructors may create courses") from None
        else:
            await self.require_instructor(course_id)
        await self.call(self.instructor.put_course, course_id, body.get("title"))
        self.reply(await self._view(course_id))


class AssignmentHandler(InstructorHandler):
    """GET|PUT /kodelab/api/instructor/courses/{course}/assignments/{assignment}"""

    @web.authenticated
    @authorized
    async def get(self, course_id: str, assignment_id: str) -> None:
        await self.require_instructor(course_id)
        record = await self.call(self.instructor.assignment, assignment_id)
        if record.course_id != course_id:
            raise NotFound(f"no assignment '{assignment_id}' in course '{course_id}'")
        self.reply(assignment_view(record))

    @web.authenticated
    @authorized
    async def put(self, course_id: str, assignment_id: str) -> None:
        await self.require_instructor(course_id)
        body = self.json_body()
        unknown = set(body) - {
            "title",
            "challenge_ids",
            "interview_ids",
            "opens_at",
            "due_at",
            "late_policy",
        }
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        if "challenge_ids" not in body and "interview_ids" not in body:
            raise BadRequest("body needs 'challenge_ids' (and/or 'interview_ids')")
        record = await self.call(
            self.instructor.distribute,
            course_id,
            assignment_id,
            body.get("challenge_ids"),
            body.get("opens_at"),
            body.get("due_at"),
            body.get("late_policy"),
            title=body.get("title"),
            interview_ids=body.get("interview_ids"),
        )
        self.reply(assignment_view(record))


class EnrollmentsHandler(InstructorHandler):
    """GET|POST /kodelab/api/instructor/courses/{course}/enrollments"""

    @web.authenticated
    @authorized
    async def get(self, course_id: str) -> None:
        await self.require_instructor(course_id)
        self.reply(await self.call(self.instructor.enrollments_view, course_id))

    @web.authenticated
    @authorized
    async def post(self, course_id: str) -> None:
        await self.require_instructor(course_id)
        body = self.json_body()
        role = body.get("role", "student")
        if "group" in body:
            group = body["group"]
            if not isinstance(group, str) or not group:
                raise BadRequest("'group' must be a group name")
            members = body["members"] if "members" in body else await self.group_members(group)
            result = await self.call(self.instructor.sync_group, course_id, group, members, role)
        elif "users" in body:
            result = await self.call(self.instructor.enroll, course_id, body["users"], role)
        else:
            raise BadRequest("body needs 'users' or 'group'")
        self.reply(result)


class EnrollmentHandler(InstructorHandler):
    """DELETE /kodelab/api/instructor/courses/{course}/enrollments/{user}"""

    @web.authenticated
    @authorized
    async def delete(self, course_id: str, user: str) -> None:
        await self.require_instructor(course_id)
        self.reply(await self.call(self.instructor.unenroll, course_id, [user]))


class GradebookHandler(InstructorHandler):
    """GET /kodelab/api/instructor/gradebook?course="""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        course_id = self.course_argument()
        await self.require_instructor(course_id)
        self.reply(await self.call(self.instructor.gradebook_view, course_id))


class GradebookCsvHandler(InstructorHandler):
    """GET /kodelab/api/instructor/gradebook.csv?course= (a text/csv download)"""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        course_id = self.course_argument()
        await self.require_instructor(course_id)
        text = await self.call(self.instructor.gradebook_csv, course_id)
        self.set_header("Content-Disposition", f'attachment; filename="{course_id}-grades.csv"')
        self.set_header("Cache-Control", "no-store")
        # APIHandler.finish sets the content type (JSON unless told otherwise).
        self.finish(text, set_content_type="text/csv; charset=utf-8")


class RegradeHandler(InstructorHandler):
    """POST /kodelab/api/instructor/assignments/{assignment}/regrade (synchronous)"""

    @web.authenticated
    @authorized
    async def post(self, assignment_id: str) -> None:
        await self.instructed_courses()
        record = await self.call(self.instructor.assignment, assignment_id)
        await self.require_instructor(record.course_id)
        report = await self.instructor.regrade(assignment_id)
        self.reply(report.to_json())


class DashboardHandler(InstructorHandler):
    """GET /kodelab/api/instructor/dashboard?course="""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        course_id = self.course_argument()
        await self.require_instructor(course_id)
        self.reply(await self.call(self.instructor.dashboard, course_id))


class MyAssignmentsHandler(InstructorHandler):
    """GET /kodelab/api/assignments: the assignments the user sees (any user, their own)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.call(self.instructor.my_assignments, self.user_name))


ROUTES: list[tuple[str, type[InstructorHandler]]] = [
    ("instructor/courses", CoursesHandler),
    (rf"instructor/courses/{COURSE}", CourseHandler),
    (rf"instructor/courses/{COURSE}/assignments/{ASSIGNMENT}", AssignmentHandler),
    (rf"instructor/courses/{COURSE}/enrollments", EnrollmentsHandler),
    (rf"instructor/courses/{COURSE}/enrollments/{USER}", EnrollmentHandler),
    (r"instructor/gradebook", GradebookHandler),
    (r"instructor/gradebook\.csv", GradebookCsvHandler),
    (rf"instructor/assignments/{ASSIGNMENT}/regrade", RegradeHandler),
    (r"instructor/dashboard", DashboardHandler),
    (r"assignments", MyAssignmentsHandler),
]


def instructor_handlers(prefix: str = API, mixin: type | None = None) -> list[tuple[str, type]]:
    """The instructor routes under ``prefix``, each handler mixed with ``mixin`` if given.

    The JupyterHub service passes its base as ``mixin`` (it comes first in the MRO), so its
    ``instructor_scope_ok``, ``group_members``, ``user_name`` and authentication win, e.g.::

        class HubInstructor:
            def instructor_scope_ok(self):
                return "custom:kodelab:instruct" in self.hub_scopes
        handlers += instructor_handlers("/services/kodelab/kodelab/api", HubInstructor)
    """
    routes: list[tuple[str, type]] = []
    for path, handler in ROUTES:
        cls: type = handler
        if mixin is not None:
            cls = type(f"{mixin.__name__}{handler.__name__}", (mixin, handler), {})
        routes.append((f"{prefix.rstrip('/')}/{path}", cls))
    return routes


INSTRUCTOR_HANDLERS = instructor_handlers()
