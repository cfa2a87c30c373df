"""``keraslab`` command line: list | data | run | report | bench | predict | site | exercises | check.

Keras is imported only after ``--backend`` has set ``KERAS_BACKEND``. Bad input is one line on
stderr and exit code 2; an interrupted run leaves nothing half-written (exit 130).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from keraslab import progress
from keraslab.distribute import MODES
from keraslab.errors import KeraslabError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 — never a usage dump
        raise KeraslabError(
            f"{message} (see `keraslab {self.prog.split()[-1]} --help`)"
            if " " in self.prog
            else f"{message} (see `keraslab --help`)"
        )


def _add_out(p):
    p.add_argument(
        "--out",
        default="runs",
        help="run store folder (default: runs/); its plots/, REPORT.md and report.html are written inside it",
    )


def build_parser() -> argparse.ArgumentParser:
    from keraslab.backend import BACKENDS
    from keraslab.config import PROFILES

    parser = _Parser(prog="keraslab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("list", help="experiments, profiles and backends")

    sub.add_parser("data", help="fetch and verify MNIST ahead of time")

    run = sub.add_parser("run", help="run experiments and store their results")
    run.add_argument("experiments", nargs="*", default=["all"], help="experiment names, or 'all' (default)")
    run.add_argument("--profile", default=None, help=f"one of {', '.join(PROFILES)} (default: standard)")
    run.add_argument("--backend", default=None, help=f"Keras backend: {', '.join(BACKENDS)} (default: tensorflow)")
    run.add_argument("--seeds", type=int, default=None, help="number of seeds (0..N-1); default from the profile")
    run.add_argument(
        "--config",
        default=None,
        help="JSON file of config fields (flat for one experiment, or keyed by experiment name)",
    )
    det = run.add_mutually_exclusive_group()
    det.add_argument(
        "--deterministic",
        dest="deterministic",
        action="store_true",
        default=None,
        help="exact repeats (on by default in quick)",
    )
    det.add_argument("--no-deterministic", dest="deterministic", action="store_false")
    run.add_argument("--no-plots", action="store_true", help="store results only; draw nothing")
    run.add_argument("--quiet", action="store_true", help="summary lines only: no per-epoch progress")
    run.add_argument(
        "--distribute",
        default=None,
        choices=[m for m in MODES if m != "none"],
        help="cnn only: mirrored (TensorFlow), data-parallel (JAX) or multi-worker (TensorFlow, with --workers)",
    )
    run.add_argument("--devices", type=int, default=0, help="simulate N CPU devices for --distribute (0: real devices)")
    run.add_argument(
        "--workers",
        type=int,
        default=0,
        help="with --distribute multi-worker or data-parallel: start N worker processes on 127.0.0.1",
    )
    run.add_argument(
        "--fresh",
        action="store_true",
        help="start over instead of resuming an unfinished run "
        "of the same config (callbacks and cnn resume by default)",
    )
    run.add_argument(
        "--wait",
        action="store_true",
        help="when another keraslab process is running the same experiment and config in this store, "
        "wait for it instead of stopping (exit 2)",
    )
    _add_out(run)

    rep = sub.add_parser("report", help="redraw plots and build REPORT.md + report.html from the store")
    rep.add_argument(
        "--readme",
        default=None,
        help="also rewrite the results block of this README (the committed reference does this: `make reference`)",
    )
    rep.add_argument(
        "--docs",
        action="append",
        default=[],
        help="also rewrite the performance block of this document (repeatable; `make reference`: docs/performance.md)",
    )
    _add_out(rep)

    bench = sub.add_parser("bench", help="measure training speed: native PyTorch vs plain fit vs keraslab's path")
    bench.add_argument("--quick", action="store_true", help="a small smoke run (2,048 images, 2 epochs)")
    bench.add_argument("--variants", action="store_true", help="also time the alternatives (docs/performance.md)")
    bench.add_argument(
        "--other-backends",
        action="store_true",
        help="also time plain fit on the JAX and PyTorch backends, once each (run compare times every backend too)",
    )
    bench.add_argument("--quiet", action="store_true", help="summary lines only: no per-epoch progress")
    _add_out(bench)

    pred = sub.add_parser("predict", help="classify a 28x28 digit image (.png or .npy) with a stored CNN")
    pred.add_argument("image")
    pred.add_argument("--model", default=None, help="a .keras file (default: the latest cnn run's simple_cnn)")
    pred.add_argument("--backend", default=None)
    _add_out(pred)

    site = sub.add_parser("site", help="build the offline site: lessons, exercises, the store's report, docs")
    site.add_argument("--site", default=None, help="where to write it (default: site/ for reference, else OUT/site)")
    _add_out(site)

    sub.add_parser("exercises", help="every exercise, one line each, with your last status")
    chk = sub.add_parser("check", help="run exercise files (.py or .ipynb) and check every exercise in them")
    chk.add_argument("files", nargs="+", help="exercise files, e.g. exercises/keras_sequential_exercises.py")
    chk.add_argument("--show-output", action="store_true", help="also show what the file's cells print")
    return parser


def plots_dir_for(out: str | Path) -> Path:
    """Everything a run writes lands inside the folder the user named."""
    return Path(out) / "plots"


def check_args(args) -> None:
    """Empty strings are refused, not taken for 'the current folder' or 'the default backend'."""
    for name in ("out", "backend", "profile", "config", "readme"):
        value = getattr(args, name, None)
        if value is not None and not str(value).strip():
            raise KeraslabError(f"--{name} is empty; give a value or leave the option out")


def cmd_list(args) -> int:
    from keraslab import backend, experiments
    from keraslab.config import PROFILE_HELP

    print("experiments:")
    for name in experiments.names(include_standalone=True):
        print(f"  {name:12s} {experiments.get(name).description}")
    print("profiles:")
    for name, text in PROFILE_HELP.items():
        print(f"  {name:12s} {text}")
    print("backends:")
    for name in backend.BACKENDS:
        print(
            f"  {name:12s} "
            f"{'installed' if backend.is_installed(name) else 'not installed: ' + backend.BACKENDS[name][1]}"
        )
    return 0


def cmd_data(args) -> int:
    from keraslab import backend, data

    backend.select(None)
    backend.import_keras_quietly()
    t = time.perf_counter()
    (x_train, _), (x_test, _) = data.load_mnist()
    path = data.cache_path()
    where = f"cached at {path}" if path.exists() else f"not cached ({path} could not be written; fetched each time)"
    print(
        f"MNIST ready: {len(x_train)} train + {len(x_test)} test images, verified, {where} "
        f"({time.perf_counter() - t:.1f}s)"
    )
    return 0


def _configs(args):
    from keraslab import experiments
    from keraslab.config import DEFAULT_PROFILE, load_config_file, seeds_for

    names = experiments.names() if args.experiments in (["all"], []) else list(dict.fromkeys(args.experiments))
    for n in names:
        experiments.get(n)  # unknown names fail here, before anything runs
    profile = args.profile or DEFAULT_PROFILE
    file_data = load_config_file(args.config) if args.config else {}
    per_experiment = bool(file_data) and set(file_data) <= set(experiments.names())
    if file_data and not per_experiment and len(names) != 1:
        raise KeraslabError(
            "a flat --config file applies to one experiment; name it, or key the file by experiment name"
        )
    configs = []
    for n in names:
        overrides = dict(file_data.get(n, {}) if per_experiment else file_data)
        if args.seeds is not None:
            overrides["seeds"] = seeds_for(args.seeds)
        if args.deterministic is not None:
            overrides["deterministic"] = args.deterministic
        if args.distribute:
            overrides["distribute"] = args.distribute
        if args.devices:
            overrides["devices"] = args.devices
        configs.append((n, experiments.get(n).config.for_profile(profile, **overrides)))
    return configs


def cmd_run(args) -> int:
    from keraslab import backend

    name = backend.select(args.backend)
    from keraslab import distribute

    if (args.distribute or args.workers or args.devices) and args.experiments != ["cnn"]:
        raise KeraslabError(
            "--distribute, --devices and --workers apply to the cnn experiment: `keraslab run cnn --distribute ...`"
        )
    configs = _configs(args)  # flags merged into the configs once; each validated, before any training
    dist = distribute.check_configs(configs, name, args.workers)
    if dist is not None:
        mode, devices, started_as_worker = dist
        if args.workers and not started_as_worker:
            from keraslab import cluster

            return cluster.launch(sys.argv[1:], args.workers, mode, args.out)
        distribute.prepare(mode, devices)
    from keraslab import experiments
    from keraslab.store import RunStore

    store = RunStore(args.out)
    store.ensure_writable()
    backend.import_keras_quietly()  # only now: bad input above failed fast, without loading TensorFlow
    if backend.active() != name:  # cannot happen unless Keras was imported before select()
        raise KeraslabError(f"Keras runs on {backend.active()!r}, not the requested {name!r}")
    print(f"keraslab: Keras backend: {name}")
    walls = {}
    # each experiment's estimate: its own earlier runs in this store, else the reference run scaled
    # to this CPU (keraslab.estimate), refined as experiments finish
    from keraslab.estimate import Estimator, fmt_duration

    estimator = Estimator(store, configs, bounds={e: experiments.get(e).bound for e, _ in configs})
    for k, (exp, config) in enumerate(configs, 1):
        left = [e for e, _ in configs[k - 1 :]]
        known = [s for s in (estimator.seconds(e) for e in left) if s is not None]
        total = f"; all {len(left)} left: about {fmt_duration(sum(known))}" if len(left) > 1 and known else ""
        print(f"keraslab: [{k}/{len(configs)}] {exp}: {estimator.describe(exp)}{total}", flush=True)
        start = time.perf_counter()
        experiments.execute(exp, config, store, resume=not args.fresh, wait=args.wait)
        walls[exp] = time.perf_counter() - start
        estimator.finished(exp, walls[exp])
        if not args.no_plots:
            from keraslab import suite

            files = suite.render_figures(store, plots_dir_for(args.out), only=[exp])
            if files:
                print(f"keraslab: plots written: {', '.join(str(f) for f in files)}")
    if len(walls) > 1:
        print(
            "keraslab: wall time: "
            + ", ".join(f"{e} {fmt_duration(s)}" for e, s in walls.items())
            + f"; total {fmt_duration(sum(walls.values()))}"
        )
    return 0


def cmd_report(args) -> int:
    from keraslab import suite

    out = Path(args.out)
    if not out.is_dir():
        raise KeraslabError(f"no run store at {out}; run `keraslab run --out {out}` first")
    readme = Path(args.readme) if args.readme else None
    if readme is not None and not readme.is_file():
        raise KeraslabError(f"--readme {readme}: no such file")
    docs = [Path(d) for d in args.docs]
    for d in docs:
        if not d.is_file():
            raise KeraslabError(f"--docs {d}: no such file")
    paths = suite.build_report(out, readme=readme, docs=docs)
    for p in paths:
        print(f"keraslab: wrote {p}")
    return 0


def bench_config(args):
    """The bench's config from its flags: the quick or standard profile, plus what was asked for."""
    from keraslab import experiments

    return experiments.get("bench").config.for_profile(
        "quick" if args.quick else "standard",
        **({"variants": True} if args.variants else {}),
        **({"other_backends": True} if args.other_backends else {}),
    )


def cmd_bench(args) -> int:
    from keraslab import backend

    backend.select("tensorflow")
    backend.import_keras_quietly()
    from keraslab import experiments, suite
    from keraslab.experiments import bench
    from keraslab.store import RunStore

    config = bench_config(args)
    store = RunStore(args.out)
    store.ensure_writable()
    experiments.execute("bench", config, store)
    for line in bench.table(store.latest("bench")):
        print(line)
    suite.render_figures(store, plots_dir_for(args.out), only=["bench"])
    return 0


def cmd_predict(args) -> int:
    from keraslab import backend

    backend.select(args.backend)
    backend.import_keras_quietly()
    from keraslab import predict

    for line in predict.main(args.image, model_path=args.model, store_root=args.out):
        print(line)
    return 0


def cmd_exercises(args) -> int:
    from keraslab import exercises

    for line in exercises.listing():
        print(line)
    print(f"(statuses from your last checks, kept in {exercises.status_file()})")
    return 0


def cmd_check(args) -> int:
    """Exit 0 only when every exercise of every file is correct; 1 otherwise."""
    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.is_file():
            raise KeraslabError(f"no exercise file at {path}")
        if path.suffix not in (".py", ".ipynb"):
            raise KeraslabError(f"{path} is neither a .py nor an .ipynb file")
    from keraslab import backend

    backend.select(None)
    backend.import_keras_quietly()
    from keraslab import exercises

    all_correct = True
    for path in paths:
        try:
            result = exercises.check_file(path, show_output=args.show_output)
        except ValueError as exc:
            raise KeraslabError(str(exc)) from None
        if len(paths) > 1:
            print(f"{path}:")
        for error in result.cell_errors:
            print(f"keraslab: note: {path.name}, {error}", file=sys.stderr)
        for exercise, _, message in result.verdicts:
            print(f"{exercise.id}  {exercise.title}: {message}")
        done = sum(status == "correct" for _, status, _ in result.verdicts)
        print(f"{done} of {len(result.verdicts)} correct")
        all_correct = all_correct and result.all_correct
    return 0 if all_correct else 1


def cmd_site(args) -> int:
    from keraslab import site

    out = Path(args.out)
    if not out.is_dir():
        raise KeraslabError(
            f"no run store at {out}; run `keraslab run all --out {out}` first, "
            "or build the site of the committed results: `keraslab site --out reference`"
        )
    built = site.build(out, args.site)
    print(f"keraslab: wrote {built}/ (open {built / 'index.html'} in a browser; it works offline)")
    return 0


COMMANDS = {
    "site": cmd_site,
    "exercises": cmd_exercises,
    "check": cmd_check,
    "list": cmd_list,
    "data": cmd_data,
    "run": cmd_run,
    "report": cmd_report,
    "bench": cmd_bench,
    "predict": cmd_predict,
}


def main(argv=None) -> int:
    if argv is None:  # the `keraslab` command itself, not a call from Python code
        from keraslab import cpu
        from keraslab.backend import filter_tensorflow_noise

        try:
            env = cpu.emulation_environ()
        except ValueError as exc:
            print(f"keraslab: error: {exc}", file=sys.stderr)
            return 2
        if env is not None:  # emulating a CPU kind: its caps must be set before any library loads
            os.execve(sys.executable, [sys.executable, "-m", "keraslab", *sys.argv[1:]], env)
        filter_tensorflow_noise()
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        check_args(args)
        if getattr(args, "quiet", False):
            os.environ[progress.QUIET_ENV] = "1"  # children inherit it
        return COMMANDS[args.command](args)
    except KeraslabError as exc:
        print(f"keraslab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from keraslab import experiments

        kept = [e.name for e in experiments.all_experiments() if e.resumable]
        print(
            f"keraslab: interrupted; earlier runs are intact. {', '.join(kept)} keep their finished steps "
            "(rerun the same command to resume); other unfinished runs were discarded",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:  # a full disk, a vanished folder: one line, earlier runs intact
        print(f"keraslab: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or a library failure: still one line, the details on request
        if os.environ.get("KERASLAB_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        hint = "set KERASLAB_DEBUG=1 for the traceback"
        print(f"keraslab: error: {type(exc).__name__}: {first} ({hint})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
