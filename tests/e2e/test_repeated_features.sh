#!/usr/bin/env bash
# test_repeated_features.sh: a feature repeated within one example (text written one token per
# word, "| the movie the end the") is the same example as the feature once with the summed value
# ("the:3"): every optimizer, normalized or not, learns the very same model from both spellings,
# and learns it well (it used to diverge: FTRL to AUC 0.5 and weights near 3e16, AdaGrad to "weight
# is not finite").
. "$(dirname "$0")/lib.sh"
G=$GANNET
python3 - "$T" <<'PY' || fail "could not write the data"
import random, sys, collections
t = sys.argv[1]
r = random.Random(5)
vocab = ["w%d" % i for i in range(3000)]
weight = {w: r.gauss(0, 1) if i < 300 else 0.0 for i, w in enumerate(vocab)}
def doc():
    n = r.randint(20, 300)
    words = [vocab[min(int(r.paretovariate(1.1)) - 1, 2999)] if r.random() < 0.6 else r.choice(vocab) for _ in range(n)]
    s = sum(weight[w] for w in words) / n ** 0.5
    return words, 1 if r.random() < 1 / (1 + 2.718281828 ** (-2 * s)) else -1
for name, n in (("train", 6000), ("test", 2000)):
    with open(f"{t}/{name}.vw", "w") as tok, open(f"{t}/{name}_counts.vw", "w") as cnt:
        for _ in range(n):
            words, y = doc()
            tok.write(f"{y} |w {' '.join(words)}\n")
            c = collections.Counter(words)
            cnt.write(f"{y} |w {' '.join(f'{w}:{k}' for w, k in sorted(c.items()))}\n")
PY
for opt in ftrl adagrad sgd; do
    for norm in --normalize --no-normalize; do
        run "$G" train -d "$T/train.vw" -m "$T/tok.gnm" --optimizer $opt $norm --passes 1 --threads 1 --quiet
        rc_tok=$RC
        cp "$T/err" "$T/err_tok"
        run "$G" train -d "$T/train_counts.vw" -m "$T/cnt.gnm" --optimizer $opt $norm --passes 1 --threads 1 --quiet
        [ "$RC" = "$rc_tok" ] || fail "$opt $norm: exit $rc_tok with repeated tokens, $RC with token:count"
        if [ "$RC" != 0 ]; then
            # the plain updates of gannet 0.1 may diverge on unscaled counts (the reason normalize is
            # the default); they must fail alike, and only they
            [ "$norm" = --no-normalize ] || { cat "$T/err" >&2; fail "$opt $norm failed"; }
            cmp -s "$T/err" "$T/err_tok" || fail "$opt $norm: the two spellings fail differently"
            ok "$opt $norm: both spellings fail alike ($(head -1 "$T/err"))"
            continue
        fi
        run_ok "$G" predict -m "$T/tok.gnm" -d "$T/test.vw" -o "$T/p_tok"
        run_ok "$G" predict -m "$T/cnt.gnm" -d "$T/test_counts.vw" -o "$T/p_cnt"
        cmp -s "$T/p_tok" "$T/p_cnt" || fail "$opt $norm: repeated tokens and token:count train different models"
        run_ok "$G" eval -m "$T/tok.gnm" -d "$T/test.vw" --json
        a=$(json_get "$T/out" .auc)
        if [ "$norm" = --normalize ]; then
            python3 -c "import sys; sys.exit(0 if $a > 0.8 else 1)" || fail "$opt $norm: AUC $a on repeated tokens (diverged?)"
        fi
        ok "$opt $norm: one token per word = token:count, AUC $a"
    done
done
