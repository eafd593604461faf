"""The corpus: published TF1 libraries at pinned versions, what the drivers run with
each, and how each driver shows that its model learned."""

from tests.published.harness import Library


def _decreased(key, factor):
    def check(driver, results):
        first, last = results[key][0], results[key][-1]
        assert last < factor * first, (
            f"{driver}: {key} went from {first} to {last}, expected below {factor} x "
            "its first value")
    return check


def _tflearn(driver, results):
    for key in ("accuracy", "seq_accuracy"):
        before, after = results[key]
        assert after > max(before, 0.8), f"{driver}: {key} {before} -> {after}"
    assert results["reloaded"] == results["pred"], "tflearn: load() changed predictions"


def _tensorpack(driver, results):
    _decreased("loss", 0.6)(driver, results)
    assert results["accuracy"] >= 0.8, f"{driver}: accuracy {results['accuracy']}"


LIBRARIES = (
    Library(
        name="trfl", version="1.2.0",
        requirements=("trfl==1.2.0", "dm-tree==0.1.10", "tensorflow-probability==0.25.0"),
        packages=("trfl",),
        drivers=("trfl_dqn.py",),
        learned=_decreased("loss", 0.5),
        what="Q-network trained with qlearning + double_qlearning (Adam), target sync "
             "by update_target_variables, epsilon_greedy, entropy loss"),
    Library(
        name="tflearn", version="0.5.0",
        # Pillow 10 removed Image.ANTIALIAS, which tflearn's data_utils reads at import
        requirements=("tflearn==0.5.0", "Pillow==9.5.0"),
        packages=("tflearn",),
        drivers=("tflearn_dnn.py",),
        learned=_tflearn,
        what="README DNN (fully_connected, dropout, regression) with DNN.fit / evaluate / "
             "predict / save / load; conv_1d + batch_normalization + lstm + merge model"),
    Library(
        name="tensorpack", version="0.11",
        requirements=("tensorpack==0.11", "tabulate==0.10.0", "msgpack==1.2.4",
                      "msgpack-numpy==0.4.8", "pyzmq==27.3.0", "psutil==7.2.2"),
        packages=("tensorpack",),
        drivers=("tensorpack_mnist.py",),
        learned=_tensorpack,
        what="ModelDesc with LinearWrap Conv2D / MaxPooling / FullyConnected, "
             "regularize_cost, SimpleTrainer + launch_train_with_config, ModelSaver, "
             "OfflinePredictor from the checkpoint",
        # tensorpack's session config asks for intra_op_parallelism_threads=1; the eager
        # backend runs on TF's process-wide thread pools (open: docs/corpus.md), so
        # reductions may sum in another order: last-bit differences, no more.
        tolerance=1e-5),
)

BY_NAME = {library.name: library for library in LIBRARIES}
