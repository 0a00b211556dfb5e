"""Adds the faces of a larger prepared set that a smaller one lacks, with their pairs, keeping every pair of the smaller.

    /usr/bin/python3 training/tools/extend_prepared.py --base training/prepared-widest-r8 \\
        --extra training/prepared-h750-r8 --out training/prepared-h750m

Why: `makeupapi-cli prepare-training-data` draws each source's references from one random stream in source order, so
`--helen 750` reassigns the references of most sources that `--helen 650` already had (the faces are a superset, the
pairs are not). A stage that asks "do more faces help?" should change only that: this writes BASE (faces, pairs and
files as they are) plus EXTRA's faces whose ids BASE lacks and EXTRA's pairs that involve one of them.

--reference-kinds helen also adds EXTRA's pairs whose reference is a face of that kind (the in-the-wild references of
`prepare-training-data --wild-refs K`, stage 33), when BASE lacks them and both faces are in the result:

    /usr/bin/python3 training/tools/extend_prepared.py --base training/prepared-h750mp \\
        --extra training/prepared-h750p210-r8w4 --reference-kinds helen --out training/prepared-h750mpw4
"""
from __future__ import annotations

import argparse
import json
import os
import shutil


def extension(base: dict, extra: dict, reference_kinds: frozenset = frozenset()) -> dict:
    """The index of base plus extra's new faces and the pairs that involve one of them, plus extra's pairs whose
    reference's kind is in reference_kinds (base's own pairs come first, none twice)."""
    if base["size"] != extra["size"]:
        raise ValueError("the two sets have different crop sizes: %s and %s" % (base["size"], extra["size"]))
    known = {f["id"] for f in base["faces"]}
    new_faces = [f for f in extra["faces"] if f["id"] not in known]
    new_ids = {f["id"] for f in new_faces}
    kind = {f["id"]: f["kind"] for f in base["faces"] + new_faces}
    had = {(p["source"], p["reference"]) for p in base["pairs"]}
    new_pairs = [p for p in extra["pairs"]
                 if (p["source"], p["reference"]) not in had
                 and (p["source"] in new_ids or p["reference"] in new_ids
                      or (p["source"] in kind and kind.get(p["reference"]) in reference_kinds))]
    out = dict(base)
    out["faces"] = base["faces"] + new_faces
    out["pairs"] = base["pairs"] + new_pairs
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True, help="prepared folder whose faces and pairs are all kept")
    p.add_argument("--extra", required=True, help="prepared folder (same crop size) whose new faces are added")
    p.add_argument("--reference-kinds", default="", metavar="KIND[,KIND]",
                   help="also add extra's pairs whose reference is a face of these kinds (e.g. helen)")
    p.add_argument("--out", required=True, help="new folder (must not exist)")
    args = p.parse_args(argv)
    if os.path.exists(args.out):
        raise SystemExit("%s exists; give a new folder" % args.out)
    with open(os.path.join(args.base, "index.json")) as f:
        base = json.load(f)
    with open(os.path.join(args.extra, "index.json")) as f:
        extra = json.load(f)
    index = extension(base, extra, frozenset(k for k in args.reference_kinds.split(",") if k))
    shutil.copytree(args.base, args.out)
    added_faces = index["faces"][len(base["faces"]):]
    added_pairs = index["pairs"][len(base["pairs"]):]
    files = [f[k] for f in added_faces for k in ("image", "labels")]
    files += [q[k] for q in added_pairs for k in ("warped", "warpedLabels")]
    for rel in files:
        shutil.copy2(os.path.join(args.extra, rel), os.path.join(args.out, rel))
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, separators=(",", ":"))
    print("%s: %d faces (%d added), %d pairs (%d added)" % (args.out, len(index["faces"]), len(added_faces),
                                                           len(index["pairs"]), len(added_pairs)))


if __name__ == "__main__":
    main()
