# KodeLab on JupyterHub: add this to your jupyterhub_config.py (it sets no authenticator or
# spawner; keep yours). One shared KodeLab service owns the content with its hidden tests,
# the grader and its sandboxes, and the PostgreSQL database; students' servers hold none of
# them and forward KodeLab's REST API to the service as their owner.
#
# Needs `pip install kodelab-jupyter` in the hub's environment (the `kodelab` command) and in
# the single-user servers' environment (the extension), and a PostgreSQL database, e.g.
#   su postgres -c "psql -c \"CREATE ROLE kodelab LOGIN PASSWORD 'kodelab'\""
#   su postgres -c "createdb -O kodelab kodelab"
# Instructors are the members of the hub group "instructors".
import os

c = get_config()  # noqa: F821

kodelab_url = os.environ.get("KODELAB_SERVICE_URL", "http://127.0.0.1:10101")
kodelab_db = os.environ.get(
    "KODELAB_DB_URL", "postgresql+psycopg://kodelab:kodelab@127.0.0.1:5432/kodelab"
)

c.JupyterHub.services = [  # with services of your own: add this one to your list
    {
        "name": "kodelab",
        "url": kodelab_url,
        # Upgrades the database schema, then serves /services/kodelab/kodelab/api/...
        # Course content: add "--KodeLabHubService.challenge_directories=/srv/challenges".
        "command": ["kodelab", "hub-service"],
        # Only the service sees the database URL (students' servers never do).
        "environment": {"KODELAB_DB_URL": kodelab_db},
        "oauth_no_confirm": True,
        # What the service may do for users who open it in a browser (OAuth).
        "oauth_client_allowed_scopes": ["custom:kodelab:submit", "custom:kodelab:instruct"],
        "display": False,
    },
]

c.JupyterHub.custom_scopes = {
    "custom:kodelab:submit": {
        "description": "Start, run and submit KodeLab challenges and interviews.",
    },
    "custom:kodelab:instruct": {
        "description": "Instruct every KodeLab course: gradebooks, exports, regrades.",
    },
}

c.JupyterHub.load_groups = {"instructors": {"users": ["teacher"]}}
c.JupyterHub.load_roles = [
    # Every user: their own things (JupyterHub's default), KodeLab as a student.
    {
        "name": "user",
        "scopes": ["self", "access:services!service=kodelab", "custom:kodelab:submit"],
    },
    {
        "name": "kodelab-instructor",
        "scopes": ["custom:kodelab:instruct"],
        "groups": ["instructors"],
    },
    # The service reads hub groups (to enroll a group in a course).
    {"name": "kodelab-service", "scopes": ["read:groups"], "services": ["kodelab"]},
]

# Each student's server forwards KodeLab's API to the service with its own token, which gets
# these scopes (those its owner holds: only instructors' servers get custom:kodelab:instruct).
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "access:services!service=kodelab",
    "custom:kodelab:submit",
    "custom:kodelab:instruct",
]
c.Spawner.environment = {"KODELAB_HUB_SERVICE_URL": f"{kodelab_url}/services/kodelab/"}
