"""Control groups: limits on a whole worker tree (memory with its tmpfs, processes, CPU).

One cgroup per submission, created under the grader's OWN cgroup (so the
grader's own limits still hold), joined by the zygote's child before it
execs the sandbox, so every process the submission starts is in it:

- cgroup v1 (memory, pids, cpu controllers writable by root, as on the
  machines this project is developed on): ``memory.limit_in_bytes`` (and
  ``memory.memsw.limit_in_bytes``), ``pids.max``, ``cpu.cfs_quota_us``;
- cgroup v2 where the grader's cgroup is delegated to it (``memory.max``,
  ``pids.max``, ``cpu.max``, ``cgroup.kill``).

After the submission every process left in the group is killed, the OOM
count read (a memory verdict names the limit) and the group removed.
"""

from __future__ import annotations

import os
import signal
import time

V1_ROOT = "/sys/fs/cgroup"
V1_CONTROLLERS = ("memory", "pids", "cpu")


def _own(controller: str | None) -> str | None:
    """This process's cgroup path for ``controller`` (v1) or the unified one (None)."""
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _id, ctrls, path = line.rstrip("\n").split(":", 2)
                if controller is None and _id == "0" and ctrls == "":
                    return path
                if controller is not None and controller in ctrls.split(","):
                    return path
    except OSError:
        pass
    return None


def _v2_root() -> str | None:
    for m in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        if os.path.exists(os.path.join(m, "cgroup.controllers")):
            return m
    return None


def _v1_dirs() -> dict[str, str] | None:
    out = {}
    for c in V1_CONTROLLERS:
        own = _own(c)
        d = os.path.join(V1_ROOT, c) + (own if own and own != "/" else "")
        if own is None or not os.path.isdir(d) or not os.access(d, os.W_OK):
            return None
        out[c] = d
    return out


def _v2_dir() -> str | None:
    root, own = _v2_root(), _own(None)
    if root is None or own is None:
        return None
    d = root + (own if own != "/" else "")
    try:
        with open(os.path.join(d, "cgroup.controllers")) as fh:
            have = set(fh.read().split())
    except OSError:
        return None
    if not {"memory", "pids"} <= have or not os.access(d, os.W_OK):
        return None
    return d


def available() -> tuple[str | None, str]:
    """("v1" | "v2" | None, why not)."""
    if os.geteuid() == 0 and _v1_dirs() is not None:
        return "v1", ""
    if _v2_dir() is not None:
        return "v2", ""
    return None, ("no writable cgroup (v1 memory+pids+cpu as root, or a delegated v2 cgroup): memory and CPU "
                  "are limited per process (RLIMIT_AS, RLIMIT_CPU), processes per uid (RLIMIT_NPROC)")


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:
        return ""


class Group:
    """The cgroup(s) of one submission."""

    def __init__(self, kind: str, name: str, memory_mb: int, max_tasks: int, cpus: float = 1.0):
        self.kind = kind
        self.dirs: list[str] = []
        mem = str(int(memory_mb) << 20)
        if kind == "v1":
            base = _v1_dirs()
            if base is None:
                raise OSError("the v1 cgroups are no longer writable")
            for c, d in base.items():
                p = os.path.join(d, name)
                os.mkdir(p, 0o700)
                self.dirs.append(p)
                if c == "memory":
                    _write(os.path.join(p, "memory.limit_in_bytes"), mem)
                    sw = os.path.join(p, "memory.memsw.limit_in_bytes")
                    if os.path.exists(sw):
                        _write(sw, mem)
                    self.memory = p
                elif c == "pids":
                    _write(os.path.join(p, "pids.max"), str(int(max_tasks)))
                elif c == "cpu":
                    period = int(_read(os.path.join(p, "cpu.cfs_period_us")) or 100000)
                    _write(os.path.join(p, "cpu.cfs_quota_us"), str(int(period * cpus)))
        else:
            d = _v2_dir()
            if d is None:
                raise OSError("the v2 cgroup is no longer delegated")
            p = os.path.join(d, name)
            os.mkdir(p, 0o700)
            self.dirs.append(p)
            self.memory = p
            _write(os.path.join(p, "memory.max"), mem)
            if os.path.exists(os.path.join(p, "memory.swap.max")):
                _write(os.path.join(p, "memory.swap.max"), "0")
            _write(os.path.join(p, "pids.max"), str(int(max_tasks)))
            if os.path.exists(os.path.join(p, "cpu.max")):
                _write(os.path.join(p, "cpu.max"), f"{int(100000 * cpus)} 100000")

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.dirs]

    def pids(self) -> list[int]:
        out: set[int] = set()
        for f in self.procs_files:
            out.update(int(x) for x in _read(f).split() if x.isdigit())
        return sorted(out)

    def oom_kills(self) -> int:
        if self.kind == "v1":
            txt = _read(os.path.join(self.memory, "memory.oom_control"))
            for line in txt.splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
            return int(_read(os.path.join(self.memory, "memory.failcnt")) or 0) and 1
        for line in _read(os.path.join(self.memory, "memory.events")).splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def peak_mb(self) -> float:
        f = "memory.max_usage_in_bytes" if self.kind == "v1" else "memory.peak"
        v = _read(os.path.join(self.memory, f)).strip()
        return int(v) / (1 << 20) if v.isdigit() else 0.0

    def kill(self, timeout: float = 5.0) -> bool:
        """Kill every process in the group; True when it is empty."""
        if self.kind == "v2" and self.dirs and os.path.exists(os.path.join(self.dirs[0], "cgroup.kill")):
            try:
                _write(os.path.join(self.dirs[0], "cgroup.kill"), "1")
            except OSError:
                pass
        end = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return True
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if time.monotonic() > end:
                return False
            time.sleep(0.002)

    def remove(self) -> None:
        self.kill()
        for d in self.dirs:
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still exiting
                    time.sleep(0.005)
        self.dirs = []
