"""A typical wandb training script; only the import line differs from the original.

Run by tests/e2e/test_compat.py in a subprocess, embedded and against a server.
It prints ``RUN_PATH <entity>/<project>/<id>`` so the test can find the run.
"""

import math
import random
import sys

import heron as wandb

EPOCHS = 3
BATCHES = 10


def main() -> None:
    random.seed(0)
    run = wandb.init(
        project="compat",
        name="compat-run",
        tags=["e2e", "compat"],
        notes="runs unchanged under heron",
        config={"lr": 0.01, "epochs": EPOCHS, "batch_size": 32, "model": {"layers": 2}},
    )
    lr = wandb.config.lr
    wandb.config.update({"optimizer": "adam"})
    wandb.config.dropout = 0.1

    wandb.define_metric("epoch")
    wandb.define_metric("val/*", step_metric="epoch")
    wandb.define_metric("train/loss", summary="min")

    step = 0
    for epoch in range(wandb.config["epochs"]):
        for batch in range(BATCHES):
            loss = 1.0 / (1 + step) + (0.5 if step == EPOCHS * BATCHES - 1 else 0.0)
            wandb.log({"train/loss": loss, "train/lr": lr * math.exp(-0.1 * epoch)})
            sys.stderr.write(f"\repoch {epoch}: {batch + 1}/{BATCHES}")
            step += 1
        sys.stderr.write("\n")
        wandb.log({"val/acc": 0.5 + 0.1 * epoch, "epoch": epoch}, commit=False)
        wandb.log({"train/epoch_time": 1.5})
        print(f"epoch {epoch} done")

    wandb.log({"final/score": 0.9}, step=100)
    wandb.summary["best_acc"] = 0.7
    run.summary.update({"completed": True})
    print(f"RUN_PATH {run.entity}/{run.project}/{run.id}")
    wandb.finish()


if __name__ == "__main__":
    main()
