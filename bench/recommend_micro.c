/* bench/recommend_micro.c: the in-process cost of one recommendation (gn_model_recommend, k = 10,
 * exclude_seen) with each item index, without HTTP or JSON: the CPU time per request on one
 * thread, recall@10 against the exact scan, the index's build time and memory. Links the public
 * API only (libgannet.a). Built and run by bench/recommend_serve.sh (MICRO=1) or by hand:
 *   recommend-micro MODEL USERS INDEX [PARAM] [M] [EF_CONSTRUCTION]
 * INDEX: exact, ivf (PARAM: nprobe) or hnsw (PARAM: ef); USERS known users u0..u(USERS-1) are
 * queried in a seeded random order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gannet/gannet.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: recommend-micro MODEL USERS exact|ivf|hnsw [PARAM] [M] [EF_CONSTRUCTION]\n");
        return 2;
    }
    gn_model *m = NULL;
    if (gn_model_load(argv[1], &m) != GN_OK) {
        fprintf(stderr, "recommend-micro: %s\n", gn_last_error());
        return 1;
    }
    const size_t nq = (size_t)atol(argv[2]);
    const uint32_t param = argc > 4 ? (uint32_t)atol(argv[4]) : 0;
    gn_mf_index_options io;
    gn_mf_index_options_init(&io);
    io.kind = !strcmp(argv[3], "ivf") ? GN_MF_INDEX_IVF : !strcmp(argv[3], "hnsw") ? GN_MF_INDEX_HNSW : GN_MF_INDEX_EXACT;
    if (argc > 5) io.hnsw_m = (uint32_t)atol(argv[5]);
    if (argc > 6) io.ef_construction = (uint32_t)atol(argv[6]);
    if (gn_model_mf_build_index(m, &io) != GN_OK) {
        fprintf(stderr, "recommend-micro: %s\n", gn_last_error());
        return 1;
    }
    gn_mf_index_info info;
    gn_mf_info mi;
    gn_model_mf_index_info(m, &info);
    gn_model_mf_info(m, &mi);
    gn_recommend_options o, ex;
    gn_recommend_options_init(&o);
    o.exclude_seen = 1;
    o.nprobe = io.kind == GN_MF_INDEX_IVF ? param : 0;
    o.ef = io.kind == GN_MF_INDEX_HNSW ? param : 0;
    ex = o;
    ex.exact = 1;
    gn_recommend_item a[10], b[10];
    char u[32];
    double t_idx = 0, t_ex = 0, hits = 0, total = 0;
    uint64_t s = 7;
    for (size_t j = 0; j < nq; j++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(u, sizeof u, "u%u", (unsigned)((s >> 33) % mi.users));
        size_t na = 0, nb = 0;
        double t0 = cpu_now();
        if (gn_model_recommend(m, u, 10, &o, a, &na) != GN_OK) return 1;
        double t1 = cpu_now();
        if (gn_model_recommend(m, u, 10, &ex, b, &nb) != GN_OK) return 1;
        double t2 = cpu_now();
        t_idx += t1 - t0;
        t_ex += t2 - t1;
        for (size_t x = 0; x < nb; x++)
            for (size_t y = 0; y < na; y++) hits += strcmp(a[y].item, b[x].item) == 0;
        total += (double)nb;
    }
    printf("%u items, rank %u, index %s (%s %u, M %u, ef_construction %u, %u build threads): build %.2f s, %.1f MiB;"
           " %.1f us CPU per request (exact scan %.1f us, x%.1f); recall@10 %.4f over %zu users\n",
           mi.items, mi.rank, argv[3], io.kind == GN_MF_INDEX_IVF ? "nprobe" : "ef",
           io.kind == GN_MF_INDEX_IVF ? info.nprobe : param, info.hnsw_m, info.ef_construction, info.threads,
           info.build_seconds, (double)info.bytes / 1048576.0, 1e6 * t_idx / (double)nq, 1e6 * t_ex / (double)nq,
           t_ex / (t_idx > 0 ? t_idx : 1e-9), hits / (total > 0 ? total : 1), nq);
    gn_model_free(m);
    return 0;
}
