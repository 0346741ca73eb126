/* flow/pipeline_run.c: gn_pipeline_run: the steps (describe, tune or cv, train, eval, gate,
 * publish, report), each skipped when the hash of its inputs matches its last successful run;
 * step outputs, run records and reports in the state directory; gn_pipeline_runs_json. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "flow/pipeline_internal.h"
#include "gannet/describe.h"
#include "gannet/repo.h"
#include "gannet/report.h"
#include "util/atomic_file.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/json_safe.h"

#define PATH_LEN 4096

typedef struct run_ctx {
    gn_pipeline *p;
    const gn_pipeline_options *o;
    gn_pipeline_result *res;
    json_t *record;          /* the run record being built */
    json_t *steps;           /* record.steps */
    char train_sums[4096];   /* "xxh3:bytes" of each train file, joined: part of step keys */
    char test_sums[4096];
    char *sect_data, *sect_model, *sect_train, *sect_tune, *sect_gate;
    char tune_key[17], train_key[17], eval_key[17]; /* the keys of those steps: inputs of the report */
} run_ctx;

static void logf_(run_ctx *c, const char *fmt, ...) GN_PRINTF(2, 3);
static void logf_(run_ctx *c, const char *fmt, ...) {
    if (!c->o->log) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->o->log(GN_LOG_INFO, msg, c->o->log_user);
}

/* ---- files ---- */

static int mkdirs(const char *path) {
    char buf[PATH_LEN];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return gn__fail(GN_ELIMIT, "path too long");
    for (char *s = buf + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char save = *s;
            *s = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return gn__fail(GN_EIO, "cannot create %s: %s", buf, GN_ERRNO_TEXT(errno));
            *s = save;
            if (!save) break;
        }
    }
    return GN_OK;
}

static int write_json_atomic(const char *path, const json_t *j) {
    char *text = gn__json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text) return gn__fail(GN_ENOMEM, "out of memory");
    gn_atomic_file af;
    int st = gn__atomic_create(&af, path);
    if (st == GN_OK) {
        st = gn__write_all(af.fd, text, strlen(text), path);
        if (st == GN_OK) st = gn__write_all(af.fd, "\n", 1, path);
        if (st == GN_OK) st = gn__atomic_commit(&af, NULL);
        else gn__atomic_discard(&af, NULL);
    }
    free(text);
    return st;
}

static json_t *read_json(const char *path) {
    json_error_t err;
    return json_load_file(path, 0, &err);
}

/* XXH3-64 of a file's contents as 16 hex digits, and its size. */
static int hash_file(const char *path, char hex[17], uint64_t *bytes) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return gn__fail(GN_EIO, "%s: %s", path, GN_ERRNO_TEXT(errno));
    XXH3_state_t *h = XXH3_createState();
    char *buf = malloc(1 << 20);
    if (!h || !buf) {
        XXH3_freeState(h);
        free(buf);
        close(fd);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    XXH3_64bits_reset(h);
    uint64_t total = 0;
    int st = GN_OK;
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            st = gn__fail(GN_EIO, "%s: read failed: %s", path, GN_ERRNO_TEXT(errno));
            break;
        }
        if (n == 0) break;
        XXH3_64bits_update(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    snprintf(hex, 17, "%016llx", (unsigned long long)XXH3_64bits_digest(h));
    XXH3_freeState(h);
    free(buf);
    close(fd);
    *bytes = total;
    return st;
}

/* The hash of a step's inputs: the texts given (NULL ends the list), with the library version. */
static void step_key(char out[17], const char *step, ...) {
    XXH3_state_t *h = XXH3_createState();
    uint64_t d = 0;
    if (h) {
        XXH3_64bits_reset(h);
        XXH3_64bits_update(h, step, strlen(step) + 1);
        XXH3_64bits_update(h, gn_version(), strlen(gn_version()) + 1);
        va_list ap;
        va_start(ap, step);
        const char *s;
        while ((s = va_arg(ap, const char *))) XXH3_64bits_update(h, s, strlen(s) + 1);
        va_end(ap);
        d = XXH3_64bits_digest(h);
        XXH3_freeState(h);
    } else {
        d = (uint64_t)gn__now(); /* no memory: a key that matches nothing */
    }
    snprintf(out, 17, "%016llx", (unsigned long long)d);
}

static void state_path(const run_ctx *c, char *buf, const char *fmt, ...) GN_PRINTF(3, 4);
static void state_path(const run_ctx *c, char *buf, const char *fmt, ...) {
    int n = snprintf(buf, PATH_LEN, "%s/", c->p->state_dir);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && n < PATH_LEN) vsnprintf(buf + n, (size_t)(PATH_LEN - n), fmt, ap);
    va_end(ap);
}

/* The stored outputs of step when its key matches (and not forced), else NULL. */
static json_t *step_cached(run_ctx *c, const char *step, const char *key) {
    if (c->o->force) return NULL;
    char p[PATH_LEN];
    state_path(c, p, "steps/%s.json", step);
    json_t *s = read_json(p);
    const char *k = json_string_value(json_object_get(s, "key"));
    json_t *out = k && !strcmp(k, key) ? json_incref(json_object_get(s, "outputs")) : NULL;
    json_decref(s);
    return out;
}

static int step_save(run_ctx *c, const char *step, const char *key, json_t *outputs) {
    char p[PATH_LEN];
    state_path(c, p, "steps/%s.json", step);
    json_t *s = json_pack("{s:s, s:s, s:O}", "step", step, "key", key, "outputs", outputs);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    int st = write_json_atomic(p, s);
    json_decref(s);
    return st;
}

/* Adds the step's entry to the run record. status: "ran", "skipped", "failed". */
static void step_note(run_ctx *c, const char *step, const char *status, double seconds, const char *key,
                      const char *reason) {
    json_t *e = json_pack("{s:s, s:s, s:f, s:s, s:s}", "name", step, "status", status, "seconds", seconds, "key",
                          key ? key : "", "reason", reason ? reason : "");
    if (e) json_array_append_new(c->steps, e);
    if (!strcmp(status, "skipped")) c->res->steps_skipped++;
    else if (!strcmp(status, "ran")) c->res->steps_run++;
    if (!strcmp(status, "failed")) logf_(c, "%-8s failed: %s", step, reason ? reason : "");
    else logf_(c, "%-8s %s%s%s (%.2f s)", step, status, reason && *reason ? ": " : "", reason ? reason : "", seconds);
}

/* ---- steps ---- */

static int step_describe(run_ctx *c) {
    char key[17];
    step_key(key, "describe", c->sect_data, c->train_sums, (const char *)NULL);
    double t0 = gn__now();
    json_t *out = step_cached(c, "describe", key);
    if (out) {
        step_note(c, "describe", "skipped", gn__now() - t0, key, "inputs unchanged");
        json_decref(out);
        return GN_OK;
    }
    gn_describe_options dopt;
    gn_describe_options_init(&dopt);
    dopt.threads = c->o->threads;
    gn_describe_report *r = NULL;
    int st = gn_describe(&dopt, &c->p->spec, (const char *const *)c->p->train_files, c->p->ntrain, &r);
    if (st != GN_OK) {
        step_note(c, "describe", "failed", gn__now() - t0, key, gn_last_error());
        return st;
    }
    json_t *rep = json_loads(gn_describe_report_json(r), 0, NULL);
    json_t *warn = json_array();
    for (size_t i = 0; warn && i < gn_describe_report_warnings(r); i++)
        json_array_append_new(warn, json_string(gn_describe_report_warning(r, i)));
    gn_describe_report_free(r);
    out = json_pack("{s:o*, s:o*}", "report", rep, "warnings", warn);
    if (!out) return gn__fail(GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(warn); i++)
        logf_(c, "describe warning: %s", json_string_value(json_array_get(warn, i)));
    json_object_set(c->record, "describe_warnings", warn);
    st = step_save(c, "describe", key, out);
    json_decref(out);
    if (st != GN_OK) return st;
    step_note(c, "describe", "ran", gn__now() - t0, key, NULL);
    return GN_OK;
}

static gn_select_metric tune_metric(const gn_pipeline *p) {
    if (p->sel.metric == GN_METRIC_AUTO && p->train.kind == GN_KIND_MF) /* as gn_tune decides */
        return p->train.implicit ? GN_METRIC_NDCG : GN_METRIC_RMSE;
    return p->sel.metric == GN_METRIC_AUTO ? gn_select_metric_default(p->train.oaa ? GN_LOSS_SOFTMAX : p->train.loss) : p->sel.metric;
}

/* The params object {name: value} of configuration i. */
static json_t *config_params(const gn_search_space *sp, size_t i) {
    json_t *o = json_object();
    for (size_t j = 0; o && j < gn_search_space_params(sp); j++)
        json_object_set_new(o, gn_search_space_name(sp, j), json_string(gn_search_space_value(sp, i, j)));
    return o;
}

static json_t *metrics_json(const gn_metrics *m) {
    char buf[2048];
    if (gn_metrics_to_json(m, buf, sizeof buf) < 0) return NULL;
    return json_loads(buf, 0, NULL);
}

/* tune or cv: outputs {mode, metric, best: {params}, best_mean, best_std, results: [...]} */
static int step_tune(run_ctx *c, json_t **best_params) {
    gn_pipeline *p = c->p;
    *best_params = json_object();
    if (!*best_params) return gn__fail(GN_ENOMEM, "out of memory");
    if (p->tune == TUNE_NONE) return GN_OK;
    const char *step = p->tune == TUNE_CV ? "cv" : "tune";
    char key[17];
    step_key(key, step, c->sect_data, c->train_sums, c->sect_model, c->sect_train, c->sect_tune, (const char *)NULL);
    memcpy(c->tune_key, key, sizeof key);
    double t0 = gn__now();
    json_t *out = step_cached(c, step, key);
    if (out) {
        step_note(c, step, "skipped", gn__now() - t0, key, "inputs unchanged");
    } else {
        gn_select_options sel = p->sel;
        sel.threads = c->o->threads;
        sel.metric = tune_metric(p);
        gn_search_space *sp = NULL;
        int st = GN_OK;
        size_t n = 1, best = 0;
        if (p->tune == TUNE_GRID) st = gn_search_parse_grid(p->space_text, &sp);
        else if (p->tune == TUNE_RANDOM) st = gn_search_parse_random(p->space_text, p->random_n, p->sel.seed, &sp);
        if (sp) n = gn_search_space_configs(sp);
        gn_select_config *cfgs = st == GN_OK ? calloc(n, sizeof *cfgs) : NULL;
        gn_select_result *res = cfgs ? calloc(n, sizeof *res) : NULL;
        if (st == GN_OK && !res) st = gn__fail(GN_ENOMEM, "out of memory");
        for (size_t i = 0; st == GN_OK && i < n; i++) {
            cfgs[i].train = p->train;
            cfgs[i].spec = p->spec;
            cfgs[i].train.threads = 1;
            for (size_t j = 0; sp && st == GN_OK && j < gn_search_space_params(sp); j++)
                st = gn_param_set(&cfgs[i].train, &cfgs[i].spec, gn_search_space_name(sp, j), gn_search_space_value(sp, i, j));
        }
        if (st == GN_OK) {
            if (p->tune == TUNE_CV) st = gn_cv(&sel, &cfgs[0].train, &cfgs[0].spec, (const char *const *)p->train_files, p->ntrain, &res[0]);
            else st = gn_tune(&sel, cfgs, n, (const char *const *)p->train_files, p->ntrain, res, &best, NULL);
        }
        if (st != GN_OK) {
            step_note(c, step, "failed", gn__now() - t0, key, gn_last_error());
            free(cfgs);
            free(res);
            gn_search_space_free(sp);
            return st;
        }
        json_t *results = json_array();
        for (size_t i = 0; results && i < n; i++) {
            json_t *r = json_pack("{s:o*, s:f, s:f, s:b, s:o*}", "params", sp ? config_params(sp, i) : json_object(),
                                  "mean", gn_select_metric_value(sel.metric, &res[i].mean), "std",
                                  gn_select_metric_value(sel.metric, &res[i].std), "dropped", res[i].dropped, "metrics",
                                  metrics_json(&res[i].mean));
            if (r) json_array_append_new(results, r);
        }
        out = json_pack("{s:s, s:s, s:o*, s:f, s:f, s:o*}", "mode", step, "metric", gn_select_metric_name(sel.metric),
                        "best", sp ? config_params(sp, best) : json_object(), "best_mean",
                        gn_select_metric_value(sel.metric, &res[best].mean), "best_std",
                        gn_select_metric_value(sel.metric, &res[best].std), "results", results);
        free(cfgs);
        free(res);
        gn_search_space_free(sp);
        if (!out) return gn__fail(GN_ENOMEM, "out of memory");
        if ((st = step_save(c, step, key, out)) != GN_OK) {
            json_decref(out);
            return st;
        }
        char why[256];
        snprintf(why, sizeof why, "%zu configuration(s) x %u folds, best %s %.6g", n, sel.k,
                 gn_select_metric_name(sel.metric), json_real_value(json_object_get(out, "best_mean")));
        step_note(c, step, "ran", gn__now() - t0, key, why);
    }
    json_decref(*best_params);
    *best_params = json_incref(json_object_get(out, "best"));
    json_object_set(c->record, "tune", out);
    json_decref(out);
    return GN_OK;
}

typedef struct curve_acc {
    json_t *points;
} curve_acc;

static void on_progress(const gn_progress *pr, void *user) {
    curve_acc *a = user;
    if (!pr->end_of_pass || !a->points) return;
    json_t *pt = json_pack("{s:I, s:f, s:o}", "pass", (json_int_t)pr->pass, "progressive_loss", pr->progressive_loss,
                           "holdout_loss", isfinite(pr->holdout_loss) ? json_real(pr->holdout_loss) : json_null());
    if (pt) json_array_append_new(a->points, pt);
}

/* train: refit the best configuration on all the training data -> state/model.gnm */
static int step_train(run_ctx *c, const json_t *best, gn_model **model, json_t **train_out) {
    gn_pipeline *p = c->p;
    char *best_text = gn__json_dumps(best, JSON_COMPACT | JSON_SORT_KEYS);
    if (!best_text) return gn__fail(GN_ENOMEM, "out of memory");
    char key[17], path[PATH_LEN];
    step_key(key, "train", c->sect_data, c->train_sums, c->sect_model, c->sect_train, best_text, (const char *)NULL);
    free(best_text);
    memcpy(c->train_key, key, sizeof key);
    state_path(c, path, "model.gnm");
    double t0 = gn__now();
    json_t *out = step_cached(c, "train", key);
    if (out) {
        gn_model *m = NULL;
        const char *want = json_string_value(json_object_get(out, "model_version"));
        if (gn_model_load(path, &m) == GN_OK && want && !strcmp(gn_model_version(m), want)) {
            step_note(c, "train", "skipped", gn__now() - t0, key, "inputs unchanged");
            *model = m;
            *train_out = out;
            return GN_OK;
        }
        gn_model_free(m); /* the stored model is gone or different: train again */
        json_decref(out);
    }
    gn_train_options o = p->train;
    gn_data_spec s = p->spec;
    o.threads = c->o->threads;
    const char *k;
    json_t *v;
    int st = GN_OK;
    json_object_foreach((json_t *)best, k, v) {
        if (st == GN_OK) st = gn_param_set(&o, &s, k, json_string_value(v));
    }
    curve_acc curve = {json_array()};
    gn_model *m = NULL;
    gn_train_summary sum;
    if (st == GN_OK)
        st = gn_train(&o, &s, (const char *const *)p->train_files, p->ntrain, on_progress, &curve, &m, &sum);
    if (st == GN_OK) st = gn_model_save(m, path);
    if (st != GN_OK) {
        step_note(c, "train", "failed", gn__now() - t0, key, gn_last_error());
        gn_model_free(m);
        json_decref(curve.points);
        return st;
    }
    out = json_pack("{s:s, s:o*, s:{s:I, s:I, s:f}}", "model_version", gn_model_version(m), "curve", curve.points,
                    "summary", "examples", (json_int_t)sum.examples, "passes", (json_int_t)sum.passes, "seconds",
                    sum.seconds);
    if (!out || (st = step_save(c, "train", key, out)) != GN_OK) {
        json_decref(out);
        gn_model_free(m);
        return out ? st : (int)gn__fail(GN_ENOMEM, "out of memory");
    }
    char why[128];
    snprintf(why, sizeof why, "%llu examples, %u passes", (unsigned long long)sum.examples, sum.passes);
    step_note(c, "train", "ran", gn__now() - t0, key, why);
    *model = m;
    *train_out = out;
    return GN_OK;
}

static int step_eval(run_ctx *c, const gn_model *m, json_t **metrics) {
    char key[17];
    step_key(key, "eval", gn_model_version(m), c->test_sums, (const char *)NULL);
    memcpy(c->eval_key, key, sizeof key);
    double t0 = gn__now();
    json_t *out = step_cached(c, "eval", key);
    if (out) {
        step_note(c, "eval", "skipped", gn__now() - t0, key, "inputs unchanged");
    } else {
        gn_metrics mt;
        int st = gn_evaluate(m, (const char *const *)c->p->test_files, c->p->ntest, c->p->spec.skip_bad, &mt, NULL);
        if (st != GN_OK) {
            step_note(c, "eval", "failed", gn__now() - t0, key, gn_last_error());
            return st;
        }
        out = json_pack("{s:o*}", "metrics", metrics_json(&mt));
        if (!out) return gn__fail(GN_ENOMEM, "out of memory");
        if ((st = step_save(c, "eval", key, out)) != GN_OK) {
            json_decref(out);
            return st;
        }
        step_note(c, "eval", "ran", gn__now() - t0, key, NULL);
    }
    *metrics = json_incref(json_object_get(out, "metrics"));
    json_object_set(c->record, "metrics", *metrics);
    json_decref(out);
    return GN_OK;
}

static int cond_holds(const char *op, double x, double t) {
    if (!strcmp(op, ">=")) return x >= t;
    if (!strcmp(op, ">")) return x > t;
    if (!strcmp(op, "<=")) return x <= t;
    return x < t;
}

/* gate: outputs {pass, decisions: [...], reason} */
static int step_gate(run_ctx *c, const gn_model *m, const json_t *metrics, int *pass) {
    gn_pipeline *p = c->p;
    *pass = 1;
    /* the current version is an input: a publish or a rollback in between changes the answer */
    char cur_text[64] = "";
    uint32_t cur = 0;
    if (p->repository && p->has_not_worse && gn_repo_current(p->repository, p->publish_name, &cur) == GN_OK && cur) {
        char *meta = NULL;
        json_t *mj = NULL;
        if (gn_repo_read_meta(p->repository, p->publish_name, cur, &meta) == GN_OK) mj = json_loads(meta, 0, NULL);
        const char *mv = json_string_value(json_object_get(mj, "model_version"));
        /* the candidate itself being current compares with nothing, as no current version does */
        if (!mv || strcmp(mv, gn_model_version(m)) != 0) snprintf(cur_text, sizeof cur_text, "%u:%s", cur, mv ? mv : "");
        json_decref(mj);
        free(meta);
    }
    char key[17];
    step_key(key, "gate", c->eval_key, c->sect_gate, cur_text, c->test_sums, (const char *)NULL);
    double t0 = gn__now();
    json_t *out = step_cached(c, "gate", key);
    int ran = 0;
    if (!out) {
        json_t *dec = json_array();
        char reason[1024] = "";
        for (size_t i = 0; i < p->nconds; i++) {
            const gate_cond *g = &p->conds[i];
            json_t *mv = json_object_get(metrics, g->metric);
            double x = json_is_number(mv) ? json_number_value(mv) : NAN;
            int ok = isfinite(x) && cond_holds(g->op, x, g->threshold);
            json_array_append_new(dec, json_pack("{s:s, s:s, s:f, s:o, s:b}", "metric", g->metric, "op", g->op,
                                                 "threshold", g->threshold, "value", isfinite(x) ? json_real(x) : json_null(),
                                                 "pass", ok));
            if (!ok && !reason[0])
                snprintf(reason, sizeof reason, "%s = %.6g on the test data, the gate wants %s %g (%s:%u)", g->metric, x,
                         g->op, g->threshold, p->path, g->line);
        }
        if (p->has_not_worse) {
            gn_select_metric sm = tune_metric(p);
            const char *mname = gn_select_metric_name(sm);
            json_t *mv = json_object_get(metrics, mname);
            double x = json_is_number(mv) ? json_number_value(mv) : NAN;
            if (cur && cur_text[0]) {
                char path[PATH_LEN];
                gn_model *cm = NULL;
                gn_metrics cmt;
                int st = gn_repo_model_path(p->repository, p->publish_name, cur, path, sizeof path);
                if (st == GN_OK) st = gn_model_load(path, &cm);
                if (st == GN_OK) st = gn_evaluate(cm, (const char *const *)p->test_files, p->ntest, p->spec.skip_bad, &cmt, NULL);
                gn_model_free(cm);
                if (st != GN_OK) {
                    json_decref(dec);
                    step_note(c, "gate", "failed", gn__now() - t0, key, gn_last_error());
                    return st;
                }
                double y = gn_select_metric_value(sm, &cmt);
                int higher = gn_select_metric_higher_better(sm);
                int ok = isfinite(x) && (higher ? x >= y - p->not_worse_by : x <= y + p->not_worse_by);
                json_array_append_new(dec, json_pack("{s:s, s:s, s:f, s:I, s:f, s:o, s:b}", "metric", mname, "op",
                                                     "not_worse_than_current_by", "by", p->not_worse_by, "current_version",
                                                     (json_int_t)cur, "current_value", y, "value",
                                                     isfinite(x) ? json_real(x) : json_null(), "pass", ok));
                if (!ok && !reason[0])
                    snprintf(reason, sizeof reason, "%s = %.6g is worse than the current version %u's %.6g by more than %g",
                             mname, x, cur, y, p->not_worse_by);
            } else {
                json_array_append_new(dec, json_pack("{s:s, s:s, s:b, s:s}", "metric", mname, "op",
                                                     "not_worse_than_current_by", "pass", 1, "note",
                                                     cur ? "the current version is this model" : "no current version"));
            }
        }
        out = json_pack("{s:b, s:o*, s:s}", "pass", reason[0] == '\0', "decisions", dec, "reason", reason);
        if (!out) return gn__fail(GN_ENOMEM, "out of memory");
        int st = step_save(c, "gate", key, out);
        if (st != GN_OK) {
            json_decref(out);
            return st;
        }
        ran = 1;
    }
    *pass = json_is_true(json_object_get(out, "pass"));
    const char *reason = json_string_value(json_object_get(out, "reason"));
    char why[1200];
    snprintf(why, sizeof why, "%s%s%s", ran ? "" : "inputs unchanged; ", *pass ? "passed" : "refused: ",
             *pass ? "" : reason);
    step_note(c, "gate", ran ? "ran" : "skipped", gn__now() - t0, key, why);
    if (!*pass) snprintf(c->res->reason, sizeof c->res->reason, "gate refused the model: %s", reason);
    json_object_set(c->record, "gate", out);
    json_decref(out);
    return GN_OK;
}

/* 1 if version v of the repository model holds the model with this checksum. */
static int repo_has(const gn_pipeline *p, uint32_t v, const char *model_version) {
    char *meta = NULL;
    if (!v || gn_repo_read_meta(p->repository, p->publish_name, v, &meta) != GN_OK) return 0;
    json_t *mj = json_loads(meta, 0, NULL);
    free(meta);
    const char *mv = json_string_value(json_object_get(mj, "model_version"));
    int same = mv && !strcmp(mv, model_version);
    json_decref(mj);
    return same;
}

static int step_publish(run_ctx *c, const gn_model *m, const json_t *best, const json_t *metrics) {
    gn_pipeline *p = c->p;
    char key[17];
    step_key(key, "publish", gn_model_version(m), p->repository, p->publish_name, (const char *)NULL);
    double t0 = gn__now();
    json_t *out = step_cached(c, "publish", key);
    if (out) {
        uint32_t v = (uint32_t)json_integer_value(json_object_get(out, "version"));
        json_decref(out);
        if (repo_has(p, v, gn_model_version(m))) {
            char why[256];
            snprintf(why, sizeof why, "inputs unchanged; already published as version %u", v);
            step_note(c, "publish", "skipped", gn__now() - t0, key, why);
            c->res->outcome = GN_PIPELINE_UNCHANGED;
            c->res->version = v;
            return GN_OK;
        }
    }
    json_t *data = json_object_get(c->record, "data");
    json_t *meta = json_pack("{s:O, s:O, s:O, s:s, s:s, s:s}", "metrics", metrics, "params", best, "data", data,
                             "run_id", c->res->run_id, "pipeline", p->path, "pipeline_name", p->name);
    char *meta_text = meta ? gn__json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    if (!meta_text) return gn__fail(GN_ENOMEM, "out of memory");
    uint32_t v = 0;
    int st = gn_repo_publish(p->repository, p->publish_name, m, meta_text, 1, &v);
    free(meta_text);
    if (st != GN_OK) {
        step_note(c, "publish", "failed", gn__now() - t0, key, gn_last_error());
        return st;
    }
    out = json_pack("{s:I, s:s, s:s}", "version", (json_int_t)v, "repository", p->repository, "name", p->publish_name);
    if (!out) return gn__fail(GN_ENOMEM, "out of memory");
    st = step_save(c, "publish", key, out);
    json_decref(out);
    if (st != GN_OK) return st;
    char why[4200];
    snprintf(why, sizeof why, "%s/%s version %u is current", p->repository, p->publish_name, v);
    step_note(c, "publish", "ran", gn__now() - t0, key, why);
    c->res->outcome = GN_PIPELINE_PUBLISHED;
    c->res->version = v;
    return GN_OK;
}

static int step_report(run_ctx *c, const gn_model *m, const json_t *train_out) {
    if (gn_model_get_kind(m) == GN_KIND_MF) { /* the report scores hashed rows; mf's are rating rows */
        step_note(c, "report", "skipped", 0.0, "", "kind mf has no HTML report (gannet eval gives its metrics)");
        return GN_OK;
    }
    json_t *tune = json_object_get(c->record, "tune");
    json_t *curve = json_object_get(train_out, "curve");
    char *tune_text = tune ? gn__json_dumps(tune, JSON_COMPACT | JSON_SORT_KEYS) : strdup("");
    char *curve_text = curve ? gn__json_dumps(curve, JSON_COMPACT) : strdup("");
    int st = GN_OK;
    if (!tune_text || !curve_text) st = gn__fail(GN_ENOMEM, "out of memory");
    char key[17], path[PATH_LEN];
    /* the steps' keys, not their outputs' text: numbers read back from the state files print
     * differently from those just computed */
    if (st == GN_OK) step_key(key, "report", gn_model_version(m), c->test_sums, c->tune_key, c->train_key, (const char *)NULL);
    double t0 = gn__now();
    struct stat sb;
    if (st == GN_OK) {
        state_path(c, path, "reports/%s.html", key);
        if (!c->o->force && stat(path, &sb) == 0) {
            step_note(c, "report", "skipped", gn__now() - t0, key, "inputs unchanged");
        } else {
            gn_report_options ro;
            gn_report_options_init(&ro);
            char title[256];
            snprintf(title, sizeof title, "gannet pipeline %s", c->p->name);
            ro.title = title;
            ro.skip_bad = c->p->spec.skip_bad;
            ro.tune_json = tune ? tune_text : NULL;
            ro.curve_json = curve ? curve_text : NULL;
            st = gn_report_write(m, (const char *const *)c->p->test_files, c->p->ntest, &ro, path, NULL);
            if (st != GN_OK) step_note(c, "report", "failed", gn__now() - t0, key, gn_last_error());
            else step_note(c, "report", "ran", gn__now() - t0, key, NULL);
        }
    }
    if (st == GN_OK) {
        snprintf(c->res->report_path, sizeof c->res->report_path, "%s", path);
        json_object_set_new(c->record, "report", json_string(path));
    }
    free(tune_text);
    free(curve_text);
    return st;
}

/* ---- the run ---- */

static int data_checksums(run_ctx *c, char **files, size_t n, char *sums, size_t size, json_t **out) {
    json_t *arr = json_array();
    if (!arr) return gn__fail(GN_ENOMEM, "out of memory");
    size_t used = 0;
    sums[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char hex[17];
        uint64_t bytes = 0;
        int st = hash_file(files[i], hex, &bytes);
        if (st != GN_OK) {
            json_decref(arr);
            return st;
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "path", files[i], "xxh3", hex, "bytes", (json_int_t)bytes));
        int k = snprintf(sums + used, size - used, "%s:%llu;", hex, (unsigned long long)bytes);
        if (k > 0 && (size_t)k < size - used) used += (size_t)k;
        else { /* many files: fold what is there into one hash */
            char h[17];
            step_key(h, "sums", sums, (const char *)NULL);
            used = (size_t)snprintf(sums, size, "%s;", h);
            i--;
        }
    }
    (void)c;
    *out = arr;
    return GN_OK;
}

static void iso_now(char out[32]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void gn_pipeline_options_init(gn_pipeline_options *o) { memset(o, 0, sizeof *o); }

static int write_record(run_ctx *c) { return write_json_atomic(c->res->record_path, c->record); }

static int run_steps(run_ctx *c) {
    gn_pipeline *p = c->p;
    json_t *train_sums = NULL, *test_sums = NULL;
    GN_TRY(data_checksums(c, p->train_files, p->ntrain, c->train_sums, sizeof c->train_sums, &train_sums));
    int st = data_checksums(c, p->test_files, p->ntest, c->test_sums, sizeof c->test_sums, &test_sums);
    if (st != GN_OK) {
        json_decref(train_sums);
        return st;
    }
    json_object_set_new(c->record, "data", json_pack("{s:o, s:o}", "train", train_sums, "test", test_sums));
    if (p->has_split) { /* the split rule is in the data section's text, so in every step key */
        uint64_t ntr = 0, nte = 0;
        GN_TRY(gn__pipeline_split(p, &ntr, &nte));
        json_t *split_sums = NULL; /* the held-out part is the test data: eval, gate and report keys */
        GN_TRY(data_checksums(c, p->test_files, p->ntest, c->test_sums, sizeof c->test_sums, &split_sums));
        json_object_set_new(json_object_get(c->record, "data"), "test", split_sums);
        json_object_set_new(json_object_get(c->record, "data"), "split",
                            json_pack("{s:s, s:f, s:I, s:I, s:I}", "by", p->split_by_time ? "time" : "random", "test",
                                      p->split_test, "seed", (json_int_t)p->split_seed, "train_examples", (json_int_t)ntr,
                                      "test_examples", (json_int_t)nte));
        if (p->split_by_time)
            logf_(c, "split: %llu train, %llu test rows (the latest %.3g%s by %s)", (unsigned long long)ntr,
                  (unsigned long long)nte, p->split_test, p->split_per ? " of each group" : "", p->split_time_col);
        else
            logf_(c, "split: %llu train, %llu test examples (test %.3g, seed %llu)", (unsigned long long)ntr,
                  (unsigned long long)nte, p->split_test, (unsigned long long)p->split_seed);
    }
    GN_TRY(step_describe(c));
    json_t *best = NULL, *metrics = NULL, *train_out = NULL;
    gn_model *m = NULL;
    st = step_tune(c, &best);
    if (st == GN_OK) {
        json_object_set(c->record, "params", best);
        st = step_train(c, best, &m, &train_out);
    }
    if (st == GN_OK) {
        json_object_set(c->record, "learning_curve", json_object_get(train_out, "curve"));
        json_object_set_new(c->record, "model_version", json_string(gn_model_version(m)));
        st = step_eval(c, m, &metrics);
    }
    int pass = 0;
    if (st == GN_OK) st = step_gate(c, m, metrics, &pass);
    if (st == GN_OK && c->p->report) st = step_report(c, m, train_out);
    if (st == GN_OK) {
        if (!pass) c->res->outcome = GN_PIPELINE_GATE_FAILED;
        else if (p->repository) st = step_publish(c, m, best, metrics);
        else c->res->outcome = GN_PIPELINE_NO_PUBLISH;
    }
    if (st == GN_OK && pass && !p->repository) step_note(c, "publish", "skipped", 0, NULL, "no publish section");
    if (st == GN_OK && !pass) step_note(c, "publish", "skipped", 0, NULL, "the gate refused the model");
    json_decref(best);
    json_decref(metrics);
    json_decref(train_out);
    gn_model_free(m);
    return st;
}

static const char *outcome_name(gn_pipeline_outcome o) {
    switch (o) {
    case GN_PIPELINE_PUBLISHED: return "published";
    case GN_PIPELINE_UNCHANGED: return "unchanged";
    case GN_PIPELINE_GATE_FAILED: return "gate_failed";
    case GN_PIPELINE_NO_PUBLISH: return "passed";
    default: return "failed";
    }
}

gn_status gn_pipeline_run(gn_pipeline *p, const gn_pipeline_options *o, gn_pipeline_result *result) {
    gn__clear_error();
    gn_pipeline_options defaults;
    if (!o) {
        gn_pipeline_options_init(&defaults);
        o = &defaults;
    }
    memset(result, 0, sizeof *result);
    result->outcome = GN_PIPELINE_FAILED;
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.o = o;
    c.res = result;
    char path[PATH_LEN];
    GN_TRY(mkdirs(p->state_dir));
    state_path(&c, path, "steps");
    GN_TRY(mkdirs(path));
    state_path(&c, path, "runs");
    GN_TRY(mkdirs(path));
    state_path(&c, path, "reports");
    GN_TRY(mkdirs(path));
    state_path(&c, path, ".lock");
    int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lock < 0) return gn__fail(GN_EIO, "%s: %s", path, GN_ERRNO_TEXT(errno));
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        close(lock);
        return gn__fail(GN_EINVAL, "%s: another run of this pipeline is in progress", p->path);
    }
    double t0 = gn__now();
    char started[32];
    iso_now(started);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(result->run_id, sizeof result->run_id, "%s-%ld", stamp, (long)getpid());
    state_path(&c, result->record_path, "runs/%s.json", result->run_id);
    c.record = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:[]}", "run_id", result->run_id, "pipeline", p->path,
                         "name", p->name, "started", started, "pid", (json_int_t)getpid(), "binary_version",
                         gn_version(), "status", "running", "steps");
    int st = c.record ? GN_OK : gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK) {
        c.steps = json_object_get(c.record, "steps");
        c.sect_data = gn__pipeline_section_text(p, "data");
        c.sect_model = gn__pipeline_section_text(p, "model");
        c.sect_train = gn__pipeline_section_text(p, "train");
        c.sect_tune = gn__pipeline_section_text(p, p->tune == TUNE_CV ? "cv" : "tune");
        c.sect_gate = gn__pipeline_section_text(p, "gate");
        if (!c.sect_data || !c.sect_model || !c.sect_train || !c.sect_tune || !c.sect_gate)
            st = gn__fail(GN_ENOMEM, "out of memory");
    }
    if (st == GN_OK) st = write_record(&c); /* a killed run leaves a "running" record behind */
    if (st == GN_OK) {
        logf_(&c, "pipeline %s: run %s", p->name, result->run_id);
        st = run_steps(&c);
        if (st != GN_OK) {
            result->outcome = GN_PIPELINE_FAILED;
            snprintf(result->reason, sizeof result->reason, "%s", gn_last_error());
        }
        result->seconds = gn__now() - t0;
        char finished[32];
        iso_now(finished);
        json_object_set_new(c.record, "finished", json_string(finished));
        json_object_set_new(c.record, "seconds", json_real(result->seconds));
        json_object_set_new(c.record, "status", json_string(outcome_name(result->outcome)));
        json_object_set_new(c.record, "reason", json_string(result->reason));
        if (result->version) json_object_set_new(c.record, "version", json_integer(result->version));
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", gn_last_error());
        int wst = write_record(&c);
        if (st == GN_OK) st = wst;
        else gn__fail((gn_status)st, "%s", msg); /* keep the step's message */
    }
    json_decref(c.record);
    free(c.sect_data);
    free(c.sect_model);
    free(c.sect_train);
    free(c.sect_tune);
    free(c.sect_gate);
    close(lock);
    return st;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

gn_status gn_pipeline_runs_json(const char *path, char **json) {
    gn__clear_error();
    gn_pipeline *p;
    GN_TRY(gn_pipeline_load(path, &p));
    char dir[PATH_LEN];
    snprintf(dir, sizeof dir, "%s/runs", p->state_dir);
    json_t *arr = json_array();
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
            char **nn = realloc(names, (n + 1) * sizeof *nn);
            if (!nn) break;
            names = nn;
            if (!(names[n] = strdup(e->d_name))) break;
            n++;
        }
        closedir(d);
    }
    if (n) qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; arr && i < n; i++) {
        char f[PATH_LEN + 256];
        snprintf(f, sizeof f, "%s/%s", dir, names[i]);
        json_t *r = read_json(f);
        if (!r) continue;
        /* a "running" record whose process is gone was killed */
        const char *status = json_string_value(json_object_get(r, "status"));
        json_int_t pid = json_integer_value(json_object_get(r, "pid"));
        if (status && !strcmp(status, "running") && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            json_object_set_new(r, "status", json_string("interrupted"));
        json_array_append_new(arr, r);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    gn_pipeline_free(p);
    char *text = arr ? gn__json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!text) return gn__fail(GN_ENOMEM, "out of memory");
    *json = text;
    return GN_OK;
}
