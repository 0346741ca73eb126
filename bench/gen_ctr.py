#!/usr/bin/python3
"""bench/gen_ctr.py: generated context-aware click data for bench/fm.sh, written in four forms.

frappe-like (mode "frappe"): user (957), item (4082) and 8 context fields with frappe's sizes
(daytime 7, weekday 7, isweekend 2, homework 3, cost 2, weather 9, country 80, city 233), all
one-hot. Users and items are drawn Zipf-like; the log-odds of a click are a planted user x item
low-rank interaction (rank 8) plus per-value context effects plus a small user x daytime
interaction, shifted so that about one row in three is a click (frappe's 1:2 ratio).

ctr10 (mode "ctr10"): 10 categorical fields of 1,000 to 100,000 values each, log-odds from
pairwise rank-4 interactions of the first four fields plus per-value effects (throughput data).

Writes PREFIX.{train,test}.{libfm,libffm,csv} and PREFIX.test.p (the true click probability of
each test row, for the Bayes-optimal AUC).
usage: gen_ctr.py MODE PREFIX NTRAIN NTEST SEED
"""
import sys

import numpy as np


def zipf_choice(rng, n, size, a=1.05):
    p = 1.0 / np.arange(1, n + 1) ** a
    p /= p.sum()
    perm = rng.permutation(n)
    return perm[rng.choice(n, size=size, p=p)]


def frappe(rng, n):
    sizes = [957, 4082, 7, 7, 2, 3, 2, 9, 80, 233]
    names = ["user", "item", "daytime", "weekday", "isweekend", "homework", "cost", "weather", "country", "city"]
    x = np.empty((n, len(sizes)), dtype=np.int64)
    x[:, 0] = zipf_choice(rng, sizes[0], n, 0.8)
    x[:, 1] = zipf_choice(rng, sizes[1], n, 1.0)
    for f in range(2, len(sizes)):
        x[:, f] = zipf_choice(rng, sizes[f], n, 0.6)
    return names, sizes, x


def frappe_score(rng_model, names, sizes, x):
    k = 8
    U = rng_model.normal(0, 1, (sizes[0], k)) / np.sqrt(k) * 2.2
    V = rng_model.normal(0, 1, (sizes[1], k)) / np.sqrt(k) * 2.2
    s = np.einsum("ij,ij->i", U[x[:, 0]], V[x[:, 1]])
    for f in range(2, len(sizes)):
        s += rng_model.normal(0, 0.5, sizes[f])[x[:, f]]
    s += rng_model.normal(0, 0.3, sizes[0])[x[:, 0]] + rng_model.normal(0, 0.3, sizes[1])[x[:, 1]]
    ud = rng_model.normal(0, 0.4, (sizes[0], 2)) @ rng_model.normal(0, 1, (2, sizes[2]))
    s += ud[x[:, 0], x[:, 2]]
    return s


def ctr10(rng, n):
    sizes = [100000, 50000, 20000, 10000, 5000, 2000, 1000, 1000, 1000, 1000]
    names = ["f%d" % i for i in range(10)]
    x = np.empty((n, 10), dtype=np.int64)
    for f in range(10):
        x[:, f] = zipf_choice(rng, sizes[f], n, 1.0)
    return names, sizes, x


def ctr10_score(rng_model, names, sizes, x):
    k = 4
    E = [rng_model.normal(0, 1, (sizes[f], k)) / np.sqrt(k) for f in range(4)]
    s = np.zeros(len(x))
    for f in range(4):
        for g in range(f + 1, 4):
            s += 0.7 * np.einsum("ij,ij->i", E[f][x[:, f]], E[g][x[:, g]])
    for f in range(10):
        s += rng_model.normal(0, 0.2, sizes[f])[x[:, f]]
    return s


def write(prefix, part, names, sizes, x, y):
    off = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    g = x + off  # global 0-based one-hot index
    n, nf = x.shape
    lab = y.astype(int)
    with open("%s.%s.libfm" % (prefix, part), "w") as fo:
        cols = [lab.astype(str)] + [np.char.add(g[:, f].astype(str), ":1") for f in range(nf)]
        fo.write("\n".join(" ".join(r) for r in zip(*cols)) + "\n")
    with open("%s.%s.libffm" % (prefix, part), "w") as fo:
        cols = [lab.astype(str)] + [np.char.add(np.char.add("%d:" % f, g[:, f].astype(str)), ":1") for f in range(nf)]
        fo.write("\n".join(" ".join(r) for r in zip(*cols)) + "\n")
    with open("%s.%s.csv" % (prefix, part), "w") as fo:
        fo.write("label," + ",".join(names) + "\n")
        cols = [lab.astype(str)] + [np.char.add(names[f][0] + "_", x[:, f].astype(str)) for f in range(nf)]
        fo.write("\n".join(",".join(r) for r in zip(*cols)) + "\n")


def main():
    mode, prefix, ntrain, ntest, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rng = np.random.default_rng(seed)
    gen, score = (frappe, frappe_score) if mode == "frappe" else (ctr10, ctr10_score)
    names, sizes, x = gen(rng, ntrain + ntest)
    s = score(np.random.default_rng(seed + 1000), names, sizes, x)
    # shift: about one click in three
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(s + mid)))).mean() > 1 / 3:
            hi = mid
        else:
            lo = mid
    p = 1 / (1 + np.exp(-(s + lo)))
    y = rng.random(len(p)) < p
    write(prefix, "train", names, sizes, x[:ntrain], y[:ntrain])
    write(prefix, "test", names, sizes, x[ntrain:], y[ntrain:])
    np.savetxt("%s.test.p" % prefix, p[ntrain:], fmt="%.6f")


if __name__ == "__main__":
    main()
