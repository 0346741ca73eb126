#!/usr/bin/python3
"""bench/gen-netrecords.py: a generated stand-in for network-connection records labelled with the
attack type (KDD Cup 99 style; no such data is in ../shared/data and there is no network), for
bench/netrecords.sh.

23 classes with the names and the skew of KDD Cup 99's (smurf, neptune and normal hold 98.6% of
the rows; the rarest classes, spy, perl, phf, multihop, ftp_write, ..., a few rows per 100,000).
Each row has 3 categorical columns (protocol of 3 values, service of 40, flag of 11) and 8
numeric ones (duration, src_bytes, dst_bytes, count, srv_count, same_srv_rate, dst_host_count,
hot). Every class has its own distribution over each categorical column (a Dirichlet draw,
peaked: concentration 0.3) and its own log-scale mean for each numeric column (normal with sd
1.5 around a shared mean); a row draws each column independently given its class, with noise
(sd 1 on the log scale), so classes overlap and the rare ones are hard. A fixed seed: the same
arguments give the same files. Test rows are drawn from the same priors, with at least one row
of every class, so the rarest classes have 1 to 5 test rows and decide macro-F1.

usage: gen-netrecords.py TRAIN_ROWS TEST_ROWS TRAIN.csv TEST.csv
"""
import sys

import numpy as np

CLASSES = [  # (name, relative frequency per 100,000 rows, about KDD Cup 99's 10% set)
    ("smurf", 56838), ("neptune", 21700), ("normal", 19690), ("back", 446), ("satan", 321),
    ("ipsweep", 251), ("portsweep", 210), ("warezclient", 206), ("teardrop", 199), ("pod", 53),
    ("nmap", 47), ("guess_passwd", 11), ("buffer_overflow", 6), ("land", 4), ("warezmaster", 4),
    ("imap", 3), ("rootkit", 2), ("loadmodule", 2), ("ftp_write", 2), ("multihop", 2),
    ("phf", 1), ("perl", 1), ("spy", 1),
]
PROTOCOLS = ["tcp", "udp", "icmp"]
SERVICES = ["svc%02d" % i for i in range(40)]
FLAGS = ["SF", "S0", "REJ", "RSTR", "RSTO", "SH", "S1", "S2", "RSTOS0", "S3", "OTH"]
NUMERIC = ["duration", "src_bytes", "dst_bytes", "count", "srv_count", "same_srv_rate", "dst_host_count", "hot"]


def main():
    n_train, n_test, train_path, test_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = np.random.default_rng(14)
    k = len(CLASSES)
    prior = np.array([f for _, f in CLASSES], dtype=float)
    prior /= prior.sum()
    cat_p = [rng.dirichlet(np.full(len(v), 0.3), size=k) for v in (PROTOCOLS, SERVICES, FLAGS)]
    num_mu = rng.normal(2.0, 1.5, size=(k, len(NUMERIC)))

    def write(path, counts):
        y = np.repeat(np.arange(k), counts)
        rng.shuffle(y)
        cols = []
        for values, p in zip((PROTOCOLS, SERVICES, FLAGS), cat_p):
            u = rng.random(len(y))
            cum = np.cumsum(p[y], axis=1)
            cols.append(np.array(values)[np.minimum((u[:, None] > cum).sum(axis=1), len(values) - 1)])
        nums = np.expm1(np.maximum(num_mu[y] + rng.normal(0, 1.0, size=(len(y), len(NUMERIC))), 0.0))
        with open(path, "w") as f:
            f.write("attack,protocol,service,flag," + ",".join(NUMERIC) + "\n")
            for i in range(len(y)):
                f.write("%s,%s,%s,%s,%s\n" % (CLASSES[y[i]][0], cols[0][i], cols[1][i], cols[2][i],
                                              ",".join("%.2f" % v for v in nums[i])))

    train_counts = rng.multinomial(n_train, prior)
    train_counts = np.maximum(train_counts, 2)  # every class learnable from two rows at least
    test_counts = np.maximum(rng.multinomial(n_test, prior), 1)
    write(train_path, train_counts)
    write(test_path, test_counts)
    for (name, _), a, b in zip(CLASSES, train_counts, test_counts):
        print("%-16s %8d train %6d test" % (name, a, b), file=sys.stderr)


if __name__ == "__main__":
    main()
