#!/bin/bash
# test_serve_text.sh: the server applies text features, idf weights and interactions as `gannet
# predict` does (issue 14): a CSV model with a --text column (--idf, bigrams, unit rows) and a
# crossed pair, answered for JSON instances (the document as a string) and for CSV text lines; a
# --format dir model answered for {"text": ...} and for a bare document line; each equal to
# `gannet predict` on the same rows.
. "$(dirname "$0")/serve_common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
HERE=$(dirname "$0")
G=$GANNET

# a CSV with a text column and two categorical columns whose pair matters
$PY "$HERE/text_corpus.py" csv "$T/c0.csv" 400 9
awk -F, 'NR == 1 {print $0 ",u,v"; next} {u = NR % 3; v = NR % 5; print $0 ",u" u ",v" v}' "$T/c0.csv" > "$T/c.csv"
run_ok "$G" train -d "$T/c.csv" --label label --text doc --categorical u,v --ngrams 2 --idf --normalize-rows \
    --interactions 'u*v' --passes 2 -m "$T/c.model"
tail -n +2 "$T/c.csv" | head -20 > "$T/rows.csv"
{ head -1 "$T/c.csv"; cat "$T/rows.csv"; } > "$T/rows_h.csv"
run_ok "$G" predict -m "$T/c.model" -d "$T/rows_h.csv"
cp "$T/out" "$T/expect.c"

$PY "$HERE/text_corpus.py" tree "$T/tr" 300 3
run_ok "$G" train --format dir -d "$T/tr" --ngrams 2 --tf log --idf --normalize-rows -m "$T/d.model"
mkdir -p "$T/one/x"
f=$(ls "$T/tr/pos" | head -1)
cp "$T/tr/pos/$f" "$T/one/x/doc.txt"
run_ok "$G" predict -m "$T/d.model" -d "$T/one"
cp "$T/out" "$T/expect.d"

start_server "$T/serve.log" -m "c=$T/c.model" -m "d=$T/d.model"

# CSV text lines
code=$(req "$T/r" POST /v1/models/c:predict -H 'Content-Type: text/plain' --data-binary "@$T/rows.csv")
[ "$code" = 200 ] || { cat "$T/r"; fail "text lines: status $code"; }
predictions "$T/r" > "$T/got"
diff "$T/got" "$T/expect.c" >&2 || fail "text/plain predictions differ from gannet predict (text + interactions)"
# JSON instances: the document as a string, the categories as strings
$PY - "$T/rows.csv" > "$T/body.json" <<'EOF'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1])))
print(json.dumps({"instances": [{"doc": r[1], "u": r[2], "v": r[3]} for r in rows]}))
EOF
code=$(req "$T/r" POST /v1/models/c:predict -H 'Content-Type: application/json' --data-binary "@$T/body.json")
[ "$code" = 200 ] || { cat "$T/r"; fail "JSON instances: status $code"; }
predictions "$T/r" > "$T/got"
diff "$T/got" "$T/expect.c" >&2 || fail "JSON predictions differ from gannet predict (text + interactions)"
ok "CSV text column with idf and u*v: text lines and JSON instances equal gannet predict"

# --format dir model: the document alone
$PY - "$T/one/x/doc.txt" > "$T/body.json" <<'EOF'
import json, sys
print(json.dumps({"instances": [{"text": open(sys.argv[1], encoding="utf-8").read()}]}))
EOF
code=$(req "$T/r" POST /v1/models/d:predict -H 'Content-Type: application/json' --data-binary "@$T/body.json")
[ "$code" = 200 ] || { cat "$T/r"; fail "dir model JSON: status $code"; }
predictions "$T/r" > "$T/got"
diff "$T/got" "$T/expect.d" >&2 || fail "dir model: JSON prediction differs from gannet predict"
tr '\r\n' '  ' < "$T/one/x/doc.txt" > "$T/line.txt"
echo >> "$T/line.txt"
code=$(req "$T/r" POST /v1/models/d:predict -H 'Content-Type: text/plain' --data-binary "@$T/line.txt")
[ "$code" = 200 ] || { cat "$T/r"; fail "dir model text line: status $code"; }
predictions "$T/r" > "$T/got"
diff "$T/got" "$T/expect.d" >&2 || fail "dir model: text-line prediction differs from gannet predict"
code=$(req "$T/r" POST /v1/models/d:predict -H 'Content-Type: application/json' --data-binary '{"instances":[{"body":"x"}]}')
[ "$code" = 400 ] || { cat "$T/r"; fail "dir model: an input other than text gave $code"; }
grep -q 'takes one input' "$T/r" || { cat "$T/r"; fail "dir model: the error does not name the text input"; }
ok "--format dir model: {\"text\": ...} and a document line equal gannet predict"
