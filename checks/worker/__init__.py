"""The sandboxed side of the grader: numpy and the standard library only.

Everything in this package runs in a process that grades untrusted code, or
starts one; none of it imports torch, SymPy, Hypothesis or the rest of
``checks``. The grader bind-mounts exactly these files (with
``checks/core/wire.py``, ``checks/core/wirejson.py`` and ``checks/core/gradfns.py``) into each sandbox.

- :mod:`.frames`  length-prefixed frames on a socket, with a size cap
- :mod:`.zygote`  the launcher: forks, joins a cgroup, execs bubblewrap
- :mod:`.serve`   inside the sandbox: the supervisor (the grader's only peer)
- :mod:`.runner`  the submission's process
- :mod:`.common`  what both share: the restricted unpickler, the in-place rule, limits
- :mod:`.guard`   the import hook that explains a policy verdict
- :mod:`.filter`  the seccomp filters (libseccomp through ``pyseccomp``)
"""
