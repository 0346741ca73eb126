#!/usr/bin/env python3
# tests/e2e/fold_split.py: an independent implementation of gannet's fold assignment, used by the
# cv/tune end-to-end tests. The key of an example is (file index << 40) ^ (byte offset of its line
# in the decompressed file); its fold is splitmix64-finaliser(key ^ seed) % K.
# usage: fold_split.py K F SEED OUT_TRAIN OUT_TEST FILE...  (FILE may be .gz)
#        fold_split.py --ids K SEED OUT FILE...  writes each example's fold (0..K-1), one per line
#        (for giving another tool, e.g. scikit-learn's PredefinedSplit, exactly gannet's folds)
import gzip
import sys

M = (1 << 64) - 1


def mix64(x):
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & M
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & M
    x ^= x >> 31
    return x


def examples(paths):
    """(key, line) of every non-blank line, in order."""
    for fi, path in enumerate(paths):
        opener = gzip.open if path.endswith(".gz") else open
        off = 0
        with opener(path, "rb") as fh:
            for line in fh:
                key = ((fi << 40) ^ off) & M
                off += len(line)
                if line.strip():
                    yield key, line


def main():
    if sys.argv[1] == "--ids":
        k, seed = int(sys.argv[2]), int(sys.argv[3])
        with open(sys.argv[4], "w") as out:
            out.writelines("%d\n" % (mix64(key ^ seed) % k) for key, _ in examples(sys.argv[5:]))
        return
    k, f, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    with open(sys.argv[4], "wb") as tr, open(sys.argv[5], "wb") as te:
        for key, line in examples(sys.argv[6:]):
            (te if mix64(key ^ seed) % k == f else tr).write(line)


main()
