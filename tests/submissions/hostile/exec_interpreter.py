"""Attack: execve another program: /bin/sh to read the reference, a fresh Python with torch.

1. ``/bin/sh -c 'cat <root>/reference/activations.py'`` (the root from the
   zygote's command line): sigmoid and prelu_backward come from it.
2. A second interpreter (sys.executable, /proc/self/exe, /usr/bin/python3.11,
   /usr/bin/python3), started once at import with the site-packages of this
   one on its path and no import hook at all, imports torch and serves
   autograd gradients over pipes: sigmoid_backward, tanh_backward,
   relu_backward and leaky_relu_backward come from it.

Expected verdict: no points (execve is refused, or neither the reference
nor torch exists inside the sandbox); the neighbour keeps full marks;
no helper process is left.
"""
import os
import pickle
import re
import struct
import subprocess
import sys

import numpy as np


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _roots():
    out = []
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as fh:
            out += re.findall(r"insert\(0, '([^']+)'\)", fh.read().decode("utf-8", "replace"))
    except OSError:
        pass
    return out + ["/work/main"]


def _via_shell():
    for root in _roots():
        try:
            r = subprocess.run(["/bin/sh", "-c", f"cat '{root}/reference/activations.py'"], capture_output=True, timeout=5)
        except (OSError, subprocess.SubprocessError) as e:
            _say("shell", f"failed {type(e).__name__} {getattr(e, 'errno', '')}")
            return
        src = r.stdout.decode("utf-8", "replace")
        if "def prelu_backward" in src:
            ns = {"__name__": "via_shell"}
            exec(compile(src, "via_shell", "exec"), ns)
            globals()["sigmoid"] = ns["sigmoid"]
            globals()["prelu_backward"] = ns["prelu_backward"]
            _say("shell", f"ok read {len(src)} bytes")
            return
    _say("shell", "ok but nothing read")


HELPER = r'''
import pickle, struct, sys
sys.path[:0] = SP
import torch
import numpy as np
inp, out = sys.stdin.buffer, sys.stdout.buffer
out.write(b"READY\n"); out.flush()
F = {"sigmoid_backward": torch.sigmoid, "tanh_backward": torch.tanh, "relu_backward": torch.relu}
while True:
    h = inp.read(4)
    if len(h) < 4:
        break
    name, args = pickle.loads(inp.read(struct.unpack(">I", h)[0]))
    if name == "leaky_relu_backward":
        x, a, dy = args
        f = lambda t: torch.nn.functional.leaky_relu(t, float(a))
    else:
        x, dy = args
        f = F[name]
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    (g,) = torch.autograd.grad(f(xt), xt, torch.tensor(np.asarray(dy, dtype=np.float64)))
    data = pickle.dumps(g.detach().numpy().copy())
    out.write(struct.pack(">I", len(data)) + data); out.flush()
'''

_helper = None


def _start_helper():
    global _helper
    sp = [p for p in sys.path if isinstance(p, str) and "site-packages" in p and not p.startswith("/proc/")]
    code = HELPER.replace("SP", repr(sp))
    for exe in (sys.executable, "/proc/self/exe", "/usr/bin/python3.11", "/usr/bin/python3"):
        try:
            p = subprocess.Popen([exe, "-S", "-c", code, "fchostile-exec-helper"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
        except OSError as e:
            _say(f"exec_{exe.replace('/', '|')}", f"failed {e.errno}")
            continue
        line = p.stdout.readline()
        if line.strip() == b"READY":
            _helper = p
            _say("torch_helper", f"ok via {exe}")
            return
        p.kill()
        p.wait()
        _say(f"exec_{exe.replace('/', '|')}", f"ran but no torch (exit {p.returncode})")
    _say("torch_helper", "failed")


def _ask(name, *args):
    data = pickle.dumps((name, args))
    _helper.stdin.write(struct.pack(">I", len(data)) + data)
    _helper.stdin.flush()
    (n,) = struct.unpack(">I", _helper.stdout.read(4))
    return pickle.loads(_helper.stdout.read(n))


_via_shell()
_start_helper()

if _helper is not None:
    def sigmoid_backward(x, dy):
        return _ask("sigmoid_backward", x, dy)

    def tanh_backward(x, dy):
        return _ask("tanh_backward", x, dy)

    def relu_backward(x, dy):
        return _ask("relu_backward", x, dy)

    def leaky_relu_backward(x, a, dy):
        return _ask("leaky_relu_backward", x, a, dy)
