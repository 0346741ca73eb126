/* report/report.c: gn_report_write: one pass over the test data collects (prediction, label,
 * weight) and the metrics, then the page is written: metrics, classification panels (ROC, PR,
 * calibration, score histograms by class, gain and lift, confusion matrix) or regression panels
 * (predicted vs actual, residuals), the largest weights, tune results and the learning curve;
 * a model with several outputs gets multiclass.c's panels instead. */
#include "gannet/report.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/source.h"
#include "learn/loss.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "report/multiclass.h"
#include "report/svg.h"
#include "util/atomic_file.h"
#include "util/error.h"

#define REPORT_BATCH 4096
#define REPORT_MAX_EXAMPLES ((size_t)50 << 20)
#define CURVE_POINTS 400
#define SCATTER_POINTS 1500

typedef struct example {
    double p, y, w;
} example;

typedef struct scored {
    example *e;
    size_t n, cap;
    gn_metrics m;
    int classification;
    uint64_t skipped;
} scored;

void gn_report_options_init(gn_report_options *o) {
    memset(o, 0, sizeof *o);
    o->threshold = 0.5;
}

static int collect(const gn_model *m, const char *const *test, size_t ntest, int skip_bad, scored *s) {
    const gn_label_kind kind = gn__label_kind_for(m->loss);
    s->classification = kind == GN_LABEL_BINARY;
    gn_parser *parser;
    GN_TRY(gn__model_parser(m, kind, &parser));
    gn_data_spec spec = m->spec;
    spec.label_kind = kind;
    spec.skip_bad = skip_bad;
    gn_source *src;
    int st = gn__source_open(&spec, parser, test, ntest, &src);
    gn__parser_free(parser);
    if (st != GN_OK) return st;
    gn_metrics_acc *acc = NULL;
    gn_batch b;
    memset(&b, 0, sizeof b);
    double *scores = malloc(REPORT_BATCH * sizeof *scores);
    st = scores ? (int)gn_metrics_acc_new(s->classification, &acc) : (int)gn__fail(GN_ENOMEM, "out of memory");
    if (st == GN_OK) st = gn__batch_init(&b, REPORT_BATCH, REPORT_BATCH * 32);
    while (st == GN_OK && (st = gn__source_next(src, &b, REPORT_BATCH)) == GN_OK) {
        const gn_rows rows = gn__batch_rows(&b);
        gn__model_scores(m, &rows, scores);
        if (s->n + b.n > s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 65536;
            while (nc < s->n + b.n) nc *= 2;
            if (nc > REPORT_MAX_EXAMPLES) {
                st = gn__fail(GN_ELIMIT, "report: more than %zu test examples", REPORT_MAX_EXAMPLES);
                break;
            }
            example *ne = realloc(s->e, nc * sizeof *ne);
            if (!ne) {
                st = gn__fail(GN_ENOMEM, "out of memory");
                break;
            }
            s->e = ne;
            s->cap = nc;
        }
        for (size_t i = 0; i < b.n && st == GN_OK; i++) {
            double pr = gn_model_link(m, scores[i]), y = b.label[i];
            double loss = gn__loss_value(m->loss, scores[i], y, m->quantile_tau);
            s->e[s->n++] = (example){pr, s->classification ? (y > 0) : y, b.weight[i]};
            st = gn_metrics_acc_add(acc, pr, y, b.weight[i], loss);
        }
    }
    if (st == GN_EOF) st = gn_metrics_acc_result(acc, &s->m);
    if (st == GN_OK && s->n == 0) st = gn__fail(GN_EPARSE, "%s: no examples to evaluate", test[0]);
    if (st == GN_OK) s->skipped = gn__source_skipped(src);
    free(scores);
    gn_metrics_acc_free(acc);
    gn__batch_free(&b);
    gn__source_free(src);
    return st;
}

static int by_pred_desc(const void *a, const void *b) {
    double x = ((const example *)a)->p, y = ((const example *)b)->p;
    return x > y ? -1 : x < y;
}

static void metric_row(FILE *f, const char *name, double v) {
    fprintf(f, "<tr><th>%s</th><td class=\"num\" data-metric=\"%s\">%.6f</td></tr>\n", name, name, v);
}

static void write_metrics(FILE *f, const scored *s) {
    fprintf(f, "<section id=\"metrics\"><h2>Metrics on the test data</h2><table class=\"kv\">\n");
    fprintf(f, "<tr><th>examples</th><td class=\"num\" data-metric=\"examples\">%llu</td></tr>\n",
            (unsigned long long)s->m.examples);
    if (s->skipped) fprintf(f, "<tr><th>bad lines skipped</th><td class=\"num\">%llu</td></tr>\n", (unsigned long long)s->skipped);
    if (s->classification) {
        metric_row(f, "auc", s->m.auc);
        metric_row(f, "logloss", s->m.logloss);
        metric_row(f, "accuracy", s->m.accuracy);
        metric_row(f, "precision", s->m.precision);
        metric_row(f, "recall", s->m.recall);
        metric_row(f, "f1", s->m.f1);
    }
    metric_row(f, "rmse", s->m.rmse);
    metric_row(f, "mae", s->m.mae);
    fprintf(f, "</table></section>\n");
}

/* ROC, PR, gain/lift from the examples sorted by decreasing prediction. */
static void write_classification(FILE *f, scored *s, double threshold) {
    qsort(s->e, s->n, sizeof *s->e, by_pred_desc);
    double P = 0, N = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->e[i].y > 0) P += s->e[i].w;
        else N += s->e[i].w;
    }
    double *fx = malloc((CURVE_POINTS + 2) * sizeof *fx), *fy = malloc((CURVE_POINTS + 2) * sizeof *fy);
    double *rx = malloc((CURVE_POINTS + 2) * sizeof *rx), *ry = malloc((CURVE_POINTS + 2) * sizeof *ry);
    double *gx = malloc((CURVE_POINTS + 2) * sizeof *gx), *gy = malloc((CURVE_POINTS + 2) * sizeof *gy);
    if (!fx || !fy || !rx || !ry || !gx || !gy) goto done;
    size_t np = 0;
    double tp = 0, fp = 0, seen = 0, W = P + N;
    fx[0] = fy[0] = gx[0] = gy[0] = 0;
    size_t step = s->n / CURVE_POINTS + 1;
    np = 1;
    size_t npr = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->e[i].y > 0) tp += s->e[i].w;
        else fp += s->e[i].w;
        seen += s->e[i].w;
        int tie = i + 1 < s->n && s->e[i + 1].p == s->e[i].p;
        if (!tie && ((i + 1) % step == 0 || i + 1 == s->n) && np <= CURVE_POINTS) {
            fx[np] = N > 0 ? fp / N : 0;
            fy[np] = P > 0 ? tp / P : 0;
            gx[np] = W > 0 ? seen / W : 0;
            gy[np] = fy[np];
            np++;
            if (npr <= CURVE_POINTS && tp + fp > 0) {
                rx[npr] = P > 0 ? tp / P : 0;
                ry[npr] = tp / (tp + fp);
                npr++;
            }
        }
    }
    fprintf(f, "<section id=\"classification\"><h2>Classification</h2><div class=\"plots\">\n");
    gn__plot p;
    char attrs[128];
    snprintf(attrs, sizeof attrs, "data-auc=\"%.6f\" data-examples=\"%zu\"", s->m.auc, s->n);
    gn__plot_begin(&p, f, "roc", "ROC curve", "false positive rate", "true positive rate", 0, 1, 0, 1, 0, attrs);
    double dx[2] = {0, 1}, dy[2] = {0, 1};
    gn__plot_line(&p, dx, dy, 2, "diag");
    gn__plot_line(&p, fx, fy, np, "s1");
    char leg[64];
    snprintf(leg, sizeof leg, "AUC %.4f", s->m.auc);
    gn__plot_legend(&p, 0, "s1", leg);
    gn__plot_end(&p);

    gn__plot_begin(&p, f, "pr", "Precision-recall", "recall", "precision", 0, 1, 0, 1, 0, "");
    double base[2] = {W > 0 ? P / W : 0, W > 0 ? P / W : 0};
    gn__plot_line(&p, dx, base, 2, "diag");
    gn__plot_line(&p, rx, ry, npr, "s1");
    gn__plot_end(&p);

    /* calibration: 10 bins of predicted probability */
    double bp[10] = {0}, by[10] = {0}, bw[10] = {0};
    for (size_t i = 0; i < s->n; i++) {
        int k = (int)(s->e[i].p * 10);
        k = k < 0 ? 0 : k > 9 ? 9 : k;
        bp[k] += s->e[i].p * s->e[i].w;
        by[k] += s->e[i].y * s->e[i].w;
        bw[k] += s->e[i].w;
    }
    gn__plot_begin(&p, f, "calibration", "Calibration (reliability)", "mean predicted probability",
                   "fraction positive", 0, 1, 0, 1, 0, "");
    gn__plot_line(&p, dx, dy, 2, "diag");
    double cx[10], cy[10];
    size_t nc = 0;
    for (int k = 0; k < 10; k++)
        if (bw[k] > 0) {
            cx[nc] = bp[k] / bw[k];
            cy[nc] = by[k] / bw[k];
            gn__plot_point(&p, cx[nc], cy[nc], "s1");
            nc++;
        }
    gn__plot_line(&p, cx, cy, nc, "s1");
    gn__plot_end(&p);

    /* score histograms by class: 20 bins, share of each class */
    double hp[20] = {0}, hn[20] = {0}, hmax = 0;
    for (size_t i = 0; i < s->n; i++) {
        int k = (int)(s->e[i].p * 20);
        k = k < 0 ? 0 : k > 19 ? 19 : k;
        if (s->e[i].y > 0) hp[k] += s->e[i].w;
        else hn[k] += s->e[i].w;
    }
    for (int k = 0; k < 20; k++) {
        hp[k] = P > 0 ? hp[k] / P : 0;
        hn[k] = N > 0 ? hn[k] / N : 0;
        if (hp[k] > hmax) hmax = hp[k];
        if (hn[k] > hmax) hmax = hn[k];
    }
    gn__plot_begin(&p, f, "histogram", "Scores by class", "predicted probability", "share of the class", 0, 1, 0,
                   hmax > 0 ? hmax * 1.05 : 1, 0, "");
    for (int k = 0; k < 20; k++) {
        gn__plot_bar(&p, k / 20.0, (k + 0.5) / 20.0, hn[k], "neg");
        gn__plot_bar(&p, (k + 0.5) / 20.0, (k + 1) / 20.0, hp[k], "pos");
    }
    gn__plot_legend(&p, 0, "neg", "negative");
    gn__plot_legend(&p, 1, "pos", "positive");
    gn__plot_end(&p);

    /* cumulative gain and lift */
    gn__plot_begin(&p, f, "gain", "Cumulative gain", "share of examples (by decreasing score)",
                   "share of positives found", 0, 1, 0, 1, 0, "");
    gn__plot_line(&p, dx, dy, 2, "diag");
    gn__plot_line(&p, gx, gy, np, "s1");
    gn__plot_end(&p);
    double lx[10], ly[10], lmax = 1;
    for (int d = 0; d < 10; d++) {
        size_t lo = s->n * (size_t)d / 10, hi = s->n * (size_t)(d + 1) / 10;
        double pos = 0, w = 0;
        for (size_t i = lo; i < hi; i++) {
            pos += s->e[i].y * s->e[i].w;
            w += s->e[i].w;
        }
        lx[d] = d + 1;
        ly[d] = w > 0 && P > 0 && W > 0 ? (pos / w) / (P / W) : 0;
        if (ly[d] > lmax) lmax = ly[d];
    }
    gn__plot_begin(&p, f, "lift", "Lift by decile", "decile (by decreasing score)", "lift", 0.5, 10.5, 0, lmax * 1.1, 0, "");
    for (int d = 0; d < 10; d++) gn__plot_bar(&p, lx[d] - 0.4, lx[d] + 0.4, ly[d], "s1bar");
    gn__plot_end(&p);
    fprintf(f, "</div>\n");

    /* confusion matrix at the threshold */
    double TP = 0, FP = 0, TN = 0, FN = 0;
    for (size_t i = 0; i < s->n; i++) {
        int pred = s->e[i].p >= threshold;
        if (pred && s->e[i].y > 0) TP += s->e[i].w;
        else if (pred) FP += s->e[i].w;
        else if (s->e[i].y > 0) FN += s->e[i].w;
        else TN += s->e[i].w;
    }
    fprintf(f, "<h3>Confusion matrix at threshold %g</h3>\n<table id=\"confusion\" class=\"cm\" data-threshold=\"%g\">"
               "<tr><th></th><th>predicted negative</th><th>predicted positive</th></tr>\n"
               "<tr><th>actual negative</th><td class=\"num\" data-cell=\"tn\">%.15g</td><td class=\"num\" data-cell=\"fp\">%.15g</td></tr>\n"
               "<tr><th>actual positive</th><td class=\"num\" data-cell=\"fn\">%.15g</td><td class=\"num\" data-cell=\"tp\">%.15g</td></tr>\n"
               "</table></section>\n",
            threshold, threshold, TN, FP, FN, TP);
done:
    free(fx);
    free(fy);
    free(rx);
    free(ry);
    free(gx);
    free(gy);
}

static void write_regression(FILE *f, const scored *s) {
    double lo = INFINITY, hi = -INFINITY, rlo = INFINITY, rhi = -INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        double a = s->e[i].p, b = s->e[i].y, r = b - a;
        lo = fmin(lo, fmin(a, b));
        hi = fmax(hi, fmax(a, b));
        rlo = fmin(rlo, r);
        rhi = fmax(rhi, r);
    }
    if (!(hi > lo)) hi = lo + 1;
    if (!(rhi > rlo)) rhi = rlo + 1;
    size_t step = s->n / SCATTER_POINTS + 1;
    fprintf(f, "<section id=\"regression\"><h2>Regression</h2><div class=\"plots\">\n");
    gn__plot p;
    gn__plot_begin(&p, f, "actual", "Predicted vs actual", "predicted", "actual", lo, hi, lo, hi, 0, "");
    double d[2] = {lo, hi};
    gn__plot_line(&p, d, d, 2, "diag");
    for (size_t i = 0; i < s->n; i += step) gn__plot_point(&p, s->e[i].p, s->e[i].y, "s1");
    gn__plot_end(&p);
    double plo = INFINITY, phi = -INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        plo = fmin(plo, s->e[i].p);
        phi = fmax(phi, s->e[i].p);
    }
    if (!(phi > plo)) phi = plo + 1;
    gn__plot_begin(&p, f, "residuals", "Residuals", "predicted", "actual - predicted", plo, phi, rlo, rhi, 0, "");
    double zx[2] = {plo, phi}, zy[2] = {0, 0};
    gn__plot_line(&p, zx, zy, 2, "diag");
    for (size_t i = 0; i < s->n; i += step) gn__plot_point(&p, s->e[i].p, s->e[i].y - s->e[i].p, "s1");
    gn__plot_end(&p);
    double h[30] = {0}, hmax = 0;
    for (size_t i = 0; i < s->n; i++) {
        int k = (int)((s->e[i].y - s->e[i].p - rlo) / (rhi - rlo) * 30);
        h[k < 0 ? 0 : k > 29 ? 29 : k] += s->e[i].w;
    }
    for (int k = 0; k < 30; k++) hmax = fmax(hmax, h[k]);
    gn__plot_begin(&p, f, "residual_hist", "Residual distribution", "actual - predicted", "examples", rlo, rhi, 0,
                   hmax > 0 ? hmax * 1.05 : 1, 0, "");
    for (int k = 0; k < 30; k++)
        gn__plot_bar(&p, rlo + (rhi - rlo) * k / 30, rlo + (rhi - rlo) * (k + 1) / 30, h[k], "s1bar");
    gn__plot_end(&p);
    fprintf(f, "</div></section>\n");
}

static void write_weights(FILE *f, const gn_model *m) {
    uint32_t slots[20];
    float vals[20];
    size_t n = 0;
    if (gn_model_outputs(m) != 1 || gn_model_top_weights(m, 20, slots, vals, &n) != GN_OK) return;
    const gn_data_spec *sp = gn_model_get_spec(m);
    int named = sp->format == GN_FORMAT_LIBSVM && !sp->libsvm_hash;
    fprintf(f, "<section id=\"weights\"><h2>Largest weights</h2><p>%s</p><table class=\"kv\">\n",
            named ? "LIBSVM input read without hashing: slot i is feature i (slot 0: the bias)."
                  : "Features are hashed: each row is a slot of the hash space (slot 0: the bias when on).");
    for (size_t i = 0; i < n; i++) {
        if (slots[i] == 0 && sp->bias) fprintf(f, "<tr><th>bias</th>");
        else fprintf(f, "<tr><th>%s %u</th>", named ? "feature" : "slot", slots[i]);
        fprintf(f, "<td class=\"num\">%.6g</td><td><span class=\"wbar %s\" style=\"width:%dpx\"></span></td></tr>\n",
                (double)vals[i], vals[i] < 0 ? "neg" : "pos",
                (int)(120 * fabs((double)vals[i]) / (fabs((double)vals[0]) > 0 ? fabs((double)vals[0]) : 1)));
    }
    fprintf(f, "</table></section>\n");
}

/* tune results: one plot per parameter, the metric's mean +- std over folds per configuration */
static int write_tune(FILE *f, const char *text) {
    json_error_t err;
    json_t *t = json_loads(text, 0, &err);
    json_t *res = json_object_get(t, "results");
    if (!json_is_array(res)) {
        json_decref(t);
        return gn__fail(GN_EINVAL, "report: tune results: expected {\"metric\":..., \"results\":[...]}");
    }
    const char *metric = json_string_value(json_object_get(t, "metric"));
    if (!metric) metric = "metric";
    fprintf(f, "<section id=\"tune\"><h2>Tune results (%s, mean &#177; std over folds)</h2><div class=\"plots\">\n",
            metric);
    json_t *first = json_object_get(json_array_get(res, 0), "params");
    const char *pname;
    json_t *pv;
    size_t k = 0;
    json_object_foreach(first, pname, pv) {
        double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
        int numeric = 1;
        size_t i;
        json_t *r;
        json_array_foreach(res, i, r) {
            const char *v = json_string_value(json_object_get(json_object_get(r, "params"), pname));
            char *end;
            double x = v ? strtod(v, &end) : NAN;
            if (!v || *end || !isfinite(x)) numeric = 0;
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
            double m = json_number_value(json_object_get(r, "mean")), s = json_number_value(json_object_get(r, "std"));
            ylo = fmin(ylo, m - s);
            yhi = fmax(yhi, m + s);
        }
        size_t nres = json_array_size(res);
        int xlog = numeric && xlo > 0 && xhi / xlo >= 20;
        if (!numeric) {
            xlo = -0.5;
            xhi = (double)nres - 0.5;
        } else if (!(xhi > xlo)) {
            xlo -= 1;
            xhi += 1;
        } else if (!xlog) {
            double pad = (xhi - xlo) * 0.05;
            xlo -= pad;
            xhi += pad;
        } else {
            xlo /= 1.3;
            xhi *= 1.3;
        }
        if (!(yhi > ylo)) {
            ylo -= 0.01;
            yhi += 0.01;
        }
        char id[96], title[160];
        snprintf(id, sizeof id, "tune_%zu", k++);
        snprintf(title, sizeof title, "%s by %s", metric, pname);
        gn__plot p;
        gn__plot_begin(&p, f, id, title, pname, metric, xlo, xhi, ylo, yhi, xlog, "class=\"tune\"");
        json_array_foreach(res, i, r) {
            const char *v = json_string_value(json_object_get(json_object_get(r, "params"), pname));
            double x = numeric ? strtod(v, NULL) : (double)i;
            double m = json_number_value(json_object_get(r, "mean")), s = json_number_value(json_object_get(r, "std"));
            gn__plot_errbar(&p, x, m, s, "err");
            gn__plot_point(&p, x, m, "s1");
        }
        gn__plot_end(&p);
    }
    fprintf(f, "</div></section>\n");
    json_decref(t);
    return GN_OK;
}

static int write_curve(FILE *f, const char *text) {
    json_t *c = json_loads(text, 0, NULL);
    if (!json_is_array(c)) {
        json_decref(c);
        return gn__fail(GN_EINVAL, "report: learning curve: expected a JSON array");
    }
    size_t n = json_array_size(c);
    if (n == 0) {
        json_decref(c);
        return GN_OK;
    }
    double *x = calloc(n, sizeof *x), *a = calloc(n, sizeof *a), *h = calloc(n, sizeof *h);
    if (!x || !a || !h) {
        free(x);
        free(a);
        free(h);
        json_decref(c);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    double lo = INFINITY, hi = -INFINITY;
    int has_h = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *pt = json_array_get(c, i);
        x[i] = (double)(i + 1);
        a[i] = json_number_value(json_object_get(pt, "progressive_loss"));
        json_t *hv = json_object_get(pt, "holdout_loss");
        h[i] = json_is_number(hv) ? json_number_value(hv) : NAN;
        has_h |= json_is_number(hv);
        lo = fmin(lo, a[i]);
        hi = fmax(hi, a[i]);
        if (isfinite(h[i])) {
            lo = fmin(lo, h[i]);
            hi = fmax(hi, h[i]);
        }
    }
    if (!(hi > lo)) hi = lo + 1e-3;
    fprintf(f, "<section id=\"learning\"><h2>Learning curve</h2><div class=\"plots\">\n");
    gn__plot p;
    gn__plot_begin(&p, f, "curve", "Loss by pass", "pass", "mean loss", 1, n > 1 ? (double)n : 2, lo, hi, 0, "");
    gn__plot_line(&p, x, a, n, "s1");
    gn__plot_legend(&p, 0, "s1", "progressive");
    if (has_h) {
        gn__plot_line(&p, x, h, n, "s2");
        gn__plot_legend(&p, 1, "s2", "holdout");
    }
    gn__plot_end(&p);
    fprintf(f, "</div></section>\n");
    free(x);
    free(a);
    free(h);
    json_decref(c);
    return GN_OK;
}

static int write_summary(FILE *f, const char *text) {
    json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return gn__fail(GN_EINVAL, "report: summary: expected a JSON object");
    }
    fprintf(f, "<section id=\"summary\"><h2>Run</h2><table class=\"kv\">\n");
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        fprintf(f, "<tr><th>");
        gn__html_text(f, k);
        fprintf(f, "</th><td>");
        gn__html_text(f, s ? s : "");
        fprintf(f, "</td></tr>\n");
        free(s);
    }
    fprintf(f, "</table></section>\n");
    json_decref(o);
    return GN_OK;
}

static const char STYLE[] =
    "body{font:14px/1.4 sans-serif;margin:24px;color:#222;max-width:1250px}h1{font-size:22px}h2{font-size:18px;"
    "border-bottom:1px solid #ccc}table.kv th{text-align:left;padding-right:16px;font-weight:normal;color:#555}"
    "td.num{text-align:right;font-family:monospace}.plots{display:flex;flex-wrap:wrap;gap:8px}"
    "svg.plot{background:#fff;border:1px solid #eee}.frame{fill:none;stroke:#999}.grid{stroke:#eee}"
    ".tick,.leg{font-size:10px;fill:#555}.axis{font-size:11px;fill:#333}.ttl{font-size:13px;font-weight:bold}"
    "polyline{fill:none;stroke-width:1.8}.s1{stroke:#1f77b4;fill:#1f77b4}polyline.s1{fill:none}"
    ".s2{stroke:#d62728}.diag{stroke:#aaa;stroke-dasharray:4 3}.pos{fill:#d62728;stroke:#d62728}"
    ".neg{fill:#1f77b4;stroke:#1f77b4}.s1bar{fill:#1f77b4}.err{stroke:#888}"
    "table.cm td,table.cm th{border:1px solid #ccc;padding:4px 10px}table.cm{border-collapse:collapse}"
    ".wbar{display:inline-block;height:9px}.wbar.pos{background:#d62728}.wbar.neg{background:#1f77b4}";

gn_status gn_report_write(const gn_model *model, const char *const *test, size_t ntest, const gn_report_options *o,
                          const char *out_path, gn_metrics *metrics) {
    gn__clear_error();
    gn_report_options defaults;
    if (!o) {
        gn_report_options_init(&defaults);
        o = &defaults;
    }
    if (!model || !test || !ntest || !out_path) return gn__fail(GN_EINVAL, "report: NULL argument or no test data");
    if (!(o->threshold > 0 && o->threshold < 1)) return gn__fail(GN_EINVAL, "report: threshold must be in (0, 1)");
    scored s;
    memset(&s, 0, sizeof s);
    gn__report_mc mc;
    memset(&mc, 0, sizeof mc);
    const int multi = gn_model_outputs(model) > 1; /* softmax, oaa: multiclass.c's panels */
    if (multi) GN_TRY(gn__report_mc_collect(model, test, ntest, o->skip_bad, &mc));
    else GN_TRY(collect(model, test, ntest, o->skip_bad, &s));
    gn_atomic_file af;
    int st = gn__atomic_create(&af, out_path);
    if (st != GN_OK) {
        free(s.e);
        gn__report_mc_free(&mc);
        return st;
    }
    FILE *f = fdopen(af.fd, "w");
    if (!f) {
        st = gn__fail(GN_EIO, "%s: %s", out_path, GN_ERRNO_TEXT(errno));
        gn__atomic_discard(&af, NULL);
        free(s.e);
        gn__report_mc_free(&mc);
        return st;
    }
    const char *title = o->title ? o->title : "gannet report";
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>");
    gn__html_text(f, title);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>", STYLE);
    gn__html_text(f, title);
    fprintf(f, "</h1>\n<p>model %s: %s, %s loss, 2^%u slots, %zu non-zero weights; test data: ", gn_model_version(model),
            gn_model_kind_name(gn_model_get_kind(model)), gn_loss_name(gn_model_get_loss(model)),
            gn_model_get_bits(model), gn_model_nonzero(model));
    for (size_t i = 0; i < ntest; i++) {
        if (i) fputs(", ", f);
        gn__html_text(f, test[i]);
    }
    fprintf(f, "</p>\n");
    if (o->summary_json) st = write_summary(f, o->summary_json);
    if (st == GN_OK) {
        if (multi) {
            gn__report_mc_write(f, model, &mc);
        } else {
            write_metrics(f, &s);
            if (s.classification) write_classification(f, &s, o->threshold);
            else write_regression(f, &s);
            write_weights(f, model);
        }
    }
    if (st == GN_OK && o->tune_json) st = write_tune(f, o->tune_json);
    if (st == GN_OK && o->curve_json) st = write_curve(f, o->curve_json);
    fprintf(f, "<footer><p>gannet %s</p></footer></body></html>\n", gn_version());
    if (st == GN_OK && ferror(f)) st = gn__fail(GN_EIO, "%s: write failed", out_path);
    if (st == GN_OK) st = gn__atomic_commit(&af, f);
    else gn__atomic_discard(&af, f);
    if (st == GN_OK && metrics) *metrics = multi ? mc.m : s.m;
    free(s.e);
    gn__report_mc_free(&mc);
    return st;
}
