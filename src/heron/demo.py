"""``heron demo``: train a small real model and log it, to see Heron end to end in seconds.

A one-hidden-layer network learns scikit-learn's bundled 8×8 digits (no
download), one pass over the training set (in mini-batches) per epoch. Each
epoch logs train/val loss and accuracy and a histogram of the hidden layer's
weights; ``define_metric`` keeps the best validation accuracy and the lowest
validation loss in the summary. At the end it logs a confusion matrix and a
table of validation predictions with each digit's image (when the ``media``
extra is installed). It uses only the public SDK, exactly as a wandb script
would.
"""

from __future__ import annotations

import time
from typing import Any

from heron.errors import MissingDependencyError, UsageError


def run_demo(
    project: str = "heron-demo",
    epochs: int = 15,
    batch_size: int = 64,
    learning_rate: float = 0.01,
    seed: int = 0,
    quiet: bool = False,
) -> str:
    """Train and log one run; return its path (``entity/project/run_id``)."""
    if epochs < 1:
        raise UsageError("epochs must be at least 1")
    try:
        import numpy as np
        from sklearn.datasets import load_digits
        from sklearn.metrics import log_loss
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        raise MissingDependencyError.for_extra("scikit-learn", "demo") from None

    import heron

    media = _media_available()
    digits = load_digits()
    x = digits.data / 16.0
    x_train, x_val, y_train, y_val = train_test_split(
        x, digits.target, test_size=0.2, random_state=seed, stratify=digits.target
    )
    classes = np.unique(digits.target)
    config = {
        "model": "MLPClassifier",
        "hidden_units": 64,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "epochs": epochs,
        "seed": seed,
        "train_size": len(x_train),
        "val_size": len(x_val),
    }
    run = heron.init(project=project, job_type="train", config=config, tags=["demo"])
    run.define_metric("val/accuracy", summary="max")
    run.define_metric("val/loss", summary="min")
    model = MLPClassifier(
        hidden_layer_sizes=(config["hidden_units"],),
        learning_rate_init=learning_rate,
        batch_size=batch_size,
        random_state=seed,
    )
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.partial_fit(x_train, y_train, classes=classes)  # one shuffled pass, in batches
        metrics: dict[str, Any] = {"epoch": epoch}
        for split, xs, ys in (("train", x_train, y_train), ("val", x_val, y_val)):
            proba = model.predict_proba(xs)
            metrics[f"{split}/loss"] = float(log_loss(ys, proba, labels=classes))
            metrics[f"{split}/accuracy"] = float((proba.argmax(axis=1) == ys).mean())
        if media:
            metrics["weights/hidden"] = heron.Histogram(model.coefs_[0].ravel())
        run.log(metrics)
        if not quiet:
            print(
                f"epoch {epoch:3d}/{epochs}  train/loss {metrics['train/loss']:.4f}"
                f"  val/loss {metrics['val/loss']:.4f}  val/accuracy {metrics['val/accuracy']:.4f}"
            )
    run.summary["train_seconds"] = round(time.perf_counter() - started, 3)
    if media:
        _log_predictions(heron, run, model, x_val, y_val, classes)
    path = f"{run.entity}/{run.project}/{run.id}"
    run.finish()
    if not quiet:
        print(_where_to_look(path))
    return path


def _media_available() -> bool:
    """Images and tables need the ``media`` extra (Pillow, pyarrow); the demo runs without."""
    try:
        import PIL  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _log_predictions(heron: Any, run: Any, model: Any, x: Any, y: Any, classes: Any) -> None:
    """A confusion matrix, and the first 100 validation digits with their predictions."""
    proba = model.predict_proba(x)
    names = [str(c) for c in classes]
    run.log(
        {
            "val/confusion_matrix": heron.plot.confusion_matrix(
                y_true=y.tolist(), preds=proba.argmax(axis=1).tolist(), class_names=names
            )
        }
    )
    table = heron.Table(columns=["image", "label", "prediction", "confidence"])
    for pixels, label, p in zip(x[:100], y[:100], proba[:100], strict=True):
        # 8x8 in 0..1, shown dark on light and 4x larger so a person can read it.
        image = (255 - pixels.reshape(8, 8) * 255).astype("uint8").repeat(4, 0).repeat(4, 1)
        table.add_data(heron.Image(image), int(label), int(p.argmax()), float(p.max()))
    run.log({"val/predictions": table})


def _where_to_look(path: str) -> str:
    return f"""
Logged run {path}.

See it in the dashboard:   heron ui      (then open http://127.0.0.1:8765/{path.rsplit("/", 1)[0]})
List the project's runs:   heron runs list {path.split("/")[1]}
Query it from Python:

    import heron
    run = heron.Api().run("{path}")
    print(run.summary["val/accuracy"])          # {{'max': ...}}: define_metric keeps the best
    print(run.history(keys=["val/accuracy"]))   # a pandas DataFrame
"""


__all__ = ["run_demo"]
