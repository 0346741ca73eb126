#!/usr/bin/env bash
# e2e: the Criteo quality bar through the CSV/TSV path. First 8,000 rows train, last 2,000 test;
# label in column 1, all other columns hashed as categorical name=value (raw counts make poor
# linear features); test AUC >= 0.70. Also checks that prediction reuses the stored column roles
# (no CSV flags needed) and that a gzip copy of the test file evaluates the same.
. "$(dirname "$0")/lib.sh"

SRC=$GN_SHARED_DATA/criteo/dac_train_first10k.txt.gz
[ -r "$SRC" ] || skip "criteo sample not found under $GN_SHARED_DATA"

zcat "$SRC" | head -n 8000 > "$T/train.tsv"
zcat "$SRC" | tail -n 2000 > "$T/test.tsv"
check "$(wc -l < "$T/train.tsv")" == 8000 "train rows"
check "$(zcat "$SRC" | wc -l)" == 10000 "sample rows (train and test do not overlap)"

M=$T/criteo.model
run_ok "$GANNET" train --passes 1 -d "$T/train.tsv" -m "$M" --format csv --sep tab --no-header --label 1 \
    --categorical 2-40 --json
cp "$T/out" "$T/train.json"
json_valid "$T/train.json"
check "$(json_get "$T/train.json" .examples)" == 8000 "trained on every row (empty fields are missing values)"
check "$(json_get "$T/train.json" .skipped)" == 0 "no row skipped"

run_ok "$GANNET" eval -m "$M" -d "$T/test.tsv" --json
cp "$T/out" "$T/eval.json"
check "$(json_get "$T/eval.json" .examples)" == 2000 "test rows"
check "$(json_get "$T/eval.json" .auc)" '>=' 0.70 "criteo test AUC"
# better than the base rate: logloss below the entropy of the test labels
base=$(awk -F'\t' '{ n++; p += ($1 == 1) } END { q = p / n; printf "%.6f", -(q * log(q) + (1 - q) * log(1 - q)) }' "$T/test.tsv")
check "$(json_get "$T/eval.json" .logloss)" '<' "$base" "criteo test logloss below the label entropy"

# The model remembers the column roles: metadata and prediction without CSV flags
run_ok "$GANNET" inspect -m "$M" --json
cp "$T/out" "$T/inspect.json"
[ "$(json_get "$T/inspect.json" .metadata.spec.format)" = csv ] || fail "stored format is not csv"
[ "$(json_get "$T/inspect.json" .metadata.spec.categorical)" = 2-40 ] || fail "stored categorical columns"
run_ok "$GANNET" predict -m "$M" -d "$T/test.tsv"
check "$(wc -l < "$T/out")" == 2000 "one prediction per test row"

# gzip input (detected by content, whatever the name) evaluates identically
gzip -c "$T/test.tsv" > "$T/test.data"
run_ok "$GANNET" eval -m "$M" -d "$T/test.data" --json
cp "$T/out" "$T/eval_gz.json"
check "$(json_get "$T/eval_gz.json" .auc)" == "$(json_get "$T/eval.json" .auc)" "gzip test file gives the same AUC"
echo PASS
