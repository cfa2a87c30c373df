"""keraslab's path (the bench's contestant) against one change to it, in interleaved rounds.

Run from the repository root (about 6 minutes on 2 cores for 6 rounds):

    .venv/bin/python docs/probes/path_ab.py input|onednn [rounds]

- ``input``: its own input pipeline (``keraslab.data.array_batches``, the default) against Keras'
  own pipeline for arrays (the bench's variant "Keras' array pipeline").
- ``onednn``: TensorFlow's oneDNN kernels on (keraslab's choice on every x86 kind,
  ``keraslab.cpu``) against off (``TF_ENABLE_ONEDNN_OPTS=0``).

Each arm is a bench contestant in its own process (``keraslab.contestant.launch``): the Simple CNN,
batch 128, 20,000 images, 3 epochs, the path's precision for this CPU; its throughput is the median
images/s of the epochs after the first. The arms alternate (A B, B A, …) so that the host's slow
minutes fall on both. docs/performance.md quotes its output ("The input: stalls from tf.data's
autotuning" and "CPU kinds").
"""

from __future__ import annotations

import statistics
import sys

from keraslab.contestant import arm_spec, launch

N_TRAIN = 20_000
BASE = {"seed": 0, "n_train": N_TRAIN, "n_test": 1000, "epochs": 3, "batch_size": 128}
PATH = arm_spec("tensorflow", path="keraslab")
COMPARISONS = {
    "input": {
        "keraslab's pipeline (array_batches)": PATH,
        "Keras' array pipeline": {**PATH, "options": {"keras_arrays": True}},
    },
    "onednn": {
        "oneDNN on": {**PATH, "env": {"TF_ENABLE_ONEDNN_OPTS": "1"}},
        "oneDNN off": {**PATH, "env": {"TF_ENABLE_ONEDNN_OPTS": "0"}},
    },
}


def main(comparison: str, rounds: int) -> None:
    arms = COMPARISONS[comparison]
    found = {arm: [] for arm in arms}
    for r in range(rounds):
        for arm in list(arms) if r % 2 == 0 else list(arms)[::-1]:
            result = launch({**BASE, **arms[arm]}, name=arm)
            found[arm].append(statistics.median(N_TRAIN / t for t in result["epoch_time"][1:]))
        print(f"round {r}: " + ", ".join(f"{a} {v[-1]:,.0f}" for a, v in found.items()), flush=True)
    print(f"\nimages/s over {rounds} rounds (precision: {result['precision']}):")
    for arm, values in found.items():
        print(f"  {arm}: median {statistics.median(values):,.0f}, range {min(values):,.0f}-{max(values):,.0f}")
    (first, ours), (_, theirs) = found.items()
    print(f"  {first} faster in {sum(a > b for a, b in zip(ours, theirs))} of {rounds} rounds")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMPARISONS:
        sys.exit(f"usage: path_ab.py {'|'.join(COMPARISONS)} [rounds]")
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 6)
