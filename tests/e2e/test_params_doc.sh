#!/usr/bin/env bash
# test_params_doc.sh: the parameter table is the one source of the flags: docs/cli.md's generated
# block equals `gannet params --markdown`; every parameter's flag appears in the --help of the
# commands that take it (and no command's --help shows a flag it would refuse); `gannet params
# --json` lists the same names; and a parameter set by name through tune's grid is the same
# parameter as its flag.
. "$(dirname "$0")/lib.sh"
G=$GANNET

run_ok "$G" params --markdown
cp "$T/out" "$T/gen.md"
awk '/<!-- params:begin/ { on = 1; next } /<!-- params:end -->/ { on = 0 } on' "$GN_SRC/docs/cli.md" >"$T/doc.md"
[ -s "$T/doc.md" ] || fail "docs/cli.md has no generated parameter block"
diff -u "$T/doc.md" "$T/gen.md" >&2 || fail "docs/cli.md's parameter block differs from 'gannet params --markdown' (regenerate it)"
ok "docs/cli.md parameter block matches the table"

run_ok "$G" params --json
cp "$T/out" "$T/params.json"
python3 -c 'import json, sys
for p in json.load(open(sys.argv[1])): print("\t".join([p["name"], p["flag"], p["type"], p["group"], p["default"]]))' \
    "$T/params.json" >"$T/params.tsv" || fail "gannet params --json is not valid JSON"
n=$(wc -l <"$T/params.tsv")
[ "$n" -ge 30 ] || fail "gannet params --json lists only $n parameters"
for c in train cv tune cache; do
    run_ok "$G" "$c" --help
    cp "$T/out" "$T/help_$c.txt"
done
while IFS=$'\t' read -r name flag type group def; do
    shown=$flag
    [ "$type" = bool ] && [ "$def" = true ] && shown="--no-${flag#--}"
    case $group in data) cmds="train cv tune cache" ;; train) cmds="train cv tune" ;; run) cmds="train" ;; esac
    [ "$name" = loss ] && cmds="$cmds cache" # cache reads labels as this loss will
    for c in train cv tune cache; do
        if echo " $cmds " | grep -q " $c "; then
            grep -Eq -- "(^|[ ,])$shown([ ,]|\$)" "$T/help_$c.txt" || fail "gannet $c --help does not show $shown ($name)"
        else
            # cv and tune have a --max-memory of their own (model selection's), not the run parameter
            [ "$name" = max_memory ] && [ "$c" != cache ] && continue
            if grep -Eq -- "^  $shown([ ,]|\$)" "$T/help_$c.txt"; then fail "gannet $c --help shows $shown, which $c does not take"; fi
        fi
    done
    grep -Fq -- "\`$name\`" "$GN_SRC/docs/cli.md" || fail "docs/cli.md does not name parameter $name"
done <"$T/params.tsv"
ok "every parameter's flag is in the --help of the commands that take it ($n parameters)"

# a flag a command does not take is refused with exit 2
printf '1 1:1\n-1 2:1\n1 1:1 3:1\n-1 2:1 3:1\n' >"$T/d.svm"
run "$G" cv -d "$T/d.svm" --cache "$T/c" -k 2
expect_rc 2 "cv --cache"
expect_err "unknown flag '--cache'" "cv refuses a run flag"
# values are checked by the table, with the parameter's name in the message
run "$G" train -d "$T/d.svm" -m "$T/m" --l2=-1
expect_rc 2 "--l2=-1"
expect_err "l2: must be >= 0 \(got -1\)" "range error names the parameter"
run "$G" train -d "$T/d.svm" -m "$T/m" --loss cubic
expect_rc 2 "--loss cubic"
expect_err "loss: unknown value 'cubic' \(logistic\|squared" "choice error lists the choices"
# sizes take suffixes wherever a size is taken
run_ok "$G" train -d "$T/d.svm" -m "$T/m" --max-line 1M --quiet
run_ok "$G" inspect -m "$T/m" --json
grep -q '"max_line":1048576' "$T/out" || fail "--max-line 1M is not stored as 1048576 bytes"
# the short alias and the old --memory spelling still work
run_ok "$G" train -d "$T/d.svm" -m "$T/m" -b 10 --memory 5 --optimizer lbfgs --quiet
run_ok "$G" inspect -m "$T/m" --json
grep -q '"bits":10' "$T/out" || fail "-b 10 did not set bits"
# a tune grid names parameters as the table does (name or flag spelling) and refuses others
run_ok "$G" tune -d "$T/d.svm" -k 2 --grid 'l2=0,1;max-iter=5' --optimizer lbfgs --quiet --json
run "$G" tune -d "$T/d.svm" -k 2 --grid 'threads=1,2' --quiet
expect_rc 2 "tune grid over threads"
expect_err "'threads' cannot be searched" "unsearchable parameter refused"
run "$G" tune -d "$T/d.svm" -k 2 --grid 'nosuch=1,2' --quiet
expect_rc 2 "tune grid over an unknown name"
expect_err "unknown parameter 'nosuch'" "unknown parameter refused"
ok "flags, values, sizes, aliases and tune names all go through the table"
