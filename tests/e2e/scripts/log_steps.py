"""Log ``--steps`` rows of ``{"i": step, "sq": step * step}`` for the fault tests.

Prints ``RUN_PATH <path>`` once the run exists and ``LOGGED <n>`` after
``--announce`` steps (then pauses ``--pause`` seconds so the writer thread
has put them in the run log), and ``DONE`` after ``finish()``.
"""

import argparse
import sys
import time

import heron


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default="faults")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds between steps")
    parser.add_argument("--announce", type=int, default=-1)
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()

    run = heron.init(project=args.project, config={"steps": args.steps})
    print(f"RUN_PATH {run.entity}/{run.project}/{run.id}", flush=True)
    for step in range(args.steps):
        run.log({"i": step, "sq": step * step})
        if step + 1 == args.announce:
            time.sleep(args.pause)
            print(f"LOGGED {step + 1}", flush=True)
        if args.sleep:
            time.sleep(args.sleep)
    run.finish()
    print("DONE", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
