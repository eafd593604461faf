"""The legacy recommender's driver: train FM and BPR-FM, evaluate, build and export
the predictor.

    python -m legacy.pipeline [--data DIR] [--backend graph|eager] [--out DIR]
                              [--epochs N] [--metrics-json PATH]
                              [--ported fm,bpr_fm,predictor] [--no-progress] [-v]

``--ported`` (or ``COMPAT_PORTED``, or ``ported =`` in the ``[legacy.pipeline]``
section of the nearest setup.cfg) swaps modules for their native TF2 ports in
``ported/``; the others stay legacy TF1 code on the shim, and checkpoints flow
between them (e.g. the ported predictor serves legacy FM and BPR-FM checkpoints).
Modules are imported only when selected, so a retired legacy module can be deleted.

The console shows a progress bar per training stage, one summary line per model and the
metrics table; TensorFlow's own start-up lines, log messages, deprecation notices and
Python warnings are silenced (``--verbose`` shows them all, with this job's debug log).
The FM's training curves: ``tensorboard --logdir OUT/fm_logs``.
"""

import argparse
import configparser
import contextlib
import importlib
import json
import logging
import os
import shutil
import sys
import time

import numpy as np

import compat
from legacy import data as data_lib
from legacy import metrics
from compat.tooling.console import quiet_tensorflow

log = logging.getLogger("legacy.pipeline")

DEFAULTS = dict(fm_epochs=30, fm_k=32, fm_l2=0.1, fm_lr=0.002, bpr_epochs=24, bpr_k=64,
                bpr_l2=1e-4, bpr_lr=0.003, batch_size=1024, alpha=0.1, seed=42)

# DESIGN.md, MovieLens-100K u1, same protocol.
COMPARISON_DATA = "movielens:ml-100k/u1"
COMPARISON = [
    ("scikit-surprise BaselineOnly", 0.960, None, None, None),
    ("scikit-surprise SVD", 0.951, None, None, None),
    ("scikit-surprise SVD++", 0.933, None, None, None),
    ("popularity", None, 0.857, 0.312, 0.325),
    ("implicit BPR (32 factors)", None, 0.862, 0.260, 0.270),
    ("implicit ALS (64 factors)", None, 0.844, 0.447, 0.466),
]


def _progress(total, desc, enabled):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a declared dependency
        return contextlib.nullcontext(None)
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, unit="step")


# module -> its legacy TF1 class and its native TF2 port (imported only when selected)
LEGACY = {"fm": "legacy.fm.FactorizationMachine", "bpr_fm": "legacy.bpr_fm.BPRFM",
          "predictor": "legacy.predictor.Predictor"}
PORTS = {"fm": "ported.fm.FactorizationMachine", "bpr_fm": "ported.bpr_fm.BPRFM",
         "predictor": "ported.predictor.Predictor"}
MODULES = ("fm", "bpr_fm", "predictor")


def parse_ported(text):
    """'fm,bpr_fm' -> ('fm', 'bpr_fm'); unknown names raise ValueError."""
    names = tuple(n.strip() for n in (text or "").split(",") if n.strip())
    for n in names:
        if n not in PORTS:
            raise ValueError(f"--ported: unknown module {n!r}; modules: {', '.join(MODULES)}")
    return tuple(dict.fromkeys(names))


def configured_ported(start=None):
    """``COMPAT_PORTED``, else ``ported =`` in ``[legacy.pipeline]`` of the nearest
    setup.cfg above `start` (the cwd), else ''."""
    if "COMPAT_PORTED" in os.environ:
        return os.environ["COMPAT_PORTED"]
    path = os.path.abspath(start or os.getcwd())
    while True:
        cfg = os.path.join(path, "setup.cfg")
        if os.path.isfile(cfg):
            parser = configparser.ConfigParser()
            parser.read(cfg)
            return parser.get("legacy.pipeline", "ported", fallback="")
        if os.path.dirname(path) == path:
            return ""
        path = os.path.dirname(path)


def _class(module, ported):
    path, name = (PORTS if module in ported else LEGACY)[module].rsplit(".", 1)
    return getattr(importlib.import_module(path), name)


def _label(title, module, ported):
    return f"{title} (ported)" if module in ported else title


def _epochs(n):
    return f"{n} epoch" + ("" if n == 1 else "s")


def run(data_dir=None, out_dir="out", epochs=None, backend=None, progress=True, ported=(),
        **overrides):
    """Runs the whole job; returns the metrics dict."""
    ported = parse_ported(",".join(ported)) if ported else ()
    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    if epochs is not None:
        cfg["fm_epochs"] = cfg["bpr_epochs"] = epochs
    ctx = compat.use_backend(backend) if backend else contextlib.nullcontext()
    start = time.time()
    with ctx:
        resolved = compat.backend("legacy.fm")
        data = data_lib.load(data_dir)
        log.info("data %s: %d users, %d items, %d train / %d test ratings; backend %s",
                 data.name, data.n_users, data.n_items, len(data.train), len(data.test),
                 resolved)
        # imports the selected modules (and TensorFlow) before any stage is timed; a
        # selected module that is gone fails here, before any training
        classes = {m: _class(m, ported) for m in MODULES}
        features = data_lib.FeatureSpace(data)
        os.makedirs(out_dir, exist_ok=True)
        train_by_user = data.train_items_by_user()
        test_by_user = data.test_items_by_user()

        stage = time.time()
        logdir = os.path.join(out_dir, "fm_logs")
        shutil.rmtree(logdir, ignore_errors=True)  # TensorBoard shows this run only
        fm = classes["fm"](features.n_features, features.n_fields, k=cfg["fm_k"],
                           learning_rate=cfg["fm_lr"], l2=cfg["fm_l2"],
                           global_mean=float(data.train[:, 2].mean()), seed=cfg["seed"],
                           logdir=logdir)
        fm_steps = cfg["fm_epochs"] * -(-len(data.train) // cfg["batch_size"])
        with _progress(fm_steps, _label("FM", "fm", ported), progress) as bar:
            fm_history = fm.fit(features, data.train, epochs=cfg["fm_epochs"],
                                batch_size=cfg["batch_size"], seed=cfg["seed"], progress=bar)
        ids, vals = features.encode(data.test[:, 0], data.test[:, 1])
        fm_rmse = metrics.rmse(fm.predict(ids, vals), data.test[:, 2])
        fm_ckpt = fm.save(os.path.join(out_dir, "fm", "model"))
        fm.close()
        log.info("%-19s RMSE %.4f   loss %.4f -> %.4f   %s, %d steps, %.1f s",
                 _label("FM", "fm", ported), fm_rmse, fm_history[0], fm_history[-1],
                 _epochs(cfg["fm_epochs"]), fm_steps, time.time() - stage)

        stage = time.time()
        bpr = classes["bpr_fm"](features, k=cfg["bpr_k"], learning_rate=cfg["bpr_lr"],
                                l2=cfg["bpr_l2"], batch_size=cfg["batch_size"],
                                seed=cfg["seed"])
        n_pos = sum(len(x) for x in train_by_user)
        bpr_steps = cfg["bpr_epochs"] * -(-n_pos // cfg["batch_size"])
        with _progress(bpr_steps, _label("BPR-FM", "bpr_fm", ported), progress) as bar:
            bpr_history = bpr.fit(train_by_user, epochs=cfg["bpr_epochs"], seed=cfg["seed"],
                                  progress=bar)
        bpr_report = metrics.ranking_report(bpr.score, train_by_user, test_by_user)
        bpr_ckpt = bpr.save(os.path.join(out_dir, "bpr_fm", "model"))
        bpr.close()
        log.info("%-19s AUC %.4f    loss %.4f -> %.4f   %s, %d steps, %.1f s",
                 _label("BPR-FM", "bpr_fm", ported), bpr_report["auc"], bpr_history[0],
                 bpr_history[-1], _epochs(cfg["bpr_epochs"]), bpr_steps, time.time() - stage)

        stage = time.time()
        seen = np.zeros((data.n_users, data.n_items), np.float32)
        for u, items in enumerate(train_by_user):
            seen[u, items] = 1.0
        predictor = classes["predictor"](features, data.user_raw, data.item_raw, seen,
                                         cfg["fm_k"], cfg["bpr_k"], alpha=cfg["alpha"])
        predictor.restore(fm_ckpt, bpr_ckpt)
        item_index = {raw: i for i, raw in enumerate(data.item_raw.tolist())}
        users = [u for u, items in enumerate(test_by_user) if len(items)]
        recalls, ndcgs = [], []
        for s in range(0, len(users), 256):
            chunk = users[s:s + 256]
            top_raw, _ = predictor.recommend(data.user_raw[chunk], k=10)
            for u, row in zip(chunk, top_raw):
                top = [item_index[r] for r in row.tolist()]
                recalls.append(metrics.recall_at_k(top, test_by_user[u], 10))
                ndcgs.append(metrics.ndcg_at_k(top, test_by_user[u], 10))
        export_dir = os.path.join(out_dir, "predictor_savedmodel")
        if os.path.exists(export_dir):
            shutil.rmtree(export_dir)
        predictor.export(export_dir)
        predictor.close()
        log.info("%-19s Recall@10 %.4f   NDCG@10 %.4f   %d users, exported, %.1f s",
                 _label("predictor", "predictor", ported), float(np.mean(recalls)),
                 float(np.mean(ndcgs)), len(users), time.time() - stage)

    result = {
        "data": data.name,
        "backend": resolved,
        "ported": list(ported),
        "fm_rmse": fm_rmse,
        "bpr_auc": bpr_report["auc"],
        "bpr_recall_at_10": bpr_report["recall_at_10"],
        "bpr_ndcg_at_10": bpr_report["ndcg_at_10"],
        "rec_recall_at_10": float(np.mean(recalls)),
        "rec_ndcg_at_10": float(np.mean(ndcgs)),
        "eval_users": len(users),
        "fm_loss_history": fm_history,
        "bpr_loss_history": bpr_history,
        "export_dir": export_dir,
        "fm_logdir": logdir,
        "wall_s": time.time() - start,
        "config": cfg,
    }
    return result


def format_table(result):
    def cell(x, fmt="{:.3f}"):
        return fmt.format(x) if x is not None else ""

    lines = ["| system | RMSE | AUC | Recall@10 | NDCG@10 |", "| --- | --- | --- | --- | --- |"]
    for name, r, auc, rec, ndcg in COMPARISON:
        lines.append(f"| {name} | {cell(r)} | {cell(auc)} | {cell(rec)} | {cell(ndcg)} |")
    label = "legacy FM / BPR-FM / predictor"
    if result.get("ported"):
        label += f", ported: {', '.join(result['ported'])}"
    lines.append(f"| **{label} ({result['backend']})** | "
                 f"**{result['fm_rmse']:.3f}** | **{result['bpr_auc']:.3f}** | "
                 f"**{result['rec_recall_at_10']:.3f}** | **{result['rec_ndcg_at_10']:.3f}** |")
    if not str(result.get("data", "")).startswith(COMPARISON_DATA):
        lines.append("")
        lines.append(f"(The other rows were measured on MovieLens-100K u1; this run used "
                     f"{result.get('data')}: run with --data ../shared/data/ml-100k to compare.)")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m legacy.pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="MovieLens directory (u1.base/u1.test or u.data) or a "
                        "ratings.csv; default: built-in synthetic MovieLens-like data")
    parser.add_argument("--backend", choices=compat.BACKENDS,
                        help="runtime for every module (default: compat's resolution)")
    parser.add_argument("--out", default="out", help="checkpoints, logs and export (./out)")
    parser.add_argument("--epochs", type=int, help="epochs for both models")
    parser.add_argument("--metrics-json", help="write the metrics as JSON here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--ported", default=None,
                        help="comma-separated modules to run as native TF2 ports "
                             f"(available: {', '.join(PORTS)}; default: $COMPAT_PORTED, "
                             "else 'ported' in [legacy.pipeline] of setup.cfg)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's own logging, deprecation notices and Python "
                             "warnings (silenced by default), and this job's debug log")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    # Before anything imports TensorFlow: nothing imported above does (`compat` itself
    # does not; the model modules, which do, are imported in run()).
    undo = quiet_tensorflow(args.verbose)
    job_log = logging.getLogger("legacy")
    job_level = job_log.level
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    else:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        job_log.setLevel(logging.INFO)  # this job's summary lines
    try:
        ported = parse_ported(configured_ported() if args.ported is None else args.ported)
        result = run(args.data, args.out, args.epochs, args.backend,
                     progress=not args.no_progress and sys.stderr.isatty(), ported=ported)
    except (FileNotFoundError, ValueError) as e:
        print(f"legacy.pipeline: error: {e}", file=sys.stderr)
        return 2
    finally:
        job_log.setLevel(job_level)
        undo()
    print()
    print(f"data: {result['data']}   backend: {result['backend']}   "
          f"wall: {result['wall_s']:.1f}s   export: {result['export_dir']}")
    print(f"FM training curves: tensorboard --logdir {result['fm_logdir']}")
    print(format_table(result))
    if args.metrics_json:
        with open(args.metrics_json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
