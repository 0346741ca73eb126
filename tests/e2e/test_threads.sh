#!/usr/bin/env bash
# tests/e2e/test_threads.sh: every threaded training path with two worker threads on a planted
# model (learn/train.c, io/pipeline.c, io/shuffle.c, model/kinds/linear.c): Hogwild with FTRL,
# AdaGrad and SGD, --deterministic (per-thread learners averaged), a binary cache, --shuffle,
# passes = auto (holdout and refit), and tune's shared pass. Each model must learn the planted
# model (test AUC near the single-thread one). scripts/test also runs this under ThreadSanitizer,
# where any race outside the Hogwild kernels (util/racy.h) stops the process and fails the test.
. "$(dirname "$0")/lib.sh"

gen_planted 40000 7 30 > "$T/train.svm" # the last 4,000 rows are the test set
tail -n 4000 "$T/train.svm" > "$T/test.svm"
head -n 36000 "$T/train.svm" > "$T/fit.svm"

auc_of() { # MODEL: test AUC
    "$GANNET" eval -m "$1" -d "$T/test.svm" --json > "$T/eval.json" || fail "eval $1"
    json_get "$T/eval.json" .auc
}

run_ok "$GANNET" train -d "$T/fit.svm" -m "$T/one.gnm" --threads 1 --passes 1
base=$(auc_of "$T/one.gnm")
check "$base" '>=' 0.85 "one thread learns the planted model"

case_ok() { # NAME FLAGS...: trains with --threads 2 and FLAGS, checks the test AUC
    local name=$1; shift
    run_ok "$GANNET" train -d "$T/fit.svm" -m "$T/$name.gnm" --threads 2 "$@"
    check "$(auc_of "$T/$name.gnm")" '>=' "$(awk -v b="$base" 'BEGIN { print b - 0.01 }')" "two threads, $name"
}

case_ok hogwild-ftrl --passes 1
case_ok hogwild-adagrad --passes 1 --optimizer adagrad
case_ok hogwild-sgd --passes 1 --optimizer sgd
case_ok deterministic --passes 2 --deterministic
case_ok shuffled --passes 2 --shuffle
case_ok passes-auto

run_ok "$GANNET" cache -d "$T/fit.svm" -o "$T/fit.cache"
case_ok cached --cache "$T/fit.cache" --passes 2

run_ok "$GANNET" tune -d "$T/fit.svm" --threads 2 -k 3 --grid 'l2=1e-6,1e-4;lr=0.1,0.5' --metric auc --json -m "$T/tuned.gnm"
check "$(auc_of "$T/tuned.gnm")" '>=' "$(awk -v b="$base" 'BEGIN { print b - 0.01 }')" "tune with two threads"
