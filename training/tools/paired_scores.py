"""Compares two generator files pair by pair, from two `makeupapi-cli compare-engines --csv` files of the same pairs.

    /usr/bin/python3 training/tools/paired_scores.py FILE.csv CANDIDATE.csv [MORE_FILE.csv MORE_CANDIDATE.csv ...]
        [--exclude USED.csv ...] [--region lips|eyes] [--references REGEX]

Each pair's score is the selection score of training/STAGES.md, per pair instead of over the table's medians:
S = 100 (lips moved + eyes moved) - 7.5 (lips dE to the reference + eyes dE to the reference). The tool prints the
mean and the median of the differences (candidate - file) over the pairs both files hold, each with a percentile
bootstrap 95% interval (resampling pairs), and on how many pairs the candidate scores higher. A decision rule that
uses it names the statistic and the bar before anything is measured (training/checkpoints/*/RULE.md).

--region lips|eyes compares only that region's part of S, 100 moved - 7.5 dE of the region, over the same pairs as S,
so the two parts add up to the whole.

--references REGEX keeps only the pairs whose reference's name matches REGEX whole, for a look at one kind of
reference (`--references '[0-9]+'`: the makeup set's photos named by number).

--exclude drops every pair that another csv file with source and reference columns holds (a compare-engines --csv file,
any engine, or training/eval-pairs-used.csv): a set drawn from a smaller pool of unseen sources can share pairs with
sets that earlier decisions used, and those pairs no longer count as fresh.
"""
from __future__ import annotations

import argparse
import csv
import math
import random
import re
import statistics

# The dE weight makes one CIEDE2000 unit cost as much as 7.5 points of "moved": the weighting of the table score that
# every stage since stage 9 has selected on (training/STAGES.md, stage 9, says where it comes from).
DE_WEIGHT = 7.5


# The regions S adds up; each region's part is 100 moved - 7.5 dE of that region alone.
REGIONS = ("lips", "eyes")


def pair_scores(path: str, engine: str, regions: tuple[str, ...] = REGIONS) -> dict[tuple[str, str], float]:
    """S of each (source, reference) pair for one engine, or its part from the named regions only; rows where any
    region's measures are missing or not finite (no face found, or no distance to move) are skipped, whatever regions
    are named, so the parts of S are over the same pairs as S and add up to it."""
    scores = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["engine"] != engine:
                continue
            try:
                parts = {r: 100.0 * float(row[r + "_moved"]) - DE_WEIGHT * float(row[r + "_after"]) for r in REGIONS}
            except ValueError:
                continue
            if not all(math.isfinite(v) for v in parts.values()):
                continue
            scores[(row["source"], row["reference"])] = sum(parts[r] for r in regions)
    return scores


def differences(base: dict, candidate: dict) -> list[float]:
    """candidate - base on the pairs both hold, in the base file's order."""
    return [candidate[k] - v for k, v in base.items() if k in candidate]


def pairs_in(path: str) -> set[tuple[str, str]]:
    """Every (source, reference) pair a csv file holds, whatever its other columns (engine, measures)."""
    with open(path, newline="") as f:
        return {(row["source"], row["reference"]) for row in csv.DictReader(f)}


def without(scores: dict, excluded: set) -> dict:
    """The scores of the pairs not in excluded."""
    return {k: v for k, v in scores.items() if k not in excluded}


def with_references(scores: dict, pattern: str | re.Pattern) -> dict:
    """The scores of the pairs whose reference name matches pattern (a whole-name regular expression, as text or
    compiled; re.compile returns a compiled one as it is)."""
    whole = re.compile(pattern)
    return {k: v for k, v in scores.items() if whole.fullmatch(k[1])}


def bootstrap_interval(values: list[float], statistic, resamples: int, seed: int) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of statistic(values) (Efron & Tibshirani, An Introduction to the Bootstrap,
    1993, ch. 13): the 2.5th and 97.5th percentiles of the statistic over resamples drawn with replacement."""
    rng = random.Random(seed)
    n = len(values)
    stats = sorted(statistic([values[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    return stats[int(0.025 * resamples)], stats[int(0.975 * resamples) - 1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("csvs", nargs="+", help="FILE.csv CANDIDATE.csv, and more such couples whose pairs are pooled")
    p.add_argument("--engine", default="generator", help="the engine whose rows are compared (default generator)")
    p.add_argument("--resamples", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--exclude", action="append", default=[], metavar="USED.csv",
                   help="leave out the pairs this csv file (source, reference columns) holds (repeatable)")
    p.add_argument("--region", choices=REGIONS, help="compare only this region's part of S (the lip or eye part)")
    p.add_argument("--references", metavar="REGEX", default=".*",
                   help="compare only the pairs whose reference name matches this whole-name regular expression")
    args = p.parse_args(argv)
    regions = (args.region,) if args.region else REGIONS
    try:
        references = re.compile(args.references)
    except re.error as e:
        p.error("--references %r is not a regular expression: %s" % (args.references, e))
    if len(args.csvs) % 2:
        raise SystemExit("give the csv files in couples: FILE.csv CANDIDATE.csv")
    excluded = set().union(*(pairs_in(path) for path in args.exclude))
    diffs = []
    for base, cand in zip(args.csvs[0::2], args.csvs[1::2]):
        kept = with_references(without(pair_scores(base, args.engine, regions), excluded), references)
        diffs += differences(kept, pair_scores(cand, args.engine, regions))
    if not diffs:
        raise SystemExit("no pair is in both files")
    mean_lo, mean_hi = bootstrap_interval(diffs, statistics.fmean, args.resamples, args.seed)
    med_lo, med_hi = bootstrap_interval(diffs, statistics.median, args.resamples, args.seed)
    print("pairs %d; mean difference %+.1f (95%% interval %+.1f to %+.1f); median difference %+.1f (%+.1f to %+.1f); "
          "candidate higher on %d" % (len(diffs), statistics.fmean(diffs), mean_lo, mean_hi, statistics.median(diffs),
                                      med_lo, med_hi, sum(d > 0 for d in diffs)))


if __name__ == "__main__":
    main()
