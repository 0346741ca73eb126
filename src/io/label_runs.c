/* io/label_runs.c: runs of equal labels and the sorted-input rule (see label_runs.h). */
#include "io/label_runs.h"

#include <stdio.h>
#include <string.h>

void gn__label_runs_init(gn_label_runs *r) { memset(r, 0, sizeof *r); }

/* Adds k examples to class id; returns its index (0 after an overflow). */
static size_t count_class(gn_label_runs *r, uint64_t id, uint64_t k) {
    for (size_t i = 0; i < r->nclasses; i++)
        if (r->class_id[i] == id) {
            r->class_n[i] += k;
            return i;
        }
    if (r->nclasses == GN_LABEL_RUNS_CLASSES) {
        r->overflow = 1;
        return 0;
    }
    r->class_id[r->nclasses] = id;
    r->class_n[r->nclasses] = k;
    return r->nclasses++;
}

void gn__label_runs_add(gn_label_runs *r, uint64_t id) {
    r->n++;
    if (r->open && id == r->last) { /* the common case: the run goes on, same class */
        if (!r->overflow) r->class_n[r->last_class]++;
        return;
    }
    if (!r->open) {
        r->open = 1;
        r->segments++;
    }
    r->runs++;
    r->last = id;
    if (!r->overflow) r->last_class = count_class(r, id, 1);
}

void gn__label_runs_add_floats(gn_label_runs *r, const float *labels, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = labels[i] == 0.0f ? 0.0f : labels[i];
        uint32_t bits;
        memcpy(&bits, &v, sizeof bits);
        gn__label_runs_add(r, bits);
    }
}

void gn__label_runs_end_segment(gn_label_runs *r) { r->open = 0; }

void gn__label_runs_merge(gn_label_runs *into, const gn_label_runs *from) {
    into->n += from->n;
    into->runs += from->runs;
    into->segments += from->segments;
    into->open = 0; /* what follows is a new segment */
    if (from->overflow) into->overflow = 1;
    for (size_t i = 0; i < from->nclasses && !into->overflow; i++) count_class(into, from->class_id[i], from->class_n[i]);
}

void gn__label_runs_judge(const gn_label_runs *r, gn_label_runs_result *out) {
    memset(out, 0, sizeof *out);
    out->n = r->n;
    out->runs = r->runs;
    out->segments = r->segments;
    out->classes = r->nclasses;
    if (r->overflow || r->n == 0) return;
    double sum_p2 = 0.0;
    for (size_t i = 0; i < r->nclasses; i++) {
        double p = (double)r->class_n[i] / (double)r->n;
        sum_p2 += p * p;
    }
    double q = 1.0 - sum_p2;
    if (q < 0.0) q = 0.0;
    double pairs = (double)(r->n - r->segments);
    double expected_changes = pairs * q;
    out->expected_runs = (double)r->segments + expected_changes;
    out->mean_run = r->runs ? (double)r->n / (double)r->runs : 0.0;
    out->expected_mean_run = out->expected_runs > 0 ? (double)r->n / out->expected_runs : 0.0;
    if (r->nclasses < 2 || expected_changes < GN_LABEL_RUNS_MIN_EXPECTED) return;
    out->applies = 1;
    double changes = (double)(r->runs - r->segments);
    out->sorted = changes < 0.5 * expected_changes;
}

const char *gn__label_runs_message(const gn_label_runs_result *res, const char *hint, char *msg, size_t size) {
    snprintf(msg, size,
             "labels come in long runs: %llu examples in %llu runs of equal labels (mean run %.1f), where a "
             "random order would give about %.0f runs (mean run %.1f); the input looks sorted by label, and "
             "an online pass learns poorly from sorted data%s%s",
             (unsigned long long)res->n, (unsigned long long)res->runs, res->mean_run, res->expected_runs,
             res->expected_mean_run, hint && hint[0] ? ": " : "", hint ? hint : "");
    return msg;
}

void gn__label_runs_pack2(const gn_label_runs *r, uint64_t id0, uint64_t id1, uint64_t out[GN_LABEL_RUNS_PACKED]) {
    uint64_t n0 = 0, n1 = 0;
    for (size_t i = 0; i < r->nclasses; i++) {
        if (r->class_id[i] == id0) n0 += r->class_n[i];
        else if (r->class_id[i] == id1) n1 += r->class_n[i];
    }
    out[0] = r->n;
    out[1] = r->runs;
    out[2] = r->segments;
    out[3] = n0;
    out[4] = n1;
    out[5] = r->overflow ? r->n + 1 : r->n - n0 - n1; /* "other": anything else */
}

void gn__label_runs_unpack2(gn_label_runs *r, uint64_t id0, uint64_t id1, const uint64_t in[GN_LABEL_RUNS_PACKED]) {
    gn__label_runs_init(r);
    r->n = in[0];
    r->runs = in[1];
    r->segments = in[2];
    if (in[5]) {
        r->overflow = 1;
        return;
    }
    if (in[3]) {
        r->class_id[r->nclasses] = id0;
        r->class_n[r->nclasses++] = in[3];
    }
    if (in[4]) {
        r->class_id[r->nclasses] = id1;
        r->class_n[r->nclasses++] = in[4];
    }
}
