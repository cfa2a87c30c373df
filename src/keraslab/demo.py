"""The shared first cell of the demo scripts: parse ``--profile/--backend/--out`` and pick the
backend before Keras is imported."""

from __future__ import annotations

import argparse


def setup(description: str, default_profile: str = "quick") -> argparse.Namespace:
    from keraslab import backend

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--profile", default=default_profile, choices=["quick", "standard", "full"])
    parser.add_argument("--backend", default=None, help="tensorflow (default), jax or torch")
    parser.add_argument("--out", default="runs", help="run store folder; plots/ go beside it")
    args, _ = parser.parse_known_args()  # known args only: notebooks pass their own
    backend.select(args.backend)  # must happen before `import keras`
    return args
