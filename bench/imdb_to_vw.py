#!/usr/bin/env python3
"""bench/imdb_to_vw.py: the labelled IMDB reviews (aclImdb) as Vowpal Wabbit text, for bench/realdata.sh.

usage: imdb_to_vw.py TAR OUTDIR [SEED]

Reads aclImdb/{train,test}/{pos,neg}/*.txt from TAR (../shared/data/imdb/aclImdb_labeled_raw.tar.gz)
and writes four files to OUTDIR (each atomically, via a temporary name):
  imdb_train.vw, imdb_test.vw                one token per occurrence: "1 |w this movie was ..."
  imdb_train_counts.vw, imdb_test_counts.vw  the same rows as "1 |w this:1 movie:2 ..."
                                             (distinct tokens in order of first occurrence)
Labels are 1 (pos) and -1 (neg). Text is lowercased, "<br />" tags become spaces, and tokens
are the runs of [a-z0-9], so no token holds VW's '|' or ':'. The tar is sorted by class, so the
rows of each split are put in a random order seeded by SEED (default 12), the same on every
run: reviews are sorted by file name first, then shuffled with Python's random.Random(SEED).
Plain python3, no third-party modules. Prints one line per file written on stderr.
"""
import os
import random
import re
import sys
import tarfile

TOKEN = re.compile(r"[a-z0-9]+")
BREAK = re.compile(r"<br\s*/?>")


def tokens(raw):
    text = BREAK.sub(" ", raw.decode("utf-8", errors="replace").lower())
    return TOKEN.findall(text)


def counts_line(label, toks):
    seen = {}
    for t in toks:
        seen[t] = seen.get(t, 0) + 1
    return "%s |w %s\n" % (label, " ".join("%s:%d" % kv for kv in seen.items()))


def write_atomically(path, lines):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.writelines(lines)
    os.replace(tmp, path)
    print("wrote %s (%d rows)" % (path, len(lines)), file=sys.stderr)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    tar_path, out_dir = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) == 4 else 12
    docs = {"train": [], "test": []}
    member = re.compile(r"^aclImdb/(train|test)/(pos|neg)/[^/]+\.txt$")
    with tarfile.open(tar_path, "r:*") as tar:
        for info in tar:
            m = member.match(info.name)
            if not m or not info.isfile():
                continue
            raw = tar.extractfile(info).read()
            docs[m.group(1)].append((info.name, "1" if m.group(2) == "pos" else "-1", tokens(raw)))
    for split, rows in docs.items():
        if len(rows) != 25000:
            sys.exit("%s: expected 25000 %s reviews, found %d" % (tar_path, split, len(rows)))
        rows.sort()
        random.Random(seed).shuffle(rows)
        write_atomically(os.path.join(out_dir, "imdb_%s.vw" % split),
                         ["%s |w %s\n" % (label, " ".join(toks)) for _, label, toks in rows])
        write_atomically(os.path.join(out_dir, "imdb_%s_counts.vw" % split),
                         [counts_line(label, toks) for _, label, toks in rows])


if __name__ == "__main__":
    main()
