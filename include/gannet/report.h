/* gannet/report.h: an evaluation report as one self-contained HTML file (inline SVG and CSS; no
 * script, font or image fetched from anywhere). For a classifier: ROC and precision-recall
 * curves, a calibration (reliability) plot, score histograms by class, lift and cumulative gain,
 * the confusion matrix at the threshold; for a regressor: predicted against actual and residual
 * plots; for both: the metrics, the largest weights (by feature number for LIBSVM input read
 * without hashing, else by hashed slot), and, when given, the tune results (the metric against
 * each parameter, mean +- std over folds) and the learning curve (loss by pass).
 *
 * Every number shown is computed here from one streaming pass over the test files (the same
 * metrics as gn_evaluate). Elements carry ids/classes the tests read (svg#roc, svg#pr, ...;
 * data-auc on the ROC plot). Thread-safe: separate calls may run at once. */
#ifndef GANNET_REPORT_H
#define GANNET_REPORT_H

#include <stddef.h>

#include "gannet/metrics.h"
#include "gannet/model.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_report_options {
    const char *title;        /* the page title; NULL: "gannet report" */
    double threshold;         /* classification threshold on probabilities; default 0.5 */
    int skip_bad;             /* 1: skip bad test lines (counted in the report) */
    const char *tune_json;    /* NULL, or {"metric":"auc","results":[{"params":{"l2":"1",...},
                                 "mean":0.9,"std":0.01},...]} */
    const char *curve_json;   /* NULL, or [{"pass":1,"progressive_loss":0.4,"holdout_loss":0.38},...] */
    const char *summary_json; /* NULL, or a JSON object shown as a key/value table (run facts) */
} gn_report_options;

void gn_report_options_init(gn_report_options *o);

/* Evaluates model on the test files and writes the report to out_path (atomically). *metrics
 * (may be NULL): the metrics shown. Errors: the evaluation's (file:line on bad input), GN_EIO,
 * GN_EINVAL for a tune_json/curve_json/summary_json that is not the JSON described above. */
gn_status gn_report_write(const gn_model *model, const char *const *test, size_t ntest, const gn_report_options *o,
                          const char *out_path, gn_metrics *metrics);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
