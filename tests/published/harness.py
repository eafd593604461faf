"""The published-library harness: pinned TF1 packages from PyPI, their imports migrated
by ``compat migrate`` and nothing else, a program using them run on each backend.

- ``install(library)``: ``pip install --no-deps --target`` of the library's pinned
  requirements into a cache (``COMPAT_CORPUS_CACHE``, default
  ``~/.cache/compat-corpus``), once per pinned set; a half-finished install is never
  used (it is built beside the cache entry and renamed into place).
- ``prepare(library, work)``: copies the library's own packages and its drivers into
  `work` and runs :func:`compat.tooling.migrate.migrate` over the copy, as a user would
  (``compat migrate src/``); the cache stays pristine.
- ``run(library, driver, work, backend)``: runs one driver in a fresh interpreter with
  ``COMPAT_BACKEND=backend`` and returns what it recorded (a JSON file), together with
  the number of TensorFlow v1 Sessions the process constructed (``probe/``).
"""

import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from compat.tooling.migrate import migrate

HERE = pathlib.Path(__file__).parent
DRIVERS = HERE / "drivers"
PROBE = HERE / "probe"
REPO = HERE.parent.parent

INSTALL_TIMEOUT = 900   # seconds: a cold cache downloads every pinned wheel
RUN_TIMEOUT = 600


@dataclasses.dataclass(frozen=True)
class Library:
    """One published library of the corpus.

    name, version: the PyPI distribution, pinned.
    requirements: every distribution the drivers need that the project's own install
        does not bring, pinned (installed with ``--no-deps``: old TF1 libraries declare
        ``tensorflow<2``-era pins that would replace TensorFlow).
    packages: the library's own top-level packages or modules, migrated in the copy.
    drivers: programs under ``drivers/`` (TF1 code, migrated like the library).
    tolerance: largest graph-vs-eager difference allowed (0: bit-identical).
    learned: (driver, results) -> None, asserting the driver's model learned.
    what: what the drivers run, for the results table.
    env: extra environment of the driver processes, as (name, value) pairs, for
        reasons unrelated to TensorFlow (each one says why in ``corpus.py``).
    """
    name: str
    version: str
    requirements: tuple
    packages: tuple
    drivers: tuple
    learned: object
    what: str
    tolerance: float = 0.0
    env: tuple = ()

    @property
    def key(self):
        digest = hashlib.sha256("\n".join(self.requirements).encode()).hexdigest()[:12]
        return f"{self.name}-{self.version}-{digest}"


class HarnessError(AssertionError):
    """A step of the harness failed (install, migrate, run); the message says which."""


def cache_dir():
    root = os.environ.get("COMPAT_CORPUS_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "compat-corpus")
    path = pathlib.Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def install(library):
    """The library's pinned requirements installed in the cache; returns the directory."""
    site = cache_dir() / library.key
    if (site / ".complete").exists():
        return site
    partial = pathlib.Path(tempfile.mkdtemp(prefix=f".{library.key}-", dir=cache_dir()))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--disable-pip-version-check", "--no-compile", "--target", str(partial),
               *library.requirements]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        if proc.returncode != 0:
            raise HarnessError(f"pip could not install {library.name} {library.version}'s "
                               f"pinned requirements {list(library.requirements)}:\n"
                               f"{proc.stderr[-4000:]}")
        (partial / ".complete").write_text("\n".join(library.requirements) + "\n")
        if site.exists():  # an earlier, unfinished attempt
            shutil.rmtree(site)
        os.replace(partial, site)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return site


def prepare(library, site, work):
    """Copies the library's packages and drivers to `work`, migrates the copy; returns
    the :class:`compat.tooling.migrate.Migration` results."""
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    for package in library.packages:
        source = site / package
        if source.is_dir():
            shutil.copytree(source, work / package,
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif (site / f"{package}.py").is_file():
            shutil.copy2(site / f"{package}.py", work / f"{package}.py")
        else:
            raise HarnessError(f"{library.name}: no package {package!r} in {site}")
    drivers = work / "corpus_drivers"
    drivers.mkdir()
    for driver in library.drivers:
        shutil.copy2(DRIVERS / driver, drivers / driver)
    return migrate(str(work))


def run(library, driver, site, work, backend):
    """Runs `driver` on `backend` in a fresh interpreter; returns (results, v1_sessions)."""
    work = pathlib.Path(work)
    out = work / f"{driver[:-3]}.{backend}.json"
    probe_out = work / f"{driver[:-3]}.{backend}.probe.json"
    env = dict(os.environ)
    # the migrated copy first, then its pinned requirements, then the probe and the
    # project (compat itself, for a run from a source checkout)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(work), str(site), str(PROBE), str(REPO)]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(COMPAT_BACKEND=backend, CORPUS_OUT=str(out), CORPUS_PROBE=str(probe_out),
               TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0", MPLBACKEND="Agg")
    env.pop("COMPAT_MODULES", None)
    env.update(dict(library.env))
    proc = subprocess.run([sys.executable, "-W", "ignore", str(work / "corpus_drivers" / driver)],
                          cwd=work, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    if proc.returncode != 0:
        raise HarnessError(f"{library.name} {library.version}: {driver} failed on the "
                           f"{backend} backend (exit {proc.returncode}):\n"
                           f"{proc.stderr[-6000:]}")
    if not out.exists():
        raise HarnessError(f"{library.name}: {driver} finished on {backend} without "
                           "recording its results")
    results = json.loads(out.read_text())
    probe = json.loads(probe_out.read_text()) if probe_out.exists() else {}
    return results, probe.get("v1_sessions", 0)


def numbers(value, path=""):
    """{path: float} of every number in a JSON value (the drivers' recorded results)."""
    if isinstance(value, dict):
        out = {}
        for k in sorted(value):
            out.update(numbers(value[k], f"{path}/{k}"))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(numbers(v, f"{path}[{i}]"))
        return out
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return {path: value}
    return {path: float(value)}


def max_difference(a, b):
    """Largest absolute difference between two drivers' results; raises if their
    structure (keys, lengths, non-numeric values) differs."""
    na, nb = numbers(a), numbers(b)
    if na.keys() != nb.keys():
        raise HarnessError(f"the backends recorded different results: only on graph "
                           f"{sorted(na.keys() - nb.keys())[:5]}, only on eager "
                           f"{sorted(nb.keys() - na.keys())[:5]}")
    worst = 0.0
    for key, x in na.items():
        y = nb[key]
        if not isinstance(x, float) or not isinstance(y, float):
            if x != y:
                raise HarnessError(f"{key}: graph {x!r}, eager {y!r}")
            continue
        if x != y:  # nan == nan counts as equal; nan against a number, as infinitely far
            if x != x and y != y:
                continue
            worst = max(worst, float("inf") if (x != x or y != y) else abs(x - y))
    return worst


def record(library, driver, difference):
    """Adds one row to ``results.json`` in the cache: what ran, the largest graph-vs-eager
    difference (the README's table is read from there)."""
    path = cache_dir() / "results.json"
    rows = json.loads(path.read_text()) if path.exists() else {}
    rows[f"{library.name}/{driver}"] = {"library": library.name, "version": library.version,
                                        "what": library.what, "max_difference": difference}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=1, sort_keys=True))
    os.replace(tmp, path)
