/* learn/mf_update.c: gn_update_mf_rows (gannet/recommend.h), a kind-mf model trained further on
 * more (user, item, rating) rows in memory: scikit-learn's partial_fit. The result is a new model;
 * the base is not touched (a served model may be the base). Ids the base has not seen are
 * appended to copies of its dictionaries (so old users and items keep their rows), their factors
 * drawn as training draws them and their biases 0; each new row's item joins its user's seen list
 * and counts in the item's popularity; the global mean stays the base's (the biases absorb a
 * shift). Then, explicit ratings: SGD epochs over the new rows only, whatever solver trained the
 * base. Implicit feedback: fold-in, the new users' and new items' factors solved by weighted ALS
 * from their rows with every other factor fixed (the model keeps which items a user saw, not the
 * values, so the factors of known users and items cannot be solved again: they stay). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/triples.h"
#include "learn/train_internal.h"
#include "model/mf.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/iddict.h"
#include "util/mem.h"

/* A copy of d: the same ids at the same indices. NULL when out of memory. */
static gn_iddict *dict_copy(const gn_iddict *d) {
    gn_iddict *c = gn__iddict_new();
    const size_t n = gn__iddict_size(d);
    for (size_t i = 0; c && i < n; i++) {
        size_t len;
        const char *s = gn__iddict_name(d, (uint32_t)i, &len);
        uint32_t at;
        if (gn__iddict_add(c, s, len, &at) != 0) {
            gn__iddict_free(c);
            c = NULL;
        }
    }
    return c;
}

static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The seen lists of base's users merged with t's (user, item) pairs, into mf (nusers users, its
 * seen_ptr and seen_idx allocated here with mf->nnz set): each user's items ascending, once. */
static int merge_seen(const gn_mf *base, const gn_triples *t, gn_mf *mf) {
    const uint32_t nu = mf->nusers;
    uint64_t *cnt = calloc((size_t)nu + 1, sizeof *cnt);
    uint32_t *add = malloc((t->n ? t->n : 1) * sizeof *add);
    uint64_t *seen_ptr = malloc(((size_t)nu + 1) * sizeof *seen_ptr);
    uint32_t *seen_idx = NULL;
    int st = GN_OK;
    if (!cnt || !add || !seen_ptr) {
        st = gn__fail(GN_ENOMEM, "mf update: out of memory");
        goto done;
    }
    /* the new pairs bucketed by user (a counting sort), each bucket sorted */
    for (size_t e = 0; e < t->n; e++) cnt[t->user[e] + 1]++;
    for (uint32_t u = 0; u < nu; u++) cnt[u + 1] += cnt[u];
    for (size_t e = 0; e < t->n; e++) add[cnt[t->user[e]]++] = t->item[e];
    for (uint32_t u = nu; u > 0; u--) cnt[u] = cnt[u - 1]; /* back to bucket starts */
    cnt[0] = 0;
    uint64_t total = 0;
    for (uint32_t u = 0; u < nu; u++) {
        qsort(add + cnt[u], cnt[u + 1] - cnt[u], sizeof *add, cmp_u32);
        total += cnt[u + 1] - cnt[u] + (u < base->nusers ? base->seen_ptr[u + 1] - base->seen_ptr[u] : 0);
    }
    if (!(seen_idx = malloc((total ? total : 1) * sizeof *seen_idx))) {
        st = gn__fail(GN_ENOMEM, "mf update: out of memory");
        goto done;
    }
    uint64_t at = 0;
    for (uint32_t u = 0; u < nu; u++) {
        seen_ptr[u] = at;
        const uint32_t *a = u < base->nusers ? base->seen_idx + base->seen_ptr[u] : NULL;
        const uint64_t na = u < base->nusers ? base->seen_ptr[u + 1] - base->seen_ptr[u] : 0;
        const uint32_t *b = add + cnt[u];
        const uint64_t nb = cnt[u + 1] - cnt[u];
        uint64_t i = 0, j = 0;
        while (i < na || j < nb) {
            const uint32_t v = j >= nb || (i < na && a[i] <= b[j]) ? a[i++] : b[j++];
            if (at == seen_ptr[u] || seen_idx[at - 1] != v) seen_idx[at++] = v;
        }
    }
    seen_ptr[nu] = at;
    free(mf->seen_ptr);
    free(mf->seen_idx);
    mf->seen_ptr = seen_ptr;
    mf->seen_idx = seen_idx;
    mf->nnz = at;
    seen_ptr = NULL;
    seen_idx = NULL;
done:
    free(cnt);
    free(add);
    free(seen_ptr);
    free(seen_idx);
    return st;
}

gn_status gn_update_mf_rows(const gn_model *base, const gn_train_options *opts, const gn_id_column *users,
                            const gn_id_column *items, const double *ratings, size_t n, gn_progress_fn progress,
                            void *user, gn_model **out, gn_train_summary *summary) {
    const double t0 = gn__now();
    gn__clear_error();
    if (!base || !opts || !users || !items || !out)
        return gn__fail(GN_EINVAL, "mf update: model, options, columns and out are required");
    const gn_mf *bm = gn__mf_of(base);
    if (!bm) return gn__fail(GN_EINVAL, "mf update: the model is not of kind mf");
    if (!ratings && !bm->implicit) return gn__fail(GN_EINVAL, "mf update: an explicit model needs the ratings");
    if ((!users->text && !users->ints) || (!items->text && !items->ints))
        return gn__fail(GN_EINVAL, "mf rows: a column has neither text nor integer ids");
    if (n == 0) return gn__fail(GN_EINVAL, "kind mf: no ratings in the input");
    if (n > UINT32_MAX) return gn__fail(GN_ELIMIT, "mf rows: %zu rows, more than %u", n, (unsigned)UINT32_MAX);
    if (!(opts->lr >= 0 && opts->lr <= DBL_MAX) || !(opts->l2 >= 0 && opts->l2 <= DBL_MAX))
        return gn__fail(GN_EINVAL, "mf update: lr and l2 must be finite numbers >= 0 (0: SGD's defaults)");

    gn_triples t;
    memset(&t, 0, sizeof t);
    gn_mf *mf = NULL;
    gn_model *m = NULL;
    gn_iddict *ud = dict_copy(bm->users), *id = dict_copy(bm->items);
    int st = ud && id ? gn__mf_map_rows(users, items, ratings, n, ud, id, &t)
                      : (int)gn__fail(GN_ENOMEM, "mf update: out of memory for the ids");
    if (st != GN_OK) goto done;
    const uint32_t nu = (uint32_t)gn__iddict_size(ud), ni = (uint32_t)gn__iddict_size(id), k = bm->rank;
    if (opts->max_memory) {
        const uint64_t need = gn__mf_table_bytes(k, nu, ni, bm->nnz + n) + gn__iddict_bytes(ud) + gn__iddict_bytes(id);
        if (need > opts->max_memory) {
            char b1[32], b2[32];
            st = gn__fail(GN_ELIMIT, "mf update: %u users x %u items x rank %u need %s, more than --max-memory %s", nu,
                          ni, k, gn__bytes_text(need, b1, sizeof b1), gn__bytes_text(opts->max_memory, b2, sizeof b2));
            goto done;
        }
    }
    if ((st = gn__mf_new(k, nu, ni, 0, &mf)) != GN_OK) goto done;
    mf->implicit = bm->implicit;
    mf->mean = bm->mean;
    mf->alpha = bm->alpha;
    memcpy(mf->user_col, bm->user_col, sizeof mf->user_col);
    memcpy(mf->item_col, bm->item_col, sizeof mf->item_col);
    memcpy(mf->rating_col, bm->rating_col, sizeof mf->rating_col);
    memcpy(mf->ubias, bm->ubias, (size_t)bm->nusers * sizeof *mf->ubias);
    memcpy(mf->ibias, bm->ibias, (size_t)bm->nitems * sizeof *mf->ibias);
    memcpy(mf->P, bm->P, (size_t)bm->nusers * k * sizeof *mf->P);
    memcpy(mf->Q, bm->Q, (size_t)bm->nitems * k * sizeof *mf->Q);
    memcpy(mf->pop, bm->pop, (size_t)bm->nitems * sizeof *mf->pop);
    uint64_t rng = opts->seed ^ 0x6E6577u; /* new rows' factors */
    gn__mf_init_factors(mf->P + (size_t)bm->nusers * k, (size_t)(nu - bm->nusers) * k, &rng);
    gn__mf_init_factors(mf->Q + (size_t)bm->nitems * k, (size_t)(ni - bm->nitems) * k, &rng);
    for (size_t e = 0; e < t.n; e++) mf->pop[t.item[e]] += 1.0f;
    if ((st = merge_seen(bm, &t, mf)) != GN_OK) goto done;

    gn_train_options o = *opts;
    o.kind = GN_KIND_MF;
    o.optimizer = bm->implicit ? GN_OPT_ALS : GN_OPT_SGD;
    o.implicit = bm->implicit;
    o.alpha = bm->alpha;
    o.fm_rank = k;
    o.passes = o.passes ? o.passes : bm->implicit ? GN__MF_FOLDIN_EPOCHS : 1;
    o.mf_user = bm->user_col; /* recorded in the metadata, as training records them */
    o.mf_item = bm->item_col;
    o.mf_rating = bm->rating_col[0] ? bm->rating_col : NULL;
    double mse = NAN;
    st = bm->implicit ? gn__mf_implicit_foldin(mf, &t, bm->nusers, bm->nitems, &o, &mse)
                      : gn__mf_sgd_epochs(mf, &t, &o, progress, user, t0, &mse);
    if (st != GN_OK) goto done;
    gn__iddict_free(mf->users);
    gn__iddict_free(mf->items);
    mf->users = ud;
    mf->items = id;
    ud = id = NULL;

    gn_train_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.examples = (uint64_t)t.n * o.passes;
    sum.passes = o.passes;
    sum.progressive_loss = mse;
    sum.holdout_loss = NAN;
    sum.objective = NAN;
    sum.ranks = 1;
    if ((st = gn__model_new(GN_KIND_MF, GN_LOSS_SQUARED, &base->spec, 1, &m)) != GN_OK) goto done;
    m->payload = mf;
    mf = NULL;
    sum.seconds = gn__now() - t0;
    if ((st = gn__attach_metadata(m, &o, NULL, 0, &sum, NULL)) != GN_OK) goto done;
    if ((st = gn__model_finalize(m)) != GN_OK) goto done;
    if (summary) *summary = sum;
    *out = m;
    m = NULL;
done:
    gn_model_free(m);
    gn__mf_free(mf);
    gn__iddict_free(ud);
    gn__iddict_free(id);
    gn__triples_free(&t);
    return st;
}
