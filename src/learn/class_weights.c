/* learn/class_weights.c: per-class importance weights (--class-weights, --balanced): checking the
 * options, resolving them against the label dictionary, scaling example weights, and the
 * metadata form (see class_weights.h). */
#include "learn/class_weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/labels.h"
#include "io/numparse.h"
#include "model/loss_table.h"
#include "util/error.h"

int gn__class_weights_wanted(const gn_train_options *o) {
    return o->balanced || (o->class_weights && o->class_weights[0]);
}

/* One "name:weight" item of the list [s, e): the name (trimmed) and the weight. */
static int parse_item(const char *s, const char *e, const char **name, size_t *name_len, double *w) {
    const char *colon = NULL;
    for (const char *p = s; p < e; p++)
        if (*p == ':') colon = p; /* the last one: a class name may hold ':' */
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    if (!colon || colon == s)
        return gn__fail(GN_EINVAL, "class_weights: expected NAME:WEIGHT items (e.g. a:2,b:1), got '%.*s'",
                        (int)(e - s > 80 ? 80 : e - s), s);
    const char *ne = colon;
    while (ne > s && (ne[-1] == ' ' || ne[-1] == '\t')) ne--;
    const char *ws = colon + 1, *we = e;
    while (ws < we && (*ws == ' ' || *ws == '\t')) ws++;
    while (we > ws && (we[-1] == ' ' || we[-1] == '\t')) we--;
    double v = 0;
    const char *end = ws < we ? gn__parse_double(ws, we, &v) : NULL;
    if (!end || end != we || !isfinite(v) || !(v > 0))
        return gn__fail(GN_EINVAL, "class_weights: the weight of class '%.*s' must be a positive finite number, got '%.*s'",
                        (int)(ne - s > 80 ? 80 : ne - s), s, (int)(we - ws > 40 ? 40 : we - ws), ws);
    *name = s;
    *name_len = (size_t)(ne - s);
    *w = v;
    return GN_OK;
}

/* Calls item(ctx, name, len, w) for each item of the list. */
static int each_item(const char *list, int (*item)(void *, const char *, size_t, double), void *ctx) {
    const char *s = list;
    while (*s) {
        const char *e = strchr(s, ',');
        if (!e) e = s + strlen(s);
        const char *name = NULL;
        size_t len = 0;
        double w = 0;
        GN_TRY(parse_item(s, e, &name, &len, &w));
        if (item) GN_TRY(item(ctx, name, len, w));
        if (*e && !e[1]) return gn__fail(GN_EINVAL, "class_weights: an empty item after the last ','");
        s = *e ? e + 1 : e;
    }
    return GN_OK;
}

int gn__class_weights_check(const gn_train_options *o) {
    const int listed = o->class_weights && o->class_weights[0];
    if (!listed && !o->balanced) return GN_OK;
    const gn_label_kind lk = gn__label_kind_for(o->loss);
    if (lk != GN_LABEL_BINARY && lk != GN_LABEL_CLASS)
        return gn__fail(GN_EINVAL, "%s needs a classification loss (logistic, hinge, softmax), not %s",
                        o->balanced ? "balanced" : "class_weights", gn_loss_name(o->loss));
    if (listed && o->balanced)
        return gn__fail(GN_EINVAL, "class_weights and balanced are exclusive: give one of them");
    if (listed) GN_TRY(each_item(o->class_weights, NULL, NULL));
    return GN_OK;
}

typedef struct resolve_ctx {
    const gn_labels *labels;
    double *cw;
    unsigned char *seen;
    size_t n;
} resolve_ctx;

static int resolve_item(void *ctx_, const char *name, size_t len, double w) {
    resolve_ctx *c = ctx_;
    const long i = gn__labels_find(c->labels, name, len);
    if (i < 0 || (size_t)i >= c->n) {
        char classes[512];
        gn__labels_describe(c->labels, classes, sizeof classes);
        if (c->n > 2) {
            size_t at = 0;
            classes[0] = '\0';
            for (size_t k = 0; k < c->n && at + 8 < sizeof classes; k++)
                at += (size_t)snprintf(classes + at, sizeof classes - at, "%s'%s'", k ? ", " : "",
                                       gn__labels_name(c->labels, k));
        }
        return gn__fail(GN_EINVAL, "class_weights: '%.*s' is not a class of the data (the classes: %s)",
                        (int)(len > 80 ? 80 : len), name, classes);
    }
    if (c->seen[i]) return gn__fail(GN_EINVAL, "class_weights: class '%.*s' is given twice", (int)(len > 80 ? 80 : len), name);
    c->seen[i] = 1;
    c->cw[i] = w;
    return GN_OK;
}

int gn__class_weights_resolve(const gn_train_options *o, const gn_labels *labels, double *cw, size_t n) {
    for (size_t i = 0; i < n; i++) cw[i] = 1.0;
    if (!gn__class_weights_wanted(o)) return GN_OK;
    if (!labels || n == 0) return gn__fail(GN_EINVAL, "class weights: the classes of the data are not known");
    if (o->balanced) {
        uint64_t total = 0;
        size_t seen = 0;
        for (size_t i = 0; i < n; i++) {
            const uint64_t c = gn__labels_class_count(labels, i);
            total += c;
            seen += c > 0;
        }
        if (total == 0 || seen == 0) return gn__fail(GN_EINVAL, "balanced: no class counts known for the data");
        for (size_t i = 0; i < n; i++) {
            const uint64_t c = gn__labels_class_count(labels, i);
            if (c > 0) cw[i] = (double)total / ((double)seen * (double)c);
        }
        return GN_OK;
    }
    unsigned char *seenv = calloc(n, 1);
    if (!seenv) return gn__fail(GN_ENOMEM, "out of memory");
    resolve_ctx c = {labels, cw, seenv, n};
    const int st = each_item(o->class_weights, resolve_item, &c);
    free(seenv);
    return st;
}

void gn__class_weights_apply(const double *cw, size_t n, int binary, const float *label, float *weight, size_t count) {
    for (size_t e = 0; e < count; e++) {
        size_t k;
        if (binary) k = label[e] > 0;
        else {
            const float y = label[e];
            if (!(y >= 0) || (size_t)y >= n) continue; /* not a class index: left as is */
            k = (size_t)y;
        }
        if (k < n) weight[e] = (float)(weight[e] * cw[k]);
    }
}

json_t *gn__class_weights_json(const gn_labels *labels, const double *cw, size_t n) {
    json_t *j = json_object();
    if (!j) return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_real(cw[i]);
        if (!v || json_object_set_new(j, gn__labels_name(labels, i), v) != 0) {
            json_decref(j);
            return NULL;
        }
    }
    return j;
}
