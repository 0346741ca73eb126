/* report/multiclass.c: the report's multiclass panels (see multiclass.h). */
#include "report/multiclass.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg.h"
#include "util/error.h"

int gn__report_mc_collect(const gn_model *model, const char *const *test, size_t ntest, int skip_bad,
                          gn__report_mc *out) {
    memset(out, 0, sizeof *out);
    gn_metrics_acc *acc = NULL;
    GN_TRY(gn_evaluate_acc(model, test, ntest, skip_bad, &out->m, &acc, &out->skipped));
    const size_t k = out->m.classes;
    int st = GN_OK;
    if (k < 2) st = gn__fail(GN_EUNSUPPORTED, "report: a model with %zu outputs whose metrics are not multiclass",
                             gn_model_outputs(model));
    else if (!(out->conf = malloc(k * k * sizeof *out->conf))) st = gn__fail(GN_ENOMEM, "out of memory");
    else st = gn_metrics_acc_confusion(acc, out->conf, k);
    gn_metrics_acc_free(acc);
    if (st != GN_OK) gn__report_mc_free(out);
    return st;
}

void gn__report_mc_free(gn__report_mc *mc) {
    free(mc->conf);
    mc->conf = NULL;
}

static void row(FILE *f, const char *name, double v) {
    fprintf(f, "<tr><th>%s</th><td class=\"num\" data-metric=\"%s\">%.6f</td></tr>\n", name, name, v);
}

static const char *class_name(const gn_model *model, size_t i, char buf[32]) {
    const char *s = gn_model_class_name(model, i);
    if (s) return s;
    snprintf(buf, 32, "%zu", i);
    return buf;
}

void gn__report_mc_write(FILE *f, const gn_model *model, const gn__report_mc *mc) {
    const gn_metrics *m = &mc->m;
    const size_t k = m->classes;
    const double *c = mc->conf;
    char nb[32];
    fprintf(f, "<section id=\"metrics\"><h2>Metrics on the test data (%zu classes)</h2><table class=\"kv\">\n", k);
    fprintf(f, "<tr><th>examples</th><td class=\"num\" data-metric=\"examples\">%llu</td></tr>\n",
            (unsigned long long)m->examples);
    if (mc->skipped) fprintf(f, "<tr><th>bad lines skipped</th><td class=\"num\">%llu</td></tr>\n", (unsigned long long)mc->skipped);
    row(f, "accuracy", m->accuracy);
    fprintf(f, "<tr><th>top-%u accuracy</th><td class=\"num\" data-k=\"%u\" data-metric=\"top_k_accuracy\">%.6f</td></tr>\n",
            (unsigned)m->top_k, (unsigned)m->top_k, m->top_k_accuracy);
    row(f, "logloss", m->logloss);
    row(f, "macro_f1", m->macro_f1);
    row(f, "micro_f1", m->micro_f1);
    row(f, "weighted_f1", m->weighted_f1);
    fprintf(f, "</table></section>\n");

    /* confusion matrix: rows true, columns predicted; the cell shade is its share of the row */
    fprintf(f, "<section id=\"confusion\"><h2>Confusion matrix (rows: true class, columns: predicted)</h2>"
               "<table class=\"cm\"><tr><th></th>");
    for (size_t j = 0; j < k; j++) {
        fprintf(f, "<th>");
        gn__html_text(f, class_name(model, j, nb));
        fprintf(f, "</th>");
    }
    fprintf(f, "</tr>\n");
    for (size_t i = 0; i < k; i++) {
        double rs = 0;
        for (size_t j = 0; j < k; j++) rs += c[i * k + j];
        fprintf(f, "<tr><th>");
        gn__html_text(f, class_name(model, i, nb));
        fprintf(f, "</th>");
        for (size_t j = 0; j < k; j++) {
            double share = rs > 0 ? c[i * k + j] / rs : 0;
            fprintf(f, "<td class=\"num\" data-cm=\"%zu,%zu\" style=\"background:rgba(31,119,180,%.2f)\">%.17g</td>", i, j,
                    0.8 * share, c[i * k + j]);
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table></section>\n");

    /* per class: precision, recall, F1 and support from the confusion matrix; an F1 bar chart */
    double *f1 = malloc(k * sizeof *f1);
    fprintf(f, "<section id=\"per_class\"><h2>Per class</h2><table class=\"cm\"><tr><th>class</th><th>precision</th>"
               "<th>recall</th><th>F1</th><th>support</th></tr>\n");
    for (size_t i = 0; i < k; i++) {
        double tp = c[i * k + i], row_sum = 0, col_sum = 0;
        for (size_t j = 0; j < k; j++) {
            row_sum += c[i * k + j];
            col_sum += c[j * k + i];
        }
        double p = col_sum > 0 ? tp / col_sum : 0, r = row_sum > 0 ? tp / row_sum : 0;
        double fi = p + r > 0 ? 2 * p * r / (p + r) : 0;
        if (f1) f1[i] = fi;
        fprintf(f, "<tr data-class=\"%zu\"><th>", i);
        gn__html_text(f, class_name(model, i, nb));
        fprintf(f, "</th><td class=\"num\" data-precision>%.6f</td><td class=\"num\" data-recall>%.6f</td>"
                   "<td class=\"num\" data-f1>%.6f</td><td class=\"num\" data-support>%.17g</td></tr>\n",
                p, r, fi, row_sum);
    }
    fprintf(f, "</table>\n");
    if (f1) {
        fprintf(f, "<div class=\"plots\">\n");
        gn__plot pl;
        gn__plot_begin(&pl, f, "f1_by_class", "F1 by class", "class index", "F1", -0.5, (double)k - 0.5, 0, 1, 0, "");
        for (size_t i = 0; i < k; i++) gn__plot_bar(&pl, (double)i - 0.35, (double)i + 0.35, f1[i], "s1bar");
        gn__plot_end(&pl);
        fprintf(f, "</div>\n");
        free(f1);
    }
    fprintf(f, "</section>\n");
}
