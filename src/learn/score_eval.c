/* learn/score_eval.c: raw scores -> loss and metrics (see score_eval.h). */
#include "learn/score_eval.h"

#include <math.h>

#include "learn/loss.h"
#include "model/loss_table.h"
#include "util/error.h"

int gn__metrics_acc_for(gn_loss loss, size_t k, gn_metrics_acc **out) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    if (li && li->label_kind == GN_LABEL_CLASS) {
        if (k > GN_METRICS_MAX_CLASSES) return gn__fail(GN_EINVAL, "metrics: %zu classes is too many", k);
        return gn_metrics_acc_new_multiclass((uint32_t)k, out);
    }
    return gn_metrics_acc_new(li && li->label_kind == GN_LABEL_BINARY, out);
}

int gn__metrics_add_scores(gn_metrics_acc *acc, gn_loss loss, double tau, double *scores, size_t k, double y,
                           double wt, double *loss_out) {
    const double lv = gn__loss_row(loss, scores, k, y, tau);
    if (loss_out) *loss_out = lv;
    if (loss == GN_LOSS_SOFTMAX) {
        for (size_t j = 0; j < k; j++)
            if (!isfinite(scores[j])) return gn__fail(GN_EINVAL, "metrics: score %g is not finite", scores[j]);
        gn__link_row(loss, scores, k);
        return gn_metrics_acc_add_probs(acc, scores, k, y >= 0 && y < (double)k ? (uint32_t)y : 0, wt, lv);
    }
    return gn_metrics_acc_add(acc, gn__link(loss, scores[0]), y, wt, lv);
}
