"""The docker sandbox's image, built offline: no registry pull, ever.

Recipe (root needed, for debootstrap and chroot):

1. ``debootstrap --variant=minbase --include=python3,python3-venv bookworm`` from Debian's
   mirror into a cache directory (kept: later builds start from a copy of it);
2. a copy of that root filesystem gets ``python3 -m venv /opt/kernel`` and, inside the chroot
   (with the host's CA bundle and resolv.conf copied in for the duration), ``pip install`` of
   ipykernel, numpy, pandas and the instructor's extra packages (pip's download cache is
   kept in a wheelhouse in the cache directory too);
3. the tree is streamed as a tar to the Docker engine with the SDK (``import_image_from_data``):
   the image is the file system, nothing else.

The tag carries a hash of the recipe version and the package list (:func:`image_tag`), so an
image is built once per recipe + package set and reused after that.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RECIPE_VERSION = 1
SUITE = "bookworm"  # Debian 12: Python 3.11, the grader's own major.minor on Debian 12
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("ipykernel>=6.29", "numpy", "pandas")
DEBIAN_PACKAGES = ("python3", "python3-venv")
REPOSITORY = "kodelab-sandbox"
KERNEL_PREFIX = "/opt/kernel"
KERNEL_PYTHON = f"{KERNEL_PREFIX}/bin/python"
IMAGE_LABEL = "kodelab.image"
_WORK_SPACE = 4 << 30  # free bytes wanted on /dev/shm to assemble the image there
# Left out of the image: package caches, documentation, apt's lists.
_PRUNE = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "root/.cache",
)
# Host settings pip inside the chroot may need (never a path on the host).
_PIP_ENV = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_TRUSTED_HOST",
    "PIP_DEFAULT_TIMEOUT",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)


class ImageBuildError(RuntimeError):
    """The image could not be built; the message says what failed and how to fix it."""


def package_list(extra: Sequence[str] = ()) -> list[str]:
    """Every pip requirement of the image: the base set, then the sorted, validated extras."""
    from packaging.requirements import InvalidRequirement, Requirement

    extras = []
    for item in extra:
        text = item.strip()
        try:
            if not text or text.startswith("-"):
                raise InvalidRequirement(text)
            Requirement(text)
        except InvalidRequirement:
            raise ImageBuildError(
                f"not a pip requirement: {item!r} (expected a name like 'scipy' or 'scipy>=1.11')"
            ) from None
        if text not in extras and text not in BASE_PACKAGES:
            extras.append(text)
    return [*BASE_PACKAGES, *sorted(extras)]


def image_tag(extra: Sequence[str] = (), repository: str = REPOSITORY) -> str:
    """``repository:<hash>`` of the recipe version and package list: same inputs, same tag."""
    content = json.dumps(
        {
            "recipe": RECIPE_VERSION,
            "suite": SUITE,
            "debian": list(DEBIAN_PACKAGES),
            "packages": package_list(extra),
        },
        sort_keys=True,
    )
    return f"{repository}:{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def default_cache_dir() -> Path:
    """``<jupyter data dir>/kodelab/images``."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kodelab" / "images"


def build_problems() -> list[str]:
    """Why this machine cannot build the image (empty when it can)."""
    found = []
    if os.geteuid() != 0:
        found.append(
            "building the sandbox image needs root (debootstrap, chroot): run "
            "`sudo kodelab image build` once"
        )
    if not shutil.which("debootstrap"):
        found.append("debootstrap is not installed: run `apt-get install debootstrap`")
    for tool in ("chroot", "unshare", "mount", "tar", "cp"):
        if not shutil.which(tool):
            found.append(f"`{tool}` is missing: install coreutils, util-linux, mount and tar")
    return found


@dataclass
class BuildReport:
    """What one build did and how long each step took."""

    tag: str
    packages: list[str]
    base_cached: bool = False
    steps: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    built: bool = True


class _Progress:
    """Step lines on stderr (rich), with a spinner showing the running step's last line."""

    def __init__(self, quiet: bool = False) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, quiet=quiet)
        self.status: Any = None

    @contextlib.contextmanager
    def step(self, title: str, timings: dict[str, float], key: str) -> Iterator[Callable]:
        began = time.monotonic()
        with self.console.status(f"[bold]{title}[/]") as status:

            def update(line: str) -> None:
                line = line.strip()
                if line:
                    status.update(f"[bold]{title}[/] [dim]{line[-100:]}[/]")

            yield update
        timings[key] = round(time.monotonic() - began, 2)
        self.console.print(f"[green]✓[/] {title} [dim]({timings[key]:.1f} s)[/]")

    def note(self, text: str) -> None:
        self.console.print(text)


def _run(cmd: list[str], on_line: Callable[[str], None], log: Path, **kw: Any) -> None:
    """Run ``cmd``; its output goes to ``log`` and, line by line, to ``on_line``."""
    with log.open("ab") as sink:
        sink.write(f"\n$ {' '.join(cmd)}\n".encode())
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw
        )
        assert proc.stdout is not None
        tail: list[str] = []
        for raw in proc.stdout:
            sink.write(raw)
            line = raw.decode("utf-8", "replace")
            tail = [*tail[-19:], line.rstrip()]
            on_line(line)
        code = proc.wait()
    if code != 0:
        shown = "\n".join(tail)
        raise ImageBuildError(
            f"`{' '.join(cmd[:4])} ...` failed (exit {code}); see {log}:\n{shown}"
        )


class ImageBuilder:
    """Builds (or finds) the sandbox image for a package list, offline from a Debian mirror."""

    def __init__(
        self,
        client: Any,
        cache_dir: Path | str | None = None,
        extra_packages: Sequence[str] = (),
        mirror: str = DEFAULT_MIRROR,
        repository: str = REPOSITORY,
        quiet: bool = False,
    ) -> None:
        self.client = client
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.packages = package_list(extra_packages)
        self.extra = list(extra_packages)
        self.mirror = mirror
        self.repository = repository
        self.tag = image_tag(extra_packages, repository)
        self.quiet = quiet
        self._lock = threading.Lock()

    # -- queries -------------------------------------------------------------------------

    def exists(self, tag: str | None = None) -> bool:
        """Whether the engine already has the image."""
        import docker.errors

        try:
            self.client.images.get(tag or self.tag)
        except docker.errors.ImageNotFound:
            return False
        return True

    def _base_dir(self) -> Path:
        key = json.dumps([RECIPE_VERSION, SUITE, list(DEBIAN_PACKAGES), self.mirror])
        return self.cache_dir / f"base-{SUITE}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"

    def _work_parent(self) -> Path:
        """Where the image tree is assembled: a tmpfs when it has room (much faster)."""
        shm = Path("/dev/shm")
        with contextlib.suppress(OSError):
            stat = os.statvfs(shm)
            if stat.f_bavail * stat.f_frsize > _WORK_SPACE and os.access(shm, os.W_OK):
                return shm
        return self.cache_dir

    # -- building ------------------------------------------------------------------------

    def ensure(self, force: bool = False, also_tag: Sequence[str] = ()) -> BuildReport:
        """Build the image unless the engine has it (``force``: rebuild anyway)."""
        started = time.monotonic()
        with self._lock:
            if not force and self.exists():
                report = BuildReport(self.tag, self.packages, built=False)
            else:
                problems = build_problems()
                if problems:
                    raise ImageBuildError(
                        f"the sandbox image {self.tag} is missing and cannot be built here: "
                        + " ".join(problems)
                    )
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                os.chmod(self.cache_dir, 0o700)
                with (self.cache_dir / "build.lock").open("w") as lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time per cache
                    if not force and self.exists():  # another process built it meanwhile
                        report = BuildReport(self.tag, self.packages, built=False)
                    else:
                        report = self._build()
            for name in also_tag:
                repo, sep, tag = name.rpartition(":")
                if not sep or "/" in tag:
                    repo, tag = name, "latest"
                self.client.images.get(self.tag).tag(repo, tag)
        report.seconds = round(time.monotonic() - started, 2)
        return report

    def _build(self) -> BuildReport:
        progress = _Progress(self.quiet)
        report = BuildReport(self.tag, self.packages)
        log = self.cache_dir / "build.log"
        log.write_text("")  # the log of the latest build only
        progress.note(f"Building sandbox image [bold]{self.tag}[/] (log: {log})")
        base = self._base_dir()
        rootfs = base / "rootfs"
        if (base / "complete").exists():
            report.base_cached = True
            progress.note(f"[green]✓[/] Debian {SUITE} base [dim](cached in {base})[/]")
        else:
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir(parents=True)
            title = f"debootstrap {SUITE} (minbase + python3) from {self.mirror}"
            with progress.step(title, report.steps, "debootstrap") as update:
                _run(
                    [
                        # A private mount namespace: the /proc and /sys debootstrap mounts
                        # in the target vanish with it, even if it is interrupted.
                        shutil.which("unshare") or "/usr/bin/unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "--",
                        shutil.which("debootstrap") or "debootstrap",
                        "--variant=minbase",
                        f"--include={','.join(DEBIAN_PACKAGES)}",
                        SUITE,
                        str(rootfs),
                        self.mirror,
                    ],
                    update,
                    log,
                )
            (base / "complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
        work = self._work_parent() / f"kodelab-image-build-{self.tag.rpartition(':')[2]}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            with progress.step("copy the base file system", report.steps, "copy") as update:
                _run(["cp", "-a", str(rootfs), str(work)], update, log)
            with progress.step(f"python3 -m venv {KERNEL_PREFIX}", report.steps, "venv") as update:
                chroot = shutil.which("chroot") or "/usr/sbin/chroot"
                venv = [chroot, str(work), "/usr/bin/python3", "-m", "venv", KERNEL_PREFIX]
                _run(venv, update, log, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
            title = f"pip install {' '.join(self.packages)}"
            with progress.step(title, report.steps, "pip") as update:
                self._pip_install(work, update, log)
            self._prune(work)
            with progress.step(f"docker import as {self.tag}", report.steps, "import") as update:
                self._import(work, update)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return report

    def _pip_install(self, work: Path, update: Callable[[str], None], log: Path) -> None:
        """pip inside the chroot, with the host's CA bundle and resolver copied in for the
        duration and the wheelhouse bind-mounted in a private mount namespace (so the mount
        disappears with the process, whatever happens)."""
        lent: list[tuple[Path, bytes | None]] = []
        for host, inner in (
            (
                Path("/etc/ssl/certs/ca-certificates.crt"),
                work / "etc/ssl/certs/ca-certificates.crt",
            ),
            (Path("/etc/resolv.conf"), work / "etc/resolv.conf"),
        ):
            before = inner.read_bytes() if inner.is_file() and not inner.is_symlink() else None
            if host.is_file():
                inner.parent.mkdir(parents=True, exist_ok=True)
                if inner.is_symlink():
                    inner.unlink()
                shutil.copyfile(host, inner)
                lent.append((inner, before))
        cache = self.cache_dir / "pip"
        (cache / "wheels").mkdir(parents=True, exist_ok=True)
        (work / "var/cache/kodelab-pip").mkdir(parents=True, exist_ok=True)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
        env.update({k: os.environ[k] for k in _PIP_ENV if k in os.environ})
        # Wheels are downloaded into a wheelhouse kept in the cache directory (files already
        # there are not fetched again), then installed from it; an install that needs more
        # than the wheelhouse (an sdist's build requirements) falls back to the index.
        script = (
            'cache=$1; root=$2; shift 2; mount --bind "$cache" "$root/var/cache/kodelab-pip" '
            "|| exit 1; pip=/opt/kernel/bin/pip; wheels=/var/cache/kodelab-pip/wheels; "
            'chroot "$root" $pip download --dest $wheels "$@" || exit 1; '
            'chroot "$root" $pip install --no-index --find-links $wheels "$@" '
            '|| exec chroot "$root" $pip install --find-links $wheels "$@"'
        )
        try:
            _run(
                [
                    shutil.which("unshare") or "/usr/bin/unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "--",
                    "/bin/sh",
                    "-c",
                    script,
                    "sh",
                    str(cache),
                    str(work),
                    "--no-input",
                    "--disable-pip-version-check",
                    "--progress-bar",
                    "off",
                    "--no-cache-dir",
                    *self.packages,
                ],
                update,
                log,
                env=env,
            )
        finally:
            for inner, before in lent:
                if before is None:
                    inner.unlink(missing_ok=True)
                else:
                    inner.write_bytes(before)
            with contextlib.suppress(OSError):
                (work / "var/cache/kodelab-pip").rmdir()

    def _prune(self, work: Path) -> None:
        site = work / KERNEL_PREFIX.lstrip("/") / "lib"
        for package in ("numpy", "pandas"):  # their test suites: ~60 MB nothing imports
            for tests in site.glob(f"python3*/site-packages/{package}/**/tests"):
                if tests.is_dir() and not tests.is_symlink():
                    shutil.rmtree(tests, ignore_errors=True)
        for rel in _PRUNE:
            target = work / rel
            if target.is_dir() and not target.is_symlink():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)

    def _import(self, work: Path, update: Callable[[str], None]) -> None:
        """Stream the tree as a tar to the engine (no temporary tarball on disk)."""
        tar = subprocess.Popen(
            ["tar", "-C", str(work), "--numeric-owner", "-cf", "-", "."],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert tar.stdout is not None
        sent = 0

        def chunks() -> Iterator[bytes]:
            nonlocal sent
            while True:
                block = tar.stdout.read(1 << 20)  # type: ignore[union-attr]
                if not block:
                    return
                sent += len(block)
                if sent % (64 << 20) < len(block):
                    update(f"{sent >> 20} MB sent")
                yield block

        old = None
        with contextlib.suppress(Exception):
            old = self.client.images.get(self.tag).id
        repo, _, tag = self.tag.rpartition(":")
        changes = [
            "ENV PATH=/usr/local/bin:/usr/bin:/bin",
            "ENV LANG=C.UTF-8",
            "WORKDIR /tmp",
            "USER 65534:65534",
            f"LABEL {IMAGE_LABEL}=1",
            f"LABEL kodelab.recipe={RECIPE_VERSION}",
            f"LABEL kodelab.packages={json.dumps(' '.join(self.packages))}",
            f'CMD ["{KERNEL_PYTHON}", "-c", "import ipykernel"]',
        ]
        try:
            answer = self.client.api.import_image_from_data(
                chunks(), repository=repo, tag=tag, changes=changes
            )
        finally:
            tar.stdout.close()
            code = tar.wait()
            errors = tar.stderr.read().decode("utf-8", "replace") if tar.stderr else ""
        if code != 0:
            raise ImageBuildError(f"tar of the image tree failed (exit {code}): {errors[-500:]}")
        failed = []
        for line in str(answer).splitlines():
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and message.get("error"):
                    failed.append(str(message["error"]))
        if failed or not self.exists():
            raise ImageBuildError(f"docker import of {self.tag} failed: {' '.join(failed)[-500:]}")
        if old is not None and old != self.client.images.get(self.tag).id:
            with contextlib.suppress(Exception):  # the rebuilt image's predecessor, if unused
                self.client.images.remove(old)
