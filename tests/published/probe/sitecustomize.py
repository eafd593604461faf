"""Loaded by every driver process the published-library harness starts: counts the
TensorFlow v1 Sessions the process constructs (on the eager backend there must be none)
and records the count in ``$CORPUS_PROBE`` when the process exits; restores Python
3.9's ``collections`` aliases where a library asks for them (``corpus.py``)."""

import atexit
import json
import os
import sys

_OUT = os.environ.get("CORPUS_PROBE")
_count = [0]


class _Hook:
    """Patches ``BaseSession.__init__`` once TensorFlow's session module is imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow.python.client.session":
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        loader = spec.loader
        exec_module = loader.exec_module

        def patched(module):
            exec_module(module)
            original = module.BaseSession.__init__

            def counting(self, *args, **kwargs):
                _count[0] += 1
                return original(self, *args, **kwargs)

            module.BaseSession.__init__ = counting

        loader.exec_module = patched
        return spec


def _record():
    with open(_OUT, "w") as f:
        json.dump({"v1_sessions": _count[0]}, f)


# CORPUS_COLLECTIONS_ALIASES=1: the collections.Mapping-style aliases Python 3.10
# removed, for libraries written before it (nothing to do with TensorFlow).
if os.environ.get("CORPUS_COLLECTIONS_ALIASES") == "1":
    import collections
    import collections.abc

    for _name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Set",
                  "MutableSet", "Iterable", "Iterator", "Callable", "Hashable", "Sized",
                  "Container", "OrderedDict"):
        if not hasattr(collections, _name):
            setattr(collections, _name, getattr(collections.abc, _name))

if _OUT:
    sys.meta_path.insert(0, _Hook())
    atexit.register(_record)
