/* model/loss_table.c: the loss table (see loss_table.h), the loss names of gannet/model.h and the
 * link functions. The loss values and derivatives themselves are in learn/loss.h (inline, on the
 * learners' hot path). */
#include "model/loss_table.h"

#include <math.h>
#include <string.h>

static const gn__loss_info losses[] = {
    {GN_LOSS_LOGISTIC, "logistic", GN_LABEL_BINARY, 1, 1, GN__LINK_LOGISTIC, GN_OPT_FTRL, GN_METRIC_AUC, GN_KIND_LINEAR,
     "log loss of a binary classifier; predictions are probabilities"},
    {GN_LOSS_SQUARED, "squared", GN_LABEL_REAL, 0, 1, GN__LINK_IDENTITY, GN_OPT_ADAGRAD, GN_METRIC_RMSE, GN_KIND_LINEAR,
     "least squares regression, (score - y)^2"},
    {GN_LOSS_HINGE, "hinge", GN_LABEL_BINARY, 1, 0, GN__LINK_IDENTITY, GN_OPT_ADAGRAD, GN_METRIC_AUC, GN_KIND_LINEAR,
     "linear SVM, max(0, 1 - y*score); predictions are margins"},
    {GN_LOSS_QUANTILE, "quantile", GN_LABEL_REAL, 0, 0, GN__LINK_IDENTITY, GN_OPT_ADAGRAD, GN_METRIC_RMSE, GN_KIND_LINEAR,
     "pinball loss at quantile_tau (0.5: median regression)"},
    {GN_LOSS_POISSON, "poisson", GN_LABEL_REAL, 0, 1, GN__LINK_EXP, GN_OPT_ADAGRAD, GN_METRIC_RMSE, GN_KIND_LINEAR,
     "Poisson regression for counts; predictions are exp(score)"},
    {GN_LOSS_SOFTMAX, "softmax", GN_LABEL_CLASS, 0, 1, GN__LINK_SOFTMAX, GN_OPT_FTRL, GN_METRIC_LOGLOSS,
     GN_KIND_SOFTMAX, "multinomial logistic regression over K classes; predictions are K probabilities"},
};
#define NLOSSES (sizeof losses / sizeof losses[0])

const gn__loss_info *gn__loss_info_of(gn_loss loss) {
    for (size_t i = 0; i < NLOSSES; i++)
        if (losses[i].loss == loss) return &losses[i];
    return NULL;
}

size_t gn__loss_count(void) { return NLOSSES; }
const gn__loss_info *gn__loss_at(size_t i) { return i < NLOSSES ? &losses[i] : NULL; }

const char *gn_loss_name(gn_loss loss) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    return li ? li->name : "unknown";
}

int gn_loss_parse(const char *name) {
    if (!name) return -1;
    for (size_t i = 0; i < NLOSSES; i++)
        if (strcmp(name, losses[i].name) == 0) return (int)losses[i].loss;
    return -1;
}

gn_label_kind gn__label_kind_for(gn_loss loss) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    return li ? li->label_kind : GN_LABEL_REAL;
}

gn_label_kind gn_loss_label_kind(gn_loss loss) { return gn__label_kind_for(loss); }

gn_select_metric gn_select_metric_default(gn_loss loss) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    return li ? li->default_metric : GN_METRIC_RMSE;
}

gn_optimizer gn__resolve_optimizer(gn_loss loss, gn_optimizer opt) {
    if (opt != GN_OPT_AUTO) return opt;
    const gn__loss_info *li = gn__loss_info_of(loss);
    return li ? li->default_optimizer : GN_OPT_ADAGRAD;
}

/* Above this score exp() would overflow a double (exp(709.8)); poisson predictions are capped at
 * exp(80) ~ 5.5e34, far beyond any count while keeping sums of predictions finite. */
#define GN_POISSON_MAX_SCORE 80.0

double gn__link(gn_loss loss, double score) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    switch (li ? li->link : GN__LINK_IDENTITY) {
    case GN__LINK_LOGISTIC: return gn__logistic(score);
    case GN__LINK_EXP: return exp(score < GN_POISSON_MAX_SCORE ? score : GN_POISSON_MAX_SCORE);
    case GN__LINK_SOFTMAX: /* one score alone: the probability of its class against a zero score */
        return gn__link(GN_LOSS_LOGISTIC, score);
    case GN__LINK_IDENTITY: break;
    }
    return score;
}

void gn__link_row(gn_loss loss, double *s, size_t k) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    if (!li || li->link != GN__LINK_SOFTMAX) {
        for (size_t i = 0; i < k; i++) s[i] = gn__link(loss, s[i]);
        return;
    }
    if (k == 0) return;
    double mx = s[0];
    for (size_t i = 1; i < k; i++)
        if (s[i] > mx) mx = s[i];
    double sum = 0.0;
    for (size_t i = 0; i < k; i++) sum += (s[i] = exp(s[i] - mx));
    const double inv = 1.0 / sum;
    for (size_t i = 0; i < k; i++) s[i] *= inv;
}

gn_model_kind gn__kind_for_loss(gn_loss loss) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    return li ? li->kind : GN_KIND_LINEAR;
}
