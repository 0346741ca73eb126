/* model/classes.c: the classes of a classification model, from its "labels" header key (written
 * by training, io/labels.h): checked when a model is loaded, handed to the parsers that read
 * prediction and evaluation input, and exposed by gn_model_classes / gn_model_class_name. A
 * binary model without the key (written before classes had names) follows the numeric rule,
 * +1/-1 or 1/0, and names its classes "-1" and "1". Whether a loss is binary and what its
 * predictions mean come from the loss table; nothing here reads weights. */
#include <string.h>

#include "io/labels.h"
#include "io/parser.h"
#include "model/loss_table.h"
#include "model/model.h"
#include "util/error.h"

static int binary_loss(gn_loss loss) {
    const gn__loss_info *li = gn__loss_info_of(loss);
    return li && li->binary;
}

static const json_t *labels_key(const gn_model *m) { return m->extra ? json_object_get(m->extra, "labels") : NULL; }

int gn__model_check_labels(const gn_model *m) {
    const json_t *j = labels_key(m);
    if (!j) return GN_OK;
    gn_labels *l;
    GN_TRY(gn__labels_from_json(j, &l));
    int st = GN_OK;
    if (binary_loss(m->loss) && !gn__labels_is_binary(l))
        st = gn__fail(GN_EFORMAT, "labels: a %s model needs two classes and a positive one", gn_loss_name(m->loss));
    gn__labels_free(l);
    return st;
}

int gn__model_attach_labels(const gn_model *m, gn_parser *p) {
    const json_t *j = labels_key(m);
    if (!j) return GN_OK;
    gn_labels *l;
    GN_TRY(gn__labels_from_json(j, &l));
    gn__parser_set_labels(p, l);
    return GN_OK;
}

gn_status gn_model_classes(const gn_model *model, size_t *n) {
    if (!model || !n) return gn__fail(GN_EINVAL, "model classes: NULL argument");
    const json_t *j = labels_key(model);
    if (j) *n = json_array_size(json_object_get(j, "classes"));
    else *n = binary_loss(model->loss) ? 2 : 0;
    return GN_OK;
}

const char *gn_model_class_name(const gn_model *model, size_t i) {
    if (!model) return NULL;
    const json_t *j = labels_key(model);
    if (j) return json_string_value(json_array_get(json_object_get(j, "classes"), i)); /* NULL past the end */
    if (!binary_loss(model->loss) || i > 1) return NULL;
    return i ? "1" : "-1";
}

int gn__model_multiclass(const gn_model *m) {
    const gn__loss_info *li = gn__loss_info_of(m->loss);
    return li && li->link == GN__LINK_SOFTMAX;
}

int gn__model_check_class_output(const gn_model *m) {
    if (gn__model_multiclass(m)) {
        size_t k = 0;
        GN_TRY(gn_model_classes(m, &k));
        if (k != gn_model_outputs(m))
            return gn__fail(GN_EINVAL, "this model names %zu classes but makes %zu predictions", k, gn_model_outputs(m));
        return GN_OK;
    }
    if (!binary_loss(m->loss))
        return gn__fail(GN_EINVAL, "class output needs a classification model (logistic, hinge, softmax), not a %s one",
                        gn_loss_name(m->loss));
    if (gn_model_outputs(m) != 1)
        return gn__fail(GN_EINVAL, "class output needs one prediction per example (this model makes %zu)",
                        gn_model_outputs(m));
    return GN_OK;
}

const char *gn__model_class_of(const gn_model *m, double prediction) {
    /* a probability of the positive class (logistic link), or a margin whose sign decides */
    const gn__loss_info *li = gn__loss_info_of(m->loss);
    int positive = li && li->link == GN__LINK_LOGISTIC ? prediction >= 0.5 : prediction >= 0.0;
    const char *name = gn_model_class_name(m, positive ? 1 : 0);
    return name ? name : "?";
}

const char *gn__model_class_of_row(const gn_model *m, const double *pred) {
    if (!gn__model_multiclass(m)) return gn__model_class_of(m, pred[0]);
    const size_t k = gn_model_outputs(m);
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (pred[j] > pred[best]) best = j;
    const char *name = gn_model_class_name(m, best);
    return name ? name : "?";
}

/* Appends to buf as snprintf does, tracking the length needed. */
typedef struct text_out {
    char *buf;
    size_t size, len;
} text_out;

static void put_bytes(text_out *o, const char *s, size_t n) {
    if (o->len < o->size) {
        size_t room = o->size - o->len - 1, c = n < room ? n : room;
        memcpy(o->buf + o->len, s, c);
        o->buf[o->len + c] = '\0';
    }
    o->len += n;
}

/* A class name as a JSON string: names are valid UTF-8 without control characters
 * (io/labels.h), so only quotes and backslashes need escaping. */
static void put_json_name(text_out *o, const char *s) {
    put_bytes(o, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') put_bytes(o, "\\", 1);
        put_bytes(o, p, 1);
    }
    put_bytes(o, "\"", 1);
}

static void put_prob(text_out *o, double p) {
    char num[64];
    int n = gn__format_prediction(p, num, sizeof num);
    put_bytes(o, num, n > 0 ? (size_t)n : 0);
}

int gn__format_classes(const gn_model *m, const double *pred, int form, size_t top_n, char *buf, size_t size) {
    size_t k = 0;
    if (gn_model_classes(m, &k) != GN_OK) return -1;
    const gn__loss_info *li = gn__loss_info_of(m->loss);
    const int multi = gn__model_multiclass(m);
    if (!(multi || (li && li->binary && li->link == GN__LINK_LOGISTIC)) || k < 2 || (multi && k != gn_model_outputs(m))) {
        gn__fail(GN_EINVAL, "class probabilities need a logistic or softmax model, not a %s one", gn_loss_name(m->loss));
        return -1;
    }
    double two[2];
    const double *p = pred;
    if (!multi) { /* binary: [negative, positive] */
        two[0] = 1.0 - pred[0];
        two[1] = pred[0];
        p = two;
        k = 2;
    }
    text_out o = {buf, size, 0};
    if (size) buf[0] = '\0';
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (p[j] > p[best]) best = j;
    if (form == GN__CLASSES_JSON) {
        put_bytes(&o, "{\"class\":", 9);
        put_json_name(&o, gn_model_class_name(m, best));
        put_bytes(&o, ",\"probabilities\":{", 18);
        for (size_t j = 0; j < k; j++) {
            if (j) put_bytes(&o, ",", 1);
            put_json_name(&o, gn_model_class_name(m, j));
            put_bytes(&o, ":", 1);
            put_prob(&o, p[j]);
        }
        put_bytes(&o, "}}", 2);
        return (int)o.len;
    }
    if (top_n == 0 || top_n >= k) { /* every class in class order */
        for (size_t j = 0; j < k; j++) {
            const char *name = gn_model_class_name(m, j);
            if (j) put_bytes(&o, " ", 1);
            put_bytes(&o, name, strlen(name));
            put_bytes(&o, ":", 1);
            put_prob(&o, p[j]);
        }
        return (int)o.len;
    }
    /* the top_n most probable, by repeated selection (top_n is small); ties: the lower index */
    unsigned char taken[GN__MODEL_MAX_WEIGHTS_PER_SLOT] = {0};
    for (size_t t = 0; t < top_n; t++) {
        size_t b = k;
        for (size_t j = 0; j < k; j++)
            if (!taken[j] && (b == k || p[j] > p[b])) b = j;
        taken[b] = 1;
        const char *name = gn_model_class_name(m, b);
        if (t) put_bytes(&o, " ", 1);
        put_bytes(&o, name, strlen(name));
        put_bytes(&o, ":", 1);
        put_prob(&o, p[b]);
    }
    return (int)o.len;
}
