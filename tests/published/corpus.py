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


def _stable_baselines(driver, results):
    assert results["reward_after"] >= 400 > results["reward_before"], (
        f"{driver}: mean reward {results['reward_before']} -> {results['reward_after']}")
    assert results["loaded_equal"], "stable-baselines: PPO2.load changed predictions"
    assert results["summaries"], "stable-baselines: no TensorBoard summaries logged"


def _tensorlayer(driver, results):
    _decreased("loss", 0.5)(driver, results)
    assert results["val_acc"] >= 0.9, f"{driver}: validation accuracy {results['val_acc']}"
    assert results["restored_equal"], "tensorlayer: restored parameters changed outputs"


def _sonnet(driver, results):
    _decreased("loss", 0.5)(driver, results)
    assert results["shared_same"], "sonnet: a module called twice did not share variables"


def _texar(driver, results):
    _decreased("loss", 0.5)(driver, results)
    assert results["acc_after"] >= 0.9, f"{driver}: accuracy {results['acc_after']}"


# Python 3.10 removed the collections.Mapping-style aliases that libraries written
# before it read at import (nothing to do with TensorFlow): the driver processes get
# them back (probe/sitecustomize.py).
_COLLECTIONS_ALIASES = ("CORPUS_COLLECTIONS_ALIASES", "1")

LIBRARIES = (
    Library(
        name="trfl", version="1.2.0",
        requirements=("trfl==1.2.0", "dm-tree==0.1.10", "tensorflow-probability==0.25.0",
                      "decorator==5.2.1", "cloudpickle==2.1.0"),
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
    Library(
        name="stable-baselines", version="2.10.2",
        # gym 0.17.3: the last gym with the logger API stable-baselines reads
        # (MIN_LEVEL) that installs without a source build; cv2 is imported at import
        requirements=("stable-baselines==2.10.2", "gym==0.17.3",
                      "opencv-python-headless==4.11.0.86", "scipy==1.17.1",
                      "cloudpickle==2.1.0"),
        packages=("stable_baselines",),
        drivers=("stable_baselines_ppo2.py",),
        learned=_stable_baselines,
        what="PPO2 (MlpPolicy) on CartPole-v1 with TensorBoard logging, save / load; "
             "A2C; deterministic evaluation before and after"),
    Library(
        name="tensorlayer", version="1.11.1",
        requirements=("tensorlayer==1.11.1", "progressbar2==4.6.0", "python-utils==4.2.0",
                      "lxml==6.2.1", "matplotlib==3.11.2", "contourpy==1.3.3",
                      "cycler==0.12.1", "fonttools==4.69.1", "kiwisolver==1.5.1",
                      "scikit-learn==1.9.1", "joblib==1.6.0", "threadpoolctl==3.8.0",
                      "narwhals==2.29.0", "imageio==2.38.2", "pyparsing==3.3.2",
                      "scipy==1.17.1", "cloudpickle==2.1.0"),
        packages=("tensorlayer",),
        drivers=("tensorlayer_mlp.py",),
        learned=_tensorlayer,
        what="InputLayer / DropoutLayer / DenseLayer MLP: Session loop with all_drop "
             "feeds, tl.utils.fit / test / predict, save_npz_dict / load_and_assign"),
    Library(
        name="dm-sonnet", version="1.36",
        requirements=("dm-sonnet==1.36", "semantic-version==2.10.0", "contextlib2==21.6.0",
                      "tensorflow-probability==0.25.0", "dm-tree==0.1.10",
                      "decorator==5.2.1", "cloudpickle==2.1.0"),
        packages=("sonnet",),
        drivers=("sonnet_mlp.py",),
        learned=_sonnet,
        what="snt.nets.MLP + snt.Linear regression, snt.Conv2D / BatchFlatten classifier, "
             "snt.LSTM in dynamic_rnn, variable sharing between calls (Adam)",
        # sonnet's module_pb2.py comes from an old protoc, which protobuf 4+ rejects
        # unless the pure-Python implementation is used (not a TensorFlow matter)
        env=(("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python"), _COLLECTIONS_ALIASES)),
    Library(
        name="deepctr", version="0.9.4",
        requirements=("deepctr==0.9.4",),
        packages=("deepctr",),
        drivers=("deepctr_deepfm.py",),
        learned=_decreased("loss", 0.95),
        what="DeepFM on SparseFeat / DenseFeat columns: TF1 Keras (tensorflow.keras "
             "imports) compile / fit / evaluate / predict"),
    Library(
        name="texar", version="0.2.4",
        requirements=("texar==0.2.4", "funcsigs==1.0.2", "sentencepiece==0.2.1",
                      "tensorflow-probability==0.25.0", "dm-tree==0.1.10", "tf-slim==1.1.0",
                      "pyyaml==6.0.3", "regex==2026.5.9", "decorator==5.2.1",
                      "cloudpickle==2.1.0"),
        packages=("texar",),
        drivers=("texar_seq2seq.py",),
        learned=_texar,
        what="copy-task seq2seq (WordEmbedder, UnidirectionalRNNEncoder, BasicRNNDecoder "
             "train_greedy / infer_greedy, sequence_sparse_softmax_cross_entropy, "
             "get_train_op); UnidirectionalRNNClassifier with evals.accuracy",
        # two graph-backend runs of this driver already differ by up to 5e-6 (TF's own
        # CPU kernels, from step 4-10 on; not the shim): the backends agree within that
        tolerance=1e-4),
)

BY_NAME = {library.name: library for library in LIBRARIES}
