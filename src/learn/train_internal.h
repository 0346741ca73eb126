/* learn/train_internal.h: pieces of training shared between the online loop (train.c), the
 * batch solvers (lbfgs.c), model selection (select/) and distributed training (dist/). */
#ifndef GN_LEARN_TRAIN_INTERNAL_H
#define GN_LEARN_TRAIN_INTERNAL_H

#include <jansson.h>

#include "gannet/gannet.h"
#include "io/parser.h"
#include "io/source.h"

/* The label kind a loss needs. */
gn_label_kind gn__label_kind_for(gn_loss loss);
/* The training flags as a JSON object (resolved optimizer). New reference. */
json_t *gn__train_options_json(const gn_train_options *o);
/* Sets m->extra (train flags, data summary, metrics, CSV columns) and m->created. */
int gn__attach_metadata(gn_model *m, const gn_train_options *o, const char *const *paths, size_t npaths,
                        const gn_train_summary *sum, gn_parser *parser);
/* L-BFGS / OWL-QN over the whole source (learn/lbfgs.c). */
int gn__train_batch_solver(const gn_train_options *o, gn_source *src, gn_progress_fn fn, void *user,
                           gn_model **out, gn_train_summary *sum, const char *const *paths, size_t npaths);

#endif
