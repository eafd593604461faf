"""A TF1 training loop that checkpoints after every step; killed by tests mid-save.

usage: python -m tests.persistence.writer DIR BACKEND same|step STAGE
STAGE: a compat.checkpoint fault point at which the 4th save SIGKILLs the process,
or 'none' (the test kills at a random moment).
"""

import os
import signal
import sys

import compat.v1 as tf
from compat.persistence import checkpoint

SIZE = 200_000


def main():
    directory, backend, mode, stage = sys.argv[1:5]
    armed = []
    if stage != "none":
        def fault(where):
            if armed and where == stage:
                os.kill(os.getpid(), signal.SIGKILL)
        checkpoint._fault_point = fault
    v = tf.get_variable("v", [SIZE], initializer=tf.zeros_initializer())
    value = tf.placeholder(tf.float32, [])
    assign = tf.assign(v, tf.fill([SIZE], value))
    saver = tf.train.Saver(max_to_keep=3)
    sess = tf.Session(backend=backend)
    sess.run(v.initializer)
    for i in range(1, 10_000):
        sess.run(assign, {value: float(i)})
        if i == 4:
            armed.append(True)
        saver.save(sess, os.path.join(directory, "model"),
                   global_step=i if mode == "step" else None)
        print(i, flush=True)


if __name__ == "__main__":
    main()
