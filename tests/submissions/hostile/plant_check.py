"""Attack (second half of plant_files.py): use what an earlier submission left behind.

Graded after plant_files.py: looks for its files in /tmp, /var/tmp,
/dev/shm, for its SysV objects (keys 0xFC05xxxx) and its user-keyring key
(found only if this file runs under the same uid), and runs
the setuid interpreter it planted to see whether that gives another uid
(the earlier submission's: enough to signal or ptrace that uid's next
worker). Reports what it found; defines nothing.

Expected verdict: it finds nothing (0 points either way).
"""
import ctypes
import glob
import os
import subprocess

libc = ctypes.CDLL(None, use_errno=True)


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


found = sorted(glob.glob("/tmp/fchostile-plant*") + glob.glob("/var/tmp/fchostile-plant*") + glob.glob("/dev/shm/fchostile-plant*"))
_say("seen_files", len(found))
_say("seen_sysv", sum(1 for fn, key in ((libc.shmget, 0xFC050001), (libc.msgget, 0xFC050002)) if fn(key, 0) >= 0)
     + (1 if libc.semget(0xFC050003, 0, 0) >= 0 else 0))
libc.syscall.restype = ctypes.c_long
key = libc.syscall(250, 10, ctypes.c_long(-4), b"user", b"fchostile-plant", 0)  # KEYCTL_SEARCH in @u
_say("seen_key", "yes" if key >= 0 else "no")
gained = "no"
_say("my_uid", os.getuid())
for f in found:
    cmd = [f, "-S", "-c", "import os; print(os.geteuid())"] if "plant-py" in f else [f, "-u"] if "plant-id" in f else None
    if cmd is None:
        continue
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=5)
        euid = int(r.stdout.strip() or -1)
        _say("euid_" + os.path.basename(f), euid)
        if euid not in (-1, os.getuid()):
            gained = f"yes (euid {euid}, mine {os.getuid()})"
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        _say("euid_" + os.path.basename(f), f"failed {type(e).__name__}")
_say("setuid_gained", gained)
