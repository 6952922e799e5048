"""Helpers shared by the oracle tests: skipping, running medseg, LPS maths."""
import os
import subprocess
import sys
import tempfile

SKIP = 77


def need(*modules):
    """Import the oracle modules or exit 77 (ctest: skipped), saying which."""
    out = []
    for m in modules:
        try:
            out.append(__import__(m))
        except ImportError:
            print(f"SKIP: Python package {m} is missing (install python3-{m})")
            sys.exit(SKIP)
    return out


def shared(*parts):
    """A path under ../shared/data or exit 77 when that folder is absent."""
    p = os.path.join(os.environ.get("SHARED_DATA", "../shared/data"), *parts)
    if not os.path.exists(p):
        print(f"SKIP: {p} is absent (../shared/data is not part of a user's clone)")
        sys.exit(SKIP)
    return p


def medseg(*args, check=True):
    r = subprocess.run([os.environ["MEDSEG"], *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"medseg {' '.join(map(str, args))} -> {r.returncode}\n{r.stderr}")
    return r


def tmpdir():
    return tempfile.mkdtemp(prefix="medseg-test-")


def ras_to_lps(aff):
    import numpy as np
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ aff


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)

    def done(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
