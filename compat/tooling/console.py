"""A quiet console for command-line programs that run TensorFlow.

:func:`quiet_tensorflow` silences what TensorFlow prints on its own: the C++ start-up
lines (oneDNN, CUDA stubs, the CPU feature guard, absl's "before InitializeLog" notice),
later C++ log lines (such as the C API's warnings), the Python ``tensorflow`` and ``absl``
loggers below ERROR (deprecation notices, "Restoring parameters from ..."), and Python
warnings. Call it *before* anything imports TensorFlow: the C++ level is read from the
environment when TensorFlow loads, and the start-up lines are printed while it loads.

Self-contained (standard library only, imports neither TensorFlow nor the shim), so any
CLI can use it::

    undo = quiet_tensorflow(verbose=args.verbose)   # before TF is imported
    try:
        ...                                          # import TF, do the work
    finally:
        undo()                                       # for callers that run in-process
"""

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import tempfile
import warnings

__all__ = ["quiet_tensorflow"]

# TF_CPP_MIN_LOG_LEVEL: 0 all, 1 no INFO, 2 no WARNING, 3 no ERROR either (a CPU-only
# machine with CUDA stubs logs "failed call to cuInit" as an ERROR). Real failures still
# reach the program as Python exceptions.
CPP_MIN_LOG_LEVEL = "3"
PYTHON_LOGGERS = ("tensorflow", "absl")


def quiet_tensorflow(verbose=False):
    """Silences TensorFlow's own console output for this process (no-op if `verbose`).

    Returns a function that undoes the Python-side changes (logger levels, warning
    filters, the import hook, the environment variable); what TensorFlow already read
    while loading stays as it was. If TensorFlow is already imported, only the Python
    side is quieted. Python warning filters set on the command line (``-W``,
    ``PYTHONWARNINGS``) are kept.
    """
    if verbose:
        return lambda: None
    saved_env = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    saved_levels = {name: logging.getLogger(name).level for name in PYTHON_LOGGERS}
    caught = warnings.catch_warnings()  # restores the filters on undo
    caught.__enter__()
    saved_deprecation = []
    undone = []

    os.environ["TF_CPP_MIN_LOG_LEVEL"] = CPP_MIN_LOG_LEVEL
    for name in PYTHON_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if not sys.warnoptions:
        warnings.simplefilter("ignore")

    def after_import():
        # TF's deprecation notices go to the "tensorflow" logger (already at ERROR);
        # this also skips building them.
        try:
            from tensorflow.python.util import deprecation
        except ImportError:  # pragma: no cover - a TF without the private module
            return
        saved_deprecation.append(deprecation._PRINT_DEPRECATION_WARNINGS)
        deprecation._PRINT_DEPRECATION_WARNINGS = False

    hook = None
    if "tensorflow" in sys.modules:
        after_import()
    else:
        hook = _QuietImport(after_import)
        sys.meta_path.insert(0, hook)

    def undo():
        if undone:
            return
        undone.append(True)
        if hook is not None and hook in sys.meta_path:
            sys.meta_path.remove(hook)
        if saved_env is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = saved_env
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        caught.__exit__(None, None, None)
        if saved_deprecation:
            from tensorflow.python.util import deprecation
            deprecation._PRINT_DEPRECATION_WARNINGS = saved_deprecation[0]

    return undo


class _QuietImport(importlib.abc.MetaPathFinder):
    """Runs the import of ``tensorflow`` with file descriptor 2 captured: the lines its
    native libraries print while loading (absl logging before ``InitializeLog``, which
    no environment variable silences) are dropped, or shown if the import fails. Leaves
    ``sys.meta_path`` once the import ran (a mere ``find_spec`` probe does not count)."""

    def __init__(self, after_import):
        self.after_import = after_import
        self.finding = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow" or self.finding:
            return None
        self.finding = True  # the finders after this one find the real spec
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self.finding = False
        if spec is not None and spec.loader is not None and hasattr(spec.loader,
                                                                     "exec_module"):
            spec.loader = _QuietLoader(spec.loader, self)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader, finder):
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # the module keeps the real loader (importlib.reload, resources, ...)
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        try:
            with _stderr_fd_captured():
                self.loader.exec_module(module)
        finally:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self.finder)
        self.finder.after_import()

    def __getattr__(self, name):
        return getattr(self.loader, name)


@contextlib.contextmanager
def _stderr_fd_captured():
    """Sends file descriptor 2 to a temporary file for the block; on an exception the
    captured bytes are written to the real stderr before it propagates."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to protect
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        _flush_stderr()
        os.dup2(tmp.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            _flush_stderr()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                tmp.seek(0)
                captured = tmp.read()
                if captured:
                    os.write(2, captured)


def _flush_stderr():
    with contextlib.suppress(Exception):
        sys.stderr.flush()
