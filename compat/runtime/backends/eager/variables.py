"""The session's eager variables, by graph variable name."""

import collections


__all__ = ['VariableMap']


class VariableMap(collections.abc.Mapping):
    """Read-only mapping from TF1 variable name (``'scope/w'`` or ``'scope/w:0'``)
    to the session's eager ``tf.Variable``."""

    def __init__(self, runner):
        self._runner = runner

    def _all(self):
        return self._runner._all_variables()

    def __getitem__(self, name):
        key = name[:-2] if isinstance(name, str) and name.endswith(":0") else name
        variables = self._all()
        if key not in variables:
            raise KeyError(f"No variable named {name!r} in the session's graph")
        return variables[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self._all())
