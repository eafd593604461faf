"""Loads SavedModels with plain TF2 (never imports the shim) and prints, per export,
the serving signature and its outputs for the given inputs, as JSON.

usage: python tests/persistence/load_saved_model.py INPUTS_JSON DIR [DIR ...]
"""

import json
import sys

import numpy as np
import tensorflow as tf


def describe(spec):
    return {"dtype": spec.dtype.name, "shape": spec.shape.as_list()
            if spec.shape.rank is not None else None}


def main():
    inputs = json.loads(sys.argv[1])
    out = {}
    for path in sys.argv[2:]:
        loaded = tf.saved_model.load(path)
        fn = loaded.signatures["serving_default"]
        args = {k: tf.constant(np.asarray(v["value"], v["dtype"])) for k, v in inputs.items()}
        result = fn(**args)
        out[path] = {
            "inputs": {k: describe(s) for k, s in fn.structured_input_signature[1].items()},
            "outputs": {k: describe(s) for k, s in fn.structured_outputs.items()},
            "values": {k: v.numpy().tolist() for k, v in result.items()},
        }
    out["compat_imported"] = any(m == "compat" or m.startswith("compat.")
                                 for m in sys.modules)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
