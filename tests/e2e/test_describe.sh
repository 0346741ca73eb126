#!/usr/bin/env bash
# e2e: `gannet describe` on the census-like raw table of gen_raw_table.py (quoted fields with
# commas, missing values as empty/NA/?, string labels, an id column). Its report is checked
# against figures computed here, independently, with Python's csv module: the inferred roles,
# every column's missing share, the label balance, distinct counts (exact up to 1024 values,
# within 3% above), numeric min/max/mean; the same with 1 and 3 threads, from gzip and stdin.
# The sorted-label warning appears on --sorted input and not on the generated order; `gannet
# train` warns on a sorted TSV with 0/1 labels (1 and 2 threads, and from a cache) and not with
# --shuffle nor on the unsorted file. LIBSVM (a9a, when the shared data is there) and VW. Hostile
# input: an empty file, a header alone, bad lines with and without --skip-bad give clear errors
# naming file:line (exit 2), never a crash.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 not found (generates the table and checks the figures)"
GEN="$GN_SRC/tests/e2e/gen_raw_table.py"
N=3000

"$PY" "$GEN" --rows "$N" --seed 3 > "$T/raw.csv" || fail "gen_raw_table.py"
"$PY" "$GEN" --rows "$N" --seed 3 --sorted > "$T/sorted.csv" || fail "gen_raw_table.py --sorted"
FLAGS=(--label income --ignore id)

# ---- the figures, computed from the file with Python's csv module ----
"$PY" - "$T/raw.csv" > "$T/truth.json" <<'EOF' || fail "computing the expected figures"
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, rows = rows[0], rows[1:]
missing = {"", "NA", "?"}
out = {"rows": len(rows), "cols": {}}
for j, name in enumerate(head):
    vals = [r[j] for r in rows]
    present = [v for v in vals if v not in missing]
    nums = []
    for v in present:
        try:
            nums.append(float(v))
        except ValueError:
            pass
    numeric = len(nums) == len(present)
    distinct = len(set(nums)) if numeric else len(set(present))
    c = {"missing": len(vals) - len(present), "numeric": numeric, "distinct": distinct}
    if numeric and nums:
        c.update(min=min(nums), max=max(nums), mean=sum(nums) / len(nums))
    if name == "income":
        c["counts"] = {k: vals.count(k) for k in set(vals)}
    out["cols"][name] = c
print(json.dumps(out))
EOF

# checks one describe JSON report ($1) against truth.json; $2 names the run
check_report() {
    json_valid "$1"
    "$PY" - "$1" "$T/truth.json" "$2" <<'EOF' || fail "$2: the report does not match the file"
import json, sys
rep, truth, what = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
bad = []
def expect(cond, msg):
    if not cond:
        bad.append(msg)
n = truth["rows"]
expect(rep["format"] == "csv" and rep["separator"] == "," and rep["header"] is True, "format/separator/header")
expect(rep["examples"] == n and rep["skipped"] == 0, "examples %s skipped %s" % (rep["examples"], rep["skipped"]))
expect(rep["columns_total"] == 11 and rep["columns_profiled"] == 11, "column counts")
roles = {"id": "ignored", "income": "label", "age": "numeric", "hours_per_week": "numeric",
         "annual_wage": "numeric", "capital_gain": "numeric", "debt_ratio": "numeric",
         "workclass": "categorical", "education": "categorical", "occupation": "categorical",
         "city": "categorical"}
for c in rep["columns"]:
    name, t = c["name"], truth["cols"][c["name"]]
    expect(c["role"] == roles[name], "%s: role %s, expected %s" % (name, c["role"], roles[name]))
    if name in ("id", "income"):
        expect(c["present"] is None and c["declared"] in ("ignore", "label"), "%s: not profiled" % name)
        continue
    expect(c["declared"] == "auto" and c["inferred"] is True, "%s: inferred" % name)
    expect(c["missing"] == t["missing"], "%s: missing %s, expected %s" % (name, c["missing"], t["missing"]))
    expect(abs(c["missing_share"] - t["missing"] / n) < 1e-9, "%s: missing share" % name)
    expect(c["present"] == n - t["missing"], "%s: present" % name)
    d, td = c["distinct"], t["distinct"]
    if td <= 1024:
        expect(d == td and c["distinct_exact"], "%s: distinct %s, expected exactly %s" % (name, d, td))
    else:
        expect(abs(d - td) <= 0.03 * td, "%s: distinct %s, expected %s within 3%%" % (name, d, td))
    if t["numeric"]:
        expect(c["numbers"] == n - t["missing"] and c["texts"] == 0 and c["top"] == [], "%s: numbers" % name)
        expect(c["min"] == t["min"] and c["max"] == t["max"], "%s: min/max" % name)
        expect(abs(c["mean"] - t["mean"]) <= 1e-9 * max(1.0, abs(t["mean"])), "%s: mean" % name)
    else:
        expect(c["numbers"] == 0 and c["min"] is None, "%s: no numbers" % name)
        top = c["top"]
        expect(len(top) == min(10, td) and all(v["exact"] for v in top), "%s: top values" % name)
        expect(all(top[i]["count"] >= top[i + 1]["count"] for i in range(len(top) - 1)), "%s: top order" % name)
        expect(sum(v["count"] for v in top) == n - t["missing"] or td > 10, "%s: top counts add up" % name)
lab = rep["label"]
counts = truth["cols"]["income"]["counts"]
expect(lab["column"] == "income" and lab["index"] == 11 and lab["kind"] == "classes", "label column")
expect(lab["distinct"] == 2 and lab["values_complete"] and lab["numeric"] is None, "label values")
expect({v["value"]: v["count"] for v in lab["values"]} == counts, "label counts %s, expected %s" % (lab["values"], counts))
for v in lab["values"]:
    expect(abs(v["share"] - counts[v["value"]] / n) < 1e-9, "label share")
expect(lab["values"][0]["value"] == "<=50K", "the majority class first")
if bad:
    sys.exit("%s:\n  %s" % (what, "\n  ".join(bad)))
EOF
    ok "$2: roles, missing shares, distinct counts, numbers and label balance match the file"
}

for th in 1 3; do
    run_ok "$GANNET" describe -d "$T/raw.csv" "${FLAGS[@]}" --json --threads "$th"
    cp "$T/out" "$T/raw.$th.json"
    check_report "$T/raw.$th.json" "raw table, $th thread(s)"
    [ "$(json_get "$T/raw.$th.json" .order.sorted)" = false ] || fail "the generated order is flagged as sorted"
    [ "$(json_get "$T/raw.$th.json" .warnings)" = "[]" ] || fail "warnings on the raw table: $(cat "$T/out")"
done
gzip -c "$T/raw.csv" > "$T/raw.csv.gz"
run_ok "$GANNET" describe -d "$T/raw.csv.gz" "${FLAGS[@]}" --json
cp "$T/out" "$T/gz.json"
check_report "$T/gz.json" "raw table, gzip"
run_ok bash -c "'$GANNET' describe -d - ${FLAGS[*]} --json < '$T/raw.csv'"
cp "$T/out" "$T/stdin.json"
check_report "$T/stdin.json" "raw table, stdin"

# the text report names the inferred roles, the label balance and no warning
run_ok "$GANNET" describe -d "$T/raw.csv" "${FLAGS[@]}"
grep -Eq "^ +2  age +numeric \(inferred\)" "$T/out" || fail "text: age is not shown as an inferred number"
grep -Eq "^ +5  occupation +categorical \(inferred\) .*Craft, repair" "$T/out" ||
    fail "text: occupation is not shown as inferred categories with its values"
grep -Eq "^ +1  id +ignored" "$T/out" || fail "text: id is not shown as ignored"
grep -Eq "^  <=50K +[0-9]+ +[0-9.]+%" "$T/out" || fail "text: no label balance"
! grep -q "warnings:" "$T/out" || fail "text: a warning on the raw table"
ok "text report"

# ---- sorted input ----
for th in 1 2; do
    run_ok "$GANNET" describe -d "$T/sorted.csv" "${FLAGS[@]}" --json --threads "$th"
    [ "$(json_get "$T/out" .order.sorted)" = true ] || fail "sorted input not flagged ($th threads)"
    check "$(json_get "$T/out" .order.runs)" '<=' "$((th + 1))" "sorted input: runs of equal labels ($th threads)"
    json_get "$T/out" '.warnings[0]' | grep -q "labels come in long runs.*gannet train --shuffle" ||
        fail "no sorted-label warning in the JSON"
done
run_ok "$GANNET" describe -d "$T/sorted.csv" "${FLAGS[@]}" --threads 1
grep -q "labels come in long runs: $N examples in 2 runs" "$T/out" || fail "text: no sorted-label warning"
ok "describe warns on labels in long runs"

# train: 0/1 labels (the clean TSV), sorted by label with sort
"$PY" "$GEN" --rows "$N" --seed 3 --clean > "$T/clean.tsv" || fail "gen_raw_table.py --clean"
{ head -n 1 "$T/clean.tsv"; tail -n +2 "$T/clean.tsv" | sort -t $'\t' -k 11,11n -s; } > "$T/clean_sorted.tsv"
check "$(cut -f 11 "$T/clean_sorted.tsv" | uniq | wc -l)" == 3 "the TSV is sorted by its label (header, 0, 1)"
TFLAGS=(--label income --ignore id --quiet)
for th in 1 2; do
    run_ok "$GANNET" train -d "$T/clean_sorted.tsv" -m "$T/m.gnm" --label income --ignore id --threads "$th"
    expect_err "gannet train: labels come in long runs: $N examples in [0-9]+ runs.*use gannet train --shuffle" \
        "train on sorted input, $th thread(s)"
    check "$(grep -c "long runs" "$T/err")" == 1 "the warning is printed once ($th threads)"
done
run_ok "$GANNET" train -d "$T/clean_sorted.tsv" -m "$T/m.gnm" --label income --ignore id --threads 1 --shuffle
! grep -q "long runs" "$T/err" || fail "a sorted-label warning with --shuffle: $(cat "$T/err")"
# with two workers --shuffle deals chunks of about 2048 rows to them: a larger input mixes
"$PY" "$GEN" --rows 12000 --seed 4 --clean > "$T/clean12k.tsv" || fail "gen_raw_table.py --clean"
{ head -n 1 "$T/clean12k.tsv"; tail -n +2 "$T/clean12k.tsv" | sort -t $'\t' -k 11,11n -s; } > "$T/sorted12k.tsv"
run_ok "$GANNET" train -d "$T/sorted12k.tsv" -m "$T/m.gnm" --label income --ignore id --threads 2 --shuffle
! grep -q "long runs" "$T/err" || fail "a sorted-label warning with --shuffle, 2 threads: $(cat "$T/err")"
run_ok "$GANNET" train -d "$T/sorted12k.tsv" -m "$T/m.gnm" --label income --ignore id --threads 2
check "$(grep -c "long runs" "$T/err")" == 1 "12000 sorted rows, 2 threads, no --shuffle: warned"
run_ok "$GANNET" train -d "$T/clean_sorted.tsv" -m "$T/m.gnm" --label income --ignore id --cache "$T/c.cache" --passes 2
check "$(grep -c "long runs" "$T/err")" == 1 "train from a cache of sorted input warns once (2 passes)"
run_ok "$GANNET" train -d "$T/clean.tsv" -m "$T/m.gnm" --label income --ignore id --threads 2
! grep -q "long runs" "$T/err" || fail "a sorted-label warning on the unsorted TSV"
run_ok "$GANNET" train -d "$T/clean_sorted.tsv" -m "$T/m.gnm" "${TFLAGS[@]}"
! grep -q "long runs" "$T/err" || fail "--quiet still prints the warning"
ok "train warns on sorted input, not with --shuffle nor on the generated order"

# ---- LIBSVM and VW ----
A9A="$GN_SHARED_DATA/a9a/a9a.gz"
if [ -f "$A9A" ]; then
    run_ok "$GANNET" describe -d "$A9A" --json
    json_valid "$T/out"
    [ "$(json_get "$T/out" .format)" = libsvm ] || fail "a9a: format"
    check "$(json_get "$T/out" .examples)" == 32561 "a9a: examples"
    check "$(json_get "$T/out" .features.total)" == 451592 "a9a: non-zeros (README)"
    check "$(json_get "$T/out" .features.distinct)" == 123 "a9a: distinct features"
    check "$(json_get "$T/out" .features.per_example.max)" == 14 "a9a: most features in a row"
    check "$(json_get "$T/out" '.label.values[0].count')" == 24720 "a9a: -1 labels (README)"
    check "$(json_get "$T/out" '.label.values[1].count')" == 7841 "a9a: +1 labels (README)"
    [ "$(json_get "$T/out" .order.sorted)" = false ] || fail "a9a is flagged as sorted"
else
    echo "note: $A9A not found, LIBSVM check on a9a skipped"
fi
{
    for i in $(seq 1 200); do
        if [ $((i % 2)) = 0 ]; then echo "1 2 'r$i |user u$((i % 7)) age:$i |ad a$((i % 5))"; else echo "-1 |user u$((i % 3)) |ad a1 a2:0"; fi
    done
} > "$T/t.vw"
run_ok "$GANNET" describe -d "$T/t.vw" --json
[ "$(json_get "$T/out" .format)" = vw ] || fail "vw: format"
check "$(json_get "$T/out" '.namespaces[0].examples')" == 200 "vw: examples with namespace user"
check "$(json_get "$T/out" '.namespaces[0].distinct')" == 8 "vw: distinct user features (u0..u6, age)"
check "$(json_get "$T/out" '.namespaces[1].features')" == 200 "vw: ad features (a zero value is no feature)"
check "$(json_get "$T/out" .features.per_example.max)" == 3 "vw: most features per example"
check "$(json_get "$T/out" .label.distinct)" == 2 "vw: label values"

# ---- hostile input ----
: > "$T/empty.csv"
run "$GANNET" describe -d "$T/empty.csv"
expect_rc 2 "empty file"
expect_err "empty.csv: no data lines" "empty file"
printf 'a,b,c\n' > "$T/header.csv"
run "$GANNET" describe -d "$T/header.csv"
expect_rc 2 "a header alone"
expect_err "header.csv: no examples in the input" "a header alone"
printf 'y,x1,x2\n1,2,3\n0,4\n1,abc,5\n0,1,2\n1,"never closed,3\n' > "$T/bad.csv"
run "$GANNET" describe -d "$T/bad.csv"
expect_rc 2 "a line with too few fields"
expect_err "^gannet describe: .*bad.csv:3: expected 3 fields, got 2" "a line with too few fields"
run "$GANNET" describe -d "$T/bad.csv" --numeric x1 --skip-bad --json
expect_rc 0 "--skip-bad"
check "$(json_get "$T/out" .examples)" == 2 "--skip-bad: the good lines"
check "$(json_get "$T/out" .skipped)" == 3 "--skip-bad: the bad lines counted (fields, text in --numeric, unclosed quote)"
run "$GANNET" describe -d "$T/bad.csv" --skip-bad --json
check "$(json_get "$T/out" .skipped)" == 2 "--skip-bad: 'abc' is a category when x1 has no role"
[ "$(json_get "$T/out" '.columns[1].role')" = categorical ] || fail "x1 with a text is not inferred categorical"
json_get "$T/out" '.warnings[0]' | grep -q "holds numbers and text" || fail "no warning on a mixed column"
printf 'y,x1\n1,2\n0,abc\n' > "$T/bad2.csv"
run "$GANNET" describe -d "$T/bad2.csv" --numeric x1 --threads 2
expect_rc 2 "text in a --numeric column"
expect_err "bad2.csv:3: column 2 \('x1'\): value 'abc' is not a number" "text in a --numeric column"
printf 'y,x1\n1,2\n,3\n' > "$T/nolabel.csv"
run "$GANNET" describe -d "$T/nolabel.csv"
expect_rc 2 "a missing label"
expect_err "nolabel.csv:3: column 1 \('y'\): missing label" "a missing label"
printf '1 1:2\n2:3 4:5\n' > "$T/bad.svm"
run "$GANNET" describe -d "$T/bad.svm"
expect_rc 2 "LIBSVM line without a label"
expect_err "bad.svm:2: missing label" "LIBSVM line without a label"
printf '1 1:2\n0 1:x\n' > "$T/bad2.svm"
run "$GANNET" describe -d "$T/bad2.svm"
expect_err "bad2.svm:2: feature 1: value 'x' is not a number" "LIBSVM bad value"
run "$GANNET" describe -d "$T/missing.csv"
expect_rc 1 "a missing file"
expect_err "missing.csv: cannot open" "a missing file"
run "$GANNET" describe -d "$T/raw.csv" --top 0
expect_rc 2 "--top 0"
run "$GANNET" describe
expect_rc 2 "no data"
# a table far wider than the profiled columns: bounded, and said so
"$PY" -c "
import sys
print(','.join(['y'] + ['c%d' % i for i in range(3000)]))
for r in range(50):
    print(','.join([str(r % 2)] + [str((r * i) % 7) if (r + i) % 5 else '' for i in range(3000)]))
" > "$T/wide.csv"
run_ok "$GANNET" describe -d "$T/wide.csv" --max-columns 100 --json
check "$(json_get "$T/out" .columns_profiled)" == 100 "wide table: columns profiled"
check "$(json_get "$T/out" .unprofiled.columns)" == 2901 "wide table: the rest counted together"
check "$(json_get "$T/out" .unprofiled.missing_share)" == 0.2 "wide table: missing share of the rest"
json_get "$T/out" .warnings | grep -q "only the first 100 of 3001 columns" || fail "wide table: no warning"
ok "hostile input"
