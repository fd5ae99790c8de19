"""Private uids for the job slots (root only), and what a uid leaves behind.

A job slot reserves an unused uid (61000-64999) with a lock file; after each
submission its processes are killed (the zygote's ``sweep``), and below the
namespaces level its files in the world-writable places and its System V IPC
objects are removed here.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import subprocess
import threading

UID_RANGE = range(61000, 65000)


class UidError(Exception):
    """No free uid for a job slot."""


# --------------------------------------------------------------------------

_UID_LOCK_DIR = "/tmp/formulacheck-uids"
_uid_mutex = threading.Lock()


def _uid_in_use(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    return True
            except OSError:
                pass
    return False


def reserve_uid(drop: bool = True):
    """(uid, lock file) of an unused uid, held until the lock file is closed; (None, None) if not root or not ``drop``."""
    if os.geteuid() != 0 or not drop:
        return None, None
    with _uid_mutex:
        os.makedirs(_UID_LOCK_DIR, mode=0o700, exist_ok=True)
        for uid in UID_RANGE:
            fh = open(os.path.join(_UID_LOCK_DIR, f"{uid}.lock"), "a")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            if _uid_in_use(uid):
                fh.close()
                continue
            return uid, fh
    raise UidError(f"no free uid in {UID_RANGE.start}..{UID_RANGE.stop - 1} for a sandbox worker")


def remove_ipc_of(uid: int) -> int:
    """Remove the System V shared memory, queues and semaphores owned by ``uid`` (they outlive processes)."""
    n = 0
    for kind, flag in (("shm", "-m"), ("msg", "-q"), ("sem", "-s")):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        if not lines:
            continue
        cols = lines[0].split()
        try:
            i_id, i_uid = cols.index({"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]), cols.index("uid")
        except ValueError:
            continue
        ids = [ln.split()[i_id] for ln in lines[1:] if len(ln.split()) > i_uid and ln.split()[i_uid] == str(uid)]
        for x in ids:
            try:
                subprocess.run(["ipcrm", flag, x], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
                n += 1
            except (OSError, subprocess.TimeoutExpired):
                pass
    return n


def remove_files_of(uid: int, roots: list[str], depth: int = 8) -> int:
    """Remove every file owned by ``uid`` under ``roots`` (what a submission left in shared places).

    A private uid can only create entries in folders anyone may write to, so
    only those (and what the uid owns) are looked into: cheap even in a big /tmp.
    """
    import stat

    n = 0
    for root in roots:
        try:
            entries = list(os.scandir(root))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_uid == uid:
                try:
                    if stat.S_ISDIR(st.st_mode):
                        shutil.rmtree(e.path, ignore_errors=True)
                    else:
                        os.unlink(e.path)
                    n += 1
                except OSError:
                    pass
            elif stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002 and depth > 0:
                n += remove_files_of(uid, [e.path], depth - 1)
    return n


