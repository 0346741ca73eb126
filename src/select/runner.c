/* select/runner.c: the candidate runner of model selection. Every (configuration x fold) candidate
 * is an online learner; each data pass reads and parses the input once per distinct data spec
 * and hands every batch to all candidates, which worker threads (pthreads) take one at a time
 * while the calling thread parses the next batch (double buffering). A candidate trains for its
 * configuration's passes with its fold held out, then spends one more pass scoring its fold with
 * its final weights (exactly as gn_evaluate would score the trained model). Parsed batches are
 * kept in memory after the first pass when they fit opts->cache_bytes, so later passes do not
 * parse again. With halving, the worse half of the configurations (by the held-out progressive
 * metric of the pass) is dropped after each pass. Under MPI the candidates are dealt out to the
 * ranks (select/share.c): each rank reads every pass but trains only its own candidates, and the
 * ranks share results at the end of each pass, so all of them make the same decisions. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "io/source.h"
#include "learn/learner.h"
#include "learn/loss.h"
#include "learn/score_eval.h"
#include "learn/train_internal.h"
#include "model/model.h"
#include "select/select_internal.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"

enum { C_TRAIN, C_SCORE, C_DONE, C_DROPPED };

typedef struct cand {
    size_t config;
    uint32_t fold;
    size_t group;
    gn_learner *l;
    gn_metrics_acc *acc;   /* scores of the fold with the final weights */
    gn_metrics_acc *prog;  /* held-out progressive scores of the current pass (halving) */
    int state, synced, active;
    int mine;              /* this rank trains it (always, without MPI) */
    int trained;           /* it was training in this pass (halving ranks those) */
    uint32_t passes_done, passes;
    double seconds;
    gn_loss loss;
    double tau;
    unsigned char *mode;   /* scoring: which examples of a batch are the fold's */
    double *scores;
    size_t cap;
} cand;

typedef struct group {
    gn_data_spec spec;
    gn_source *src;
    int active, exhausted;
    gn_batch **cache;
    size_t ncache, capcache;
} group;

typedef struct runner {
    const gn_select_options *o;
    const gn_select_config *configs;
    size_t nconfigs;
    gn_select_result *results;
    uint32_t k;
    cand *cands;
    size_t ncands;
    group *groups;
    size_t ngroups;
    gn_batch **step;        /* the batches of the step being learned, one per group (or NULL) */
    size_t *active;         /* this rank's candidates working in this pass */
    size_t nactive;
    gn_metrics **share;     /* end of pass: the metrics to share across ranks, and whose they are */
    int *share_mine;
    double *share_secs;
    atomic_size_t next;
    atomic_int err;
    char errmsg[1024];
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    uint64_t gen;
    uint32_t nthreads, ndone;
    int quit;
    gn_batch **pool;
    size_t npool, cappool;
    int recording, cache_complete, from_cache;
    size_t cache_pos;
    uint64_t cache_size;
    long best;
    double best_value;
    double t0, last_report;
} runner;

/* ---- batches: a pool for streaming, per-group lists for the cache ---- */

static size_t batch_bytes(const gn_batch *b) {
    return sizeof *b + b->cap * (sizeof *b->label + sizeof *b->weight + sizeof *b->key + sizeof *b->start) +
           b->fcap * (sizeof *b->index + sizeof *b->value);
}

static void batch_destroy(gn_batch *b) {
    if (!b) return;
    gn__batch_free(b);
    free(b);
}

static int pool_get(runner *r, gn_batch **out) {
    if (r->npool) {
        *out = r->pool[--r->npool];
        return GN_OK;
    }
    gn_batch *b = malloc(sizeof *b);
    if (!b) return gn__fail(GN_ENOMEM, "out of memory");
    int st = gn__batch_init(b, r->o->batch_size, (size_t)r->o->batch_size * 32);
    if (st != GN_OK) {
        free(b);
        return st;
    }
    *out = b;
    return GN_OK;
}

static void pool_put(runner *r, gn_batch *b) {
    if (r->npool == r->cappool) {
        size_t cap = r->cappool ? r->cappool * 2 : 8;
        gn_batch **p = realloc(r->pool, cap * sizeof *p);
        if (!p) {
            batch_destroy(b);
            return;
        }
        r->pool = p;
        r->cappool = cap;
    }
    r->pool[r->npool++] = b;
}

static void drop_cache(runner *r) {
    for (size_t g = 0; g < r->ngroups; g++) {
        for (size_t i = 0; i < r->groups[g].ncache; i++) batch_destroy(r->groups[g].cache[i]);
        free(r->groups[g].cache);
        r->groups[g].cache = NULL;
        r->groups[g].ncache = r->groups[g].capcache = 0;
    }
    r->cache_size = 0;
    r->recording = 0;
    r->cache_complete = 0;
}

/* After a step is learned: its batches go to the cache (first pass, while it fits) or the pool. */
static void release_step(runner *r, gn_batch **step) {
    for (size_t g = 0; g < r->ngroups; g++) {
        gn_batch *b = step[g];
        step[g] = NULL;
        if (!b || r->from_cache) continue;
        if (r->recording) {
            group *gr = &r->groups[g];
            if (gr->ncache == gr->capcache) {
                size_t cap = gr->capcache ? gr->capcache * 2 : 64;
                gn_batch **c = realloc(gr->cache, cap * sizeof *c);
                if (!c) {
                    drop_cache(r);
                    pool_put(r, b);
                    continue;
                }
                gr->cache = c;
                gr->capcache = cap;
            }
            gr->cache[gr->ncache++] = b;
            r->cache_size += batch_bytes(b);
            if (r->cache_size > r->o->cache_bytes) drop_cache(r);
            continue;
        }
        pool_put(r, b);
    }
}

/* Fills step with the next batch of every active group; *any = 0 when all are exhausted. */
static int read_step(runner *r, gn_batch **step, int *any) {
    *any = 0;
    for (size_t g = 0; g < r->ngroups; g++) {
        group *gr = &r->groups[g];
        step[g] = NULL;
        if (!gr->active || gr->exhausted) continue;
        if (r->from_cache) {
            if (r->cache_pos < gr->ncache) {
                step[g] = gr->cache[r->cache_pos];
                *any = 1;
            } else {
                gr->exhausted = 1;
            }
            continue;
        }
        gn_batch *b = NULL;
        GN_TRY(pool_get(r, &b));
        int st = gn__source_next(gr->src, b, r->o->batch_size);
        if (st == GN_EOF) {
            gr->exhausted = 1;
            pool_put(r, b);
            continue;
        }
        if (st != GN_OK) {
            pool_put(r, b);
            return st;
        }
        step[g] = b;
        *any = 1;
    }
    if (r->from_cache) r->cache_pos++;
    return GN_OK;
}

/* ---- one candidate on one batch ---- */

static int score_batch(cand *c, const gn_batch *b, uint64_t seed, uint32_t k) {
    if (!c->synced) { /* final weights into the weight column (FTRL keeps z, n) */
        gn__learner_sync_weights(c->l);
        c->synced = 1;
    }
    if (b->n > c->cap) {
        const size_t outs = gn__learner_outputs(c->l);
        unsigned char *m = realloc(c->mode, b->n);
        if (m) c->mode = m;
        double *s = m ? realloc(c->scores, b->n * outs * sizeof *s) : NULL;
        if (!s) return gn__fail(GN_ENOMEM, "out of memory");
        c->scores = s;
        c->cap = b->n;
    }
    for (size_t e = 0; e < b->n; e++) c->mode[e] = gn__split_fold(b->key[e], seed, k) == c->fold ? GN__EX_SCORE : GN__EX_SKIP;
    GN_TRY(gn__learner_run(c->l, b, c->mode, c->scores));
    const size_t outs = gn__learner_outputs(c->l);
    for (size_t e = 0; e < b->n; e++) {
        if (c->mode[e] != GN__EX_SCORE) continue;
        double *row = c->scores + e * outs;
        for (size_t j = 0; j < outs; j++)
            if (!isfinite(row[j])) return gn__learner_fail_diverged(c->l);
        /* the link and loss gn_evaluate uses */
        GN_TRY(gn__metrics_add_scores(c->acc, c->loss, c->tau, row, outs, b->label[e], b->weight[e], NULL));
    }
    return GN_OK;
}

static int process(runner *r, cand *c) {
    const gn_batch *b = r->step[c->group];
    if (!b || b->n == 0) return GN_OK;
    double t0 = gn__now();
    int st = c->state == C_TRAIN ? gn__learner_learn_batch(c->l, b) : score_batch(c, b, r->o->seed, r->k);
    c->seconds += gn__now() - t0;
    return st;
}

static void *worker(void *arg) {
    runner *r = arg;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->gen == seen && !r->quit) pthread_cond_wait(&r->work_cv, &r->mu);
        if (r->quit) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        seen = r->gen;
        pthread_mutex_unlock(&r->mu);
        size_t i;
        while ((i = atomic_fetch_add(&r->next, 1)) < r->nactive) {
            if (atomic_load(&r->err)) continue;
            int st = process(r, &r->cands[r->active[i]]);
            if (st != GN_OK) {
                pthread_mutex_lock(&r->mu);
                if (!atomic_load(&r->err)) {
                    snprintf(r->errmsg, sizeof r->errmsg, "%s", gn_last_error());
                    atomic_store(&r->err, st);
                }
                pthread_mutex_unlock(&r->mu);
            }
        }
        pthread_mutex_lock(&r->mu);
        if (++r->ndone == r->nthreads) pthread_cond_signal(&r->done_cv);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

static void dispatch(runner *r, gn_batch **step) {
    pthread_mutex_lock(&r->mu);
    r->step = step;
    r->ndone = 0;
    atomic_store(&r->next, 0);
    r->gen++;
    pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
}

static void wait_done(runner *r) {
    pthread_mutex_lock(&r->mu);
    while (r->ndone < r->nthreads) pthread_cond_wait(&r->done_cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

/* ---- bookkeeping between passes ---- */

static void report(runner *r, uint32_t pass, uint64_t examples, int end_of_pass, const char *note) {
    if (!r->o->progress) return;
    double now = gn__now();
    if (!end_of_pass && !note && now - r->last_report < 0.5) return;
    r->last_report = now;
    gn_select_progress p;
    memset(&p, 0, sizeof p);
    p.pass = pass;
    p.examples = examples;
    p.seconds = now - r->t0;
    for (size_t g = 0; g < r->ngroups; g++)
        if (r->groups[g].active && r->groups[g].src) {
            p.bytes_done = gn__source_bytes_done(r->groups[g].src);
            p.bytes_total = gn__source_bytes_total(r->groups[g].src);
            break;
        }
    size_t alive = 0;
    for (size_t c = 0; c < r->nconfigs; c++) {
        int st = r->cands[c * r->k].state;
        alive += st == C_TRAIN || st == C_SCORE;
    }
    p.configs_alive = alive;
    p.configs_total = r->nconfigs;
    p.best = r->best;
    p.best_value = r->best_value;
    p.metric = r->o->metric;
    p.end_of_pass = end_of_pass;
    p.note = note;
    r->o->progress(&p, r->o->user);
}

static int better(gn_select_metric m, double a, double b) { /* a strictly better than b */
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return gn_select_metric_higher_better(m) ? a > b : a < b;
}

static void finish_candidate(cand *c) {
    gn__learner_free(c->l);
    c->l = NULL;
    free(c->mode);
    free(c->scores);
    c->mode = NULL;
    c->scores = NULL;
    c->cap = 0;
    gn_metrics_acc_free(c->acc);
    c->acc = NULL;
    gn_metrics_acc_free(c->prog);
    c->prog = NULL;
}

/* The halving step: among the configurations that trained this pass, if some still have passes to
 * go, keep the better half by the mean progressive held-out metric and drop the rest. */
static int halve(runner *r, uint32_t pass, char *note, size_t note_size) {
    size_t m = 0, more = 0;
    size_t *idx = malloc(r->nconfigs * sizeof *idx);
    double *val = malloc(r->nconfigs * sizeof *val);
    if (!idx || !val) {
        free(idx);
        free(val);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    size_t nshare = 0;
    int st = GN_OK;
    for (size_t c = 0; c < r->nconfigs && st == GN_OK; c++) {
        if (!r->cands[c * r->k].trained) continue; /* did not train this pass */
        for (uint32_t f = 0; f < r->k && st == GN_OK; f++) {
            cand *cd = &r->cands[c * r->k + f];
            gn_metrics *slot = &r->results[c].folds[f];
            if (cd->mine) st = gn_metrics_acc_result(cd->prog, slot);
            r->share[nshare] = slot;
            r->share_mine[nshare++] = cd->mine;
        }
    }
    st = gn__dist_agree(st);
    if (st == GN_OK) st = gn__select_share_metrics(r->share, r->share_mine, nshare);
    if (st != GN_OK) {
        free(idx);
        free(val);
        return st;
    }
    for (size_t c = 0; c < r->nconfigs; c++) {
        cand *first = &r->cands[c * r->k];
        if (!first->trained) continue;
        gn_select_result *res = &r->results[c];
        gn__select_summarise(res);
        val[c] = gn_select_metric_value(r->o->metric, &res->mean);
        idx[m++] = c;
        more += first->state == C_TRAIN;
    }
    size_t keep = (m + 1) / 2;
    if (more && m > 1) {
        /* selection sort of the m indices, best first (m is small) */
        for (size_t i = 0; i < m; i++) {
            size_t b = i;
            for (size_t j = i + 1; j < m; j++)
                if (better(r->o->metric, val[idx[j]], val[idx[b]])) b = j;
            size_t t = idx[i];
            idx[i] = idx[b];
            idx[b] = t;
        }
        for (size_t i = keep; i < m; i++) {
            size_t c = idx[i];
            r->results[c].dropped = 1;
            for (uint32_t f = 0; f < r->k; f++) {
                cand *cd = &r->cands[c * r->k + f];
                r->results[c].passes = cd->passes_done;
                cd->state = C_DROPPED;
                finish_candidate(cd);
            }
        }
        snprintf(note, note_size, "halving after pass %u: kept %zu of %zu configurations", pass, keep, m);
    }
    for (size_t i = 0; i < m; i++) { /* survivors: progressive accumulators are per pass */
        for (uint32_t f = 0; f < r->k; f++) {
            cand *cd = &r->cands[idx[i] * r->k + f];
            if (cd->l) gn__learner_set_eval(cd->l, NULL);
            gn_metrics_acc_free(cd->prog);
            cd->prog = NULL;
        }
    }
    free(idx);
    free(val);
    return GN_OK;
}

/* Moves candidates to their next state at the end of a pass; scores finished configurations. */
static int end_pass(runner *r) {
    size_t nshare = 0;
    int st = GN_OK;
    for (size_t i = 0; i < r->ncands; i++) { /* every rank moves every candidate, its own or not */
        cand *c = &r->cands[i];
        r->share_secs[i] = c->mine ? c->seconds : 0;
        if (!c->active) continue;
        if (c->state == C_TRAIN) {
            c->passes_done++;
            if (c->passes_done >= c->passes) c->state = C_SCORE;
        } else if (c->state == C_SCORE) {
            gn_select_result *res = &r->results[c->config];
            if (c->mine && st == GN_OK) st = gn_metrics_acc_result(c->acc, &res->folds[c->fold]);
            r->share[nshare] = &res->folds[c->fold];
            r->share_mine[nshare++] = c->mine;
            res->passes = c->passes_done;
            c->state = C_DONE;
            finish_candidate(c);
        }
    }
    GN_TRY(gn__dist_agree(st));
    GN_TRY(gn__select_share_metrics(r->share, r->share_mine, nshare));
    GN_TRY(gn__dist_allreduce_sum(r->share_secs, r->ncands));
    for (size_t i = 0; i < r->ncands; i++) {
        const cand *c = &r->cands[i];
        if (c->active && c->state == C_DONE && r->results[c->config].folds[c->fold].examples == 0) /* scored now */
            return gn__fail(GN_EINVAL, "fold %u of %u has no examples: the data has too few examples for -k %u",
                            c->fold + 1, r->k, r->k);
    }
    for (size_t cfg = 0; cfg < r->nconfigs; cfg++) {
        gn_select_result *res = &r->results[cfg];
        double secs = 0;
        for (uint32_t f = 0; f < r->k; f++) secs += r->share_secs[cfg * r->k + f];
        res->seconds = secs;
        if (r->cands[cfg * r->k].state != C_DONE || !r->cands[cfg * r->k].active) continue;
        gn__select_summarise(res);
        double v = gn_select_metric_value(r->o->metric, &res->mean);
        if (r->best < 0 || better(r->o->metric, v, r->best_value)) {
            r->best = (long)cfg;
            r->best_value = v;
        }
    }
    return GN_OK;
}

/* ---- setup ---- */

int gn__select_same_spec(const gn_data_spec *a, const gn_data_spec *b) {
    json_t *ja = gn__spec_to_json(a), *jb = gn__spec_to_json(b);
    int eq = ja && jb && json_equal(ja, jb);
    json_decref(ja);
    json_decref(jb);
    return eq;
}

int gn__select_same_data(const gn_select_config *a, const gn_select_config *b) {
    gn_data_spec sa = a->spec, sb = b->spec;
    sa.label_kind = gn__label_kind_for(a->train.loss);
    sb.label_kind = gn__label_kind_for(b->train.loss);
    sa.field_aware |= a->train.kind == GN_KIND_FFM;
    sb.field_aware |= b->train.kind == GN_KIND_FFM;
    return gn__select_same_spec(&sa, &sb);
}

static int setup(runner *r, const char *const *paths, size_t npaths) {
    r->k = r->o->k;
    r->ncands = r->nconfigs * r->k;
    if (!(r->cands = calloc(r->ncands, sizeof *r->cands)) || !(r->groups = calloc(r->nconfigs, sizeof *r->groups)) ||
        !(r->active = malloc(r->ncands * sizeof *r->active)) || !(r->share = calloc(r->ncands, sizeof *r->share)) ||
        !(r->share_mine = calloc(r->ncands, sizeof *r->share_mine)) ||
        !(r->share_secs = calloc(r->ncands, sizeof *r->share_secs)))
        return gn__fail(GN_ENOMEM, "out of memory");
    size_t *group_of = malloc(r->nconfigs * sizeof *group_of);
    if (!group_of) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t c = 0; c < r->nconfigs; c++) {
        gn_data_spec spec = r->configs[c].spec;
        spec.label_kind = gn__label_kind_for(r->configs[c].train.loss);
        spec.field_aware |= r->configs[c].train.kind == GN_KIND_FFM; /* as gn_train */
        size_t g = 0;
        while (g < r->ngroups && !gn__select_same_spec(&r->groups[g].spec, &spec)) g++;
        if (g == r->ngroups) {
            r->groups[g].spec = spec;
            r->ngroups++;
            int st = gn__source_open(&spec, NULL, paths, npaths, &r->groups[g].src);
            /* resolved now (format, columns, classes): a multiclass learner needs the classes */
            if (st == GN_OK) st = gn__source_resolve(r->groups[g].src);
            if (st != GN_OK) {
                free(group_of);
                return st;
            }
        }
        group_of[c] = g;
    }
    int st = GN_OK;
    for (size_t c = 0; c < r->nconfigs && st == GN_OK; c++) {
        gn_select_result *res = &r->results[c];
        memset(res, 0, sizeof *res);
        res->k = r->k;
        const gn_train_options *t = &r->configs[c].train;
        /* the learner's spec is the source's resolved one (format, separator, header) */
        const gn_data_spec *resolved = gn__source_spec(r->groups[group_of[c]].src);
        for (uint32_t f = 0; f < r->k && st == GN_OK; f++) {
            cand *cd = &r->cands[c * r->k + f];
            cd->config = c;
            cd->fold = f;
            cd->group = group_of[c];
            cd->passes = t->passes ? t->passes : 1; /* auto: one pass (search passes explicitly) */
            cd->loss = t->loss;
            cd->tau = t->quantile_tau;
            cd->state = C_TRAIN;
            cd->mine = gn__select_mine(c * r->k + f);
            if (!cd->mine) continue;
            if ((st = gn__learner_new(t, resolved, &cd->l)) != GN_OK) break;
            if ((st = gn__learner_class_weights_from(cd->l, t, gn__source_parser(r->groups[group_of[c]].src))) != GN_OK)
                break;
            gn__learner_set_heldout(cd->l, r->k, f, f + 1, r->o->seed);
            st = gn__metrics_acc_for(t->loss, gn__learner_outputs(cd->l), &cd->acc);
        }
        if (st == GN_OK && r->cands[c * r->k].mine) {
            const gn_kind_table tab = gn__learner_table(r->cands[c * r->k].l);
            res->table_bytes = (uint64_t)tab.nslots * tab.stride * sizeof(float);
        }
    }
    free(group_of);
    return st;
}

/* Under MPI: every rank learns the table sizes from the owner of each configuration's fold 0. */
static int share_table_bytes(runner *r) {
    if (gn__dist_size() <= 1) return GN_OK;
    uint64_t *v = calloc(r->nconfigs, sizeof *v);
    if (!v) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t c = 0; c < r->nconfigs; c++) v[c] = r->results[c].table_bytes;
    int st = gn__dist_allreduce_sum_u64(v, r->nconfigs);
    for (size_t c = 0; c < r->nconfigs && st == GN_OK; c++) r->results[c].table_bytes = v[c];
    free(v);
    return st;
}

static void teardown(runner *r) {
    for (size_t i = 0; r->cands && i < r->ncands; i++) finish_candidate(&r->cands[i]);
    drop_cache(r);
    for (size_t g = 0; g < r->ngroups; g++) gn__source_free(r->groups[g].src);
    for (size_t i = 0; i < r->npool; i++) batch_destroy(r->pool[i]);
    free(r->pool);
    free(r->cands);
    free(r->groups);
    free(r->active);
    free(r->share);
    free(r->share_mine);
    free(r->share_secs);
}

/* The passes. Worker threads are running. */
static int run_passes(runner *r) {
    gn_batch **bufs = calloc(2 * r->ngroups, sizeof *bufs);
    if (!bufs) return gn__fail(GN_ENOMEM, "out of memory");
    int st = GN_OK;
    char note[256];
    for (uint32_t pass = 1;; pass++) {
        r->nactive = 0;
        size_t alive = 0; /* on all ranks */
        for (size_t g = 0; g < r->ngroups; g++) r->groups[g].active = 0;
        for (size_t i = 0; i < r->ncands; i++) {
            cand *c = &r->cands[i];
            c->active = c->state == C_TRAIN || c->state == C_SCORE;
            c->trained = c->state == C_TRAIN;
            alive += c->active;
            if (!c->active || !c->mine) continue;
            r->active[r->nactive++] = i;
            r->groups[c->group].active = 1;
            if (c->state == C_TRAIN && r->o->halving) {
                if ((st = gn__metrics_acc_for(c->loss, gn__learner_outputs(c->l), &c->prog)) != GN_OK)
                    goto failed;
                gn__learner_set_eval(c->l, c->prog);
            }
        }
        if (alive == 0) break; /* the same pass on every rank: all of them track every candidate */
        r->from_cache = pass > 1 && r->cache_complete;
        r->recording = pass == 1 && r->o->cache_bytes > 0;
        r->cache_pos = 0;
        for (size_t g = 0; g < r->ngroups; g++) {
            group *gr = &r->groups[g];
            gr->exhausted = 0;
            if (gr->active && !r->from_cache && pass > 1 && (st = gn__source_rewind(gr->src)) != GN_OK) goto failed;
        }
        gn_batch **cur = bufs, **nxt = bufs + r->ngroups;
        int any = 0, any_next = 0;
        uint64_t examples = 0;
        if ((st = read_step(r, cur, &any)) != GN_OK) goto failed;
        while (any) {
            dispatch(r, cur);
            int rst = read_step(r, nxt, &any_next); /* parse the next step while the workers learn */
            wait_done(r);
            for (size_t g = 0; g < r->ngroups; g++)
                if (cur[g]) {
                    examples += cur[g]->n;
                    break;
                }
            release_step(r, cur);
            if (atomic_load(&r->err)) {
                release_step(r, nxt);
                st = gn__fail(atomic_load(&r->err), "%s", r->errmsg);
                goto failed;
            }
            if (rst != GN_OK) {
                release_step(r, nxt);
                st = rst;
                goto failed;
            }
            report(r, pass, examples, 0, NULL);
            gn_batch **t = cur;
            cur = nxt;
            nxt = t;
            any = any_next;
        }
        if (r->recording) {
            r->recording = 0;
            r->cache_complete = 1;
        }
        if ((st = end_pass(r)) != GN_OK) goto done;
        note[0] = '\0';
        if (r->o->halving && (st = halve(r, pass, note, sizeof note)) != GN_OK) goto done;
        report(r, pass, examples, 1, note[0] ? note : NULL);
    }
done:
    free(bufs);
    return st;
failed: /* this rank failed inside a pass: tell the others, who wait for it at the end of the pass */
    st = gn__dist_agree(st);
    goto done;
}

int gn__select_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                   const char *const *paths, size_t npaths, gn_select_result *results) {
    runner r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.configs = configs;
    r.nconfigs = n;
    r.results = results;
    r.best = -1;
    r.best_value = NAN;
    r.t0 = gn__now();
    atomic_init(&r.next, 0);
    atomic_init(&r.err, 0);
    int st = gn__dist_agree(setup(&r, paths, npaths)); /* a rank that failed must not leave others waiting */
    if (st == GN_OK) st = share_table_bytes(&r);
    if (st != GN_OK) {
        teardown(&r);
        return st;
    }
    size_t nmine = 0;
    for (size_t i = 0; i < r.ncands; i++) nmine += r.cands[i].mine;
    r.nthreads = gn__threads_or_cores(o->threads);
    if (r.nthreads > nmine) r.nthreads = nmine ? (uint32_t)nmine : 1;
    pthread_t *th = calloc(r.nthreads, sizeof *th);
    if (!th) {
        teardown(&r);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.work_cv, NULL);
    pthread_cond_init(&r.done_cv, NULL);
    uint32_t started = 0;
    for (; started < r.nthreads; started++)
        if (pthread_create(&th[started], NULL, worker, &r) != 0) break;
    if (started == 0) {
        st = gn__fail(GN_ENOMEM, "cannot start worker threads");
    } else {
        r.nthreads = started;
        st = run_passes(&r);
    }
    pthread_mutex_lock(&r.mu);
    r.quit = 1;
    pthread_cond_broadcast(&r.work_cv);
    pthread_mutex_unlock(&r.mu);
    for (uint32_t i = 0; i < started; i++) pthread_join(th[i], NULL);
    free(th);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.work_cv);
    pthread_cond_destroy(&r.done_cv);
    teardown(&r);
    return st;
}
