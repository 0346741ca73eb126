/* learn/train.c: gn_train — option defaults and checks, the pass loop feeding online learners,
 * progressive and holdout loss, early stopping (keeping the best weights), and the model's
 * training metadata. Batch solvers are dispatched to learn/lbfgs.c.
 * With T threads each worker reads its own part of the input (gn__source_open_part: byte ranges
 * of a plain file, or whole files; or blocks of the binary cache), parses it and learns:
 * Hogwild (one shared table, racy lock-free updates) by default, or with deterministic set,
 * one learner per worker averaged at every pass end (the same model on every run for a given T).
 * Under MPI the parts are rank*T + t of size*T and the ranks average at pass ends. Passes can be
 * cut into segments that end on the same batch count in every worker, for checkpoints. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dist/dist.h"
#include "gannet/gannet.h"
#include "io/cache.h"
#include "io/labels.h"
#include "learn/class_weights.h"
#include "model/loss_table.h"
#include "io/text.h"
#include "io/label_runs.h"
#include "io/pipeline.h"
#include "io/shuffle.h"
#include "io/source.h"
#include "io/textstore.h"
#include "learn/checkpoint.h"
#include "learn/learner.h"
#include "learn/split.h"
#include "learn/train_internal.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/cores.h"
#include "util/error.h"
#include "util/json_safe.h"
#include "util/mem.h"

static const char *const opt_names[] = {"auto", "sgd", "adagrad", "ftrl", "lbfgs", "owlqn", "als"};

const char *gn_optimizer_name(gn_optimizer opt) {
    return (unsigned)opt < sizeof opt_names / sizeof *opt_names ? opt_names[opt] : "unknown";
}

int gn_optimizer_parse(const char *name) {
    for (size_t i = 0; i < sizeof opt_names / sizeof *opt_names; i++)
        if (strcmp(name, opt_names[i]) == 0) return (int)i;
    return -1;
}

void gn_train_options_init(gn_train_options *o) {
    memset(o, 0, sizeof *o);
    o->kind = GN_KIND_LINEAR;
    o->loss = GN_LOSS_LOGISTIC;
    o->optimizer = GN_OPT_AUTO;
    o->ftrl_beta = 1.0;
    o->power_t = 0.5;
    o->quantile_tau = 0.5;
    o->passes = 0; /* auto */
    o->early_stop = 3;
    o->seed = 0;
    o->batch_size = 1024;
    o->lbfgs_memory = 10;
    o->tol = 1e-6;
    o->max_iter = 500;
    o->normalize = 1;
    o->l1 = GN_L1_AUTO;
    o->shuffle_buffer = 65536;
    o->fm_rank = 8;
    o->fm_init = 0.01;
    o->alpha = 10.0;
}

void gn__train_options_resolve(gn_train_options *o) {
    /* the kind a loss needs (softmax: K scores per example): --loss softmax is enough */
    if (o->oaa && o->kind != GN_KIND_OAA) { /* K binary classifiers: K scores, K class probabilities */
        o->oaa_loss = o->loss;
        o->loss = GN_LOSS_SOFTMAX;
        o->kind = GN_KIND_OAA;
    }
    if (o->kind == GN_KIND_LINEAR) o->kind = gn__kind_for_loss(o->loss);
    /* fm: AdaGrad for both parts unless sgd is asked for (its factors have no FTRL) */
    if ((o->kind == GN_KIND_FM || o->kind == GN_KIND_FFM) && o->optimizer == GN_OPT_AUTO) o->optimizer = GN_OPT_ADAGRAD;
    const gn_optimizer opt = gn__resolve_optimizer(o->loss, o->optimizer);
    if (o->l1 == GN_L1_AUTO) o->l1 = opt == GN_OPT_FTRL && o->normalize ? 1.0 : 0.0;
    /* lr 0: the online optimizer's default, so that metadata and checkpoints record the rate
     * used; the batch solvers have none (their online warm start runs FTRL) */
    if (o->lr == 0 && !gn__optimizer_is_batch(opt)) o->lr = gn__default_lr(opt);
    else if (o->lr == 0 && o->warm_start_online) o->lr = gn__default_lr(GN_OPT_FTRL);
}

int gn__fail_diverged(double lr, gn_optimizer opt, const char *what) {
    char hint[96] = "";
    if (lr > gn__default_lr(opt))
        snprintf(hint, sizeof hint, " (the default for %s is %g)", gn_optimizer_name(opt), gn__default_lr(opt));
    return gn__fail(GN_EINVAL, "training diverged (%s) with lr %g: use a smaller lr%s", what, lr, hint);
}

static int diverged(const gn_train_options *o, uint32_t pass, const char *what) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s in pass %u", what, pass);
    return gn__fail_diverged(o->lr, gn__resolve_optimizer(o->loss, o->optimizer), buf);
}

gn_status gn_train_options_check(const gn_train_options *o) {
    /* ranges of every parameter come from the parameter table (util/params.c) */
    GN_TRY(gn_param_check_train(o));
    if (o->passes > 100000) return gn__fail(GN_EINVAL, "passes must be auto (0) or in [1, 100000] (got %u)", o->passes);
    if (!(o->l1 >= 0 || o->l1 == GN_L1_AUTO) || !isfinite(o->l1))
        return gn__fail(GN_EINVAL, "l1 must be auto or >= 0 (got %g)", o->l1);
    /* combinations */
    if (o->kind == GN_KIND_MF) return gn__mf_options_check(o);
    const int oaa_resolved = o->oaa && o->kind == GN_KIND_OAA && o->loss == GN_LOSS_SOFTMAX;
    if (o->oaa && !oaa_resolved && o->loss != GN_LOSS_LOGISTIC && o->loss != GN_LOSS_HINGE)
        return gn__fail(GN_EINVAL, "oaa takes a binary loss (logistic or hinge), not %s", gn_loss_name(o->loss));
    if (o->oaa && !oaa_resolved && o->kind != GN_KIND_LINEAR)
        return gn__fail(GN_EINVAL, "oaa makes a model of kind oaa, not %s", gn_model_kind_name(o->kind));
    /* the batch solvers minimise the K logistic losses in one objective (learn/objective.h); hinge
     * is not smooth */
    const gn_loss oaa_binary = oaa_resolved ? o->oaa_loss : o->loss;
    if (o->oaa && gn__optimizer_is_batch(o->optimizer) && oaa_binary != GN_LOSS_LOGISTIC)
        return gn__fail(GN_EINVAL, "oaa with optimizer %s needs loss logistic (smooth), not %s: hinge takes the online "
                                   "optimizers (sgd, adagrad, ftrl)",
                        gn_optimizer_name(o->optimizer), gn_loss_name(oaa_binary));
    if (!o->oaa && o->kind == GN_KIND_OAA) return gn__fail(GN_EINVAL, "kind oaa is made by --oaa");
    GN_TRY(gn__class_weights_check(o));
    if (gn__optimizer_is_batch(o->optimizer) &&
        (o->shuffle || (o->checkpoint_path && o->checkpoint_path[0]) || (o->resume_path && o->resume_path[0])))
        return gn__fail(GN_EINVAL, "shuffle, checkpoint and resume are for the online optimizers "
                                   "(sgd, adagrad, ftrl), not %s", gn_optimizer_name(o->optimizer));
    if (o->checkpoint_path && o->checkpoint_path[0] && !o->checkpoint_examples && !o->checkpoint_seconds)
        return gn__fail(GN_EINVAL, "checkpoint needs checkpoint_every: N examples or Ns seconds");
    if (o->optimizer == GN_OPT_LBFGS && o->l1 > 0)
        return gn__fail(GN_EINVAL, "optimizer lbfgs cannot handle l1 (not smooth): use optimizer owlqn");
    if (gn__optimizer_is_batch(o->optimizer) && !gn__loss_info_of(o->loss)->smooth)
        return gn__fail(GN_EINVAL, "optimizer %s needs a smooth loss (logistic, squared, poisson, softmax), not %s",
                        gn_optimizer_name(o->optimizer), gn_loss_name(o->loss));
    if (o->kind == GN_KIND_FM || o->kind == GN_KIND_FFM) {
        const char *kn = gn_model_kind_name(o->kind);
        if (o->loss != GN_LOSS_LOGISTIC && o->loss != GN_LOSS_HINGE && o->loss != GN_LOSS_SQUARED &&
            o->loss != GN_LOSS_SOFTMAX)
            return gn__fail(GN_EINVAL, "kind %s takes loss logistic, hinge, squared or softmax, not %s", kn,
                            gn_loss_name(o->loss));
        if (o->optimizer != GN_OPT_AUTO && o->optimizer != GN_OPT_SGD && o->optimizer != GN_OPT_ADAGRAD)
            return gn__fail(GN_EINVAL, "kind %s takes optimizer sgd or adagrad (auto: adagrad), not %s%s", kn,
                            gn_optimizer_name(o->optimizer),
                            gn__optimizer_is_batch(o->optimizer) ? " (a factorization machine is not convex)" : "");
        return GN_OK;
    }
    /* a kind computes the losses made for it (the default kind, linear, follows the loss) */
    if (o->kind != GN_KIND_LINEAR && o->kind != gn__kind_for_loss(o->loss) && !oaa_resolved)
        return gn__fail(GN_EINVAL, "kind %s does not take loss %s (softmax: --loss softmax)", gn_model_kind_name(o->kind),
                        gn_loss_name(o->loss));
    return GN_OK;
}

json_t *gn__train_options_json(const gn_train_options *o) {
    gn_optimizer opt = gn__resolve_optimizer(o->loss, o->optimizer);
    json_t *j = json_object();
    if (!j) return NULL;
    int ok = gn__json_set(j, "loss", json_string(gn_loss_name(o->loss))) &&
             gn__json_set(j, "optimizer", json_string(gn_optimizer_name(opt))) && gn__json_set(j, "lr", json_real(o->lr)) &&
             gn__json_set(j, "l1", json_real(o->l1)) && gn__json_set(j, "l2", json_real(o->l2)) &&
             gn__json_set(j, "normalize", json_boolean(o->normalize)) && gn__json_set(j, "ftrl_beta", json_real(o->ftrl_beta)) &&
             gn__json_set(j, "power_t", json_real(o->power_t)) && gn__json_set(j, "quantile_tau", json_real(o->quantile_tau)) &&
             gn__json_set(j, "passes", json_integer(o->passes)) && gn__json_set(j, "holdout", json_real(o->holdout)) &&
             gn__json_set(j, "early_stop", json_integer(o->early_stop)) &&
             gn__json_set(j, "seed", json_integer((json_int_t)o->seed));
    if (ok && o->oaa) ok = gn__json_set(j, "oaa", json_string(gn_loss_name(o->kind == GN_KIND_OAA ? o->oaa_loss : o->loss)));
    if (ok && (o->kind == GN_KIND_FM || o->kind == GN_KIND_FFM))
        ok = gn__json_set(j, "fm_rank", json_integer(o->fm_rank)) && gn__json_set(j, "fm_init", json_real(o->fm_init)) &&
             gn__json_set(j, "fm_l2", json_real(o->fm_l2)) &&
             gn__json_set(j, "fm_lr", json_real(o->fm_lr));
    if (ok && o->kind == GN_KIND_MF)
        ok = gn__json_set(j, "rank", json_integer(o->fm_rank)) && gn__json_set(j, "implicit", json_boolean(o->implicit)) &&
             (!o->implicit || gn__json_set(j, "alpha", json_real(o->alpha))) &&
             gn__json_set(j, "user", json_string(o->mf_user ? o->mf_user : "")) &&
             gn__json_set(j, "item", json_string(o->mf_item ? o->mf_item : "")) &&
             gn__json_set(j, "rating", json_string(o->mf_rating ? o->mf_rating : ""));
    if (ok && o->balanced) ok = gn__json_set(j, "balanced", json_true());
    if (ok && o->class_weights && o->class_weights[0]) ok = gn__json_set(j, "class_weights", json_string(o->class_weights));
    if (ok && (opt == GN_OPT_LBFGS || opt == GN_OPT_OWLQN))
        ok = gn__json_set(j, "lbfgs_memory", json_integer(o->lbfgs_memory)) && gn__json_set(j, "tol", json_real(o->tol)) &&
             gn__json_set(j, "max_iter", json_integer(o->max_iter));
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Moves child (a new reference, or NULL when making it failed) into parent under key while *ok;
 * child is consumed either way, and *ok becomes 0 when this fails. */
static void adopt(json_t *parent, const char *key, json_t *child, int *ok) {
    if (*ok) *ok = gn__json_set(parent, key, child);
    else json_decref(child);
}

int gn__learner_class_weights_from(gn_learner *l, const gn_train_options *o, const gn_parser *parser) {
    if (!gn__class_weights_wanted(o)) return GN_OK;
    const gn_labels *lab = parser ? gn__parser_labels(parser) : NULL;
    const size_t k = lab ? gn__labels_count(lab) : 0;
    double *cw = malloc((k ? k : 1) * sizeof *cw);
    if (!cw) return gn__fail(GN_ENOMEM, "out of memory");
    int st = gn__class_weights_resolve(o, lab, cw, k);
    if (st == GN_OK) st = gn__learner_set_class_weights(l, cw, k, gn__label_kind_for(o->loss) == GN_LABEL_BINARY);
    free(cw);
    return st;
}

int gn__attach_metadata(gn_model *m, const gn_train_options *o, const char *const *paths, size_t npaths,
                        const gn_train_summary *sum, gn_parser *parser) {
    json_t *extra = json_object(), *data = json_object(), *files = json_array(), *metrics = json_object();
    int ok = extra && data && files && metrics;
    for (size_t i = 0; ok && i < npaths; i++) ok = json_array_append_new(files, json_string(paths[i])) == 0;
    ok = ok && gn__json_set(data, "examples", json_integer((json_int_t)sum->examples)) &&
         gn__json_set(data, "skipped", json_integer((json_int_t)sum->skipped)) &&
         gn__json_set(metrics, "progressive_loss",
                 isnan(sum->progressive_loss) ? json_null() : json_real(sum->progressive_loss)) &&
         gn__json_set(metrics, "holdout_loss", isnan(sum->holdout_loss) ? json_null() : json_real(sum->holdout_loss)) &&
         (isnan(sum->objective) || gn__json_set(metrics, "objective", json_real(sum->objective))) &&
         gn__json_set(metrics, "passes", json_integer(sum->passes)) && gn__json_set(metrics, "seconds", json_real(sum->seconds));
    adopt(data, "files", files, &ok);
    adopt(extra, "train", gn__train_options_json(o), &ok);
    adopt(extra, "data", data, &ok);
    adopt(extra, "metrics", metrics, &ok);
    if (parser && gn__parser_columns(parser) > 0) adopt(extra, "columns", gn__parser_columns_json(parser), &ok);
    /* the classes, for prediction and evaluation */
    if (parser && gn__parser_labels(parser)) adopt(extra, "labels", gn__labels_to_json(gn__parser_labels(parser)), &ok);
    if (ok && parser && gn__parser_labels(parser) && gn__class_weights_wanted(o)) {
        const gn_labels *lab = gn__parser_labels(parser);
        const size_t k = gn__labels_count(lab);
        double *cw = malloc((k ? k : 1) * sizeof *cw);
        if (!cw) ok = 0;
        else if (gn__class_weights_resolve(o, lab, cw, k) != GN_OK) {
            free(cw);
            json_decref(extra);
            return GN_EINVAL;
        }
        if (cw) adopt(extra, "class_weights", gn__class_weights_json(lab, cw, k), &ok);
        free(cw);
    }
    if (!ok) {
        json_decref(extra);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    json_decref(m->extra);
    m->extra = extra;
    m->created = (int64_t)time(NULL);
    /* --idf: the weights the data was parsed with, for prediction */
    if (parser && gn__parser_idf(parser) && !m->idf) m->idf = gn__idf_ref(gn__parser_idf(parser));
    return GN_OK;
}

/* ---- where a worker's examples come from: a text source (a part of the files) or a cache ---- */

typedef struct feed {
    gn_source *src;         /* this worker's part of the text, or */
    gn_cache_reader *cache; /* its part of the cache, or */
    gn_stream *stream;      /* a stream shared with the other workers (not owned) ... */
    gn_parser *parser;      /* ... parsed with this worker's own parser (owned) */
    const gn_text_store *store; /* or examples [begin, end) of the one-pass --idf store (not owned) */
    size_t pos, begin, end;
    uint32_t wid;
    gn_shuffler *shuf;      /* --shuffle: a bounded shuffle buffer over the above */
} feed;

static int feed_next_raw(void *f_, gn_batch *b, size_t max) {
    feed *f = f_;
    if (f->stream) return gn__stream_next(f->stream, f->wid, f->parser, b, max);
    if (f->store) return gn__text_store_next(f->store, &f->pos, f->end, b, max);
    return f->cache ? gn__cache_next(f->cache, b, max) : gn__source_next(f->src, b, max);
}

static int feed_next(feed *f, gn_batch *b, size_t max) {
    if (f->shuf) return gn__shuffler_next(f->shuf, feed_next_raw, f, b, max);
    return feed_next_raw(f, b, max);
}

/* Starts pass `pass` (a shared stream is rewound once for all workers by the pass loop); a
 * shuffled source or cache takes that pass's order of chunks or blocks. */
static int feed_rewind(feed *f, uint32_t pass) {
    if (f->shuf) gn__shuffler_reset(f->shuf, pass);
    if (f->stream) return GN_OK;
    if (f->store) {
        f->pos = f->begin;
        return GN_OK;
    }
    return f->cache ? gn__cache_rewind_pass(f->cache, pass) : gn__source_rewind_pass(f->src, pass);
}

static uint64_t feed_bytes_done(const feed *f) {
    if (f->stream) return f->wid == 0 ? gn__stream_bytes_done(f->stream) : 0;
    if (f->store) return gn__text_store_bytes(f->store, f->pos) - gn__text_store_bytes(f->store, f->begin);
    return f->cache ? gn__cache_bytes_done(f->cache) : gn__source_bytes_done(f->src);
}

static uint64_t feed_bytes_total(const feed *f) {
    if (f->stream) return f->wid == 0 ? gn__source_bytes_total(gn__stream_source(f->stream)) : 0;
    if (f->store) return gn__text_store_bytes(f->store, f->end) - gn__text_store_bytes(f->store, f->begin);
    return f->cache ? gn__cache_bytes_total(f->cache) : gn__source_bytes_total(f->src);
}

static void feed_close(feed *f) {
    gn__source_free(f->src);
    gn__cache_close(f->cache);
    gn__parser_free(f->parser);
    gn__shuffler_free(f->shuf);
    memset(f, 0, sizeof *f);
}

/* ---- the workers of one pass -------------------------------------------------------------- */

typedef struct shared_progress {
    pthread_mutex_t lock;
    double loss_sum, loss_w;   /* this pass, all workers */
    uint64_t examples;         /* this pass, learned from */
    atomic_int stop;           /* a worker failed: the others stop at their next batch */
    _Atomic uint64_t err_key;  /* the smallest key at which a worker reading in key order failed */
} shared_progress;

typedef struct worker {
    int id;
    feed in;
    gn_learner *l;
    gn_batch b;
    size_t batch_size;
    uint32_t pass;
    uint64_t limit;            /* stop after this many batches in this pass (resume/checkpoint); 0 = none */
    shared_progress *sp;
    /* results of the pass */
    int st;
    uint64_t err_key;          /* where it failed (for reporting the first bad line) */
    char msg[1024];
    double loss_sum, loss_w, ho_sum, ho_w;
    uint64_t examples, heldout, batches;
    uint64_t read;             /* examples read (learned, held out or of weight 0) */
    uint64_t features;         /* their features (passes auto sizes its passes by them) */
    uint64_t bytes_done;       /* published after each batch (read by the reporter) */
    gn_label_runs runs;        /* pass 1: the labels in the order this worker learns from them */
} worker;

typedef struct reporter {
    gn_progress_fn fn;
    void *user;
    const volatile int *stop;  /* the caller's stop flag (worker 0 reads it: the calling thread) */
    double t0, last;
    uint64_t total_before;     /* examples of the finished passes */
    worker *ws;
    size_t nw;
    uint64_t bytes_total;
} reporter;

static void report(reporter *rp, uint32_t pass, uint64_t examples, double loss_sum, double loss_w,
                   double holdout, int end_of_pass) {
    if (!rp->fn) return;
    double now = gn__now();
    if (!end_of_pass && now - rp->last < 0.5) return;
    rp->last = now;
    gn_progress p;
    p.pass = pass;
    p.examples = examples;
    p.seconds = now - rp->t0;
    p.bytes_done = 0;
    for (size_t i = 0; i < rp->nw; i++) p.bytes_done += __atomic_load_n(&rp->ws[i].bytes_done, __ATOMIC_RELAXED);
    p.bytes_total = rp->bytes_total;
    if (end_of_pass && p.bytes_total) p.bytes_done = p.bytes_total;
    p.progressive_loss = loss_w > 0 ? loss_sum / loss_w : NAN;
    p.holdout_loss = holdout;
    p.end_of_pass = end_of_pass;
    rp->fn(&p, rp->user);
}

/* Whether this worker reads its share in increasing key order (text parts, not shuffled): then an
 * error can be ordered against the other workers' errors. */
static int reads_in_order(const worker *w) { return w->in.src && !w->in.shuf; }

/* Records a failure. A worker reading in key order lowers the shared error key: the others go on
 * until they pass it (one of them may find an earlier bad line: the first one in the input is
 * the one reported, as a sequential read would); any other failure stops everyone now. */
static int worker_fail(worker *w, int st) {
    w->st = st;
    snprintf(w->msg, sizeof w->msg, "%s", gn_last_error());
    if (reads_in_order(w)) {
        uint64_t key = gn__source_last_key(w->in.src);
        w->err_key = key;
        uint64_t cur = atomic_load(&w->sp->err_key);
        while (key < cur && !atomic_compare_exchange_weak(&w->sp->err_key, &cur, key)) {
        }
        return st;
    }
    w->err_key = 0;
    atomic_store(&w->sp->stop, 1);
    if (w->in.stream) gn__stream_abort(w->in.stream);
    return st;
}

/* Runs one pass of one worker; worker 0 also reports progress (rp non-NULL). */
static void run_worker(worker *w, reporter *rp, double holdout) {
    w->st = GN_OK;
    w->err_key = UINT64_MAX;
    w->loss_sum = w->loss_w = w->ho_sum = w->ho_w = 0;
    w->examples = w->heldout = w->batches = w->read = w->features = 0;
    int st;
    for (;;) {
        if (atomic_load(&w->sp->stop)) return;
        if (rp && rp->stop && *rp->stop) {
            w->st = gn__fail(GN_ECANCELED, "training stopped: the caller's stop flag is set");
            snprintf(w->msg, sizeof w->msg, "%s", gn_last_error());
            w->err_key = 0;
            atomic_store(&w->sp->stop, 1);
            return;
        }
        if (w->limit && w->batches >= w->limit) return;
        if (reads_in_order(w) && w->b.n > 0 && w->b.key[w->b.n - 1] > atomic_load(&w->sp->err_key)) return;
        st = feed_next(&w->in, &w->b, w->batch_size);
        if (st == GN_EOF) break;
        if (st != GN_OK) { worker_fail(w, st); return; }
        if (w->pass == 1) gn__label_runs_add_floats(&w->runs, w->b.label, w->b.n);
        if ((st = gn__learner_learn_batch(w->l, &w->b)) != GN_OK) { worker_fail(w, st); return; }
        w->batches++;
        w->read += w->b.n;
        w->features += w->b.nnz;
        gn_learn_stats ls;
        gn__learner_take_stats(w->l, &ls);
        w->loss_sum += ls.train_loss;
        w->loss_w += ls.train_weight;
        w->examples += ls.train_examples;
        w->ho_sum += ls.heldout_loss;
        w->ho_w += ls.heldout_weight;
        w->heldout += ls.heldout_examples;
        __atomic_store_n(&w->bytes_done, feed_bytes_done(&w->in), __ATOMIC_RELAXED);
        shared_progress *sp = w->sp;
        pthread_mutex_lock(&sp->lock);
        sp->loss_sum += ls.train_loss;
        sp->loss_w += ls.train_weight;
        sp->examples += ls.train_examples;
        double lsum = sp->loss_sum, lw = sp->loss_w;
        uint64_t ex = sp->examples;
        pthread_mutex_unlock(&sp->lock);
        if (rp) report(rp, w->pass, rp->total_before + ex, lsum, lw, holdout, 0);
    }
}

static void *worker_main(void *arg) {
    run_worker(arg, NULL, NAN);
    return NULL;
}

/* ---- sorted input ----------------------------------------------------------------------------- */

/* After pass 1: the labels every worker learned from, each in its own order, merged over the
 * workers and (binary labels) the MPI ranks; warns once when they come in long runs, the rule of
 * io/label_runs.h (an input sorted by label, which online learning handles poorly). Collective
 * under MPI: every rank calls it. */
static int warn_label_runs(const worker *ws, uint32_t nworkers, const gn_train_options *o, gn_label_kind kind) {
    gn_label_runs all;
    gn__label_runs_init(&all);
    for (uint32_t t = 0; t < nworkers; t++) gn__label_runs_merge(&all, &ws[t].runs);
    if (gn__dist_size() > 1) {
        const float neg = -1.0f, pos = 1.0f;
        uint32_t id0, id1;
        memcpy(&id0, &neg, sizeof id0);
        memcpy(&id1, &pos, sizeof id1);
        uint64_t packed[GN_LABEL_RUNS_PACKED];
        gn__label_runs_pack2(&all, id0, id1, packed);
        if (kind != GN_LABEL_BINARY) packed[5] = 1; /* other labels: no verdict across ranks */
        GN_TRY(gn__dist_allreduce_sum_u64(packed, GN_LABEL_RUNS_PACKED));
        gn__label_runs_unpack2(&all, id0, id1, packed);
    }
    gn_label_runs_result res;
    gn__label_runs_judge(&all, &res);
    if (res.sorted && gn__dist_rank() == 0) {
        char msg[640];
        gn__label_runs_message(&res,
                               o->shuffle ? "--shuffle does not mix them enough for what each worker reads "
                                            "(a small input in few chunks, or a stream shuffled in its buffer "
                                            "only): use fewer --threads, a --cache, or shuffle the file"
                                          : "use gannet train --shuffle",
                               msg, sizeof msg);
        gn__log(GN_LOG_WARN, "%s", msg);
    }
    return GN_OK;
}

/* ---- the online training loop --------------------------------------------------------------- */

/* GN_IDF_TWO_PASSES set to something other than 0: --idf reads the text twice (tests compare the
 * one-pass paths below with it). */
static int idf_two_passes_forced(void) {
    const char *e = getenv("GN_IDF_TWO_PASSES");
    return e && *e && strcmp(e, "0") != 0;
}

/* --idf without --cache over a --format dir tree: the documents are read and tokenized once, into a
 * cache in a private temporary directory ($TMPDIR, else /tmp) that counts the document frequencies
 * while it is written (io/cache.c), and the passes read that cache; train removes it at the end.
 * The model is the one the two passes give (the frequencies first, then training from the text).
 * 0 when the run reads the text itself: a given parser (its weights are known), another format,
 * several ranks, or GN_IDF_TWO_PASSES set to something other than 0 (tests compare the paths). */
static int idf_one_pass_wanted(const gn_train_options *o, const gn_data_spec *spec, const gn_parser *parser) {
    if ((o->cache_path && o->cache_path[0]) || parser || !gn__cache_one_pass_idf(spec) || gn__dist_size() > 1)
        return 0;
    return !idf_two_passes_forced();
}

/* --idf over CSV --text columns or VW text namespaces without --cache: the text is read and
 * tokenized once into memory (io/textstore.h), within a quarter of the machine's memory (or
 * GN_IDF_STORE_BYTES); past that, the same pass still counts the frequencies and the passes read
 * the text (two passes, as before). Not with --shuffle (the store is read in order), checkpoints or --resume (they name
 * the text's position), nor under the conditions of idf_one_pass_wanted. */
static int idf_store_wanted(const gn_train_options *o, const gn_data_spec *spec, const gn_parser *parser) {
    if ((o->cache_path && o->cache_path[0]) || parser || !spec->idf || spec->format == GN_FORMAT_DIR ||
        gn__dist_size() > 1 || o->shuffle || (o->checkpoint_path && o->checkpoint_path[0]) ||
        (o->resume_path && o->resume_path[0]))
        return 0;
    return !idf_two_passes_forced();
}

static size_t idf_store_budget(void) {
    const char *e = getenv("GN_IDF_STORE_BYTES"); /* tests: the fallback past the budget */
    if (e && *e) {
        char *end;
        unsigned long long v = strtoull(e, &end, 10);
        if (*end == '\0') return v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    }
    const uint64_t quarter = gn__memory_quarter();
    return quarter > SIZE_MAX ? SIZE_MAX : (size_t)quarter;
}

/* Makes the temporary directory of idf_one_pass_wanted: dir (its path) and path (the cache's). */
static int idf_temp_dir(char *dir, size_t dcap, char *path, size_t pcap) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    if ((size_t)snprintf(dir, dcap, "%s/gannet-idf-XXXXXX", base) >= dcap) return GN_ELIMIT;
    if (!mkdtemp(dir)) return GN_EIO;
    snprintf(path, pcap, "%s/text.cache", dir);
    return GN_OK;
}

/* Input bytes per thread below which threads 0 (all cores) uses fewer threads: splitting a small
 * file over Hogwild threads only adds noise (and takes longer to start than to learn). */
#define GN__BYTES_PER_THREAD ((uint64_t)4 << 20)

static uint32_t resolve_threads(const gn_train_options *o, const char *const *paths, size_t npaths) {
    uint32_t t = o->threads;
    if (t != 0) return t;
    t = gn__threads_or_cores(0);
    if (t > 64) t = 64;
    /* the input's size when every part of it is a regular file (this rank's share under MPI) */
    uint64_t total = 0;
    struct stat sb;
    if (o->cache_path && o->cache_path[0]) {
        if (stat(o->cache_path, &sb) != 0 || !S_ISREG(sb.st_mode)) return t;
        total = (uint64_t)sb.st_size;
    } else {
        for (size_t i = 0; i < npaths; i++) {
            if (strcmp(paths[i], "-") == 0 || stat(paths[i], &sb) != 0 || !S_ISREG(sb.st_mode)) return t;
            total += (uint64_t)sb.st_size;
        }
    }
    const uint64_t share = total / (uint64_t)gn__dist_size();
    const uint64_t want = share / GN__BYTES_PER_THREAD;
    if (want < t) t = want < 1 ? 1 : (uint32_t)want;
    return t;
}

typedef struct online_ctx {
    const gn_train_options *o;
    const gn_data_spec *spec;
    const char *const *paths;
    size_t npaths;
    uint32_t nthreads;
    worker *ws;
    gn_learner **ls;           /* the learners: one per worker (deterministic) or shares */
    gn_learner *owner;
    gn_stream *stream;         /* input that cannot be split (gzip, zstd, stdin): one reader thread */
    gn_chunk_plan *plan;       /* --shuffle over text: the chunks, shared by the workers' sources */
    const gn_parser *parser;   /* the text's resolved parser when the caller has one (passes auto:
                                * both runs parse with it), else NULL: open_inputs resolves */
    const gn_text_store *store; /* --idf over CSV/VW text in one pass: the examples, read from memory */
} online_ctx;

/* Opens every worker's input: part (rank*T + t) of (size*T) of the text or the cache; or, for
 * input that cannot be split by byte ranges (and one rank), one stream whose reader thread
 * decompresses and deals chunks of lines to the workers. With --shuffle, the text or the cache is
 * read in a seeded order of chunks or blocks (the same permutation for every part, dealt out in
 * turn) and each worker shuffles its examples in a bounded buffer; a stream can only be
 * shuffled within the buffer, which is logged. */
static int open_inputs(online_ctx *c, const char *cache_path) {
    const gn_train_options *o = c->o;
    uint32_t T = c->nthreads;
    uint32_t nparts = (uint32_t)gn__dist_size() * T;
    const size_t shuffle_cap = o->shuffle_buffer;
    /* a buffer-full then holds examples of about 32 chunks from all over the input */
    const size_t chunk_examples = shuffle_cap / 32 ? shuffle_cap / 32 : 1;
    /* The whole input is resolved once (format, CSV columns and header, the classes of a binary
     * label: the run's one label scan) and its parser handed to every part, or to the chunk plan
     * of --shuffle; under MPI every rank does so from the same files. */
    gn_source *whole = NULL;
    int has_stdin = 0;
    for (size_t i = 0; i < c->npaths; i++) has_stdin |= strcmp(c->paths[i], "-") == 0;
    if (!cache_path && !c->store && (gn__dist_size() == 1 || !has_stdin)) {
        GN_TRY(gn__source_open(c->spec, c->parser, c->paths, c->npaths, &whole));
        int st = gn__source_resolve(whole);
        if (st == GN_OK && gn__dist_size() == 1 && !gn__source_splittable(whole)) {
            st = gn__stream_new(whole, T, (size_t)1 << 20, &c->stream);
            if (st == GN_OK) whole = NULL; /* owned by the stream */
        }
        if (st != GN_OK) {
            gn__source_free(whole);
            return st;
        }
        if (c->stream && o->shuffle)
            gn__log(GN_LOG_WARN, "--shuffle: compressed input or stdin can only be read in order, so "
                                 "examples are shuffled within the buffer of %zu only; --cache FILE "
                                 "shuffles the whole input", shuffle_cap);
    }
    int st = GN_OK;
    for (uint32_t t = 0; t < T && st == GN_OK; t++) {
        uint32_t part = (uint32_t)gn__dist_rank() * T + t;
        feed *f = &c->ws[t].in;
        if (c->store) { /* a contiguous share of the stored examples, in order */
            const size_t n = gn__text_store_examples(c->store);
            f->store = c->store;
            f->begin = f->pos = (size_t)((uint64_t)n * t / T);
            f->end = (size_t)((uint64_t)n * (t + 1) / T);
        } else if (c->stream) {
            f->stream = c->stream;
            f->wid = t;
            st = gn__parser_clone(gn__source_parser(gn__stream_source(c->stream)), &f->parser);
        } else if (cache_path && o->shuffle) {
            st = gn__cache_open_shuffled(cache_path, part, nparts, o->seed, shuffle_cap, &f->cache);
        } else if (cache_path) {
            st = gn__cache_open_part(cache_path, part, nparts, &f->cache);
        } else if (o->shuffle) {
            /* made once for all the workers: for a CSV it scans each file once for its chunks'
             * record starts */
            st = c->plan ? GN_OK
                         : gn__chunk_plan_new(c->spec, whole ? gn__source_parser(whole) : NULL, c->paths, c->npaths,
                                              chunk_examples, &c->plan);
            if (st == GN_OK) st = gn__source_open_shuffled_plan(c->plan, part, nparts, o->seed, &f->src);
        } else {
            st = gn__source_open_part(c->spec, whole ? gn__source_parser(whole) : NULL, c->paths, c->npaths, part,
                                      nparts, &f->src);
            if (st == GN_OK) st = gn__source_resolve(f->src);
        }
        if (st == GN_OK && o->shuffle) {
            st = gn__shuffler_new(shuffle_cap, o->seed ^ ((uint64_t)part * 0x9E3779B97F4A7C15ull), &f->shuf);
            if (st == GN_OK) gn__shuffler_reset(f->shuf, 1);
        }
    }
    gn__source_free(whole);
    return st;
}

/* Deterministic mode, pass end: every worker's table (weights and optimizer state) becomes the
 * average of all of them, each weighted by the examples it read in the pass, in a fixed order
 * (a worker that saw no data, e.g. a short gzip stream, does not drag the model toward zero). */
static void average_by_examples(online_ctx *c, const uint64_t *counts) {
    uint32_t T = c->nthreads;
    uint64_t total = 0;
    for (uint32_t t = 0; t < T; t++) total += counts[t];
    if (total == 0) return;
    int equal = 1;
    for (uint32_t t = 1; t < T; t++) equal &= counts[t] == counts[0];
    if (equal) { /* the plain mean */
        gn__learner_average(c->ls, T);
        return;
    }
    float **tab = malloc(T * sizeof *tab);
    double *wt = malloc(T * sizeof *wt);
    if (!tab || !wt) { /* cannot happen in practice; the plain mean needs no memory */
        free(tab);
        free(wt);
        gn__learner_average(c->ls, T);
        return;
    }
    for (uint32_t t = 0; t < T; t++) {
        tab[t] = gn__learner_table(c->ls[t]).data;
        wt[t] = (double)counts[t] / (double)total;
    }
    const gn_kind_table t0 = gn__learner_table(c->ls[0]);
    const size_t n = t0.nslots * t0.stride;
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0;
        for (uint32_t t = 0; t < T; t++) sum += wt[t] * tab[t][i];
        float v = (float)sum;
        for (uint32_t t = 0; t < T; t++) tab[t][i] = v;
    }
    free(tab);
    free(wt);
}

/* A checkpoint's state at the start of pass `pass`; a save within a pass adds that pass's progress. */
static void checkpoint_state_init(gn_checkpoint_state *cs, uint32_t pass, uint64_t total, double best_holdout,
                                  uint32_t since_best, double last_holdout, float *best) {
    memset(cs, 0, sizeof *cs);
    cs->pass = pass;
    cs->total_examples = total;
    cs->best_holdout = best_holdout;
    cs->since_best = since_best;
    cs->last_holdout = last_holdout;
    cs->best = best;
}

/* max_updates > 0 (passes = auto): after the first pass the passes are capped at
 * max(GN__AUTO_MIN_PASSES, max_updates / features read in that pass), so small data gets more
 * passes and large data fewer: a budget of feature updates, the work of a pass. warn_runs: after the first pass, warn when the labels come in long runs
 * (0 for a run that reads the data in an order already judged: the refit of passes = auto). */
#define GN__AUTO_MIN_PASSES 10u
static int train_online(const gn_train_options *o, const gn_data_spec *spec, const gn_parser *parser,
                        const char *const *paths, size_t npaths, gn_progress_fn fn, void *user, gn_model **out,
                        gn_train_summary *sum, uint64_t max_updates, int warn_runs) {
    uint32_t last_pass = o->passes;
    online_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.spec = spec;
    c.paths = paths;
    c.npaths = npaths;
    c.parser = parser;
    c.nthreads = resolve_threads(o, paths, npaths);
    const uint32_t T = c.nthreads;
    float *best = NULL;
    pthread_t *tids = NULL;
    uint64_t *pass_worker_examples = NULL; /* examples each worker read in this pass */
    gn_checkpoint_state ck;
    memset(&ck, 0, sizeof ck);
    shared_progress sp;
    memset(&sp, 0, sizeof sp);
    pthread_mutex_init(&sp.lock, NULL);
    int st = GN_OK;
    const char *cache_path = NULL;
    gn_data_spec cspec;        /* the resolved spec (from the text, or stored in the cache) */
    gn_parser *cparser = NULL; /* for CSV column names in the model */
    char **cache_files = NULL; /* a cache alone: the files it was made from (for metadata) */
    json_t *data_prints = NULL; /* checkpoints and resume: what the data files hold */
    char tmp_dir[1024] = "", tmp_cache[1100] = ""; /* --idf in one pass (idf_one_pass_wanted) */
    gn_text_store *store = NULL;                    /* --idf in one pass (idf_store_wanted) */

    c.ws = calloc(T, sizeof *c.ws);
    c.ls = calloc(T, sizeof *c.ls);
    tids = calloc(T, sizeof *tids);
    pass_worker_examples = calloc(T, sizeof *pass_worker_examples);
    if (!c.ws || !c.ls || !tids || !pass_worker_examples) { st = gn__fail(GN_ENOMEM, "out of memory"); goto done; }
    for (uint32_t t = 0; t < T; t++) {
        c.ws[t].id = (int)t;
        c.ws[t].sp = &sp;
        c.ws[t].batch_size = o->batch_size;
        if ((st = gn__batch_init(&c.ws[t].b, o->batch_size, (size_t)o->batch_size * 64)) != GN_OK) goto done;
    }

    /* --cache: make it first when missing or stale (a sequential pass over the text), then every
     * pass reads it. Without files the cache is the data: it must exist and agree with the data
     * flags, and the model and checkpoints name the files it was made from. */
    if (o->cache_path && o->cache_path[0] && npaths == 0) {
        if ((st = gn__cache_open_alone(o->cache_path, spec, &cspec, &cparser, &cache_files, &npaths)) != GN_OK)
            goto done;
        paths = (const char *const *)cache_files;
        c.paths = paths;
        c.npaths = npaths;
        cache_path = o->cache_path;
    } else if (o->cache_path && o->cache_path[0]) {
        if ((st = gn__cache_ensure(o->cache_path, spec, paths, npaths, o->batch_size, &cspec, &cparser)) != GN_OK)
            goto done;
        cache_path = o->cache_path;
    } else if (idf_one_pass_wanted(o, spec, parser)) {
        if (idf_temp_dir(tmp_dir, sizeof tmp_dir, tmp_cache, sizeof tmp_cache) != GN_OK) {
            gn__log(GN_LOG_INFO, "no temporary directory for --idf in one pass (%s): the document frequencies take "
                                 "a pass of their own", GN_ERRNO_TEXT(errno));
            tmp_dir[0] = '\0';
        } else {
            if ((st = gn__cache_build(tmp_cache, spec, paths, npaths, NULL)) != GN_OK) goto done;
            if ((st = gn__cache_ensure(tmp_cache, spec, paths, npaths, o->batch_size, &cspec, &cparser)) != GN_OK)
                goto done;
            cache_path = tmp_cache;
        }
    } else if (idf_store_wanted(o, spec, parser)) {
        if ((st = gn__text_store_build(spec, paths, npaths, idf_store_budget(), &store)) != GN_OK) goto done;
        if (!gn__text_store_parser(store)) { /* not CSV/VW text: the sources count the frequencies */
            gn__text_store_free(store);
            store = NULL;
        } else {
            c.parser = gn__text_store_parser(store); /* the weights known: no pass of their own */
            if (gn__text_store_examples(store) > 0) c.store = store;
            else gn__log(GN_LOG_INFO, "--idf: the tokenized text exceeds its memory budget (a quarter of the "
                                      "memory): the passes read the text again");
        }
    }
    if ((st = open_inputs(&c, cache_path)) != GN_OK) goto done;
    const int want_ck =
        o->checkpoint_path && o->checkpoint_path[0] && (o->checkpoint_examples || o->checkpoint_seconds);
    if (want_ck || (o->resume_path && o->resume_path[0])) {
        /* the files read: the text, or a cache alone (its source files may be gone) */
        const char *const *read_paths = paths;
        size_t nread = npaths;
        if (cache_files) {
            read_paths = &cache_path;
            nread = 1;
        }
        if ((st = gn__data_fingerprint(read_paths, nread, GN__CK_HASH_ALL_MAX, &data_prints)) != GN_OK) goto done;
    }
    if (c.stream) {
        cspec = *gn__source_spec(gn__stream_source(c.stream));
        cparser = gn__source_parser(gn__stream_source(c.stream));
    } else if (c.store) {
        cparser = (gn_parser *)gn__text_store_parser(c.store); /* owned by the store */
        cspec = *gn__parser_spec(cparser);
    } else if (!cache_path) {
        cspec = *gn__source_spec(c.ws[0].in.src);
        cparser = gn__source_parser(c.ws[0].in.src);
    }

    /* the learners */
    if ((st = gn__learner_new(o, &cspec, &c.owner)) != GN_OK) goto done;
    if ((st = gn__learner_class_weights_from(c.owner, o, cparser)) != GN_OK) goto done;
    if (o->holdout > 0) gn__learner_set_heldout(c.owner, GN__HOLDOUT_BUCKETS, 0, gn__holdout_cut(o->holdout), o->seed);
    c.ls[0] = c.owner;
    for (uint32_t t = 1; t < T; t++) {
        if (o->deterministic) {
            st = gn__learner_new(o, &cspec, &c.ls[t]);
            if (st == GN_OK) st = gn__learner_class_weights_from(c.ls[t], o, cparser);
            if (st == GN_OK && o->holdout > 0)
                gn__learner_set_heldout(c.ls[t], GN__HOLDOUT_BUCKETS, 0, gn__holdout_cut(o->holdout), o->seed);
        } else {
            st = gn__learner_share(c.owner, &c.ls[t]);
        }
        if (st != GN_OK) goto done;
    }
    for (uint32_t t = 0; t < T; t++) c.ws[t].l = c.ls[t];

    double best_holdout = INFINITY;
    uint32_t since_best = 0;
    uint64_t total = 0;
    const size_t nweights = gn__learner_weights_len(c.owner);
    reporter rp = {fn, user, gn__dist_size() > 1 ? NULL : o->stop, gn__now(), 0, 0, c.ws, T, 0};
    for (uint32_t t = 0; t < T; t++) rp.bytes_total += feed_bytes_total(&c.ws[t].in);
    uint32_t first_pass = 1;
    uint64_t skip_batches = 0;
    if (o->resume_path && o->resume_path[0]) {
        if ((st = gn__checkpoint_load(o->resume_path, o, &cspec, paths, npaths, data_prints, T, c.ls, &ck)) != GN_OK)
            goto done;
        first_pass = ck.pass;
        total = ck.total_examples;
        best_holdout = ck.best_holdout;
        since_best = ck.since_best;
        sum->holdout_loss = ck.last_holdout;
        if (ck.best) { best = ck.best; ck.best = NULL; }
        skip_batches = ck.batches_done;
    }
    double next_ck_time = gn__now() + (double)o->checkpoint_seconds;

    for (uint32_t pass = first_pass; pass <= last_pass; pass++) {
        for (uint32_t t = 0; t < T; t++) {
            c.ws[t].pass = pass;
            if (pass > 1 || pass != first_pass || skip_batches) {
                if ((st = feed_rewind(&c.ws[t].in, pass)) != GN_OK) goto done;
            }
        }
        if (c.stream && (st = gn__stream_start(c.stream, pass > 1)) != GN_OK) goto done;
        double loss_sum = 0, loss_w = 0, ho_sum = 0, ho_w = 0, last_holdout = sum->holdout_loss;
        uint64_t pass_examples = 0, pass_heldout = 0, pass_features = 0;
        for (uint32_t t = 0; t < T; t++) pass_worker_examples[t] = 0;
        sp.loss_sum = sp.loss_w = 0;
        sp.examples = 0;
        atomic_store(&sp.stop, 0);
        atomic_store(&sp.err_key, UINT64_MAX);
        rp.total_before = total;
        uint64_t seg_done = 0; /* batches per worker done in this pass (checkpoint segments) */
        if (pass == first_pass && skip_batches) {
            /* resume: skip the batches the checkpoint had learned from (same order: same data) */
            for (uint32_t t = 0; t < T; t++) {
                for (uint64_t k = 0; k < skip_batches; k++) {
                    st = feed_next(&c.ws[t].in, &c.ws[t].b, o->batch_size);
                    if (st == GN_EOF) break;
                    if (st != GN_OK) goto done;
                    pass_worker_examples[t] += c.ws[t].b.n;
                }
                st = GN_OK;
            }
            seg_done = skip_batches;
            loss_sum = ck.loss_sum;
            loss_w = ck.loss_w;
            ho_sum = ck.ho_sum;
            ho_w = ck.ho_w;
            pass_examples = ck.pass_examples;
            pass_heldout = ck.pass_heldout;
            sp.loss_sum = loss_sum;
            sp.loss_w = loss_w;
            sp.examples = pass_examples;
        }
        /* A pass runs in segments when checkpoints are wanted: every worker stops after the same
         * number of batches, the state is saved, and the pass goes on. */
        uint64_t seg = 0;
        if (want_ck && !c.stream) { /* a stream's workers must read to the end: checkpoints at pass ends */
            seg = o->checkpoint_examples ? (o->checkpoint_examples + (uint64_t)T * o->batch_size - 1) /
                                               ((uint64_t)T * o->batch_size)
                                         : 64;
            if (seg == 0) seg = 1;
        }
        for (;;) {
            for (uint32_t t = 0; t < T; t++) c.ws[t].limit = seg;
            for (uint32_t t = 1; t < T; t++) {
                if (pthread_create(&tids[t], NULL, worker_main, &c.ws[t]) != 0) {
                    atomic_store(&sp.stop, 1);
                    for (uint32_t k = 1; k < t; k++) pthread_join(tids[k], NULL);
                    st = gn__fail(GN_EINTERNAL, "cannot start a training thread");
                    goto done;
                }
            }
            run_worker(&c.ws[0], &rp, last_holdout);
            for (uint32_t t = 1; t < T; t++) pthread_join(tids[t], NULL);
            int seg_more = 0;
            const worker *first_bad = NULL; /* the failure earliest in the input */
            for (uint32_t t = 0; t < T; t++)
                if (c.ws[t].st != GN_OK && (!first_bad || c.ws[t].err_key < first_bad->err_key)) first_bad = &c.ws[t];
            if (first_bad) st = gn__fail(first_bad->st, "%s", first_bad->msg);
            for (uint32_t t = 0; t < T; t++) {
                worker *w = &c.ws[t];
                loss_sum += w->loss_sum;
                loss_w += w->loss_w;
                ho_sum += w->ho_sum;
                ho_w += w->ho_w;
                pass_examples += w->examples;
                pass_heldout += w->heldout;
                pass_worker_examples[t] += w->read;
                pass_features += w->features;
                if (seg && w->batches >= seg) seg_more = 1;
            }
            if (st != GN_OK) goto done;
            if (!seg_more) break;
            seg_done += seg;
            int due = o->checkpoint_examples ? 1 : gn__now() >= next_ck_time;
            if (due) {
                gn_checkpoint_state cs;
                checkpoint_state_init(&cs, pass, total, best_holdout, since_best, sum->holdout_loss, best);
                cs.batches_done = seg_done;
                cs.pass_examples = pass_examples;
                cs.pass_heldout = pass_heldout;
                cs.loss_sum = loss_sum;
                cs.loss_w = loss_w;
                cs.ho_sum = ho_sum;
                cs.ho_w = ho_w;
                st = gn__checkpoint_save(o->checkpoint_path, o, &cspec, paths, npaths, data_prints, T, c.ls, &cs);
                if (st != GN_OK) goto done;
                next_ck_time = gn__now() + (double)o->checkpoint_seconds;
            }
        }
        if (c.stream) gn__stream_stop(c.stream);
        /* pass end: merge the workers' models, then the ranks' */
        if (o->deterministic && T > 1) average_by_examples(&c, pass_worker_examples);
        st = gn__dist_agree(st);
        if (st != GN_OK) goto done;
        if ((st = gn__dist_average_learner(c.owner)) != GN_OK) goto done;
        if (o->deterministic && T > 1 && gn__dist_size() > 1) {
            const gn_kind_table src = gn__learner_table(c.owner);
            for (uint32_t t = 1; t < T; t++)
                memcpy(gn__learner_table(c.ls[t]).data, src.data, src.nslots * src.stride * sizeof *src.data);
        }
        double red[6] = {loss_sum, loss_w, ho_sum, ho_w, (double)pass_examples, (double)pass_features};
        if ((st = gn__dist_allreduce_sum(red, 6)) != GN_OK) goto done;
        loss_sum = red[0];
        loss_w = red[1];
        ho_sum = red[2];
        ho_w = red[3];
        pass_examples = (uint64_t)red[4];
        pass_features = (uint64_t)red[5]; /* over all ranks: every rank sizes the passes alike */
        if (pass == 1 && pass_examples + pass_heldout == 0 && ho_w == 0) {
            st = gn__fail(GN_EPARSE, "%s: no examples in the input", cache_path ? cache_path : paths[0]);
            goto done;
        }
        if (pass == 1 && warn_runs && (st = warn_label_runs(c.ws, T, o, cspec.label_kind)) != GN_OK) goto done;
        total += pass_examples;
        sum->passes = pass;
        if (pass == 1 && max_updates && pass_features > 0) {
            uint64_t cap = max_updates / pass_features;
            if (cap < GN__AUTO_MIN_PASSES) cap = GN__AUTO_MIN_PASSES;
            if (cap < last_pass) last_pass = (uint32_t)cap;
        }
        sum->progressive_loss = loss_w > 0 ? loss_sum / loss_w : NAN;
        if (!isfinite(loss_sum) || !isfinite(ho_sum)) {
            st = diverged(o, pass, "the loss is no longer finite");
            goto done;
        }
        double holdout = NAN;
        if (o->holdout > 0) {
            holdout = ho_w > 0 ? ho_sum / ho_w : NAN;
            sum->holdout_loss = holdout;
            if (!(holdout >= best_holdout)) { /* first pass, or better */
                best_holdout = holdout;
                since_best = 0;
                sum->best_pass = pass;
                if (last_pass > 1) {
                    if (!best && !(best = malloc(nweights * sizeof *best))) {
                        st = gn__fail(GN_ENOMEM, "out of memory");
                        goto done;
                    }
                    gn__learner_weights(c.owner, best);
                }
            } else {
                since_best++;
            }
        }
        report(&rp, pass, total, loss_sum, loss_w, holdout, 1);
        int stop_early = o->holdout > 0 && o->early_stop > 0 && since_best >= o->early_stop;
        if (want_ck && pass < last_pass && !stop_early) {
            /* a checkpoint at the pass end: resuming starts the next pass */
            gn_checkpoint_state cs;
            checkpoint_state_init(&cs, pass + 1, total, best_holdout, since_best, sum->holdout_loss, best);
            st = gn__checkpoint_save(o->checkpoint_path, o, &cspec, paths, npaths, data_prints, T, c.ls, &cs);
            if (st != GN_OK) goto done;
        }
        if (stop_early) break;
    }
    sum->examples = total;
    for (uint32_t t = 0; t < T; t++)
        if (c.ws[t].in.src) sum->skipped += gn__source_skipped(c.ws[t].in.src);
    if (c.stream) sum->skipped += gn__stream_skipped(c.stream);
    sum->holdout_loss = o->holdout > 0 ? best_holdout : NAN;
    sum->seconds = gn__now() - rp.t0;
    sum->ranks = gn__dist_size();
    gn_model *m;
    if ((st = gn__learner_to_model(c.owner, best, &m)) != GN_OK) goto done;
    for (size_t i = 0; i < m->nweights; i++)
        if (!isfinite(m->w[i])) {
            gn_model_free(m);
            st = diverged(o, sum->passes, "a weight is no longer finite");
            goto done;
        }
    if ((st = gn__attach_metadata(m, o, paths, npaths, sum, cparser)) != GN_OK) {
        gn_model_free(m);
        goto done;
    }
    if ((st = gn__model_finalize(m)) != GN_OK) {
        gn_model_free(m);
        goto done;
    }
    *out = m;
done:
    json_decref(data_prints);
    free(best);
    free(ck.best);
    if (c.ls)
        for (uint32_t t = 1; t < T; t++) gn__learner_free(c.ls[t]);
    gn__learner_free(c.owner);
    if (c.ws)
        for (uint32_t t = 0; t < T; t++) {
            feed_close(&c.ws[t].in);
            gn__batch_free(&c.ws[t].b);
        }
    if (cache_path) gn__parser_free(cparser);
    free(cache_files);
    gn__text_store_free(store); /* after the workers' feeds, which read it */
    if (tmp_dir[0]) { /* after the workers' feeds, which read it */
        unlink(tmp_cache);
        rmdir(tmp_dir);
    }
    gn__stream_free(c.stream); /* after the workers' feeds: it stops its reader first */
    gn__chunk_plan_free(c.plan); /* after the workers' sources, which read it */
    free(c.ws);
    free(c.ls);
    free(tids);
    free(pass_worker_examples);
    pthread_mutex_destroy(&sp.lock);
    return st;
}

/* 1 if passes = auto may train several passes over these inputs: all re-readable (regular files,
 * or the cache when one is given) and together small. Every rank decides alike (same files). */
static int auto_passes_small(const gn_train_options *o, const char *const *paths, size_t npaths) {
    if ((o->checkpoint_path && o->checkpoint_path[0]) || (o->resume_path && o->resume_path[0])) return 0;
    uint64_t total = 0;
    struct stat sb;
    if (o->cache_path && o->cache_path[0] && stat(o->cache_path, &sb) == 0 && S_ISREG(sb.st_mode))
        return (uint64_t)sb.st_size <= GN_AUTO_PASSES_BYTES;
    if (npaths == 0) return 0;
    for (size_t i = 0; i < npaths; i++) {
        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
        total += (uint64_t)sb.st_size;
    }
    return total <= GN_AUTO_PASSES_BYTES;
}

/* passes = auto (see gn_train in gannet/train.h): choose the number of passes on a holdout, then
 * refit on all the data; or one pass when the input is large or cannot be read again. */
static int train_auto_passes(const gn_train_options *opts, const gn_data_spec *spec, const char *const *paths,
                             size_t npaths, gn_progress_fn fn, void *user, gn_model **out, gn_train_summary *sum) {
    gn_train_options o = *opts;
    if (!auto_passes_small(opts, paths, npaths)) {
        o.passes = 1;
        return train_online(&o, spec, NULL, paths, npaths, fn, user, out, sum, 0, 1);
    }
    o.passes = GN_AUTO_PASSES_MAX;
    if (opts->holdout > 0) { /* the caller's holdout: keep the best pass's weights */
        int st = train_online(&o, spec, NULL, paths, npaths, fn, user, out, sum, GN_AUTO_PASSES_UPDATES, 1);
        if (st == GN_OK) sum->auto_passes = 1;
        return st;
    }
    /* Two runs over the same text: it is resolved once (format, CSV columns, the classes of a
     * binary label: one label scan) and both parse with that parser. A cache holds all that in
     * its header (the first run makes it when missing). */
    gn_parser *parser = NULL;
    if (!(opts->cache_path && opts->cache_path[0])) {
        gn_source *src;
        GN_TRY(gn__source_open(spec, NULL, paths, npaths, &src));
        int rs = gn__source_resolve(src);
        if (rs == GN_OK && gn__source_parser(src)) rs = gn__parser_clone(gn__source_parser(src), &parser);
        gn__source_free(src);
        if (rs != GN_OK) return rs;
    }
    o.holdout = 0.1;
    gn_model *probe = NULL;
    gn_train_summary first = *sum;
    int st = train_online(&o, spec, parser, paths, npaths, fn, user, &probe, &first, GN_AUTO_PASSES_UPDATES, 1);
    gn_model_free(probe);
    if (st != GN_OK) {
        gn__parser_free(parser);
        return st;
    }
    o = *opts;
    o.passes = first.best_pass ? first.best_pass : 1;
    gn__log(GN_LOG_INFO, "passes auto: %u of %u passes were best on a 10%% holdout (loss %.6g); training on all the "
                         "data for %u", o.passes, first.passes, first.holdout_loss, o.passes);
    st = train_online(&o, spec, parser, paths, npaths, fn, user, out, sum, 0, 0); /* the same order: warned */
    gn__parser_free(parser);
    if (st != GN_OK) return st;
    sum->seconds += first.seconds;
    sum->holdout_loss = first.holdout_loss;
    sum->best_pass = first.best_pass;
    sum->auto_passes = 1;
    return GN_OK;
}

/* The files a run writes, a checkpoint and a cache made from the data files, must be neither an
 * input (a data file, a cache that is the data alone, the checkpoint resumed from) nor each other
 * (gannet/files.h); resuming from the file the run checkpoints to is the normal use. */
static gn_status check_run_files(const gn_train_options *o, const char *const *paths, size_t npaths) {
    const char *cache = o->cache_path && o->cache_path[0] ? o->cache_path : NULL;
    const char *ck = o->checkpoint_path && o->checkpoint_path[0] ? o->checkpoint_path : NULL;
    const char *resume = o->resume_path && o->resume_path[0] ? o->resume_path : NULL;
    if (!ck && !(cache && npaths)) return GN_OK; /* nothing written */
    gn_file_use *in = malloc((npaths + 1) * sizeof *in);
    if (!in) return gn__fail(GN_ENOMEM, "out of memory");
    gn_file_use outs[2];
    size_t nin = 0, nout = 0;
    for (size_t i = 0; i < npaths; i++) in[nin++] = (gn_file_use){paths[i], "data"};
    if (cache && !npaths) in[nin++] = (gn_file_use){cache, "cache"};
    if (cache && npaths) outs[nout++] = (gn_file_use){cache, "cache"};
    if (ck) outs[nout++] = (gn_file_use){ck, "checkpoint"};
    gn_status st = gn_check_outputs(in, nin, outs, nout);
    free(in);
    if (st == GN_OK && resume && cache && npaths) st = gn_check_outputs(&(gn_file_use){resume, "resume"}, 1, outs, 1);
    return st;
}

gn_status gn_train(const gn_train_options *opts_in, const gn_data_spec *spec_in, const char *const *paths, size_t npaths,
             gn_progress_fn progress, void *user, gn_model **out, gn_train_summary *summary) {
    gn__clear_error();
    GN_TRY(gn_train_options_check(opts_in));
    if (opts_in->kind == GN_KIND_MF) return gn__mf_train(opts_in, spec_in, paths, npaths, progress, user, out, summary);
    GN_TRY(check_run_files(opts_in, paths, npaths));
    if (gn__optimizer_is_batch(opts_in->optimizer) && opts_in->cache_path && opts_in->cache_path[0] && npaths > 0)
        return gn__fail(GN_EINVAL, "optimizer %s reads a cache alone (no data files) or the data files without a "
                        "cache: making a cache from the files is for the online optimizers",
                        gn_optimizer_name(opts_in->optimizer));
    gn_train_options resolved = *opts_in;
    gn__train_options_resolve(&resolved);
    const gn_train_options *opts = &resolved;
    gn_data_spec spec = *spec_in;
    spec.label_kind = gn__label_kind_for(opts->loss);
    if (opts->kind == GN_KIND_FFM) spec.field_aware = 1; /* its features carry their fields (io/fields.h) */
    GN_TRY(gn_data_spec_check(&spec));
    gn_train_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.progressive_loss = NAN;
    sum.holdout_loss = NAN;
    sum.objective = NAN;
    sum.ranks = 1;
    GN_TRY(gn__dist_init());
    int st;
    if ((opts->optimizer == GN_OPT_LBFGS || opts->optimizer == GN_OPT_OWLQN) && npaths == 0 && opts->cache_path &&
        opts->cache_path[0]) {
        st = gn__train_batch_solver(opts, NULL, &spec, progress, user, out, &sum, NULL, 0);
    } else if (opts->optimizer == GN_OPT_LBFGS || opts->optimizer == GN_OPT_OWLQN) {
        gn_source *src = NULL;
        /* agreed across ranks, so a rank that cannot open the input stops every rank */
        if ((st = gn__dist_agree(gn__source_open(&spec, NULL, paths, npaths, &src))) != GN_OK) {
            gn__source_free(src);
            return st;
        }
        st = gn__train_batch_solver(opts, src, NULL, progress, user, out, &sum, paths, npaths);
        gn__source_free(src);
    } else if (opts->passes != 0) {
        st = train_online(opts, &spec, NULL, paths, npaths, progress, user, out, &sum, 0, 1);
    } else {
        st = train_auto_passes(opts, &spec, paths, npaths, progress, user, out, &sum);
    }
    if (st == GN_OK && summary) *summary = sum;
    return st;
}
