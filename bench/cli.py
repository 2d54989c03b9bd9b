"""The command line of the closed-loop benchmarks (bench.ten_steps, bench.peers): one parser
shape, one check of the counts, and the timestamp that names the results file."""

import argparse
from datetime import UTC, datetime


def parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser whose --help is the module docstring, kept as written."""
    return argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def parse(
    parser: argparse.ArgumentParser, argv: list[str] | None, counts: list[str]
) -> argparse.Namespace:
    """Parse `argv`; each option named in `counts` (each value, for a list) must be >= 1 and
    --warmup >= 0. `started_at` is stamped on the result."""
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
