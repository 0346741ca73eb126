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

int gn__model_check_class_output(const gn_model *m) {
    if (!binary_loss(m->loss))
        return gn__fail(GN_EINVAL, "class output needs a classification model (logistic, hinge), not a %s one",
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
