"""``tf.contrib.training.HParams``: TF1's hyperparameter container, for TF1 code that
builds its configuration with it (GPT-2's ``model.py``, tensor2tensor-style code).

Written after TF 1.15's documented behaviour: typed hyperparameters (the type is fixed
by the first value; a list fixes its element type), ``parse`` of ``"a=1,b=[2,3]"``
strings, ``override_from_dict``, JSON round trips, ``get`` with a type-checked default.
Not covered: the ``HParamDef`` protocol buffer (``to_proto`` / ``from_proto`` /
``hparam_def=``), which lived in tf.contrib and has no TF2 counterpart.
"""

import json
import numbers
import re

__all__ = ["HParams", "parse_values"]

# name[index]=value | name=[v1, v2] | name=value, separated by commas
_ASSIGNMENT = re.compile(r"""
    (?P<name>[a-zA-Z][\w.]*)
    (?:\[\s*(?P<index>\d+)\s*\])?
    \s*=\s*
    (?:(?P<val>[^,\[]*) | \[(?P<vals>[^\]]*)\])
    (?:$|,\s*)""", re.VERBOSE)


def _cast(name, param_type, value):
    """`value` as `param_type`, refusing the lossy or surprising conversions TF1
    refused (a number to a string or bool, a bool to a number, a float to an int)."""
    if type(value) is param_type or issubclass(param_type, type(None)):
        return value
    text_types = (str, bytes)
    problem = None
    if issubclass(param_type, text_types) and not isinstance(value, text_types):
        problem = "not a string"
    elif issubclass(param_type, bool) != isinstance(value, bool):
        problem = "bool and non-bool do not convert"
    elif issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        problem = "not an integer"
    elif issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
        problem = "not a number"
    if problem is not None:
        raise ValueError(f"Could not cast hparam '{name}' of type '{param_type}' from value "
                         f"{value!r} ({problem})")
    return param_type(value)


def _parse_bool(text):
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    return bool(int(text))


def parse_values(values, type_map, ignore_unknown=False):
    """Parses ``"name=value,list=[1,2],vec[1]=3"`` into {name: value} with each name's
    type from `type_map` (a list gives a list, an indexed assignment {index: value}).
    Unknown names raise ValueError unless `ignore_unknown`."""
    results = {}
    pos = 0
    while pos < len(values):
        match = _ASSIGNMENT.match(values, pos)
        if match is None:
            raise ValueError(f"Malformed hyperparameter value: {values[pos:]}")
        pos = match.end()
        name, index = match.group("name"), match.group("index")
        if name not in type_map:
            if ignore_unknown:
                continue
            raise ValueError(f"Unknown hyperparameter type for {name}")
        param_type = type_map[name]
        parse = _parse_bool if param_type is bool else param_type

        def fail(text, name=name, param_type=param_type):
            raise ValueError(f"Could not parse hparam '{name}' of type "
                             f"'{param_type.__name__}' with value '{text}' in {values}")

        def reused(what):
            raise ValueError(f"Multiple assignments to variable '{what}' in {values}")

        if match.group("val") is not None:
            text = match.group("val")
            try:
                value = parse(text)
            except ValueError:
                fail(text)
            if index is None:
                if name in results:
                    reused(name)
                results[name] = value
            else:
                slots = results.setdefault(name, {})
                if not isinstance(slots, dict):
                    reused(name)
                if int(index) in slots:
                    reused(f"{name}[{index}]")
                slots[int(index)] = value
        else:
            if index is not None:
                raise ValueError(f"Assignment of a list to a list index: {name}[{index}] in "
                                 f"{values}")
            if name in results:
                reused(name)
            text = match.group("vals")
            try:
                results[name] = [parse(e) for e in re.split("[ ,]", text) if e]
            except ValueError:
                fail(text)
    return results


class HParams(object):
    """Named, typed hyperparameters, read as attributes (``hparams.learning_rate``).

    ``HParams(learning_rate=0.1, layers=[64, 32])``; ``hparams.parse("layers=[128]")``;
    ``hparams.override_from_dict(json.load(f))``; ``hparams.values()``.
    """

    _HAS_DYNAMIC_ATTRIBUTES = True

    def __init__(self, hparam_def=None, model_structure=None, **kwargs):
        self._hparam_types = {}
        self._model_structure = model_structure
        if hparam_def is not None:
            raise NotImplementedError(
                "HParams(hparam_def=...): the HParamDef protocol buffer was part of "
                "tf.contrib and does not exist in TensorFlow 2; build HParams from keyword "
                "arguments or JSON (parse_json) instead")
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name, value):
        """Adds hyperparameter `name`; its type is `value`'s (a list's first element's
        for a list). ValueError if the name is taken (an existing hyperparameter or an
        attribute of the object) or the list is empty."""
        if getattr(self, name, None) is not None:
            raise ValueError(f"Hyperparameter name is reserved: {name}")
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(f"Multi-valued hyperparameters cannot be empty: {name}")
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name, value):
        """Sets an existing hyperparameter, converting `value` to its type (KeyError for
        an unknown name, ValueError for a value of another kind)."""
        setattr(self, name, self._converted(name, value))

    def _converted(self, name, value):
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, dict) and is_list:
            # indexed assignments from parse ("layers[1]=64"): those elements only
            current = list(getattr(self, name))
            for index, element in sorted(value.items()):
                if not 0 <= index < len(current):
                    raise ValueError(f"Index {index} is out of range for hparam '{name}' "
                                     f"of length {len(current)}")
                current[index] = _cast(name, param_type, element)
            return current
        if isinstance(value, list):
            if not is_list:
                raise ValueError(f"Must not pass a list for single-valued parameter: {name}")
            return [_cast(name, param_type, v) for v in value]
        if is_list:
            raise ValueError(f"Must pass a list for multi-valued parameter: {name}.")
        return _cast(name, param_type, value)

    def del_hparam(self, name):
        """Removes hyperparameter `name` (nothing happens if there is none)."""
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values):
        """Overrides hyperparameters from a ``"name=value,..."`` string; returns self."""
        type_map = {name: t for name, (t, _) in self._hparam_types.items()}
        return self.override_from_dict(parse_values(values, type_map))

    def override_from_dict(self, values_dict):
        """Sets each (name, value) of `values_dict`; returns self. Every value is
        checked first, so a bad one leaves all hyperparameters as they were."""
        converted = {name: self._converted(name, value) for name, value in values_dict.items()}
        for name, value in converted.items():
            setattr(self, name, value)
        return self

    def set_from_map(self, values_map):
        """Deprecated name of :meth:`override_from_dict`."""
        return self.override_from_dict(values_map)

    def set_model_structure(self, model_structure):
        self._model_structure = model_structure

    def get_model_structure(self):
        return self._model_structure

    def to_json(self, indent=None, separators=None, sort_keys=False):
        """The hyperparameters as JSON (callables left out)."""
        def plain(x):
            if isinstance(x, dict):
                return {k: plain(v) for k, v in x.items() if not callable(v)}
            if isinstance(x, list):
                return [plain(v) for v in x if not callable(v)]
            return x

        return json.dumps(plain(self.values()), indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def parse_json(self, values_json):
        """Overrides hyperparameters from a JSON object; returns self."""
        return self.override_from_dict(json.loads(values_json))

    def values(self):
        """{name: value} of every hyperparameter."""
        return {name: getattr(self, name) for name in self._hparam_types}

    def get(self, key, default=None):
        """The value of `key`, or `default` when there is no such hyperparameter. A
        default that could not be this hyperparameter's value raises ValueError."""
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_list = self._hparam_types[key]
            kind = f"list<{param_type}>" if is_list else str(param_type)
            message = f"Hparam '{key}' of type '{kind}' is incompatible with default={default}"
            if is_list != isinstance(default, list):
                raise ValueError(message)
            try:
                for value in (default if is_list else [default]):
                    _cast(key, param_type, value)
            except ValueError as e:
                raise ValueError(f"{message}. {e}") from None
        return getattr(self, key)

    def __contains__(self, key):
        return key in self._hparam_types

    def __str__(self):
        return ",".join(f"{k}={v}" for k, v in self.values().items())

    def __repr__(self):
        return f"{type(self).__name__}({sorted(self.values().items())})"
