"""The docker sandbox: one hardened, single-use container per grading run (docker SDK only).

The container runs the image built offline by :mod:`.image` (``kodelab image build``) with:
no network (``network_mode="none"``), uid/gid 65534, every capability dropped,
no-new-privileges, a read-only root file system with a size-limited tmpfs at /tmp (the
working directory and HOME), memory = memory + swap (the run's limit plus the kernel's own
overhead), a CPU quota, a pids limit, rlimits (open files, file size, no core dumps, CPU
time), the same scrubbed environment as the local sandbox, and one host mount only: the
private per-run directory holding the kernel's ZeroMQ ``ipc`` sockets, at /run/kodelab.

fds 1-2 are read through an attach stream (the log driver is ``none``: nothing reaches the
engine's disk) and metered; a breach kills the container. The wall clock is kept outside by
the judge, which kills through the provisioner (= removes the container). When the
container dies its state is read once: ``OOMKilled`` makes :meth:`death_reason` say
``"oom"``. Containers carry the label ``kodelab.sandbox=1`` and their owner; the janitor
(:meth:`DockerSandbox.remove_leftovers`) removes those whose owner is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Float, Int, List, Unicode

from .base import OutputMeter, Sandbox, SandboxKernel, SandboxUnavailable
from .image import (
    DEFAULT_MIRROR,
    KERNEL_PYTHON,
    ImageBuilder,
    ImageBuildError,
    build_problems,
    image_tag,
)
from .limits import Limits
from .local import KERNEL_THREADS, NOBODY, SANDBOX_RUN_DIR, SandboxProvisioner, _run_dir_base

LABEL = "kodelab.sandbox"
OWNER_LABEL = "kodelab.owner"
EXPIRES_LABEL = "kodelab.expires"
RUN_DIR_LABEL = "kodelab.rundir"
RUN_DIR_PREFIX = "kodelab-docker-"
_MB = 1024 * 1024
_KILLED = 128 + 9

ENGINE_FIX = (
    "start the engine: `sudo scripts/docker-engine` from a KodeLab checkout, or "
    "`sudo setsid dockerd >/var/log/dockerd.log 2>&1 &` (or `systemctl start docker`); "
    "if Docker is not installed: `apt-get install docker.io`"
)


def kernel_argv() -> list[str]:
    """The kernel command inside the image."""
    return [
        KERNEL_PYTHON,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        "--HistoryManager.enabled=False",
    ]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


def _start_time(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (tells a reused pid apart)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()[19]


def _owner() -> str:
    pid = os.getpid()
    return f"{_boot_id()}:{pid}:{_start_time(pid)}"


def _owner_alive(owner: str) -> bool | None:
    """Whether the process that labelled a container lives; None if it ran on another host."""
    boot, _, rest = owner.partition(":")
    pid, _, started = rest.partition(":")
    if boot != _boot_id() or not pid.isdigit():
        return None
    return _start_time(int(pid)) == started


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_run_dir(path: str | Path | None) -> None:
    """Remove a per-run directory (only ever one of ours)."""
    if path and Path(path).name.startswith(RUN_DIR_PREFIX):
        shutil.rmtree(path, ignore_errors=True)


class DockerProvisioner(SandboxProvisioner):
    """Runs the kernel command in a fresh container; meters its fds 1-2; kills = removes it."""

    client: Any = None
    image: str = ""
    create_kwargs: dict[str, Any] | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.container_id: str | None = None
        self.exit_code: int | None = None
        self.oom_killed = False
        self._launched = False
        self._removed = False
        self._killing = False
        self._done = threading.Event()
        self._launching = False
        self._launch_done = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stream: Any = None
        self.tail = b""

    # -- launch --------------------------------------------------------------------------

    @property
    def has_process(self) -> bool:
        return self._launched and not self._removed

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Create the container, attach to its fds 1-2, start it."""
        env = dict(kwargs.get("env") or {})
        self._launching = True
        # Runs to its end even if this task is cancelled (a pool shutting down): kill() and
        # cleanup() wait for it, so a container created meanwhile is still removed.
        await asyncio.to_thread(self._create_and_start, cmd, env)
        self.cwd = "/tmp"
        return self.connection_info

    def _create_and_start(self, cmd: list[str], env: dict[str, str]) -> None:
        try:
            self._launch(cmd, env)
        finally:
            self._launch_done.set()

    def _launch(self, cmd: list[str], env: dict[str, str]) -> None:
        container = self.client.containers.create(
            self.image, command=cmd, environment=env, **(self.create_kwargs or {})
        )
        self.container_id = container.id
        self._launched = True
        try:
            # Attached before the start, so not one byte escapes the meter.
            self._stream = self.client.api.attach(
                container.id, stdout=True, stderr=True, stream=True, logs=False
            )
        except Exception as exc:
            self.log.warning("kodelab: cannot attach to the sandbox container: %s", exc)
            self.kill_now()
            raise
        try:
            self.client.api.start(container.id)
        except Exception:
            self.kill_now()
            raise
        self._watcher = threading.Thread(
            target=self._watch, daemon=True, name="kodelab-container-output"
        )
        self._watcher.start()

    def _watch(self) -> None:
        """Count fd 1-2 output without keeping it; when it ends, read how the container ended."""
        killing = False
        try:
            for chunk in self._stream:
                if killing:
                    continue  # keep reading: the engine finishes a removal only once drained
                self.tail = (self.tail + chunk)[-2048:]
                if self.meter is not None and self.meter.add(len(chunk)):
                    killing = True
                    threading.Thread(
                        target=self.kill_now, daemon=True, name="kodelab-container-kill"
                    ).start()
        except Exception as exc:  # the stream broke (container removed): state says why
            self.log.debug("kodelab: container output stream ended: %s", exc)
        finally:
            self._record_exit()

    def _record_exit(self) -> None:
        import docker.errors

        code, oom = _KILLED, False
        try:
            answer = self.client.api.wait(self.container_id, timeout=None)
            code = int(answer.get("StatusCode", _KILLED))
            state = self.client.api.inspect_container(self.container_id)["State"]
            if (
                not state.get("OOMKilled")
                and state.get("ExitCode") == _KILLED
                and not self._killing
            ):
                # SIGKILLed, not by us (yet): the engine may record the OOM event late.
                time.sleep(0.3)
                state = self.client.api.inspect_container(self.container_id)["State"]
            oom = bool(state.get("OOMKilled"))
            code = int(state.get("ExitCode", code))
        except docker.errors.NotFound:
            pass  # removed by kill_now(): it was killed
        except Exception as exc:
            self.log.warning("kodelab: cannot read the sandbox container's state: %s", exc)
        self.exit_code, self.oom_killed = code, oom
        self._done.set()

    # -- state ---------------------------------------------------------------------------

    async def poll(self) -> int | None:
        """The exit status once the container ended, None while it runs."""
        if not self._launched:
            return 0
        return self.exit_code if self._done.is_set() else None

    async def wait(self) -> int | None:
        """Wait until the container ended (callers bound this with a timeout)."""
        while self._launched and self._watcher is not None and not self._done.is_set():
            await asyncio.sleep(0.05)
        return self.exit_code if self._launched else 0

    def exit_signal(self) -> int | None:
        """Signal that ended the kernel, from the status the container's init passes on."""
        if not self._done.is_set() or self.exit_code is None:
            return None
        return self.exit_code - 128 if self.exit_code > 128 else None

    def death_reason(self) -> str | None:
        """``"oom"`` when the kernel was OOM-killed, ``"signal:N"`` when a signal ended it."""
        if not self._done.is_set():
            return None
        if self.oom_killed:
            return "oom"
        sig = self.exit_signal()
        return f"signal:{sig}" if sig else None

    # -- ending --------------------------------------------------------------------------

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel (through the container's init, which passes it on)."""
        if self.has_process and self.container_id:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.client.api.kill, self.container_id, signum)

    def kill_now(self) -> None:
        """Kill and remove the container at once (with it, every process the student started)."""
        import docker.errors

        self._killing = True
        with self._lock:
            if self.container_id is None or self._removed:
                return
            try:
                self.client.api.remove_container(self.container_id, force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if "already in progress" not in str(exc):
                    self.log.warning("kodelab: cannot remove sandbox container: %s", exc)
                    return
            except Exception as exc:  # the engine did not answer in time
                self.log.warning("kodelab: cannot remove sandbox container: %s", exc)
                return
            self._removed = True

    def _after_launch(self) -> None:
        if self._launching:
            self._launch_done.wait(timeout=120)

    async def kill(self, restart: bool = False) -> None:
        """Kill from outside (see :meth:`kill_now`)."""
        await asyncio.to_thread(self._kill_after_launch)

    def _kill_after_launch(self) -> None:
        self._after_launch()
        self.kill_now()

    async def terminate(self, restart: bool = False) -> None:
        """A sandbox is never asked to stop: it is killed."""
        await self.kill(restart)

    async def cleanup(self, restart: bool = False) -> None:
        """Remove the container and the per-run directory."""
        await asyncio.to_thread(self._cleanup_sync)
        await LocalProvisioner.cleanup(self, restart)

    def _cleanup_sync(self) -> None:
        """Never raises: whatever cannot be removed now is the janitor's."""
        self._after_launch()
        self.kill_now()
        if not self._removed and self.container_id is not None:
            self._close_stream()  # an engine blocked writing to us can finish then
            time.sleep(0.5)
            self.kill_now()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self._close_stream()
        _remove_run_dir(self.run_dir)

    def _close_stream(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(Exception):
                self._stream.close()


class DockerSandbox(Sandbox):
    """Kernel in a hardened, single-use container of the offline-built image."""

    name = "docker"
    isolates_host_files = True  # the container sees only its image and the socket dir

    docker_url = Unicode(
        "",
        help=(
            "Docker engine URL, e.g. unix:///var/run/docker.sock. It must run on this machine "
            "(the kernel's sockets are bind-mounted). Default: '' (DOCKER_HOST or the default "
            "socket)."
        ),
    ).tag(config=True)
    image = Unicode(
        "",
        help=(
            "Image to run. Default: '' = the image `kodelab image build` makes for "
            "extra_packages (its tag holds a hash of the recipe and package list)."
        ),
    ).tag(config=True)
    extra_packages = List(
        Unicode(),
        help=(
            "pip requirements installed in the image on top of ipykernel, numpy and pandas "
            "(e.g. ['scipy', 'networkx==3.2']). Changing them changes the image tag. "
            "Default: []."
        ),
    ).tag(config=True)
    auto_build = Bool(
        True,
        help="Build the image on first use when it is missing (needs root). Default: True.",
    ).tag(config=True)
    cache_dir = Unicode(
        "",
        help=(
            "Where image builds keep the debootstrap base and a wheelhouse of the pip packages. "
            "Default: '' (<jupyter data dir>/kodelab/images)."
        ),
    ).tag(config=True)
    debian_mirror = Unicode(DEFAULT_MIRROR, help="Debian mirror for debootstrap.").tag(config=True)
    kernel_overhead_mb = Int(
        256,
        help=(
            "Memory allowed on top of the run's memory limit for the kernel itself (an idle "
            "IPython kernel with numpy and pandas uses about 100 MB). Default: 256."
        ),
    ).tag(config=True)
    cpus = Float(1.0, help="CPU quota of a container, in CPUs. Default: 1.").tag(config=True)
    use_init = Bool(
        True,
        help=(
            "Run the engine's tiny init (tini) as pid 1, so the kernel gets ordinary signal "
            "semantics and orphans are reaped. Default: True."
        ),
    ).tag(config=True)
    api_timeout = Float(30.0, help="Timeout of one Docker API call, seconds. Default: 30.").tag(
        config=True
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._client: Any = None
        self._client_error = ""
        self._image_ready = ""
        self._image_lock = threading.Lock()
        with contextlib.suppress(Exception):
            if self.client() is not None:
                self.remove_leftovers()

    # -- engine --------------------------------------------------------------------------

    def client(self) -> Any:
        """The docker SDK client, or None when the engine cannot be reached (see problems)."""
        if self._client is not None:
            return self._client
        try:
            import docker
        except ImportError:
            self._client_error = "the docker Python package is missing: pip install 'docker>=7'"
            return None
        try:
            options: dict[str, Any] = {"timeout": self.api_timeout, "max_pool_size": 64}
            if self.docker_url:
                client = docker.DockerClient(base_url=self.docker_url, **options)
            else:
                client = docker.from_env(**options)
            client.ping()
        except Exception as exc:
            reason = str(exc).split("\n")[0][:200]
            self._client_error = f"the Docker engine is not reachable ({reason}): {ENGINE_FIX}"
            return None
        self._client = client
        return client

    def image_name(self) -> str:
        """The image a run uses."""
        return self.image or image_tag(self.extra_packages)

    def image_present(self) -> bool:
        """Whether the engine has the image a run uses."""
        client = self.client()
        return client is not None and self.builder(quiet=True).exists(self.image_name())

    def builder(self, quiet: bool = False) -> ImageBuilder:
        """The offline image builder for this sandbox's package list."""
        client = self.client()
        if client is None:
            raise SandboxUnavailable(self._client_error)
        return ImageBuilder(
            client,
            cache_dir=self.cache_dir or None,
            extra_packages=self.extra_packages,
            mirror=self.debian_mirror,
            quiet=quiet,
        )

    def problems(self) -> list[str]:
        """Why the sandbox cannot run here, each with its fix."""
        client = self.client()
        if client is None:
            return [self._client_error]
        import docker.errors

        name = self.image_name()
        try:
            client.images.get(name)
        except docker.errors.ImageNotFound:
            if self.image:
                return [f"the configured image {name} is not in the Docker engine"]
            missing = build_problems()
            if not self.auto_build or missing:
                return [
                    f"the sandbox image {name} is not built: run `kodelab image build`"
                    + (f" ({' '.join(missing)})" if missing else "")
                ]
        except Exception as exc:
            return [f"the Docker engine did not answer: {exc}"]
        return []

    def ensure_image(self, force: bool = False, quiet: bool = False) -> str:
        """The image's tag, built first when it is missing (a configured image is never built)."""
        name = self.image_name()
        with self._image_lock:
            if self._image_ready == name and not force:
                return name
            if self.image:
                if not self.builder(quiet=True).exists(name):
                    raise SandboxUnavailable(f"the configured image {name} is not in the engine")
            else:
                try:
                    self.builder(quiet=quiet).ensure(force=force)
                except ImageBuildError as exc:
                    raise SandboxUnavailable(str(exc)) from exc
            self._image_ready = name
        return name

    # -- janitor -------------------------------------------------------------------------

    def remove_leftovers(self) -> list[str]:
        """Remove labelled containers (and run dirs) whose owner process is gone; their ids."""
        client = self.client()
        removed: list[str] = []
        if client is not None:
            now = time.time()
            for summary in client.api.containers(all=True, filters={"label": f"{LABEL}=1"}):
                labels = summary.get("Labels") or {}
                alive = _owner_alive(labels.get(OWNER_LABEL, ""))
                try:
                    expired = float(labels.get(EXPIRES_LABEL, "0")) < now
                except ValueError:
                    expired = True
                if alive or (alive is None and not expired):
                    continue
                with contextlib.suppress(Exception):
                    client.api.remove_container(summary["Id"], force=True)
                    removed.append(summary["Id"])
                _remove_run_dir(labels.get(RUN_DIR_LABEL))
        # Per-run directories of processes that died before their container existed.
        base = Path(_run_dir_base())
        for entry in base.glob(f"{RUN_DIR_PREFIX}*"):
            pid = entry.name[len(RUN_DIR_PREFIX) :].split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                _remove_run_dir(entry)
        if removed:
            self.log.info("kodelab: removed %d leftover sandbox container(s)", len(removed))
        return removed

    # -- kernels -------------------------------------------------------------------------

    def container_kwargs(self, limits: Limits, run_dir: Path) -> dict[str, Any]:
        """Everything of the container but its image, command and environment."""
        from docker.types import LogConfig, Mount, Ulimit

        memory = f"{limits.memory_mb + self.kernel_overhead_mb}m"
        user = f"{NOBODY}:{NOBODY}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
        expires = time.time() + limits.startup_seconds + limits.wall_seconds + 300
        return {
            "name": f"kodelab-{uuid.uuid4().hex[:12]}",
            "labels": {
                LABEL: "1",
                OWNER_LABEL: _owner(),
                EXPIRES_LABEL: f"{expires:.0f}",
                RUN_DIR_LABEL: str(run_dir.parent),
            },
            "user": user,
            "working_dir": "/tmp",
            "hostname": "sandbox",
            "network_mode": "none",
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "read_only": True,
            "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
            "shm_size": f"{limits.tmp_mb}m",
            "ipc_mode": "private",
            "mem_limit": memory,
            "memswap_limit": memory,
            "nano_cpus": int(self.cpus * 1e9),
            # pids.max counts threads: the kernel's own come on top of the answer's budget.
            "pids_limit": limits.max_processes + KERNEL_THREADS,
            "ulimits": [
                Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
                Ulimit(
                    name="fsize", soft=limits.file_size_mb * _MB, hard=limits.file_size_mb * _MB
                ),
                Ulimit(name="core", soft=0, hard=0),
                Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds),
            ],
            "mounts": [Mount(SANDBOX_RUN_DIR, str(run_dir), type="bind", read_only=False)],
            "init": self.use_init,
            "log_config": LogConfig(type=LogConfig.types.NONE),
            "stdin_open": False,
            "tty": False,
        }

    async def start_kernel(self, limits: Limits, hidden: Sequence[str] = ()) -> SandboxKernel:
        """Start a fresh kernel in its own container and wait until it is ready.

        ``hidden`` needs no masking here: nothing of the host but the per-run directory is
        in the container.
        """
        client = self.client()
        if client is None:
            raise SandboxUnavailable(self._client_error)
        image = await asyncio.to_thread(self.ensure_image)
        private = Path(
            tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{os.getpid()}-", dir=_run_dir_base())
        )
        run_dir = private / "k"
        run_dir.mkdir()
        run_dir.chmod(0o777)  # the kernel's uid differs; the 0700 parent keeps others out
        meter = OutputMeter(limits.output_bytes)
        km = AsyncKernelManager(transport="ipc", ip=str(run_dir / "k"), cache_ports=False)
        km.connection_file = str(run_dir / "kernel.json")
        km._kernel_spec = KernelSpec(
            argv=kernel_argv(), display_name="KodeLab docker sandbox", language="python"
        )
        provisioner = DockerProvisioner(kernel_id="kodelab", kernel_spec=km._kernel_spec, parent=km)
        provisioner.client = client
        provisioner.image = image
        provisioner.create_kwargs = self.container_kwargs(limits, run_dir)
        provisioner.meter = meter
        provisioner.run_dir = private
        provisioner.sandbox_dir = run_dir
        km.provisioner = provisioner
        kernel = None
        try:
            await km.start_kernel()
            kc = km.client()
            kc.start_channels()
            kernel = SandboxKernel(
                km=km,
                kc=kc,
                meter=meter,
                limits=limits,
                info={"container": provisioner.container_id, "image": image},
            )
            await kc.wait_for_ready(timeout=limits.startup_seconds)
            # The sockets exist now: the kernel's uid may no longer create files here
            # (connecting to a socket needs no directory write access).
            run_dir.chmod(0o755)
        except BaseException as exc:
            if "No such image" in str(exc):
                self._image_ready = ""  # removed meanwhile: ensure_image checks again
            tail = provisioner.tail.decode("utf-8", "replace")
            if kernel is not None:
                await kernel.destroy()
            else:
                await provisioner.kill()
                await provisioner.cleanup()
            _remove_run_dir(private)
            raise SandboxUnavailable(f"sandboxed kernel did not start: {exc}. {tail}") from exc
        return kernel
