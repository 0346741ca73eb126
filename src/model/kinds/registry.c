/* model/kinds/registry.c: the model kinds this build knows. Adding a kind: its file in this
 * folder, one line here, its tests and docs. The model loader and the learners find kinds here
 * by the model file's "kind" name or by gn_model_kind. */
#include <string.h>

#include "model/kind.h"

extern const gn_kind gn__kind_linear;
extern const gn_kind gn__kind_softmax;
extern const gn_kind gn__kind_oaa;
extern const gn_kind gn__kind_fm;
extern const gn_kind gn__kind_ffm;
extern const gn_kind gn__kind_mf;

static const gn_kind *const kinds[] = {
    &gn__kind_linear,
    &gn__kind_softmax,
    &gn__kind_oaa,
    &gn__kind_fm,
    &gn__kind_ffm,
    &gn__kind_mf,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

size_t gn__kind_count(void) { return NKINDS; }
const gn_kind *gn__kind_at(size_t i) { return i < NKINDS ? kinds[i] : NULL; }

const gn_kind *gn__kind_by_id(gn_model_kind id) {
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i]->id == id) return kinds[i];
    return NULL;
}

const gn_kind *gn__kind_by_name(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
    return NULL;
}
