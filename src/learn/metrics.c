/* learn/metrics.c: evaluation metrics (gannet/metrics.h).
 *
 * Everything but AUC is a weighted streaming sum. Exact AUC needs every (prediction, label,
 * weight): a classification accumulator keeps 8 bytes per example, the prediction as a float and
 * the weight as a float whose sign bit carries the label (weights are never negative, and -0.0f
 * keeps the label of a zero-weight example). Predictions are thus compared at float precision
 * for AUC: predictions equal as floats are ties.
 *
 * Definitions (w = example weight, y = 1 for label > 0 else 0 in classification, p = prediction):
 *   logloss   = -sum w (y log p' + (1-y) log(1-p')) / sum w, p' = p clipped to [1e-15, 1-1e-15]
 *   auc       = P(p_pos > p_neg) + P(p_pos == p_neg) / 2 over weighted pairs; NaN if either
 *               class has zero total weight
 *   accuracy  = weight of examples with (p > 0.5) == y, over sum w
 *   precision = tp / (tp + fp), recall = tp / (tp + fn), f1 = 2PR / (P + R), predicted positive
 *               meaning p > 0.5; each is 0 when its denominator is 0 (no predicted positives, no
 *               positives, or P = R = 0)
 *   rmse, mae = of p - y (classification) or p - label (regression), weighted
 *   mean_loss = sum w loss / sum w
 * With zero total weight the weighted means are NaN.
 *
 * Multiclass (K classes; p_k the class probabilities, c the true class, q = argmax_k p_k with ties
 * to the lower index): a K x K confusion matrix of weights (row c, column q), and
 *   logloss   = -sum w log p_c' / sum w (p_c clipped to [1e-15, 1])
 *   accuracy  = weight with q == c over sum w; top_k_accuracy: c among the k largest p (k = min(5,
 *               K-1); a class tied with the k-th counts in)
 *   per class j: P_j = C[j][j] / column sum, R_j = C[j][j] / row sum, F1_j = 2PR/(P+R) (0 for a 0
 *               denominator); macro = mean over the K classes, weighted = by row sums, micro F1 =
 *               accuracy; precision, recall and f1 report the macro averages. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gannet/gannet.h"
#include "util/error.h"

#define GN_LOGLOSS_EPS 1e-15
#define GN_METRICS_MIN_CAP 1024

typedef struct scored {
    float prediction;
    float signed_weight; /* sign bit set: positive label */
} scored;

struct gn_metrics_acc {
    int classification;
    uint64_t examples;
    double weight_sum, logloss_sum, correct, tp, fp, fn, sq_err, abs_err, loss_sum;
    scored *items; /* classification only */
    size_t n, cap;
    uint32_t classes, top_k; /* multiclass: K (0 otherwise) */
    double *confusion;       /* K x K, row = true class */
    double topk_correct;
};

gn_status gn_metrics_acc_new(int classification, gn_metrics_acc **out) {
    if (!out) return gn__fail(GN_EINVAL, "metrics: NULL argument");
    gn_metrics_acc *acc = calloc(1, sizeof *acc);
    if (!acc) return gn__fail(GN_ENOMEM, "metrics: out of memory");
    acc->classification = classification ? 1 : 0;
    *out = acc;
    return GN_OK;
}

gn_status gn_metrics_acc_new_multiclass(uint32_t k, gn_metrics_acc **out) {
    if (!out) return gn__fail(GN_EINVAL, "metrics: NULL argument");
    if (k < 2 || k > GN_METRICS_MAX_CLASSES)
        return gn__fail(GN_EINVAL, "metrics: %u classes (2 to %d)", (unsigned)k, GN_METRICS_MAX_CLASSES);
    gn_metrics_acc *acc = calloc(1, sizeof *acc);
    double *conf = calloc((size_t)k * k, sizeof *conf);
    if (!acc || !conf) {
        free(acc);
        free(conf);
        return gn__fail(GN_ENOMEM, "metrics: out of memory");
    }
    acc->classification = 1;
    acc->classes = k;
    acc->top_k = k - 1 < 5 ? k - 1 : 5;
    acc->confusion = conf;
    *out = acc;
    return GN_OK;
}

gn_status gn_metrics_acc_add_probs(gn_metrics_acc *acc, const double *probs, size_t k, uint32_t label, double weight,
                                   double loss) {
    if (!acc || !probs) return gn__fail(GN_EINVAL, "metrics: NULL argument");
    if (!acc->classes || k != acc->classes)
        return gn__fail(GN_EINVAL, "metrics: %zu probabilities for an accumulator of %u classes", k, (unsigned)acc->classes);
    if (label >= k) return gn__fail(GN_EINVAL, "metrics: class %u out of range (%zu classes)", (unsigned)label, k);
    if (!isfinite(weight) || weight < 0.0)
        return gn__fail(GN_EINVAL, "metrics: weight %g is not a finite non-negative number", weight);
    size_t best = 0;
    for (size_t j = 0; j < k; j++) {
        if (!isfinite(probs[j])) return gn__fail(GN_EINVAL, "metrics: probability %g is not finite", probs[j]);
        if (probs[j] > probs[best]) best = j;
    }
    const double pc = probs[label];
    size_t above = 0; /* classes strictly more probable than the true one */
    for (size_t j = 0; j < k; j++) above += probs[j] > pc;
    acc->confusion[(size_t)label * k + best] += weight;
    if (above < acc->top_k) acc->topk_correct += weight;
    if (best == label) acc->correct += weight;
    acc->logloss_sum -= weight * log(pc < GN_LOGLOSS_EPS ? GN_LOGLOSS_EPS : pc);
    acc->examples++;
    acc->weight_sum += weight;
    acc->loss_sum += weight * loss;
    return GN_OK;
}

gn_status gn_metrics_acc_confusion(const gn_metrics_acc *acc, double *out, size_t k) {
    if (!acc || !out) return gn__fail(GN_EINVAL, "metrics: NULL argument");
    if (!acc->classes || k != acc->classes)
        return gn__fail(GN_EINVAL, "metrics: the accumulator has %u classes, not %zu", (unsigned)acc->classes, k);
    memcpy(out, acc->confusion, k * k * sizeof *out);
    return GN_OK;
}

/* The multiclass fields of *m from the confusion matrix. */
static void multiclass_result(const gn_metrics_acc *acc, gn_metrics *m) {
    const size_t k = acc->classes;
    const double ws = acc->weight_sum;
    double macro_p = 0, macro_r = 0, macro_f = 0, weighted = 0;
    for (size_t j = 0; j < k; j++) {
        double row = 0, col = 0;
        for (size_t i = 0; i < k; i++) {
            row += acc->confusion[j * k + i];
            col += acc->confusion[i * k + j];
        }
        const double tp = acc->confusion[j * k + j];
        const double p = col > 0 ? tp / col : 0.0, r = row > 0 ? tp / row : 0.0;
        const double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
        macro_p += p;
        macro_r += r;
        macro_f += f;
        weighted += row * f;
    }
    m->classes = acc->classes;
    m->top_k = acc->top_k;
    m->logloss = ws > 0 ? acc->logloss_sum / ws : NAN;
    m->accuracy = ws > 0 ? acc->correct / ws : NAN;
    m->top_k_accuracy = ws > 0 ? acc->topk_correct / ws : NAN;
    m->precision = macro_p / (double)k;
    m->recall = macro_r / (double)k;
    m->f1 = m->macro_f1 = macro_f / (double)k;
    m->micro_f1 = m->accuracy;
    m->weighted_f1 = ws > 0 ? weighted / ws : NAN;
    m->auc = m->rmse = m->mae = NAN;
}

void gn_metrics_acc_free(gn_metrics_acc *acc) {
    if (!acc) return;
    free(acc->confusion);
    free(acc->items);
    free(acc);
}

/* Makes room for `more` items, doubling. */
static int reserve(gn_metrics_acc *acc, size_t more) {
    if (more <= acc->cap - acc->n) return GN_OK;
    if (more > SIZE_MAX / sizeof(scored) - acc->n) return gn__fail(GN_ENOMEM, "metrics: too many examples");
    size_t need = acc->n + more;
    size_t cap = acc->cap ? acc->cap : GN_METRICS_MIN_CAP;
    while (cap < need) cap = cap > SIZE_MAX / sizeof(scored) / 2 ? need : cap * 2;
    scored *items = realloc(acc->items, cap * sizeof(scored));
    if (!items) return gn__fail(GN_ENOMEM, "metrics: out of memory for %zu examples", cap);
    acc->items = items;
    acc->cap = cap;
    return GN_OK;
}

gn_status gn_metrics_acc_add(gn_metrics_acc *acc, double prediction, double label, double weight, double loss) {
    if (!acc) return gn__fail(GN_EINVAL, "metrics: NULL accumulator");
    if (acc->classes) return gn__fail(GN_EINVAL, "metrics: a multiclass accumulator takes probabilities (add_probs)");
    if (!isfinite(prediction)) return gn__fail(GN_EINVAL, "metrics: prediction %g is not finite", prediction);
    if (!isfinite(label)) return gn__fail(GN_EINVAL, "metrics: label %g is not finite", label);
    if (!isfinite(weight) || weight < 0.0)
        return gn__fail(GN_EINVAL, "metrics: weight %g is not a finite non-negative number", weight);
    if (acc->classification) {
        if (fabs(prediction) > FLT_MAX || weight > FLT_MAX)
            return gn__fail(GN_EINVAL, "metrics: prediction %g or weight %g overflows a float", prediction, weight);
        float p = (float)prediction;
        GN_TRY(reserve(acc, 1));
        int positive = label > 0.0;
        /* + 0.0f turns -0.0f into +0.0f so that the two zeros sort as one tie group. */
        acc->items[acc->n].prediction = p + 0.0f;
        acc->items[acc->n].signed_weight = positive ? -(float)weight : (float)weight;
        acc->n++;
        double y = positive ? 1.0 : 0.0;
        double pc = prediction < GN_LOGLOSS_EPS ? GN_LOGLOSS_EPS
                    : prediction > 1.0 - GN_LOGLOSS_EPS ? 1.0 - GN_LOGLOSS_EPS : prediction;
        acc->logloss_sum -= weight * (positive ? log(pc) : log(1.0 - pc));
        int predicted = prediction > 0.5;
        if (predicted == positive) acc->correct += weight;
        if (predicted && positive) acc->tp += weight;
        if (predicted && !positive) acc->fp += weight;
        if (!predicted && positive) acc->fn += weight;
        label = y;
    }
    double err = prediction - label;
    acc->examples++;
    acc->weight_sum += weight;
    acc->sq_err += weight * err * err;
    acc->abs_err += weight * fabs(err);
    acc->loss_sum += weight * loss;
    return GN_OK;
}

gn_status gn_metrics_acc_merge(gn_metrics_acc *into, const gn_metrics_acc *from) {
    if (!into || !from) return gn__fail(GN_EINVAL, "metrics: NULL accumulator");
    if (into->classification != from->classification)
        return gn__fail(GN_EINVAL, "metrics: cannot merge classification and regression accumulators");
    if (into->classes != from->classes)
        return gn__fail(GN_EINVAL, "metrics: cannot merge accumulators of %u and %u classes", (unsigned)into->classes,
                        (unsigned)from->classes);
    if (into->classes && into != from) {
        const size_t kk = (size_t)into->classes * into->classes;
        for (size_t i = 0; i < kk; i++) into->confusion[i] += from->confusion[i];
        into->topk_correct += from->topk_correct;
    } else if (into->classes) {
        const size_t kk = (size_t)into->classes * into->classes;
        for (size_t i = 0; i < kk; i++) into->confusion[i] *= 2;
        into->topk_correct *= 2;
    }
    size_t count = from->n; /* read before reserve: from may be into */
    GN_TRY(reserve(into, count));
    if (count) memcpy(into->items + into->n, from->items, count * sizeof(scored));
    into->n += count;
    into->examples += from->examples;
    into->weight_sum += from->weight_sum;
    into->logloss_sum += from->logloss_sum;
    into->correct += from->correct;
    into->tp += from->tp;
    into->fp += from->fp;
    into->fn += from->fn;
    into->sq_err += from->sq_err;
    into->abs_err += from->abs_err;
    into->loss_sum += from->loss_sum;
    return GN_OK;
}

/* Maps a float's bits to an unsigned key with the same order (no NaN here). */
static uint32_t order_key(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static int compare_scored(const void *a, const void *b) {
    float x = ((const scored *)a)->prediction, y = ((const scored *)b)->prediction;
    return (x > y) - (x < y);
}

/* LSD radix sort by prediction, 11-bit digits in 3 passes; falls back to qsort when the scratch
 * buffer cannot be allocated. */
static void sort_by_prediction(scored *items, size_t n) {
    if (n < 2) return;
    scored *tmp = n >= 256 ? malloc(n * sizeof(scored)) : NULL;
    if (!tmp) {
        qsort(items, n, sizeof(scored), compare_scored);
        return;
    }
    scored *src = items, *dst = tmp;
    for (unsigned shift = 0; shift < 33; shift += 11) {
        size_t count[2048] = {0};
        for (size_t i = 0; i < n; i++) count[(order_key(src[i].prediction) >> shift) & 2047u]++;
        size_t sum = 0;
        for (size_t d = 0; d < 2048; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(order_key(src[i].prediction) >> shift) & 2047u]++] = src[i];
        scored *t = src;
        src = dst;
        dst = t;
    }
    /* Three passes leave the result in tmp. */
    memcpy(items, src, n * sizeof(scored));
    free(tmp);
}

/* Weighted AUC over items sorted by prediction: each positive gains the weight of the negatives
 * below it plus half of the negatives tied with it (the trapezoid rule on the ROC curve). */
static double exact_auc(const scored *items, size_t n) {
    double pos_total = 0.0, neg_total = 0.0, area = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double pos = 0.0, neg = 0.0;
        while (j < n && items[j].prediction == items[i].prediction) {
            float w = items[j].signed_weight;
            if (signbit(w)) pos += -(double)w;
            else neg += (double)w;
            j++;
        }
        area += pos * (neg_total + 0.5 * neg);
        pos_total += pos;
        neg_total += neg;
        i = j;
    }
    if (pos_total <= 0.0 || neg_total <= 0.0) return NAN;
    return area / (pos_total * neg_total);
}

gn_status gn_metrics_acc_result(gn_metrics_acc *acc, gn_metrics *out) {
    if (!acc || !out) return gn__fail(GN_EINVAL, "metrics: NULL argument");
    gn_metrics m;
    memset(&m, 0, sizeof m);
    double ws = acc->weight_sum;
    m.examples = acc->examples;
    m.weight_sum = ws;
    m.classification = acc->classification;
    m.rmse = ws > 0.0 ? sqrt(acc->sq_err / ws) : NAN;
    m.mae = ws > 0.0 ? acc->abs_err / ws : NAN;
    m.mean_loss = ws > 0.0 ? acc->loss_sum / ws : NAN;
    if (acc->classes) {
        multiclass_result(acc, &m);
    } else if (acc->classification) {
        m.logloss = ws > 0.0 ? acc->logloss_sum / ws : NAN;
        m.accuracy = ws > 0.0 ? acc->correct / ws : NAN;
        m.precision = acc->tp + acc->fp > 0.0 ? acc->tp / (acc->tp + acc->fp) : 0.0;
        m.recall = acc->tp + acc->fn > 0.0 ? acc->tp / (acc->tp + acc->fn) : 0.0;
        m.f1 = m.precision + m.recall > 0.0 ? 2.0 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
        sort_by_prediction(acc->items, acc->n);
        m.auc = exact_auc(acc->items, acc->n);
    } else {
        m.logloss = m.auc = m.accuracy = m.precision = m.recall = m.f1 = NAN;
    }
    *out = m;
    return GN_OK;
}

/* snprintf into buf, tracking the full length as snprintf does. */
typedef struct json_out {
    char *buf;
    size_t size, len;
} json_out;

static void emit(json_out *o, const char *fmt, ...) GN_PRINTF(2, 3);
static void emit(json_out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

static void emit_number(json_out *o, const char *key, double v) {
    if (isfinite(v)) emit(o, ",\"%s\":%.17g", key, v);
    else emit(o, ",\"%s\":null", key); /* JSON has no NaN or infinity */
}

int gn_metrics_to_json(const gn_metrics *m, char *buf, size_t size) {
    if (!m || (!buf && size > 0)) {
        gn__fail(GN_EINVAL, "metrics: NULL argument");
        return -1;
    }
    json_out o = {buf, size, 0};
    if (size) buf[0] = '\0';
    emit(&o, "{\"examples\":%llu", (unsigned long long)m->examples);
    if (m->classification) {
        emit_number(&o, "logloss", m->logloss);
        emit_number(&o, "auc", m->auc);
        emit_number(&o, "accuracy", m->accuracy);
        emit_number(&o, "precision", m->precision);
        emit_number(&o, "recall", m->recall);
        emit_number(&o, "f1", m->f1);
    }
    if (m->classes) {
        emit(&o, ",\"classes\":%u,\"top_k\":%u", (unsigned)m->classes, (unsigned)m->top_k);
        emit_number(&o, "top_k_accuracy", m->top_k_accuracy);
        emit_number(&o, "macro_f1", m->macro_f1);
        emit_number(&o, "micro_f1", m->micro_f1);
        emit_number(&o, "weighted_f1", m->weighted_f1);
    }
    emit_number(&o, "rmse", m->rmse);
    emit_number(&o, "mae", m->mae);
    emit_number(&o, "mean_loss", m->mean_loss);
    if (m->rank_k) {
        char key[32];
        emit(&o, ",\"k\":%u,\"ranked_users\":%llu", (unsigned)m->rank_k, (unsigned long long)m->ranked_users);
        snprintf(key, sizeof key, "precision@%u", (unsigned)m->rank_k);
        emit_number(&o, key, m->precision_at_k);
        snprintf(key, sizeof key, "recall@%u", (unsigned)m->rank_k);
        emit_number(&o, key, m->recall_at_k);
        snprintf(key, sizeof key, "ndcg@%u", (unsigned)m->rank_k);
        emit_number(&o, key, m->ndcg_at_k);
        snprintf(key, sizeof key, "map@%u", (unsigned)m->rank_k);
        emit_number(&o, key, m->map_at_k);
        emit_number(&o, "coverage", m->coverage);
    }
    emit(&o, "}");
    return o.len > (size_t)INT32_MAX ? -1 : (int)o.len;
}
