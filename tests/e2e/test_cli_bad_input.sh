#!/usr/bin/env bash
# e2e: bad input and bad flags. Each bad data file must stop training with exit 2 and a message
# naming file:line and the problem; nothing may crash or hang; with --skip-bad the bad lines are
# skipped and counted. Bad flags exit 2 with a message naming the flag. Corrupt model files are
# refused with a clear message. Needs no shared data.
. "$(dirname "$0")/lib.sh"

cd "$T" || fail "cannot cd to $T"
G=$GANNET
good='+1 1:0.5 2:1\n-1 2:1 3:0.25\n+1 1:1 3:1\n-1 3:0.5\n'

# bad_data NAME CONTENT EXTRA_FLAGS LINE REGEX: writes CONTENT (printf format) to NAME, trains on
# it and expects exit 2 with "NAME:LINE:" and REGEX on stderr.
bad_data() {
    local name=$1 content=$2 flags=$3 line=$4 regex=$5
    printf "$content" > "$name"
    # shellcheck disable=SC2086
    run timeout 60 "$G" train --passes 1 -d "$name" -m bad.model $flags
    [ "$RC" = 124 ] && fail "$name: train hung"
    expect_rc 2 "$name"
    expect_err "$name:$line: " "$name: message names file:line"
    expect_err "$regex" "$name: message names the problem"
    [ -e bad.model ] && fail "$name: a model was written despite the error"
    ok "$name: exit 2, $(head -c 150 "$T/err")"
}

bad_data nonnumber.svm "$good"'+1 3:abc\n' "" 5 "abc.*not a number|not a number.*abc"
bad_data index0.svm '+1 1:1\n+1 0:1\n' "" 2 "index 0|0:1"
bad_data nolabel.svm '+1 1:1\n-1 2:1\n3:1 4:1\n' "" 3 "label"
bad_data badlabel.svm '+1 1:1\nyes 2:1\n' "" 2 "label.*yes|yes.*label"
# two labels are two classes, whatever they are (+1 and 7: 7 is the negative one); a third is bad
bad_data nonbinary.svm '+1 1:1\n7 2:1\n-1 3:1\n' "" 3 "label '-1' is not one of the two classes"
bad_data negindex.svm '+1 1:1\n-1 -3:1\n' "" 2 "-3|index"
bad_data nocolon.svm '+1 1:1\n-1 2 3\n' "" 2 "index:value|'2'"
bad_data nan.svm '+1 1:1\n-1 2:nan\n' "" 2 "nan|finite|number"
bad_data inf.svm '+1 1:1\n-1 2:1e999\n' "" 2 "1e999|range|finite|number"
bad_data comment_then_bad.svm '# a comment\n+1 1:1\n\n-1 1:x\n' "" 4 "'x'|not a number"
bad_data crlf_bad.svm '+1 1:1\r\n-1 2:zz\r\n' "" 2 "zz"
bad_data utf8.csv 'y,a,b\n1,2,3\n0,\377\376,3\n' "--format csv --categorical 2" 3 "UTF-8|utf-8"
bad_data csvlabel.csv 'y,a,b\n1,2,3\n,4,5\n' "--format csv" 3 "label"
bad_data csvlabel2.csv 'y,a,b\n1,2,3\n0,3,4\nmaybe,4,5\n' "--format csv" 4 "maybe"
bad_data vwbad.vw '1 |f a b:2\n-1 |f c:notnum\n' "--format vw" 2 "notnum|number"
bad_data vwnolabel.vw '1 |f a\n|f b\n' "--format vw" 2 "label"
# values beyond a 32-bit float would become infinite weights (found by fuzz/fuzz_parser)
bad_data bigval.svm '+1 1:1\n-1 2:1e39\n' "" 2 "out of range"
bad_data bigval.vw '1 |f a\n-1 |f b:1e39\n' "--format vw" 2 "out of range"
bad_data bigscale.vw '1 |f a\n-1 |f:1e39 b\n' "--format vw" 2 "out of range"
bad_data bigimportance.vw '1 |f a\n-1 1e39 |f b\n' "--format vw" 2 "importance"
bad_data bigval.csv 'y,a\n1,2\n0,1e39\n' "--format csv" 3 "out of range"
# a long token of escaped bytes in a message stays inside its buffer (found by fuzz/fuzz_predict_line)
bad_data escapes.svm '+1 1:1\n-1 2:\001\002\003\004\005\006\007\010\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177\001\002\003\004\005\006\007\010\016\017\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177\n' "" 2 "x01"

# A NUL byte in a line: an error or a value read around it, never a crash (run() checks signals)
printf '+1 1:1\n-1 2:1\0 3:1\n' > nul.svm
run "$G" train --passes 1 -d nul.svm -m nul.model
expect_rc "0|2" "NUL byte"
[ "$RC" = 2 ] && expect_err "nul.svm:2: " "NUL byte message"
ok "NUL byte: exit $RC"

# Errors in a later file name that file and its own line number; stdin is "<stdin>"
printf "$good" > good.svm
printf '+1 1:1\n-1 2:x\n' > second.svm
run "$G" train --passes 1 -d good.svm second.svm -m bad.model
expect_rc 2 "error in the second file"
expect_err "second.svm:2: " "error in the second file names it"
run "$G" train --passes 1 -d - -m bad.model < second.svm
expect_rc 2 "error on stdin"
expect_err "<stdin>:2: " "error on stdin"
ok "later files and stdin are named in messages"

# Over-long lines: --max-line is a hard limit; a 10 MB valid line works under the default 64 MiB
awk 'BEGIN { printf "-1 1:1\n+1"; for (i = 1; i <= 1100000; i++) printf " %d:0.5", i; printf "\n+1 2:1\n" }' > long.svm
size=$(awk 'NR == 2 { print length($0) }' long.svm)
check "$size" '>' 10000000 "the long line is over 10 MB"
run timeout 120 "$G" train --passes 1 -d long.svm -m long.model --bits 20
expect_rc "0|2" "10 MB line under the default limit"
if [ "$RC" = 0 ]; then
    ok "10 MB line accepted"
else
    expect_err "long.svm:2: " "10 MB line refused with file:line"
fi
run "$G" train --passes 1 -d long.svm -m bad.model --max-line 1048576
expect_rc 2 "line over --max-line"
expect_err "long.svm:2: .*(longer|limit|max)" "line over --max-line"
ok "line over --max-line: $(cat "$T/err")"
run "$G" train --passes 1 -d long.svm -m skip.model --max-line 1048576 --skip-bad --json
expect_rc 0 "--skip-bad skips a line over --max-line"
check "$(json_get "$T/out" .examples)" == 2 "--skip-bad trains on the 2 short lines"
check "$(json_get "$T/out" .skipped)" == 1 "--skip-bad counts the long line"
gzip -c long.svm > long.gz
run "$G" train --passes 1 -d long.gz -m bad.model --max-line 1048576
expect_rc 2 "gzip line over --max-line"
expect_err "long.gz:2: " "gzip line over --max-line"
run "$G" train --passes 1 -d - -m bad.model --max-line 1048576 < long.svm
expect_rc 2 "stdin line over --max-line"
ok "over-long lines refused in gzip and stdin input too"

# Truncated and corrupt gzip streams
awk 'BEGIN { srand(3); for (i = 0; i < 20000; i++) printf "%s 1:%.3f 2:%.3f\n", (rand() < 0.5 ? "+1" : "-1"), rand(), rand() }' > many.svm
gzip -c many.svm > many.gz
head -c $(($(wc -c < many.gz) / 2)) many.gz > trunc.gz
run timeout 60 "$G" train --passes 1 -d trunc.gz -m bad.model
expect_rc 2 "truncated gzip"
expect_err "trunc.gz.*truncated" "truncated gzip is named as such"
[ -e bad.model ] && fail "truncated gzip: a model was written"
cp many.gz corrupt.gz
printf 'XXXXXXXXXXXXXXXX' | dd of=corrupt.gz bs=1 seek=2000 conv=notrunc status=none
run timeout 60 "$G" train --passes 1 -d corrupt.gz -m bad.model
expect_rc 2 "corrupt gzip"
expect_err "corrupt.gz" "corrupt gzip names the file"
ok "truncated/corrupt gzip: exit 2"

# Empty input, missing file, a directory, an unreadable path
: > empty.svm
run "$G" train --passes 1 -d empty.svm -m bad.model
expect_rc 2 "empty file"
expect_err "empty.svm" "empty file named"
printf '# only a comment\n\n' > comments.svm
run "$G" train --passes 1 -d comments.svm -m bad.model --format libsvm
expect_rc 2 "file with no data lines"
expect_err "comments.svm" "file with no data lines named"
run "$G" train --passes 1 -d missing.svm -m bad.model
expect_rc "1|2" "missing file"
expect_err "missing.svm.*(No such file|cannot open)" "missing file"
run "$G" train --passes 1 -d good.svm missing2.svm -m bad.model
expect_rc "1|2" "missing second file"
expect_err "missing2.svm" "missing second file named"
mkdir -p adir
run "$G" train --passes 1 -d adir -m bad.model
expect_rc "1|2" "directory as input"
expect_err "adir.*(directory|Is a)" "directory as input"
run "$G" predict -m nonexist.model -d good.svm
expect_rc "1|2" "missing model"
expect_err "nonexist.model" "missing model named"
[ -e bad.model ] && fail "a model was written by a failed run"
ok "empty/missing/directory inputs refused"

# --skip-bad: bad lines skipped and counted in train, eval and predict
printf '+1 1:0.5 2:1\n-1 2:1 3:abc\n+1 1:1 3:1\n1 0:1\n-1 3:0.5\n4:1\n+1 2:1\n' > mixed.svm
run "$G" train --passes 1 -d mixed.svm -m mixed.model
expect_rc 2 "mixed file without --skip-bad"
expect_err "mixed.svm:2: " "first bad line named"
run_ok "$G" train --passes 1 -d mixed.svm -m mixed.model --skip-bad --json
check "$(json_get "$T/out" .examples)" == 4 "--skip-bad trains on the 4 good lines"
check "$(json_get "$T/out" .skipped)" == 3 "--skip-bad counts 3 bad lines"
expect_err "skipped 3 bad lines" "--skip-bad reports the count on stderr"
run_ok "$G" train --passes 1 -d mixed.svm -m mixed.model --skip-bad
grep -q "skipped 3" "$T/out" || fail "train text summary lacks the skipped count"
run_ok "$G" eval -m mixed.model -d mixed.svm --skip-bad --json
check "$(json_get "$T/out" .examples)" == 4 "eval --skip-bad evaluates the good lines"
expect_err "skipped 3 bad lines" "eval --skip-bad reports the count"
run "$G" eval -m mixed.model -d mixed.svm
expect_rc 2 "eval without --skip-bad"
expect_err "mixed.svm:2: " "eval names the bad line"
run_ok "$G" predict -m mixed.model -d mixed.svm --skip-bad
expect_err "skipped [0-9]+ bad lines" "predict --skip-bad reports the count"
run "$G" predict -m mixed.model -d mixed.svm
expect_rc 2 "predict without --skip-bad"
expect_err "mixed.svm:2: " "predict names the bad line"
ok "--skip-bad skips and counts"

# Prediction input may lack labels, but a non-numeric first token is still bad input
run_ok "$G" train --passes 1 -d good.svm -m good.model
printf '1:1 2:1\n' > nolabels.svm
run_ok "$G" predict -m good.model -d nolabels.svm
check "$(wc -l < "$T/out")" == 1 "predict accepts rows without labels"
printf '1:1 2:1\nhello 1:1\n' > wordlabel.svm
run "$G" predict -m good.model -d wordlabel.svm
expect_rc 2 "predict on a row starting with a word"
expect_err "wordlabel.svm:2: " "predict names the row starting with a word"
# eval needs labels
run "$G" eval -m good.model -d nolabels.svm
expect_rc 2 "eval on rows without labels"
expect_err "nolabels.svm:1: .*label" "eval on rows without labels"
ok "label checks in predict and eval"

# Corrupt model files: refused with a clear message (never loaded, never a crash)
run_ok "$G" train --passes 1 -d good.svm -m m.model
sz=$(wc -c < m.model)
head -c $((sz - 3)) m.model > trunc.model
cp m.model flip.model
printf '\001' | dd of=flip.model bs=1 seek=$((sz - 12)) conv=notrunc status=none
cmp -s m.model flip.model && printf '\002' | dd of=flip.model bs=1 seek=$((sz - 12)) conv=notrunc status=none
printf 'NOTGANNETAT ALL, JUST TEXT.....................................\n' > text.model
{ head -c 8 m.model; printf '\377\000\000\000'; tail -c +13 m.model; } > newer.model
cat m.model > trailing.model; printf 'x' >> trailing.model
: > empty.model
for spec in "trunc.model:truncated" "flip.model:checksum" "text.model:not a gannet model|magic" \
            "newer.model:version" "trailing.model:trailing" "empty.model:truncated|empty|not a gannet"; do
    f=${spec%%:*}
    re=${spec#*:}
    run "$G" predict -m "$f" -d good.svm
    expect_rc "1|2" "corrupt model $f"
    expect_err "$f" "corrupt model $f is named"
    expect_err "$re" "corrupt model $f: the problem is named"
    [ -s "$T/out" ] && fail "corrupt model $f: predictions were written"
    run "$G" inspect -m "$f"
    expect_rc "1|2" "inspect corrupt model $f"
done
ok "corrupt model files refused"

# Bad flags: exit 2 and a message naming the flag
bad_flag() {
    run "$G" "$@"
    expect_rc 2 "gannet $*"
    [ -s "$T/err" ] || fail "gannet $*: no message"
    [ -e bad.model ] && fail "gannet $*: a model was written"
    return 0
}
bad_flag train -d good.svm -m bad.model --frobnicate;  expect_err "frobnicate" "unknown flag named"
bad_flag train -d good.svm -m bad.model --bits 31;     expect_err "bits" "--bits 31"
bad_flag train -d good.svm -m bad.model --bits 0;      expect_err "bits" "--bits 0"
bad_flag train -d good.svm -m bad.model --bits x;      expect_err "bits" "--bits x"
bad_flag train -d good.svm -m bad.model --l2 -1;       expect_err "l2" "--l2 -1"
bad_flag train -d good.svm -m bad.model --l1 -0.5;     expect_err "l1" "--l1 -0.5"
bad_flag train -d good.svm -m bad.model --l2 abc;      expect_err "l2" "--l2 abc"
bad_flag train -d good.svm -m bad.model --lr -1;       expect_err "lr" "--lr -1"
bad_flag train -d good.svm -m bad.model --holdout 2;   expect_err "holdout" "--holdout 2"
bad_flag train -d good.svm -m bad.model --holdout -0.1; expect_err "holdout" "--holdout -0.1"
bad_flag train -d good.svm -m bad.model --passes -3;   expect_err "passes" "--passes -3"
bad_flag train -d good.svm -m bad.model --passes 100001;    expect_err "passes" "--passes 100001"
bad_flag train -d good.svm -m bad.model --format xml;  expect_err "xml" "--format xml"
bad_flag train -d good.svm -m bad.model --loss cubic;  expect_err "cubic" "--loss cubic"
bad_flag train -d good.svm -m bad.model --optimizer x; expect_err "optimizer" "--optimizer x"
bad_flag train -d good.svm -m bad.model --sep ab;      expect_err "sep" "--sep ab"
bad_flag train -d good.svm -m bad.model --max-line 0;  expect_err "max" "--max-line 0"
bad_flag train -d good.svm -m;                         expect_err "model|-m" "-m without a value"
bad_flag train -d -m bad.model;                        expect_err "-d|data" "-d without files"
bad_flag train -m bad.model;                           expect_err "data|-d" "no data"
bad_flag train -d good.svm;                            expect_err "model|-m" "no model"
bad_flag predict -d good.svm;                          expect_err "model|-m" "predict without a model"
bad_flag predict -m good.model;                        expect_err "data|-d" "predict without data"
bad_flag eval -m good.model -d good.svm --bogus;       expect_err "bogus" "eval unknown flag"
bad_flag inspect -m good.model --top x;                expect_err "top" "inspect --top x"
bad_flag inspect;                                      expect_err "model|-m" "inspect without a model"
bad_flag frobnicate;                                   expect_err "frobnicate" "unknown command"
run "$G"
expect_rc 2 "gannet with no command"
expect_err "usage" "gannet with no command prints usage"
ok "bad flags exit 2 with a message"

# CSV column flags naming columns that do not exist
printf 'y,a,b\n1,2,3\n0,4,5\n' > cols.csv
bad_flag train -d cols.csv -m bad.model --label nosuch;         expect_err "nosuch" "--label nosuch"
bad_flag train -d cols.csv -m bad.model --categorical 9;        expect_err "9|column" "--categorical 9"
bad_flag train -d cols.csv -m bad.model --categorical 1;        expect_err "label" "--categorical on the label"
ok "bad CSV column flags"
echo PASS
