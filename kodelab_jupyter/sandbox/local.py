"""The local sandbox: an IPython kernel under bubblewrap, rlimits and a wall clock kept outside.

Layers, outermost first: ``prlimit`` (address space, CPU, processes, file size, open files,
no core dumps) -> ``bwrap`` (new network, pid, ipc and uts namespaces; a read-only view of
the system and Python environment only; a private size-limited /tmp) -> when the grader
runs as root, ``setpriv`` to a per-run host uid (no capabilities, no-new-privileges) and an
unprivileged user namespace mapping it to 65534 -> the kernel. The kernel speaks ZeroMQ
over ``ipc`` sockets in a private per-run directory, so it needs no network at all.
Killing bwrap's process group ends the pid namespace and with it every process the
student started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Int, List, Unicode

from .base import OutputMeter, Sandbox, SandboxKernel, SandboxUnavailable
from .limits import Limits

NOBODY = 65534
KERNEL_THREADS = 16  # the kernel's own threads, on top of the answer's process budget
SANDBOX_RUN_DIR = "/run/kodelab"
_SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/mime.types",
)


def kernel_env() -> dict[str, str]:
    """The whole environment a grading kernel gets: no token, secret or database URL."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "IPYTHONDIR": "/tmp/.ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/.jupyter",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MALLOC_ARENA_MAX": "2",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def kernel_argv() -> list[str]:
    """The kernel command (the grader's own Python, so the same packages are importable)."""
    return [
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        "--HistoryManager.enabled=False",
        "--IPKernelApp.parent_handle=0",
    ]


class SandboxProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Launches the kernel command wrapped by the sandbox, with output metered on fds 1-2."""

    wrap: Callable[[list[str]], list[str]] = staticmethod(lambda cmd: cmd)
    meter: OutputMeter | None = None
    run_dir: Path | None = None
    sandbox_dir: Path | None = None
    release: Callable[[], None] | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Scrub the environment and let the sandboxed user read the connection file."""
        kwargs = await super().pre_launch(**kwargs)
        kwargs["env"] = kernel_env()
        assert self.parent is not None
        host_file = Path(self.parent.connection_file)
        if self.sandbox_dir is not None:
            # Inside the sandbox the per-run directory is mounted at SANDBOX_RUN_DIR.
            info = json.loads(host_file.read_text())
            info["ip"] = f"{SANDBOX_RUN_DIR}/{Path(info['ip']).name}"
            inner = host_file.with_name("kernel-sandbox.json")
            inner.write_text(json.dumps(info))
            inner.chmod(0o644)
            kwargs["cmd"] = [
                f"{SANDBOX_RUN_DIR}/{inner.name}" if arg == str(host_file) else arg
                for arg in kwargs["cmd"]
            ]
        return kwargs

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Start the wrapped command in its own session and drain its output in a thread."""
        self.process = subprocess.Popen(
            self.wrap(cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=kwargs.get("env"),
            cwd="/",
            start_new_session=True,
            close_fds=True,
        )
        self.pid = self.process.pid
        self.pgid = self.process.pid
        self.cwd = "/"
        self.tail = b""
        threading.Thread(target=self._drain, daemon=True, name="kodelab-kernel-output").start()
        return self.connection_info

    def _drain(self) -> None:
        """Count fd 1-2 output without buffering it; keep a short tail for diagnostics."""
        assert self.process is not None and self.process.stdout is not None
        stream: Any = self.process.stdout
        for chunk in iter(lambda: stream.read1(65536), b""):
            self.tail = (self.tail + chunk)[-2048:]
            if self.meter is not None and self.meter.add(len(chunk)):
                self.kill_now()

    def exit_signal(self) -> int | None:
        """Signal number that ended the sandbox, from the exit status bwrap passes on."""
        if self.process is None:
            return None
        code = self.process.poll()
        if code is None:
            return None
        if code < 0:
            return -code
        return code - 128 if code > 128 else None

    def kill_now(self) -> None:
        """SIGKILL the whole process group: bwrap, and with its pid namespace, everything."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    async def kill(self, restart: bool = False) -> None:
        """Kill from outside (see :meth:`kill_now`)."""
        self.kill_now()
        await super().kill(restart)

    async def cleanup(self, restart: bool = False) -> None:
        """Reap the process and remove the per-run directory."""
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            if self.process.stdout is not None:
                self.process.stdout.close()
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
        if self.release is not None:
            self.release()
            self.release = None
        await super().cleanup(restart)


def _run_dir_base() -> str:
    """A tmpfs for the kernel's sockets when there is one, so nothing reaches the disk."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()


def _tasks_of(uid: int) -> int:
    """How many tasks (processes and threads) ``uid`` has now: RLIMIT_NPROC counts them all,
    system-wide, not just the sandbox's own."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass
    return count


class _UidPool:
    """Host uids for sandboxed runs: each run gets one no other live process has."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: set[int] = set()

    def take(self, start: int, size: int) -> int:
        with self._lock:
            for uid in range(start, start + size):
                if uid not in self._used and _tasks_of(uid) == 0:
                    self._used.add(uid)
                    return uid
        raise SandboxUnavailable(f"all {size} sandbox uids from {start} are in use")

    def give_back(self, uid: int) -> None:
        with self._lock:
            self._used.discard(uid)


_RUN_UIDS = _UidPool()


class LocalSandbox(Sandbox):
    """Kernel under bubblewrap + rlimits (+ setpriv to uid 65534 when run as root)."""

    name = "local"

    bwrap_path = Unicode(
        "", help="Path of the bwrap binary. Default: '' (look it up on PATH)."
    ).tag(config=True)
    address_space_overhead_mb = Int(
        384,
        help=(
            "Address space allowed on top of the memory limit for the kernel itself: an idle "
            "IPython kernel maps about 205 MB, about 330 MB with numpy and pandas imported. "
            "Default: 384."
        ),
    ).tag(config=True)
    isolate = Bool(True, help="Internal: False only for the explicit unsafe-local sandbox.")
    uid_range_start = Int(
        200000,
        help="First host uid given to sandboxed runs when the grader runs as root (each run "
        "gets its own, seen as 65534 inside). Default: 200000.",
    ).tag(config=True)
    uid_range_size = Int(
        1000, help="How many host uids sandboxed runs may use at once. Default: 1000."
    ).tag(config=True)
    hidden_paths = List(
        Unicode(),
        help=(
            "Paths masked with an empty directory in the sandbox when they lie inside the "
            "Python environment it can read (challenge folders with hidden tests). The "
            "kodelab_jupyter package folder is always masked. Default: []."
        ),
    ).tag(config=True)

    def _bwrap(self) -> str | None:
        return self.bwrap_path or shutil.which("bwrap")

    def problems(self) -> list[str]:
        """Why the sandbox cannot start here, with the fix."""
        found = []
        if not self._bwrap():
            found.append(
                "bubblewrap (bwrap) is not installed: run `apt-get install bubblewrap` "
                "(Debian/Ubuntu) or `dnf install bubblewrap`."
            )
        for tool in ("prlimit",) + (("setpriv",) if os.geteuid() == 0 else ()):
            if not shutil.which(tool):
                found.append(f"`{tool}` is missing: install util-linux.")
        return found

    def _python_dirs(self) -> list[str]:
        """Every directory the kernel's Python needs, outside /usr (bound read-only)."""
        dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        dirs.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
        keep = sorted(d for d in dirs if d and not d.startswith("/usr/"))
        return [d for d in keep if not any(d != o and d.startswith(o + "/") for o in keep)]

    def _masked(self, visible: list[str], hidden: Sequence[str]) -> list[str]:
        """Masked paths that the sandbox could otherwise read through a bound directory."""
        package = str(Path(__file__).resolve().parents[1])
        out = []
        for path in [package, *self.hidden_paths, *hidden]:
            real = os.path.realpath(path)
            if any(real == v or real.startswith(v + "/") for v in visible):
                out.append(real)
        return out

    def command(
        self,
        cmd: list[str],
        limits: Limits,
        run_dir: Path,
        hidden: Sequence[str] = (),
        host_uid: int | None = None,
    ) -> list[str]:
        """The full command line: prlimit, bwrap, setpriv + inner bwrap (as root), ``cmd``.

        As root the kernel runs as ``host_uid`` (one per run, so RLIMIT_NPROC, which counts
        every task of a uid system-wide, is the run's own), seen inside as 65534.
        """
        as_root = os.geteuid() == 0
        uid = host_uid if as_root and host_uid is not None else os.getuid()
        mb = 1024 * 1024
        rlimits = [
            "prlimit",
            f"--as={(limits.memory_mb + self.address_space_overhead_mb) * mb}",
            f"--cpu={limits.cpu_seconds}",
            f"--nproc={_tasks_of(uid) + limits.max_processes + KERNEL_THREADS}",
            f"--fsize={limits.file_size_mb * mb}",
            f"--nofile={limits.open_files}",
            "--core=0",
            "--",
        ]
        if not self.isolate:
            return rlimits + cmd
        bwrap = [
            self._bwrap() or "bwrap",
            "--unshare-net",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        if not as_root:
            bwrap += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
        for path in _SYSTEM_DIRS:
            if os.path.islink(path):
                bwrap += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                bwrap += ["--ro-bind", path, path]
        for path in self._masked(self._python_dirs(), hidden):
            bwrap += ["--tmpfs", path]
        for path in _ETC_FILES:
            bwrap += ["--ro-bind-try", path, path]
        bwrap += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--perms",
            "1777",
            "--size",
            str(limits.tmp_mb * mb),
            "--tmpfs",
            "/tmp",
        ]
        # After /tmp's tmpfs, so a Python environment living under /tmp stays visible.
        # bwrap makes missing parents of a mount point unreadable to other users: create
        # them first as 0755 (they are empty directories in the sandbox's own tmpfs).
        made: set[str] = {"/", "/tmp", "/usr"}
        for path in self._python_dirs():
            for parent in reversed(Path(path).parents):
                if str(parent) not in made:
                    made.add(str(parent))
                    bwrap += ["--perms", "0755", "--dir", str(parent)]
            bwrap += ["--ro-bind", path, path]
        for path in self._masked(self._python_dirs(), hidden):
            bwrap += ["--tmpfs", path]
        bwrap += [
            "--perms",
            "0755",
            "--dir",
            "/run",
            "--bind",
            str(run_dir),
            SANDBOX_RUN_DIR,
            "--remount-ro",
            "/",
            "--chdir",
            "/tmp",
            "--",
        ]
        drop = []
        if as_root:
            drop = [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
                # An unprivileged user namespace inside the prepared mounts: the run's own
                # host uid appears as 65534, and no further namespaces may be created.
                self._bwrap() or "bwrap",
                "--unshare-user",
                "--uid",
                str(NOBODY),
                "--gid",
                str(NOBODY),
                "--disable-userns",
                "--bind",
                "/",
                "/",
                "--dev-bind",
                "/dev",
                "/dev",
                "--",
            ]
        return rlimits + bwrap + drop + cmd

    async def start_kernel(self, limits: Limits, hidden: Sequence[str] = ()) -> SandboxKernel:
        """Start a fresh sandboxed kernel and wait until it is ready."""
        if self.isolate:
            missing = self.problems()
            if missing:
                raise SandboxUnavailable(" ".join(missing))
        private = Path(tempfile.mkdtemp(prefix="kodelab-", dir=_run_dir_base()))
        run_dir = private / "k"
        run_dir.mkdir()
        if self.isolate:
            run_dir.chmod(0o777)  # the kernel's uid differs; the 0700 parent keeps others out
        meter = OutputMeter(limits.output_bytes)
        km = AsyncKernelManager(transport="ipc", ip=str(run_dir / "k"), cache_ports=False)
        km.connection_file = str(run_dir / "kernel.json")
        km._kernel_spec = KernelSpec(
            argv=kernel_argv(), display_name="KodeLab sandbox", language="python"
        )
        provisioner = SandboxProvisioner(
            kernel_id="kodelab", kernel_spec=km._kernel_spec, parent=km
        )
        host_uid = _RUN_UIDS.take(self.uid_range_start, self.uid_range_size)
        provisioner.release = lambda: _RUN_UIDS.give_back(host_uid)
        provisioner.wrap = lambda cmd: self.command(cmd, limits, run_dir, hidden, host_uid)
        provisioner.meter = meter
        provisioner.run_dir = private
        provisioner.sandbox_dir = run_dir if self.isolate else None
        km.provisioner = provisioner
        kernel = None
        try:
            await km.start_kernel()
            kc = km.client()
            kc.start_channels()
            kernel = SandboxKernel(km=km, kc=kc, meter=meter, limits=limits)
            await kc.wait_for_ready(timeout=limits.startup_seconds)
            if self.isolate and os.geteuid() == 0:
                # The sockets exist now; the kernel's uid may no longer create files in the
                # host directory (connecting to a socket needs no directory write access).
                run_dir.chmod(0o755)
        except BaseException as exc:
            tail = getattr(provisioner, "tail", b"").decode("utf-8", "replace")
            if kernel is not None:
                await kernel.destroy()
            else:
                await provisioner.kill()
                await provisioner.cleanup()
            raise SandboxUnavailable(f"sandboxed kernel did not start: {exc}. {tail}") from exc
        return kernel


class UnsafeLocalSandbox(LocalSandbox):
    """NO isolation: a plain kernel with rlimits only. Only when configured explicitly."""

    name = "unsafe-local"
    isolate = Bool(False)

    def problems(self) -> list[str]:
        """Always usable, and always says it is unsafe."""
        return []
