#!/usr/bin/env bash
# bench/mf.sh: matrix factorization (kind mf) on MovieLens (../shared/data/ml-latest-small) with
# the issue's split (rows whose line number after the header % 5 == 0 are test):
#   explicit: test RMSE and training time of gannet mf with default flags (ALS, SGD) against the
#     global mean and user+item biases (alternating ridge, l2 = 3), computed here with numpy;
#   implicit: the ratings >= 4 as clicks; nDCG@10 and recall@10 (training items excluded,
#     relevant = the user's test clicks) of weighted ALS (--implicit) against popularity.
# Times are wall seconds of `gannet train` (reading the CSV included) and the model's own
# metrics.seconds, medians of RUNS runs.
# With SCALE=1 also a generated 1,000,000-user x 100,000-item set of 10,000,000 ratings
# (power-law item popularity; bench/gen-mf.c, written once under BENCH_DATA): ALS time per epoch
# on 1 and 2 threads and on 2 MPI ranks of one thread each (the trainer's own log of its read and
# epoch times, --passes 2); SCALE_USERS, SCALE_ITEMS, SCALE_RATINGS override the set's size.
# The time splits: `gannet split --by time` of the whole file, each user's latest 20% of ratings
# (--per userId) and the latest 20% of all ratings, RMSE of ALS against the biases.
#   usage: bench/mf.sh [RUNS]     (default 3)
#   env:   GANNET, BENCH_DATA (default /tmp/gannet-bench-mf), ML (the ratings.csv.gz), SCALE=1
BENCH_DATA=${BENCH_DATA:-/tmp/gannet-bench-mf}
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
ML=${ML:-$GN_SRC/../shared/data/ml-latest-small/ratings.csv.gz}
build_gannet
[ -r "$ML" ] || { echo "no MovieLens at $ML"; exit 1; }
D=$BENCH_DATA
gzip -dc "$ML" | awk -v tr="$D/ml_train.csv" -v te="$D/ml_test.csv" \
    'NR == 1 { print > tr; print > te; next } { print > (((NR - 1) % 5 == 0) ? te : tr) }'
awk -F, 'NR == 1 || $3 >= 4' "$D/ml_train.csv" > "$D/ml_clicks_train.csv"
awk -F, 'NR == 1 || $3 >= 4' "$D/ml_test.csv" > "$D/ml_clicks_test.csv"
echo "machine: $(nproc) cores, shared with other jobs; $(date -u +%F) commit $(git -C "$GN_SRC" rev-parse --short HEAD)"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# train_runs NAME ARGS...: RUNS trainings; prints "wall_median model_seconds_median" and keeps the model
train_runs() {
    local name=$1; shift
    : > "$D/$name.walls"; : > "$D/$name.secs"
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$GANNET" train --kind mf --quiet --json "$@" -m "$D/$name.model" > "$D/$name.train.json"
        t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc -l >> "$D/$name.walls"
        grep -o '"seconds":[0-9.e-]*' "$D/$name.train.json" | cut -d: -f2 >> "$D/$name.secs"
    done
    echo "$(median < "$D/$name.walls") $(median < "$D/$name.secs")"
}

echo
echo "== explicit ratings: test RMSE (20,167 test ratings) =="
$PY - "$D/ml_train.csv" "$D/ml_test.csv" <<'PYEOF'
import sys, numpy as np, pandas as pd
tr, te = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
mu = tr.rating.mean()
print("%-34s rmse %.4f" % ("global mean", np.sqrt(((te.rating - mu) ** 2).mean())))
bu = pd.Series(0.0, index=tr.userId.unique()); bi = pd.Series(0.0, index=tr.movieId.unique())
for _ in range(10):  # alternating ridge, l2 = 3
    r = tr.rating - mu - bi.reindex(tr.movieId).values
    bu = r.groupby(tr.userId.values).sum() / (tr.groupby("userId").size() + 3)
    r = tr.rating - mu - bu.reindex(tr.userId).values
    bi = r.groupby(tr.movieId.values).sum() / (tr.groupby("movieId").size() + 3)
p = mu + bu.reindex(te.userId).fillna(0).values + bi.reindex(te.movieId).fillna(0).values
print("%-34s rmse %.4f" % ("user + item biases (l2 3)", np.sqrt(((te.rating - p) ** 2).mean())))
PYEOF
for opt in als sgd; do
    read -r wall secs < <(train_runs "ml_$opt" --optimizer $opt --user userId --item movieId --rating rating \
        --ignore timestamp "$D/ml_train.csv")
    "$GANNET" eval -m "$D/ml_$opt.model" "$D/ml_test.csv" --json > "$D/ml_$opt.eval.json"
    rmse=$(grep -o '"rmse":[0-9.]*' "$D/ml_$opt.eval.json" | cut -d: -f2)
    printf "%-34s rmse %.4f  train %.2f s wall (model %.2f s)\n" "gannet mf --optimizer $opt (defaults)" "$rmse" "$wall" "$secs"
done

echo
echo "== explicit ratings, time splits (gannet split --by time): test RMSE =="
gzip -dc "$ML" > "$D/ml_all.csv"
for how in per-user global; do
    per=(); [ $how = per-user ] && per=(--per userId)
    "$GANNET" split --by time --time-col timestamp "${per[@]}" --test 0.2 "$D/ml_all.csv" \
        --train-out "$D/mlt_train.csv" --test-out "$D/mlt_test.csv" --json > "$D/mlt_split.json"
    echo "-- $how: the latest 20% ($(cat "$D/mlt_split.json"))"
    $PY - "$D/mlt_train.csv" "$D/mlt_test.csv" <<'PYEOF'
import sys, numpy as np, pandas as pd
tr, te = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
mu = tr.rating.mean()
print("%-34s rmse %.4f" % ("global mean", np.sqrt(((te.rating - mu) ** 2).mean())))
bu = pd.Series(0.0, index=tr.userId.unique()); bi = pd.Series(0.0, index=tr.movieId.unique())
for _ in range(10):  # alternating ridge, l2 = 3
    r = tr.rating - mu - bi.reindex(tr.movieId).values
    bu = r.groupby(tr.userId.values).sum() / (tr.groupby("userId").size() + 3)
    r = tr.rating - mu - bu.reindex(tr.userId).values
    bi = r.groupby(tr.movieId.values).sum() / (tr.groupby("movieId").size() + 3)
p = mu + bu.reindex(te.userId).fillna(0).values + bi.reindex(te.movieId).fillna(0).values
print("%-34s rmse %.4f" % ("user + item biases (l2 3)", np.sqrt(((te.rating - p) ** 2).mean())))
PYEOF
    read -r wall secs < <(train_runs mlt_als --user userId --item movieId --rating rating --ignore timestamp \
        "$D/mlt_train.csv")
    "$GANNET" eval -m "$D/mlt_als.model" "$D/mlt_test.csv" --json > "$D/mlt_als.eval.json"
    rmse=$(grep -o '"rmse":[0-9.]*' "$D/mlt_als.eval.json" | cut -d: -f2)
    printf "%-34s rmse %.4f  train %.2f s wall\n" "gannet mf als (defaults)" "$rmse" "$wall"
done

echo
echo "== implicit: ratings >= 4 as clicks; top 10, training clicks excluded =="
$PY - "$D/ml_clicks_train.csv" "$D/ml_clicks_test.csv" <<'PYEOF'
import sys, numpy as np, pandas as pd
tr, te = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
pop = tr.groupby("movieId").size().sort_values(ascending=False, kind="stable")
order = list(pop.index)
seen = tr.groupby("userId").movieId.apply(set).to_dict()
ndcg = rec = 0.0; n = 0
for u, g in te.groupby("userId"):
    s = seen.get(u, set())
    rel = set(g.movieId) - s
    rel &= set(pop.index)
    if not rel: continue
    top = [i for i in order if i not in s][:10]
    hits = [1.0 if i in rel else 0.0 for i in top]
    dcg = sum(h / np.log2(r + 2) for r, h in enumerate(hits))
    idcg = sum(1 / np.log2(r + 2) for r in range(min(len(rel), 10)))
    ndcg += dcg / idcg; rec += sum(hits) / len(rel); n += 1
print("%-34s ndcg@10 %.4f  recall@10 %.4f  (%d users)" % ("popularity", ndcg / n, rec / n, n))
PYEOF
read -r wall secs < <(train_runs ml_implicit --implicit --user userId --item movieId "$D/ml_clicks_train.csv")
"$GANNET" eval -m "$D/ml_implicit.model" "$D/ml_clicks_test.csv" --json > "$D/ml_implicit.eval.json"
nd=$(grep -o '"ndcg@10":[0-9.]*' "$D/ml_implicit.eval.json" | cut -d: -f2)
rc=$(grep -o '"recall@10":[0-9.]*' "$D/ml_implicit.eval.json" | cut -d: -f2)
us=$(grep -o '"ranked_users":[0-9]*' "$D/ml_implicit.eval.json" | cut -d: -f2)
printf "%-34s ndcg@10 %.4f  recall@10 %.4f  (%d users)  train %.2f s wall\n" "gannet mf --implicit (defaults)" "$nd" "$rc" "$us" "$wall"

if [ "${SCALE:-0}" = 1 ]; then
    echo
    SU=${SCALE_USERS:-1000000} SI=${SCALE_ITEMS:-100000} SR=${SCALE_RATINGS:-10000000}
    echo "== scale: $SU users x $SI items, $SR ratings (ALS, rank 8) =="
    if [ ! -s "$D/scale.$SR.csv" ]; then
        cc -O2 -o "$D/gen-mf" "$GN_SRC/bench/gen-mf.c" -lm
        "$D/gen-mf" "$SU" "$SI" "$SR" 1 > "$D/scale.csv.tmp" && mv "$D/scale.csv.tmp" "$D/scale.$SR.csv"
    fi
    ln -sf "scale.$SR.csv" "$D/scale.csv"
    for th in 1 2; do
        # the trainer logs its read time and its time per epoch
        /usr/bin/time -f "cpu %U s user" "$GANNET" train --kind mf --json --threads $th --passes 2 --user 1 --item 2 \
            --rating 3 "$D/scale.csv" -m "$D/scale.model" > "$D/scale.json" 2> "$D/scale.log"
        printf "threads %d: %s; %s\n" "$th" "$(grep -o 'mf: read.*' "$D/scale.log")" "$(grep -o 'cpu.*' "$D/scale.log")"
    done
    grep -o 'mf: [0-9]* users.*' "$D/scale.log"
    if command -v mpirun > /dev/null && ldd "$GANNET" | grep libmpi > /dev/null; then
        MPIRUN=(mpirun --oversubscribe -np 2); [ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
        /usr/bin/time -f "elapsed %e s" "${MPIRUN[@]}" "$GANNET" train --kind mf --json --threads 1 --passes 2 \
            --user 1 --item 2 --rating 3 "$D/scale.csv" -m "$D/scale.mpi.model" > "$D/scale.mpi.json" 2> "$D/scale.mpi.log"
        printf "2 MPI ranks x 1 thread: %s; %s\n" "$(grep -o 'mf: read.*' "$D/scale.mpi.log")" \
            "$(grep -o 'elapsed.*' "$D/scale.mpi.log")"
    fi

    echo
    echo "== recommend: the exact scan at rank 64 (20,000 users, 400,000 generated ratings) =="
    [ -s "$D/rec.csv" ] || "$D/gen-mf" 20000 100000 400000 2 > "$D/rec.csv"
    "$GANNET" train --kind mf --quiet --rank 64 --passes 2 --user 1 --item 2 --rating 3 "$D/rec.csv" \
        -m "$D/rec.model" 2> "$D/rec.log" > /dev/null
    grep -o 'mf: [0-9]* users.*' "$D/rec.log"
    cut -d, -f1 "$D/rec.csv" | sort -u | awk "NR <= 2000" > "$D/users2000.txt" # not head: SIGPIPE under pipefail
    one=$( { /usr/bin/time -f "%U" "$GANNET" recommend -m "$D/rec.model" --user 5 -k 10 --exclude-seen > /dev/null; } 2>&1)
    all=$( { /usr/bin/time -f "%U" "$GANNET" recommend -m "$D/rec.model" --users "$D/users2000.txt" -k 10 \
        --exclude-seen > /dev/null; } 2>&1)
    printf "top 10 of 2000 users: %.2f ms CPU per user (process with one user: %.2f s CPU, the model's load)\n" \
        "$(echo "($all - $one) / 2" | bc -l)" "$one"
    # the same through HTTP: POST :recommend, one keep-alive connection, 1000 sequential requests
    "$GANNET" serve --port 0 --threads 2 -m "recs=$D/rec.model" 2> "$D/serve.log" &
    spid=$!
    port=""
    for _ in $(seq 100); do
        port=$(grep -o '127\.0\.0\.1:[0-9]*' "$D/serve.log" | head -1 | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.1
    done
    sleep 1
    $PY - "$port" <<'PYEOF'
import http.client, json, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
lat = []
for i in range(1000):
    body = json.dumps({"user": str(i % 20000), "k": 10, "exclude_seen": True})
    t = time.perf_counter()
    c.request("POST", "/v1/models/recs:recommend", body, {"Content-Type": "application/json"})
    r = c.getresponse(); d = r.read()
    lat.append(time.perf_counter() - t)
    assert r.status == 200, d
lat.sort()
print(":recommend k 10 over HTTP, one connection: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (client included)"
      % (1e3 * lat[500], 1e3 * lat[900], 1e3 * lat[990]))
PYEOF
    kill "$spid"
    wait "$spid" 2>/dev/null || true
fi
