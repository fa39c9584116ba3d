"""Who is calling the KodeLab hub service, and what they may do: JupyterHub OAuth + scopes.

Identity comes from JupyterHub (:class:`jupyterhub.services.auth.HubOAuth`): an
``Authorization: token ...`` header (a student's single-user server forwarding for its owner
with its own server token, or any hub API token) or the OAuth cookie a browser gets after
logging in through the hub. Either way the caller is a hub user, and every query is scoped
to that user's name.

Authorization uses JupyterHub scopes, granted with hub roles:

- ``access:services!service=<name>`` (JupyterHub's own): needed for anything at all;
- ``custom:kodelab:submit``: needed for every change a student makes (start, run, submit,
  restore, give up, interview answers...); reading one's own data needs only access;
- ``custom:kodelab:instruct``: the global instructor right (every course's gradebook,
  regrades, dashboard). Instructors of single courses are enrolled with the instructor role
  instead (see kodelab_jupyter/handlers/instructor.py).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth import Authorizer
from jupyterhub.scopes import has_scope
from jupyterhub.services.auth import HubOAuth
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider

SUBMIT_SCOPE = "custom:kodelab:submit"
INSTRUCT_SCOPE = "custom:kodelab:instruct"
CUSTOM_SCOPES = {
    SUBMIT_SCOPE: {"description": "Start, run and submit KodeLab challenges and interviews."},
    INSTRUCT_SCOPE: {
        "description": "Instruct every KodeLab course: gradebooks, exports, regrades, dashboard."
    },
}
READ_ACTIONS = {"read"}


def hub_scopes(user: Any) -> set[str]:
    """The (expanded) scopes of a hub-authenticated user, empty for anybody else."""
    model = getattr(user, "hub_user", None)
    return set(model.get("scopes") or []) if isinstance(model, dict) else set()


def holds(user: Any, scope: str) -> bool:
    """Whether the user holds ``scope`` unfiltered (for every resource)."""
    return bool(has_scope(scope, hub_scopes(user)))


class HubIdentityProvider(JupyterHubIdentityProvider):
    """JupyterHub's own identity provider for jupyter-server handlers (the one every
    single-user server uses), for the KodeLab service: token or OAuth cookie, and the
    ``access:services!service=...`` check. Its ``get_handlers`` gives the OAuth callback.

    Its ``hub_auth`` (:class:`~jupyterhub.services.auth.HubOAuth`) is configured by the
    environment JupyterHub gives a managed service (``JUPYTERHUB_API_TOKEN``, ``..._URL``,
    ``..._OAUTH_*``)."""

    hub_auth: HubOAuth


class ScopeAuthorizer(Authorizer):
    """Reads need the service's access scope; changes also need a KodeLab scope."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        """Whether ``user`` may do ``action`` (read | write | execute) on ``resource``."""
        hub_auth = handler.settings["identity_provider"].hub_auth
        model = getattr(user, "hub_user", None)
        if not isinstance(model, dict) or not hub_auth.check_scopes(hub_auth.access_scopes, model):
            return False
        if action in READ_ACTIONS:
            return True
        return holds(user, SUBMIT_SCOPE) or holds(user, INSTRUCT_SCOPE)
