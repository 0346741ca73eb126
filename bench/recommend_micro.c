/* bench/recommend_micro.c: the in-process cost of one recommendation (gn_model_recommend, k = 10,
 * exclude_seen) with each item index, without HTTP or JSON: the CPU time per request on one
 * thread (and the p50/p99/max of each request's CPU and wall time), recall@10 against the exact scan, the index's build
 * time and memory. Links the public
 * API only (libgannet.a). Built and run by bench/recommend_serve.sh (MICRO=1) or by hand:
 *   recommend-micro MODEL USERS INDEX [PARAM[,PARAM...]] [M] [EF_CONSTRUCTION]
 * INDEX: exact, ivf (PARAM: nprobe) or hnsw (PARAM: ef), one line per PARAM over one build;
 * USERS random known users are queried with the index first (all of them, so the index stays in
 * cache as it would in a server), then with the exact scan. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gannet/gannet.h"

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

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
    const size_t nq = (size_t)atol(argv[2]);
    gn_recommend_item *a = malloc(nq * 10 * sizeof *a), *b = malloc(nq * 10 * sizeof *b);
    size_t *na = malloc(nq * sizeof *na), *nb = malloc(nq * sizeof *nb);
    char (*u)[32] = malloc(nq * sizeof *u);
    double *lat = malloc(nq * sizeof *lat), *cpu = malloc(nq * sizeof *cpu);
    if (!a || !b || !na || !nb || !u || !lat || !cpu) return 1;
    uint64_t s = 7;
    for (size_t j = 0; j < nq; j++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(u[j], sizeof u[j], "u%u", (unsigned)((s >> 33) % mi.users));
    }
    gn_recommend_options ex;
    gn_recommend_options_init(&ex);
    ex.exclude_seen = 1;
    ex.exact = 1;
    double t0 = cpu_now();
    for (size_t j = 0; j < nq; j++)
        if (gn_model_recommend(m, u[j], 10, &ex, b + j * 10, &nb[j]) != GN_OK) return 1;
    const double t_ex = cpu_now() - t0;
    const char *pl = argc > 4 ? argv[4] : "0";
    for (;;) {
        const uint32_t param = (uint32_t)atol(pl);
        gn_recommend_options o;
        gn_recommend_options_init(&o);
        o.exclude_seen = 1;
        o.nprobe = io.kind == GN_MF_INDEX_IVF ? param : 0;
        o.ef = io.kind == GN_MF_INDEX_HNSW ? param : 0;
        double hits = 0, total = 0;
        t0 = cpu_now();
        for (size_t j = 0; j < nq; j++) {
            const double w0 = wall_now(), c0 = cpu_now();
            if (gn_model_recommend(m, u[j], 10, &o, a + j * 10, &na[j]) != GN_OK) return 1;
            lat[j] = wall_now() - w0;
            cpu[j] = cpu_now() - c0;
        }
        const double t_idx = cpu_now() - t0;
        qsort(lat, nq, sizeof *lat, cmp_double);
        qsort(cpu, nq, sizeof *cpu, cmp_double);
        for (size_t j = 0; j < nq; j++) {
            for (size_t x = 0; x < nb[j]; x++)
                for (size_t y = 0; y < na[j]; y++) hits += strcmp(a[j * 10 + y].item, b[j * 10 + x].item) == 0;
            total += (double)nb[j];
        }
        printf("%u items, rank %u, index %s (%s %u, M %u, ef_construction %u, %u build threads): build %.2f s, %.1f MiB;"
               " %.1f us CPU per request (exact scan %.1f us, x%.1f); recall@10 %.4f over %zu users;"
               " per request: CPU p50 %.1f us, p99 %.1f us, max %.1f us; wall p50 %.1f us, p99 %.1f us, max %.1f us\n",
               mi.items, mi.rank, argv[3], io.kind == GN_MF_INDEX_IVF ? "nprobe" : "ef",
               io.kind == GN_MF_INDEX_IVF && !param ? info.nprobe : param, info.hnsw_m, info.ef_construction,
               info.threads, info.build_seconds, (double)info.bytes / 1048576.0, 1e6 * t_idx / (double)nq,
               1e6 * t_ex / (double)nq, t_ex / (t_idx > 0 ? t_idx : 1e-9), hits / (total > 0 ? total : 1), nq,
               1e6 * cpu[nq / 2], 1e6 * cpu[nq * 99 / 100], 1e6 * cpu[nq - 1], 1e6 * lat[nq / 2], 1e6 * lat[nq * 99 / 100], 1e6 * lat[nq - 1]);
        fflush(stdout);
        const char *comma = strchr(pl, ',');
        if (!comma) break;
        pl = comma + 1;
    }
    free(a), free(b), free(na), free(nb), free(u), free(lat), free(cpu);
    gn_model_free(m);
    return 0;
}
