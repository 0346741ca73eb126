/* learn/train.c: gn_train — option defaults and checks, the pass loop over a data source feeding
 * an online learner, progressive and holdout loss, early stopping (keeping the best weights),
 * and the model's training metadata. Batch solvers are dispatched to learn/lbfgs.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gannet/gannet.h"
#include "io/source.h"
#include "learn/learner.h"
#include "learn/train_internal.h"
#include "model/model.h"
#include "util/clock.h"
#include "util/error.h"

static const char *const opt_names[] = {"auto", "sgd", "adagrad", "ftrl", "lbfgs", "owlqn"};

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
    o->loss = GN_LOSS_LOGISTIC;
    o->optimizer = GN_OPT_AUTO;
    o->ftrl_beta = 1.0;
    o->power_t = 0.5;
    o->quantile_tau = 0.5;
    o->passes = 1;
    o->early_stop = 3;
    o->seed = 0;
    o->batch_size = 1024;
    o->lbfgs_memory = 10;
    o->tol = 1e-6;
    o->max_iter = 500;
}

int gn_train_options_check(const gn_train_options *o) {
    if (!gn_loss_name(o->loss) || strcmp(gn_loss_name(o->loss), "unknown") == 0)
        return gn__fail(GN_EINVAL, "unknown loss %d", (int)o->loss);
    if ((unsigned)o->optimizer > GN_OPT_OWLQN) return gn__fail(GN_EINVAL, "unknown optimizer %d", (int)o->optimizer);
    if (!(o->lr >= 0) || !isfinite(o->lr)) return gn__fail(GN_EINVAL, "--lr must be a positive number (got %g)", o->lr);
    if (!(o->l1 >= 0) || !isfinite(o->l1)) return gn__fail(GN_EINVAL, "--l1 must be >= 0 (got %g)", o->l1);
    if (!(o->l2 >= 0) || !isfinite(o->l2)) return gn__fail(GN_EINVAL, "--l2 must be >= 0 (got %g)", o->l2);
    if (!(o->ftrl_beta >= 0)) return gn__fail(GN_EINVAL, "--ftrl-beta must be >= 0 (got %g)", o->ftrl_beta);
    if (!(o->power_t >= 0 && o->power_t <= 1)) return gn__fail(GN_EINVAL, "--power-t must be in [0,1] (got %g)", o->power_t);
    if (!(o->quantile_tau > 0 && o->quantile_tau < 1))
        return gn__fail(GN_EINVAL, "--quantile-tau must be in (0,1) (got %g)", o->quantile_tau);
    if (o->passes < 1 || o->passes > 100000) return gn__fail(GN_EINVAL, "--passes must be between 1 and 100000 (got %u)", o->passes);
    if (!(o->holdout >= 0 && o->holdout < 1)) return gn__fail(GN_EINVAL, "--holdout must be in [0,1) (got %g)", o->holdout);
    if (o->threads > 1024) return gn__fail(GN_EINVAL, "--threads must be at most 1024 (got %u)", o->threads);
    if (o->batch_size < 1 || o->batch_size > (1u << 20)) return gn__fail(GN_EINVAL, "batch size must be in [1, 2^20]");
    if (o->lbfgs_memory < 1 || o->lbfgs_memory > 1000) return gn__fail(GN_EINVAL, "--memory must be in [1,1000] (got %u)", o->lbfgs_memory);
    if (!(o->tol > 0)) return gn__fail(GN_EINVAL, "--tol must be > 0 (got %g)", o->tol);
    if (o->max_iter < 1) return gn__fail(GN_EINVAL, "--max-iter must be >= 1");
    if (o->loss == GN_LOSS_LOGISTIC || o->loss == GN_LOSS_HINGE) {
        /* fine */
    }
    if ((o->optimizer == GN_OPT_LBFGS) && o->l1 > 0)
        return gn__fail(GN_EINVAL, "--optimizer lbfgs cannot handle --l1 (not smooth): use --optimizer owlqn");
    if ((o->optimizer == GN_OPT_LBFGS || o->optimizer == GN_OPT_OWLQN) &&
        (o->loss == GN_LOSS_HINGE || o->loss == GN_LOSS_QUANTILE))
        return gn__fail(GN_EINVAL, "--optimizer %s needs a smooth loss (logistic, squared, poisson), not %s",
                        gn_optimizer_name(o->optimizer), gn_loss_name(o->loss));
    return GN_OK;
}

gn_label_kind gn__label_kind_for(gn_loss loss) {
    return (loss == GN_LOSS_LOGISTIC || loss == GN_LOSS_HINGE) ? GN_LABEL_BINARY : GN_LABEL_REAL;
}

json_t *gn__train_options_json(const gn_train_options *o) {
    gn_optimizer opt = o->optimizer;
    if (opt == GN_OPT_AUTO) opt = o->loss == GN_LOSS_LOGISTIC ? GN_OPT_FTRL : GN_OPT_ADAGRAD;
    json_t *j = json_object();
    if (!j) return NULL;
    json_object_set_new(j, "loss", json_string(gn_loss_name(o->loss)));
    json_object_set_new(j, "optimizer", json_string(gn_optimizer_name(opt)));
    json_object_set_new(j, "lr", json_real(o->lr));
    json_object_set_new(j, "l1", json_real(o->l1));
    json_object_set_new(j, "l2", json_real(o->l2));
    json_object_set_new(j, "ftrl_beta", json_real(o->ftrl_beta));
    json_object_set_new(j, "power_t", json_real(o->power_t));
    json_object_set_new(j, "quantile_tau", json_real(o->quantile_tau));
    json_object_set_new(j, "passes", json_integer(o->passes));
    json_object_set_new(j, "holdout", json_real(o->holdout));
    json_object_set_new(j, "early_stop", json_integer(o->early_stop));
    json_object_set_new(j, "seed", json_integer((json_int_t)o->seed));
    if (opt == GN_OPT_LBFGS || opt == GN_OPT_OWLQN) {
        json_object_set_new(j, "lbfgs_memory", json_integer(o->lbfgs_memory));
        json_object_set_new(j, "tol", json_real(o->tol));
        json_object_set_new(j, "max_iter", json_integer(o->max_iter));
    }
    return j;
}

int gn__attach_metadata(gn_model *m, const gn_train_options *o, const char *const *paths, size_t npaths,
                        const gn_train_summary *sum, gn_parser *parser) {
    json_t *extra = json_object();
    json_t *train = gn__train_options_json(o);
    json_t *data = json_object();
    json_t *files = json_array();
    json_t *metrics = json_object();
    if (!extra || !train || !data || !files || !metrics) {
        json_decref(extra); json_decref(train); json_decref(data); json_decref(files); json_decref(metrics);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < npaths; i++) json_array_append_new(files, json_string(paths[i]));
    json_object_set_new(data, "files", files);
    json_object_set_new(data, "examples", json_integer((json_int_t)sum->examples));
    json_object_set_new(data, "skipped", json_integer((json_int_t)sum->skipped));
    json_object_set_new(metrics, "progressive_loss", isnan(sum->progressive_loss) ? json_null() : json_real(sum->progressive_loss));
    json_object_set_new(metrics, "holdout_loss", isnan(sum->holdout_loss) ? json_null() : json_real(sum->holdout_loss));
    if (!isnan(sum->objective)) json_object_set_new(metrics, "objective", json_real(sum->objective));
    json_object_set_new(metrics, "passes", json_integer(sum->passes));
    json_object_set_new(metrics, "seconds", json_real(sum->seconds));
    json_object_set_new(extra, "train", train);
    json_object_set_new(extra, "data", data);
    json_object_set_new(extra, "metrics", metrics);
    if (parser && gn__parser_columns(parser) > 0) {
        json_t *cols = gn__parser_columns_json(parser);
        if (cols) json_object_set_new(extra, "columns", cols);
    }
    json_decref(m->extra);
    m->extra = extra;
    m->created = (int64_t)time(NULL);
    return GN_OK;
}

typedef struct progress_state {
    gn_progress_fn fn;
    void *user;
    double t0, last;
} progress_state;

static void report(progress_state *ps, gn_source *src, uint32_t pass, uint64_t examples, double loss_sum,
                   double loss_w, double holdout, int end_of_pass) {
    if (!ps->fn) return;
    double now = gn__now();
    if (!end_of_pass && now - ps->last < 0.5) return;
    ps->last = now;
    gn_progress p;
    p.pass = pass;
    p.examples = examples;
    p.seconds = now - ps->t0;
    p.bytes_done = gn__source_bytes_done(src);
    p.bytes_total = gn__source_bytes_total(src);
    p.progressive_loss = loss_w > 0 ? loss_sum / loss_w : NAN;
    p.holdout_loss = holdout;
    p.end_of_pass = end_of_pass;
    ps->fn(&p, ps->user);
}

static int train_online(const gn_train_options *o, gn_source *src, gn_progress_fn fn, void *user,
                        gn_model **out, gn_train_summary *sum, const char *const *paths, size_t npaths) {
    gn_learner *l = NULL;
    gn_batch b;
    float *best = NULL;
    int st = gn__batch_init(&b, o->batch_size, (size_t)o->batch_size * 64);
    if (st != GN_OK) return st;
    /* The learner's spec must be the resolved one: read the first batch first. */
    progress_state ps = {fn, user, gn__now(), 0};
    st = gn__source_next(src, &b, o->batch_size);
    if (st == GN_EOF) {
        st = gn__fail(GN_EPARSE, "%s: no examples in the input", paths[0]);
        goto done;
    }
    if (st != GN_OK) goto done;
    if ((st = gn__learner_new(o, gn__source_spec(src), &l)) != GN_OK) goto done;
    if (o->holdout > 0) gn__learner_set_heldout(l, 1000000, 0, (uint64_t)(o->holdout * 1e6), o->seed);
    double best_holdout = INFINITY;
    uint32_t since_best = 0;
    uint64_t total = 0;
    const size_t nslots = (size_t)1 << gn__source_spec(src)->bits;
    for (uint32_t pass = 1; pass <= o->passes; pass++) {
        if (pass > 1) {
            if ((st = gn__source_rewind(src)) != GN_OK) goto done;
            if ((st = gn__source_next(src, &b, o->batch_size)) != GN_OK && st != GN_EOF) goto done;
        }
        double loss_sum = 0, loss_w = 0, ho_sum = 0, ho_w = 0, last_holdout = sum->holdout_loss;
        uint64_t pass_examples = 0;
        while (st == GN_OK) {
            gn_learn_stats ls;
            if ((st = gn__learner_learn_batch(l, &b)) != GN_OK) goto done;
            gn__learner_take_stats(l, &ls);
            loss_sum += ls.train_loss;
            loss_w += ls.train_weight;
            pass_examples += ls.train_examples;
            ho_sum += ls.heldout_loss;
            ho_w += ls.heldout_weight;
            report(&ps, src, pass, total + pass_examples, loss_sum, loss_w, last_holdout, 0);
            st = gn__source_next(src, &b, o->batch_size);
        }
        if (st != GN_EOF) goto done;
        st = GN_OK;
        total += pass_examples;
        sum->passes = pass;
        sum->progressive_loss = loss_w > 0 ? loss_sum / loss_w : NAN;
        double holdout = NAN;
        if (o->holdout > 0) {
            holdout = ho_w > 0 ? ho_sum / ho_w : NAN;
            sum->holdout_loss = holdout;
            if (!(holdout >= best_holdout)) { /* first pass, or better */
                best_holdout = holdout;
                since_best = 0;
                if (o->passes > 1) {
                    if (!best && !(best = malloc(nslots * sizeof *best))) {
                        st = gn__fail(GN_ENOMEM, "out of memory");
                        goto done;
                    }
                    gn__learner_weights(l, best);
                }
            } else {
                since_best++;
            }
        }
        report(&ps, src, pass, total, loss_sum, loss_w, holdout, 1);
        if (o->holdout > 0 && o->early_stop > 0 && since_best >= o->early_stop) break;
    }
    sum->examples = total;
    sum->skipped = gn__source_skipped(src);
    sum->holdout_loss = o->holdout > 0 ? best_holdout : NAN;
    sum->seconds = gn__now() - ps.t0;
    gn_model *m;
    if ((st = gn__learner_to_model(l, &m)) != GN_OK) goto done;
    if (best) memcpy(m->w, best, nslots * sizeof *best);
    if ((st = gn__attach_metadata(m, o, paths, npaths, sum, gn__source_parser(src))) != GN_OK) {
        gn_model_free(m);
        goto done;
    }
    if ((st = gn__model_finalize(m)) != GN_OK) {
        gn_model_free(m);
        goto done;
    }
    *out = m;
done:
    free(best);
    gn__learner_free(l);
    gn__batch_free(&b);
    return st;
}

int gn_train(const gn_train_options *opts, const gn_data_spec *spec_in, const char *const *paths, size_t npaths,
             gn_progress_fn progress, void *user, gn_model **out, gn_train_summary *summary) {
    gn__clear_error();
    GN_TRY(gn_train_options_check(opts));
    gn_data_spec spec = *spec_in;
    spec.label_kind = gn__label_kind_for(opts->loss);
    GN_TRY(gn_data_spec_check(&spec));
    gn_train_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.progressive_loss = NAN;
    sum.holdout_loss = NAN;
    sum.objective = NAN;
    sum.ranks = 1;
    gn_source *src;
    GN_TRY(gn__source_open(&spec, NULL, paths, npaths, &src));
    int st;
    if (opts->optimizer == GN_OPT_LBFGS || opts->optimizer == GN_OPT_OWLQN)
        st = gn__train_batch_solver(opts, src, progress, user, out, &sum, paths, npaths);
    else
        st = train_online(opts, src, progress, user, out, &sum, paths, npaths);
    gn__source_free(src);
    if (st == GN_OK && summary) *summary = sum;
    return st;
}
