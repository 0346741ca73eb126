#!/usr/bin/env bash
# bench/mf_tune.sh: `gannet tune --kind mf` on MovieLens latest-small (../shared/data), two small
# grids: implicit (weighted ALS) ranked by ndcg@10, explicit (ALS) ranked by rmse, 3 folds each.
# Prints each tune's wall time and chosen parameters, and the peer: the same grid as one
# `gannet cv` process per configuration (what a shell sweep does: each reads and parses the
# ratings again), with the ratio of the two times. The chosen configuration of the sweep must be
# the tune's (the same folds and trainer). Env: GANNET, THREADS (default 2), FOLDS (default 3).
. "$(dirname "$0")/common.sh"
DATA=$GN_SRC/../shared/data/ml-latest-small/ratings.csv.gz
[ -r "$DATA" ] || { echo "needs $DATA" >&2; exit 1; }
build_gannet
THREADS=${THREADS:-2}
FOLDS=${FOLDS:-3}
W=$(mktemp -d /tmp/gn-bench-mftune.XXXXXX)
trap 'rm -rf "$W"' EXIT
MF=(--kind mf --user userId --item movieId --rating rating)
now() { date +%s.%N; }

bench() { # NAME METRIC DIR(max|min) GRID RANKS L2S FLAGS...
    local name=$1 metric=$2 dir=$3 grid=$4 ranks=$5 l2s=$6; shift 6
    local t0 t1 t2 best sweep_best
    echo "== $name: gannet tune ${MF[*]} $* -d $DATA -k $FOLDS --threads $THREADS --grid '$grid' --metric $metric"
    t0=$(now)
    "$GANNET" tune "${MF[@]}" "$@" -d "$DATA" -k "$FOLDS" --threads "$THREADS" --quiet --grid "$grid" \
        --metric "$metric" > "$W/$name.txt"
    t1=$(now)
    cat "$W/$name.txt"
    best=$(grep '^best: ' "$W/$name.txt" | grep -oE 'rank=[^ ]+ l2=[^ ]+')
    : > "$W/$name.sweep"
    for r in $ranks; do for l in $l2s; do
        "$GANNET" cv "${MF[@]}" "$@" -d "$DATA" -k "$FOLDS" --threads "$THREADS" --quiet --metric "$metric" \
            --rank "$r" --l2 "$l" --json > "$W/cv.json"
        v=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mean"][sys.argv[2]])' "$W/cv.json" "$metric")
        echo "rank=$r l2=$l $v" >> "$W/$name.sweep"
    done; done
    t2=$(now)
    if [ "$dir" = max ]; then sweep_best=$(sort -k3,3 -g -r "$W/$name.sweep" | head -1 | cut -d' ' -f1-2)
    else sweep_best=$(sort -k3,3 -g "$W/$name.sweep" | head -1 | cut -d' ' -f1-2); fi
    awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$name" -v best="$best" -v sb="$sweep_best" 'BEGIN {
        printf "%s: tune %.1f s, one cv per configuration %.1f s, ratio tune/sweep %.2f; best %s (sweep: %s)\n",
            n, b - a, c - b, (b - a) / (c - b), best, sb }'
}

uptime
bench implicit ndcg@10 max 'rank=16,32,64;l2=0.1,1,10' "16 32 64" "0.1 1 10" --implicit
bench explicit rmse min 'rank=8,16,32;l2=0.05,0.1,0.2' "8 16 32" "0.05 0.1 0.2"
uptime
