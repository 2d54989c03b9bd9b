"""The command line of the closed-loop benchmarks (bench.ten_steps, bench.peers): one parser
shape, one check of the counts, and the timestamp that names the results file."""

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser whose --help is the module docstring, kept as written."""
    return argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def add_quick_and_results(
    parser: argparse.ArgumentParser, quick: dict[str, Any], results_dir: Path
) -> None:
    """--quick (a smoke check with `quick`'s defaults; `parse` applies them) and
    --results-dir."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke check: {quick} unless given (a figure from it means nothing)",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=results_dir, help="where the JSON goes (bench/results)"
    )
    parser.set_defaults(_quick=quick)


def parse(
    parser: argparse.ArgumentParser, argv: list[str] | None, counts: list[str]
) -> argparse.Namespace:
    """Parse `argv`; each option named in `counts` (each value, for a list) must be >= 1 and
    --warmup >= 0. `started_at` is stamped on the result."""
    quick = parser.get_default("_quick")
    if quick and argv is not None and "--quick" in argv:
        parser.set_defaults(**quick)
    args = parser.parse_args(argv)
    values: list[int] = []
    for name in counts:
        value = getattr(args, name)
        values.extend(value if isinstance(value, list) else [value])
    if min(values) < 1 or args.warmup < 0:
        flags = [f"--{name.replace('_', '-')}" for name in counts]
        parser.error(f"{', '.join(flags[:-1])} and {flags[-1]} must be >= 1, --warmup >= 0")
    args.started_at = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return args
