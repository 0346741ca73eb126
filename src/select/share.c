/* select/share.c: model selection under MPI. Candidates (configuration x fold) are dealt out to
 * the ranks round-robin; every rank reads all the data but trains and scores only its own
 * candidates. After each pass the ranks all-reduce what the others need — the fold metrics of
 * the candidates scored in that pass, the progressive metrics that halving ranks by, training
 * seconds — so every rank holds every result and takes the same decisions in step. A value is
 * shared by summing the owner's number with zeros from everyone else, which is exact. With one
 * rank every call here is a no-op. */
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "select/select_internal.h"
#include "util/error.h"

int gn__select_mine(size_t cand) { return (int)(cand % (size_t)gn__dist_size()) == gn__dist_rank(); }

enum { NFIELDS = 25 }; /* doubles per gn_metrics */

static void pack(const gn_metrics *m, double *d) {
    d[0] = (double)m->examples; /* exact below 2^53 examples */
    d[1] = m->weight_sum;
    d[2] = m->classification;
    d[3] = m->logloss;
    d[4] = m->auc;
    d[5] = m->accuracy;
    d[6] = m->precision;
    d[7] = m->recall;
    d[8] = m->f1;
    d[9] = m->rmse;
    d[10] = m->mae;
    d[11] = m->mean_loss;
    d[12] = m->classes;
    d[13] = m->top_k;
    d[14] = m->top_k_accuracy;
    d[15] = m->macro_f1;
    d[16] = m->micro_f1;
    d[17] = m->weighted_f1;
    d[18] = m->rank_k;
    d[19] = (double)m->ranked_users;
    d[20] = m->precision_at_k;
    d[21] = m->recall_at_k;
    d[22] = m->ndcg_at_k;
    d[23] = m->map_at_k;
    d[24] = m->coverage;
}

static void unpack(const double *d, gn_metrics *m) {
    m->examples = (uint64_t)d[0];
    m->weight_sum = d[1];
    m->classification = (int)d[2];
    m->logloss = d[3];
    m->auc = d[4];
    m->accuracy = d[5];
    m->precision = d[6];
    m->recall = d[7];
    m->f1 = d[8];
    m->rmse = d[9];
    m->mae = d[10];
    m->mean_loss = d[11];
    m->classes = (uint32_t)d[12];
    m->top_k = (uint32_t)d[13];
    m->top_k_accuracy = d[14];
    m->macro_f1 = d[15];
    m->micro_f1 = d[16];
    m->weighted_f1 = d[17];
    m->rank_k = (uint32_t)d[18];
    m->ranked_users = (uint64_t)d[19];
    m->precision_at_k = d[20];
    m->recall_at_k = d[21];
    m->ndcg_at_k = d[22];
    m->map_at_k = d[23];
    m->coverage = d[24];
}

int gn__select_share_metrics(gn_metrics *const *slots, const int *mine, size_t n) {
    if (gn__dist_size() <= 1 || n == 0) return GN_OK;
    double *buf = calloc(n * NFIELDS, sizeof *buf);
    if (!buf) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (mine[i]) pack(slots[i], buf + i * NFIELDS);
    int st = gn__dist_allreduce_sum(buf, n * NFIELDS);
    if (st == GN_OK)
        for (size_t i = 0; i < n; i++) unpack(buf + i * NFIELDS, slots[i]);
    free(buf);
    return st;
}
