#!/usr/bin/env bash
# e2e: CSV as real tools export it. Python's csv module writes a table the way spreadsheets and
# pandas do (UTF-8 BOM, CRLF, every string quoted, free text with separators, doubled quotes and
# LF/CRLF newlines inside quotes, missing values as '', NA, ?, NaN, null, a -999 sentinel, an id
# column); the same table is also written as a plain TSV with empty fields for missing values and
# without the id and free-text columns. A model trained on the messy file (ignoring id and note)
# must predict exactly the numbers of a model trained on the clean one. Also: the messy file split
# over threads, through gzip and from stdin, and read in shuffled chunks (--shuffle), reads every
# record once; errors name the file and the
# line where the bad record starts; an unclosed quote is refused, not read to the end.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || skip "/usr/bin/python3 not found (writes the CSV with Python's csv module)"

N=900
"$PY" - "$T" "$N" <<'EOF' || fail "generating the data"
import csv, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(7)
cities = ["paris", "New York, NY", 'O"Hare', "rome", "s\u00e3o paulo", "NA-town"]
missing_num = ["", "NA", "?", "NaN", "null", "N/A"]
missing_cat = ["", "NA", "?", "None", "NULL", "#N/A"]
rows = []
for i in range(n):
    age = None if rnd.random() < 0.15 else round(rnd.uniform(18, 90), 1)
    city = None if rnd.random() < 0.15 else rnd.choice(cities)
    zipc = None if rnd.random() < 0.2 else rnd.choice(["75001", "10001", "00100", "20090"])
    score = (age or 50) / 30.0 + (1.5 if city in ("paris", 'O"Hare') else -0.5) + (0.7 if zipc == "75001" else 0)
    y = 1 if score + rnd.gauss(0, 1) > 2.2 else 0
    k = rnd.randrange(4)
    note = ["fine", "said \"hi\", then left", "two\nlines", "crlf\r\ninside, \"too\"\r\n"][k]
    rows.append((1000 + i, y, age, city, note, zipc))
# messy: BOM, CRLF, strings quoted, missing values spelled in many ways, -999 for a missing zip
with open(out + "/messy.csv", "w", newline="", encoding="utf-8-sig") as f:
    w = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    w.writerow(["id", "y", "age", "city", "note", "zip"])
    for (i, y, age, city, note, zipc) in rows:
        w.writerow([i, y, rnd.choice(missing_num) if age is None else age,
                    rnd.choice(missing_cat) if city is None else city, note, "-999" if zipc is None else zipc])
# clean: TSV, LF, no quoting (TSV fields are verbatim), empty = missing, same column order
with open(out + "/clean.tsv", "w", newline="", encoding="utf-8") as f:
    f.write("y\tage\tcity\tzip\n")
    for (i, y, age, city, note, zipc) in rows:
        f.write("%d\t%s\t%s\t%s\n" % (y, "" if age is None else repr(age), city or "", zipc or ""))
EOF
head -c 3 "$T/messy.csv" | od -An -tx1 | grep -q "ef bb bf" || fail "the messy file has no BOM"
grep -q $'\r$' "$T/messy.csv" || fail "the messy file has no CRLF"
check "$(wc -l < "$T/messy.csv")" '>' "$((N + 100))" "the messy file has records over several lines"

MESSY=(--label y --ignore id,note --categorical city,zip --na-values=-999)
run_ok "$GANNET" train -d "$T/messy.csv" -m "$T/messy.gnm" "${MESSY[@]}" --passes 3 --threads 1 --json
cp "$T/out" "$T/messy.json"
check "$(json_get "$T/messy.json" .examples)" == "$((3 * N))" "every messy record is one example (3 passes)"
run_ok "$GANNET" train -d "$T/clean.tsv" -m "$T/clean.gnm" --label y --categorical city,zip --passes 3 --threads 1 --json
check "$(json_get "$T/out" .examples)" == "$((3 * N))" "every clean row is one example (3 passes)"

run_ok "$GANNET" predict -m "$T/messy.gnm" -d "$T/messy.csv" -o "$T/p_messy"
run_ok "$GANNET" predict -m "$T/clean.gnm" -d "$T/clean.tsv" -o "$T/p_clean"
check "$(wc -l < "$T/p_messy")" == "$N" "one prediction per messy record"
cmp -s "$T/p_messy" "$T/p_clean" || fail "the messy and clean files give different predictions"
ok "messy CSV and clean TSV give the same predictions"
run_ok "$GANNET" eval -m "$T/messy.gnm" -d "$T/messy.csv" --json
check "$(json_get "$T/out" .auc)" '>' 0.7 "the model learned something (AUC on its training data)"

# the stored spec keeps the missing-value setting, so prediction treats -999 as training did
run_ok "$GANNET" inspect -m "$T/messy.gnm" --json
[ "$(json_get "$T/out" .metadata.spec.na_values)" = -999 ] || fail "na_values not stored"
[ "$(json_get "$T/out" .metadata.spec.na_defaults)" = true ] || fail "na_defaults not stored"
# without --na-values the sentinel is a category of its own: other predictions
run_ok "$GANNET" train --passes 1 -d "$T/messy.csv" -m "$T/sentinel.gnm" --label y --ignore id,note --categorical city,zip \
    --passes 3 --threads 1
run_ok "$GANNET" predict -m "$T/sentinel.gnm" -d "$T/messy.csv" -o "$T/p_sentinel"
cmp -s "$T/p_sentinel" "$T/p_messy" && fail "-999 read as missing without --na-values"
ok "--na-values changes what is missing"
# --ignore by column number gives the same model as by name
run_ok "$GANNET" train --passes 1 -d "$T/messy.csv" -m "$T/byindex.gnm" --label 2 --ignore 1,5 --categorical 4,6 \
    --na-values=-999 --passes 3 --threads 1
run_ok "$GANNET" predict -m "$T/byindex.gnm" -d "$T/messy.csv" -o "$T/p_byindex"
cmp -s "$T/p_byindex" "$T/p_messy" || fail "--ignore 1,5 differs from --ignore id,note"
ok "columns by number and by name agree"

# split over threads (byte ranges that begin inside quoted fields), gzip (a reader thread), stdin
for threads in 2 3; do
    run_ok "$GANNET" train --passes 1 -d "$T/messy.csv" -m "$T/t.gnm" "${MESSY[@]}" --threads "$threads" --json
    check "$(json_get "$T/out" .examples)" == "$N" "$threads threads read every record once"
done
# --shuffle reads chunks of about 16 KiB (the smallest: a buffer of 32 examples) in a random order;
# most chunk boundaries of this file fall inside quoted fields, yet every pass reads every record
# once (1 and 2 threads, 3 passes, three seeds), and the deterministic model is the same per seed
# (the same predictions)
{ cat "$T/messy.csv"; for k in 1 2 3 4 5 6 7 8 9; do tail -n +2 "$T/messy.csv"; done; } > "$T/big.csv"
check "$(stat -c %s "$T/big.csv")" '>' $((10 * 16384)) "the shuffled file has more than 10 chunks"
for threads in 1 2; do
    for seed in 1 2 3; do
        run_ok "$GANNET" train -d "$T/big.csv" -m "$T/sh.gnm" "${MESSY[@]}" --shuffle --shuffle-buffer 32 \
            --threads "$threads" --deterministic --seed "$seed" --passes 3 --json
        check "$(json_get "$T/out" .examples)" == "$((3 * 10 * N))" "--shuffle, $threads thread(s), seed $seed: every record once per pass"
        check "$(json_get "$T/out" .skipped)" == 0 "--shuffle, $threads thread(s), seed $seed: no record broken"
    done
    run_ok "$GANNET" train -d "$T/big.csv" -m "$T/sh2.gnm" "${MESSY[@]}" --shuffle --shuffle-buffer 32 \
        --threads "$threads" --deterministic --seed 3 --passes 3 --json
    run_ok "$GANNET" predict -m "$T/sh.gnm" -d "$T/messy.csv" -o "$T/p_sh1"
    run_ok "$GANNET" predict -m "$T/sh2.gnm" -d "$T/messy.csv" -o "$T/p_sh2"
    cmp -s "$T/p_sh1" "$T/p_sh2" || fail "--shuffle --deterministic, $threads thread(s): another model with the same seed"
done
ok "--shuffle over CSV records with quoted newlines"
gzip -c "$T/messy.csv" > "$T/messy.csv.gz"
run_ok "$GANNET" train -d "$T/messy.csv.gz" -m "$T/gz.gnm" "${MESSY[@]}" --passes 3 --threads 1 --json
check "$(json_get "$T/out" .examples)" == "$((3 * N))" "gzip: every record (3 passes)"
run_ok "$GANNET" predict -m "$T/gz.gnm" -d "$T/messy.csv" -o "$T/p_gz"
cmp -s "$T/p_gz" "$T/p_messy" || fail "gzip input gave another model"
run_ok "$GANNET" train --passes 1 -d "$T/messy.csv.gz" -m "$T/gz2.gnm" "${MESSY[@]}" --threads 2 --json
check "$(json_get "$T/out" .examples)" == "$N" "gzip with 2 workers: every record"
run "$GANNET" train -d - -m "$T/stdin.gnm" "${MESSY[@]}" --passes 1 --threads 1 --json < "$T/messy.csv"
expect_rc 0 "train from stdin"
check "$(json_get "$T/out" .examples)" == "$N" "stdin: every record"
"$GANNET" predict -m "$T/messy.gnm" -d - < "$T/messy.csv" > "$T/p_stdin" || fail "predict from stdin"
cmp -s "$T/p_stdin" "$T/p_messy" || fail "predict from stdin differs"
ok "stdin predictions equal"

# errors name the file and the line where the record starts
"$PY" - "$T" <<'EOF' || fail "writing the bad files"
import sys
t = sys.argv[1]
data = open(t + "/messy.csv", "rb").read()
recs, i, start, q = [], 3, 3, False
while i < len(data):   # record starts (offset, line), by the RFC 4180 rules
    c = data[i:i + 1]
    if c == b'"': q = not q
    elif c == b"\n" and not q:
        recs.append(start); start = i + 1
    i += 1
k = 40  # spoil record k: its age becomes text
rs, re_ = recs[k], recs[k + 1]
rec = data[rs:re_].split(b",")
rec[2] = b"abc"
bad = data[:rs] + b",".join(rec) + data[re_:]
open(t + "/bad.csv", "wb").write(bad)
open(t + "/bad.line", "w").write(str(data[:rs].count(b"\n") + 1))
# an unclosed quote: cut the file inside a quoted multi-line note
cut = data.index(b"two\nlines", recs[200]) + 4
open(t + "/cut.csv", "wb").write(data[:cut])
open(t + "/cut.line", "w").write(str(data[:data.rindex(b"\r\n", 0, cut - 8) + 2].count(b"\n") + 1))
# an unclosed quote near the top of a long file
lines = [b"y,a,b", b'1,2,"never closed'] + [b"%d,%d,x" % (j % 2, j) for j in range(200000)]
open(t + "/open.csv", "wb").write(b"\n".join(lines) + b"\n")
EOF
run "$GANNET" train --passes 1 -d "$T/bad.csv" -m "$T/x.gnm" "${MESSY[@]}" --numeric age
expect_rc 2 "a text value in a --numeric column"
expect_err "bad.csv:$(cat "$T/bad.line"): column 3 \('age'\): value 'abc' is not a number" "the message names line and column"
run "$GANNET" train --passes 1 -d "$T/cut.csv" -m "$T/x.gnm" "${MESSY[@]}"
expect_rc 2 "a file that ends inside quotes"
expect_err "cut.csv:$(cat "$T/cut.line"): unterminated quoted field" "the message names the record's first line"
run "$GANNET" train --passes 1 -d "$T/cut.csv" -m "$T/x.gnm" "${MESSY[@]}" --skip-bad --json
expect_rc 0 "--skip-bad skips the unterminated record"
check "$(json_get "$T/out" .skipped)" == 1 "one record skipped"
run "$GANNET" train --passes 1 -d "$T/open.csv" -m "$T/x.gnm" --max-line 4096
expect_rc 2 "an unclosed quote in a long file"
expect_err "open.csv:2: quoted field not closed within 4096 bytes" "bounded by --max-line, naming line 2"
run "$GANNET" train --passes 1 -d "$T/open.csv" -m "$T/x.gnm" --max-line 4096 --skip-bad --json
expect_rc 0 "--skip-bad goes on after the refused record"
check "$(json_get "$T/out" .examples)" '>' 199000 "the lines after it are read"
echo PASS
