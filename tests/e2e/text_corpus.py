"""tests/e2e/text_corpus.py: helpers of test_text.sh (not a test itself).

  text_corpus.py csv OUT N SEED        a CSV "label,doc" of N short reviews (ASCII, punctuation,
                                       mixed case), the label a word choice
  text_corpus.py tree DIR N SEED       the same reviews as DIR/{pos,neg}/<i>.txt (multi-line, some
                                       UTF-8 letters)
  text_corpus.py multi OUT N SEED      OUT.csv "label,title,n,body" and OUT.vw "label |title ...
                                       |num n:.. |body ..." of N rows: two text documents (either
                                       may be empty, the same words in both) and a number
  text_corpus.py sklearn CSV [DUMP NGRAMS TF]...
                                       compares each row's tf-idf values of dump_features (DUMP)
                                       with scikit-learn's TfidfVectorizer on the CSV's documents
                                       (sorted values: hashing changes slots, not values); exit 77
                                       without scikit-learn
  text_corpus.py dot DUMP TOP PRED     the logistic predictions from dump_features rows and the
                                       weights of `gannet inspect --json --top K` equal PRED
"""
import json
import math
import random
import sys

POS = ["great", "excellent", "wonderful", "loved", "best", "superb"]
NEG = ["awful", "terrible", "boring", "worst", "hated", "dull"]
FILL = ["the", "movie", "was", "a", "film", "plot", "actor", "and", "it", "story", "Caf\u00e9", "na\u00efve"]


def review(rng, y, ascii_only):
    fill = [w for w in FILL if not ascii_only or w.isascii()]
    words = [rng.choice(fill) for _ in range(rng.randint(3, 25))]
    words += [rng.choice(POS if y else NEG) for _ in range(rng.randint(1, 2))]
    rng.shuffle(words)
    out = []
    for w in words:
        w = w.upper() if rng.random() < 0.1 else w
        out.append(w + rng.choice(["", "", "", ",", ".", "!", " -"]))
    return " ".join(out)


def main():
    cmd = sys.argv[1]
    if cmd == "csv":
        out, n, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rng = random.Random(seed)
        with open(out, "w") as f:
            f.write("label,doc\n")
            for _ in range(n):
                y = rng.randint(0, 1)
                f.write('%d,"%s"\n' % (y, review(rng, y, True).replace('"', '""')))
    elif cmd == "tree":
        import os
        root, n, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rng = random.Random(seed)
        for c in ("pos", "neg"):
            os.makedirs(os.path.join(root, c), exist_ok=True)
        for i in range(n):
            y = rng.randint(0, 1)
            text = review(rng, y, False)
            cut = len(text) // 2
            with open(os.path.join(root, "pos" if y else "neg", "%d.txt" % i), "w", encoding="utf-8") as f:
                f.write(text[:cut] + "\n" + text[cut:] + "\r\n")
    elif cmd == "multi":
        out, n, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rng = random.Random(seed)
        with open(out + ".csv", "w") as f, open(out + ".vw", "w") as v:
            f.write("label,title,n,body\n")
            for _ in range(n):
                y = rng.randint(0, 1)
                t = "" if rng.random() < 0.1 else review(rng, y, True).replace("|", "").replace(":", "")
                b = "" if rng.random() < 0.1 else review(rng, y, True).replace("|", "").replace(":", "")
                num = rng.randint(0, 5)
                f.write('%d,"%s",%s,"%s"\n' % (y, t.replace('"', '""'), num if rng.random() < 0.9 else "",
                                               b.replace('"', '""')))
                v.write("%d |title %s |num n:%d |body %s\n" % (1 if y else -1, t, num, b))
    elif cmd == "sklearn":
        try:
            from sklearn.feature_extraction.text import TfidfVectorizer
        except ImportError:
            print("scikit-learn is not installed", file=sys.stderr)
            sys.exit(77)
        import csv
        path = sys.argv[2]
        with open(path, newline="") as f:
            docs = [row["doc"] for row in csv.DictReader(f)]
        args = sys.argv[3:]
        for k in range(0, len(args), 3):
            dump, ngrams, tf = args[k], int(args[k + 1]), args[k + 2]
            vec = TfidfVectorizer(token_pattern=r"(?u)[a-z0-9]+", ngram_range=(1, ngrams),
                                  sublinear_tf=(tf == "log"), binary=(tf == "binary"))
            x = vec.fit_transform(docs)
            rows = [line.rstrip("\n").split("\t") for line in open(dump)]
            if len(rows) != len(docs):
                sys.exit("%d rows from gannet, %d documents" % (len(rows), len(docs)))
            worst = 0.0
            for i, (_, feats) in enumerate(rows):
                ours = sorted(float(kv.split(":")[1]) for kv in feats.split()) if feats else []
                theirs = sorted(x.getrow(i).data.tolist())
                if len(ours) != len(theirs):
                    sys.exit("ngrams %d, tf %s, row %d: %d features from gannet, %d from scikit-learn"
                             % (ngrams, tf, i + 1, len(ours), len(theirs)))
                for a, b in zip(ours, theirs):
                    worst = max(worst, abs(a - b))
            if worst > 1e-6:
                sys.exit("ngrams %d, tf %s: largest difference from scikit-learn's tf-idf: %g" % (ngrams, tf, worst))
            print("ngrams %d, tf %s: %d rows, %d terms: tf-idf values equal scikit-learn's (largest difference %.2g)"
                  % (ngrams, tf, len(docs), x.shape[1], worst))
    elif cmd == "dot":
        dump, top, pred = sys.argv[2], sys.argv[3], sys.argv[4]
        w = {t["slot"]: t["weight"] for t in json.load(open(top))["top_weights"]}
        preds = [float(line) for line in open(pred)]
        rows = [line.rstrip("\n").split("\t") for line in open(dump)]
        if len(rows) != len(preds):
            sys.exit("%d rows, %d predictions" % (len(rows), len(preds)))
        worst = 0.0
        for (_, feats), p in zip(rows, preds):
            s = 0.0
            for kv in feats.split():
                slot, v = kv.split(":")
                s += w.get(int(slot), 0.0) * float(v)
            worst = max(worst, abs(1.0 / (1.0 + math.exp(-s)) - p))
        if worst > 1e-5:
            sys.exit("predictions differ from the weights times the training features by up to %g" % worst)
        print("%d predictions equal the weights times the training features" % len(preds))
    else:
        sys.exit("unknown command " + cmd)


main()
