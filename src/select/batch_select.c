/* select/batch_select.c: model selection for the batch solvers (--optimizer lbfgs | owlqn). The
 * data are read into memory once per data spec. For each fold f the examples outside f are copied
 * into one training set, renumbered to the features they use, and the configurations are solved
 * on it one after another, from the strongest regularisation to the weakest, each starting from
 * the previous one's solution (a regularisation path, as LIBLINEAR's -C search does; the optimum
 * does not depend on the starting point, only the iterations to reach it do). Each solution is
 * then scored on fold f with float weights, as gn_evaluate scores a saved model. One solve uses
 * opts->threads threads for the loss and gradient. Under MPI the folds are dealt out to the ranks
 * (select/share.c); every solve is local to its rank, and the metrics are all-reduced at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "io/source.h"
#include "io/labels.h"
#include "learn/class_weights.h"
#include "learn/loss.h"
#include "learn/objective.h"
#include "learn/score_eval.h"
#include "learn/train_internal.h"
#include "model/kinds/linear.h"
#include "model/kinds/softmax.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "select/select_internal.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/mem.h"

/* How strongly a configuration is regularised (path order: strongest first). */
static double strength(const gn_train_options *t) { return t->l2 + t->l1; }

/* Whether two configurations differ at most in l1 and l2: only then does one's solution start
 * the other's solve (with another --max-iter or --tol, a warm start would change the result). */
static int same_solver(const gn_train_options *a, const gn_train_options *b) {
    return a->loss == b->loss && a->kind == b->kind && a->oaa_loss == b->oaa_loss && a->optimizer == b->optimizer &&
           a->tol == b->tol && a->max_iter == b->max_iter &&
           a->lbfgs_memory == b->lbfgs_memory && a->quantile_tau == b->quantile_tau;
}

/* The configurations of one data-spec group: those with the same solver settings together, each
 * run from the strongest regularisation to the weakest. */
typedef struct path_item {
    size_t config;
    const gn_train_options *t;
} path_item;

static int cmp_d(double x, double y) { return x < y ? -1 : x > y; }

static int path_order(const void *a, const void *b) {
    const path_item *x = a, *y = b;
    const gn_train_options *p = x->t, *q = y->t;
    int c = (int)p->loss - (int)q->loss;
    if (!c) c = (int)p->kind - (int)q->kind;
    if (!c) c = (int)p->oaa_loss - (int)q->oaa_loss;
    if (!c) c = (int)p->optimizer - (int)q->optimizer;
    if (!c) c = cmp_d(p->tol, q->tol);
    if (!c) c = p->max_iter < q->max_iter ? -1 : p->max_iter > q->max_iter;
    if (!c) c = p->lbfgs_memory < q->lbfgs_memory ? -1 : p->lbfgs_memory > q->lbfgs_memory;
    if (!c) c = cmp_d(p->quantile_tau, q->quantile_tau);
    if (!c) c = -cmp_d(strength(p), strength(q));
    if (!c) c = x->config < y->config ? -1 : x->config > y->config;
    return c;
}

/* Scores the held-out fold with a solution's model; scores has room for held->n * k numbers (k:
 * the model's outputs, K for softmax and oaa: a multiclass accumulator, as gn_evaluate's). */
static int score_fold(const gn_model *m, const gn_bdata *held, const gn_train_options *t, double *scores,
                      gn_metrics *out) {
    gn_metrics_acc *acc;
    const size_t k = gn_model_outputs(m);
    GN_TRY(gn__metrics_acc_for(t->loss, k, &acc));
    const gn_rows rows = gn__bdata_rows(held);
    gn__model_scores(m, &rows, scores);
    int st = GN_OK;
    for (size_t e = 0; e < held->n && st == GN_OK; e++)
        st = gn__metrics_add_scores(acc, t->loss, t->quantile_tau, scores + e * k, k, held->label[e], held->weight[e],
                                    NULL);
    if (st == GN_OK) st = gn_metrics_acc_result(acc, out);
    gn_metrics_acc_free(acc);
    return st;
}

/* Solves every configuration of the path on the examples outside fold f and scores fold f. */
typedef struct class_factors class_factors;
static void weigh_rest(const class_factors *cf, gn_bdata *rest);

static int run_fold(const gn_select_options *o, const gn_select_config *configs, const path_item *path, size_t np,
                    const gn_bdata *all, const class_factors *cf, const gn_data_spec *spec, uint32_t f, uint32_t threads,
                    gn_select_result *results) {
    gn_bdata rest, held;
    memset(&rest, 0, sizeof rest);
    memset(&held, 0, sizeof held);
    const size_t nslots = (size_t)1 << spec->bits;
    const gn_train_options *first = &configs[path[0].config].train;
    /* softmax and oaa: K weights per feature (one group holds one kind: the data spec has the classes) */
    const int multi = gn__kind_for_loss(first->loss) == GN_KIND_SOFTMAX;
    const size_t k = multi ? spec->nclasses : 1;
    uint64_t *used = NULL;
    uint32_t *slots = NULL;
    double *w = NULL, *scores = NULL;
    gn_model *m = NULL;
    gn_batch_path *solver = NULL;
    uint8_t *in_fold = malloc(all->n ? all->n : 1);
    int st = in_fold ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    for (size_t e = 0; e < all->n && st == GN_OK; e++) in_fold[e] = gn__split_fold(all->key[e], o->seed, o->k) == f;
    if (st == GN_OK) st = gn__bdata_split(all, in_fold, &rest, &held);
    if (st == GN_OK) weigh_rest(cf, &rest); /* class weights shape learning; the fold is measured as is */
    if (st == GN_OK && held.n == 0)
        st = gn__fail(GN_EINVAL, "fold %u of %u has no examples: the data has too few examples for -k %u", f + 1, o->k,
                      o->k);
    if (st == GN_OK && rest.n == 0) st = gn__fail(GN_EINVAL, "only fold %u of %u has examples", f + 1, o->k);
    if (st == GN_OK && multi && (k < 2 || k > GN_LABELS_MAX_CLASSES))
        st = gn__fail(GN_EINVAL, "%s needs 2 to %d classes (the data has %zu)",
                      first->kind == GN_KIND_OAA ? "oaa" : "softmax", GN_LABELS_MAX_CLASSES, k);
    size_t dim = 0; /* features used by the fold's training part (the weights: dim * k) */
    if (st == GN_OK && !(used = calloc((nslots + 63) / 64, sizeof *used))) st = gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK) {
        gn__bdata_mark_used(&rest, used, nslots);
        st = gn__bdata_remap(&rest, used, nslots, &slots, &dim);
    }
    if (st == GN_OK && !(w = calloc(dim ? dim * k : 1, sizeof *w))) st = gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK && !(scores = malloc((held.n ? held.n : 1) * k * sizeof *scores)))
        st = gn__fail(GN_ENOMEM, "out of memory");
    const gn_train_options *prev = NULL;
    double gref = 0; /* |grad| at w = 0 for this fold and loss, from the first L-BFGS solve from zero */
    int at_zero = 1;
    for (size_t i = 0; i < np && st == GN_OK; i++) {
        const gn_select_config *c = &configs[path[i].config];
        gn_select_result *res = &results[path[i].config];
        if (!prev || !same_solver(prev, &c->train)) { /* other solver settings: start from zero */
            memset(w, 0, dim * k * sizeof *w);
            gref = 0;
            at_zero = 1;
        }
        if (!prev || prev->loss != c->train.loss || prev->kind != c->train.kind ||
            prev->oaa_loss != c->train.oaa_loss) { /* another loss: another objective (oaa: K binary losses) */
            gn__batch_path_free(solver);
            solver = NULL;
            gn_model_free(m); /* the model scoring the fold: softmax and oaa read the same weights apart */
            m = NULL;
            const gn_model_kind kind =
                !multi ? GN_KIND_LINEAR : c->train.kind == GN_KIND_OAA ? GN_KIND_OAA : GN_KIND_SOFTMAX;
            if ((st = gn__model_new(kind, c->train.loss, spec, (uint32_t)k, &m)) != GN_OK) break;
            if (kind == GN_KIND_OAA) m->oaa_loss = c->train.oaa_loss;
            st = gn__batch_path_new(&rest, dim, k, c->train.kind == GN_KIND_OAA ? c->train.oaa_loss : c->train.loss,
                                    threads, c->train.lbfgs_memory, &solver);
            if (st != GN_OK) break;
        }
        /* OWL-QN's pseudo-gradient at zero depends on l1: it keeps its own start as the reference */
        const int lbfgs = c->train.optimizer != GN_OPT_OWLQN;
        prev = &c->train;
        double t0 = gn__now();
        gn_batch_fit fit;
        st = gn__batch_path_solve(solver, &c->train, lbfgs ? gref : 0, w, &fit);
        if (st != GN_OK) break;
        if (lbfgs && at_zero) gref = fit.grad0;
        at_zero = 0;
        st = multi ? gn__softmax_model_set(m, slots, w, dim) : gn__linear_model_set(m, slots, w, dim);
        if (st != GN_OK) break;
        st = score_fold(m, &held, &c->train, scores, &res->folds[f]);
        res->seconds += gn__now() - t0;
        res->passes += fit.evaluations; /* summed over folds here, the mean per fold in the end */
    }
    gn__batch_path_free(solver);
    gn_model_free(m);
    free(w);
    free(scores);
    free(slots);
    free(used);
    free(in_fold);
    gn__bdata_free(&rest);
    gn__bdata_free(&held);
    return st;
}

/* Bytes a fold of this group holds at its peak, once the data are in memory: the data twice (all
 * examples, and one fold's training and held-out copies), the fold's model table, weights and
 * feature map, and the solver (memory pairs, its vectors, one margin per example, a gradient per
 * extra thread), counting every feature of the data (dim, an upper bound for a fold's). */
static uint64_t fold_bytes(const gn_bdata *all, size_t nslots, size_t dim, uint32_t memory, uint32_t threads) {
    const uint64_t data = (uint64_t)all->n * (2 * sizeof(float) + sizeof(uint64_t) + sizeof(size_t)) +
                          (uint64_t)all->nnz * (sizeof(uint32_t) + sizeof(float));
    const uint64_t table = (uint64_t)nslots * sizeof(float) + nslots / 8 + (uint64_t)dim * (sizeof(uint32_t) + sizeof(double));
    const uint64_t solver = ((uint64_t)2 * memory + 8 + (threads - 1)) * dim * sizeof(double) +
                            (uint64_t)3 * all->n * sizeof(double);
    return 2 * data + table + solver;
}

/* One data-spec group: read the data once, then the folds dealt to this rank. */
/* The group's class weights (learn/class_weights.h): every configuration of the group must ask
 * for the same ones. *cw (owned by the caller) NULL when none; else ncw factors. */
typedef struct class_factors {
    double *cw;
    size_t n;
    int binary;
} class_factors;

static int class_weights_of(const gn_select_config *configs, const path_item *path, size_t np, gn_source *src,
                            class_factors *out) {
    const gn_train_options *t0 = &configs[path[0].config].train;
    for (size_t i = 1; i < np; i++) {
        const gn_train_options *t = &configs[path[i].config].train;
        const char *a = t0->class_weights ? t0->class_weights : "", *b = t->class_weights ? t->class_weights : "";
        if (t->balanced != t0->balanced || strcmp(a, b) != 0)
            return gn__fail(GN_EINVAL, "the batch solvers take one setting of class_weights/balanced for all the "
                                       "configurations of a search");
    }
    if (!gn__class_weights_wanted(t0)) return GN_OK;
    const gn_labels *lab = gn__parser_labels(gn__source_parser(src));
    const size_t k = lab ? gn__labels_count(lab) : 0;
    double *cw = malloc((k ? k : 1) * sizeof *cw);
    if (!cw) return gn__fail(GN_ENOMEM, "out of memory");
    int st = gn__class_weights_resolve(t0, lab, cw, k);
    if (st != GN_OK) {
        free(cw);
        return st;
    }
    out->cw = cw;
    out->n = k;
    out->binary = gn__label_kind_for(t0->loss) == GN_LABEL_BINARY;
    return GN_OK;
}

/* The training part of a fold: each example weighs its class's factor. */
static void weigh_rest(const class_factors *cf, gn_bdata *rest) {
    if (cf->cw) gn__class_weights_apply(cf->cw, cf->n, cf->binary, rest->label, rest->weight, rest->n);
}

static int run_group(const gn_select_options *o, const gn_select_config *configs, const path_item *path, size_t np,
                     size_t group, const char *const *paths, size_t npaths, gn_select_result *results,
                     uint32_t *folds_done, double t0) {
    const uint32_t threads = gn__threads_or_cores(o->threads);
    gn_data_spec spec = configs[path[0].config].spec;
    spec.label_kind = gn__label_kind_for(configs[path[0].config].train.loss);
    gn_source *src = NULL;
    gn_bdata all;
    memset(&all, 0, sizeof all);
    uint64_t skipped = 0;
    int st = gn__source_open(&spec, NULL, paths, npaths, &src);
    if (st == GN_OK) st = gn__source_resolve(src);
    if (st == GN_OK && gn__source_parser(src)) gn__parser_set_cross_inline(gn__source_parser(src), 1); /* interactions */
    if (st == GN_OK)
        st = gn__bdata_read(src, gn__source_spec(src), paths, npaths, 0, 1, threads, o->batch_size, &all, &skipped);
    for (size_t i = 0; i < np && st == GN_OK; i++)
        st = gn__bdata_check_labels(&all, configs[path[i].config].train.loss, paths, npaths);
    class_factors cf = {NULL, 0, 0};
    if (st == GN_OK) st = class_weights_of(configs, path, np, src, &cf);
    if (st == GN_OK && o->max_memory) { /* the data's size is known only now */
        uint32_t memory = 1;
        for (size_t i = 0; i < np; i++)
            if (configs[path[i].config].train.lbfgs_memory > memory) memory = configs[path[i].config].train.lbfgs_memory;
        const size_t nslots = (size_t)1 << gn__source_spec(src)->bits;
        size_t dim = 0;
        st = gn__bdata_count_features(&all, nslots, &dim);
        if (gn__kind_for_loss(configs[path[0].config].train.loss) == GN_KIND_SOFTMAX) /* K weights a feature */
            dim *= gn__source_spec(src)->nclasses > 1 ? gn__source_spec(src)->nclasses : 1;
        const uint64_t need = st == GN_OK ? fold_bytes(&all, nslots, dim, memory, threads) : 0;
        if (st == GN_OK && need > o->max_memory)
            st = gn__fail(GN_ELIMIT,
                          "the batch solvers hold the data in memory: %zu examples (%zu values, %zu features) "
                          "need about %s with the solver's state, more than --max-memory %s: use an online "
                          "optimizer, a smaller --memory, or less data",
                          all.n, all.nnz, dim, gn__bytes_text(need, (char[32]){0}, 32),
                          gn__bytes_text(o->max_memory, (char[32]){0}, 32));
    }
    st = gn__dist_agree(st); /* every rank reads every group: one that failed stops the others now */
    for (uint32_t f = 0; f < o->k && st == GN_OK; f++) {
        if (!gn__select_mine(group * o->k + f)) continue;
        st = run_fold(o, configs, path, np, &all, &cf, gn__source_spec(src), f, threads, results);
        if (st == GN_OK && o->progress) { /* for the batch solvers a "pass" is a fold solved */
            gn_select_progress p;
            memset(&p, 0, sizeof p);
            p.pass = ++*folds_done;
            p.examples = all.n;
            p.seconds = gn__now() - t0;
            p.configs_total = p.configs_alive = np;
            p.best = -1;
            p.best_value = NAN;
            p.metric = o->metric;
            p.end_of_pass = 1;
            o->progress(&p, o->user);
        }
    }
    gn__bdata_free(&all);
    gn__source_free(src);
    free(cf.cw);
    return st;
}

int gn__select_batch_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                         const char *const *paths, size_t npaths, gn_select_result *results) {
    path_item *path = malloc(n * sizeof *path);
    size_t *group_of = malloc(n * sizeof *group_of);
    gn_metrics **share = malloc(n * o->k * sizeof *share);
    int *share_mine = malloc(n * o->k * sizeof *share_mine);
    double *secs = malloc(n * sizeof *secs);
    int st = path && group_of && share && share_mine && secs ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    for (size_t c = 0; c < n && st == GN_OK; c++)
        if (gn__kind_for_loss(configs[c].train.loss) != GN_KIND_LINEAR &&
            gn__kind_for_loss(configs[c].train.loss) != GN_KIND_SOFTMAX) /* one score, or K (softmax, oaa) */
            st = gn__fail(GN_EUNSUPPORTED, "cv and tune with optimizer %s take the linear losses, not %s: use an "
                                           "online optimizer (or gannet train --optimizer %s --holdout F)",
                          gn_optimizer_name(configs[c].train.optimizer), gn_loss_name(configs[c].train.loss),
                          gn_optimizer_name(configs[c].train.optimizer));
    for (size_t c = 0; c < n && st == GN_OK; c++) {
        memset(&results[c], 0, sizeof results[c]);
        results[c].k = o->k;
        results[c].table_bytes = ((uint64_t)1 << configs[c].spec.bits) * sizeof(float);
        size_t g = 0; /* the first configuration with the same data spec names the group */
        while (g < c && !gn__select_same_data(&configs[g], &configs[c])) g++;
        group_of[c] = g;
    }
    /* each group in turn: its configurations, strongest regularisation first */
    uint32_t folds_done = 0;
    const double t0 = gn__now();
    for (size_t g = 0; g < n && st == GN_OK; g++) {
        size_t np = 0;
        for (size_t c = 0; c < n; c++)
            if (group_of[c] == g) path[np++] = (path_item){c, &configs[c].train};
        if (np == 0) continue;
        qsort(path, np, sizeof *path, path_order);
        st = run_group(o, configs, path, np, g, paths, npaths, results, &folds_done, t0);
    }
    st = gn__dist_agree(st);
    /* every rank gets every fold's metrics and the seconds, then the summaries */
    size_t ns = 0;
    for (size_t c = 0; c < n && st == GN_OK; c++) {
        for (uint32_t f = 0; f < o->k; f++) {
            share[ns] = &results[c].folds[f];
            share_mine[ns++] = gn__select_mine(group_of[c] * o->k + f);
        }
        secs[c] = results[c].seconds;
    }
    if (st == GN_OK) st = gn__select_share_metrics(share, share_mine, ns);
    if (st == GN_OK) st = gn__dist_allreduce_sum(secs, n);
    uint64_t *passes = st == GN_OK ? calloc(n, sizeof *passes) : NULL;
    if (st == GN_OK && !passes) st = gn__fail(GN_ENOMEM, "out of memory");
    for (size_t c = 0; c < n && st == GN_OK; c++) passes[c] = results[c].passes;
    if (st == GN_OK) st = gn__dist_allreduce_sum_u64(passes, n);
    for (size_t c = 0; c < n && st == GN_OK; c++) {
        results[c].seconds = secs[c];
        results[c].passes = (uint32_t)((passes[c] + o->k / 2) / o->k); /* data passes per fold */
        gn__select_summarise(&results[c]);
    }
    free(passes);
    free(path);
    free(group_of);
    free(share);
    free(share_mine);
    free(secs);
    return st;
}
