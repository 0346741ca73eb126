/* serve/rank_req.h: turns a :recommend body for a feature model (kinds fm, ffm, linear) into the
 * top k of its posted candidates (gannet/recommend.h, gn_model_rank_named):
 * {"context": {feature: value, ...}, "candidates": [{feature: value, ...} | "item id", ...],
 * "k": 10, "item_field": "item"} or the batch form {"contexts": [{...}, ...], ...} with the same
 * candidates for every context. A model trained on text lines (libsvm, libfm, libffm, vw) also
 * takes the text-line form (gn_model_rank_lines): {"context": "a text line without label",
 * "candidates": ["a text line", ...], "k": 10} (or "contexts": ["line", ...]), each candidate
 * scored as the joined line `context candidate`; its items carry no "item". A pure function of
 * (model, body), like predict_req.h. */
#ifndef GN_SERVE_RANK_REQ_H
#define GN_SERVE_RANK_REQ_H

#include <stddef.h>

#include "gannet/gannet.h"
#include "serve/strbuf.h"

/* On success returns 200 and appends to out `"items":[{"item":I,"index":N,"score":S},...]` (one
 * context) or `"results":[{"items":[...]},...]` (contexts), best first; "item" is the candidate's
 * item_field value (absent when it has none), "index" its position in "candidates", "score" its
 * prediction. *count is the candidates scored (contexts x candidates). On failure an HTTP status
 * (400 bad body, a bad feature or a model that cannot rank; 413 more than max_batch candidates or
 * contexts, or more than GN__RECOMMEND_MAX_LIST scores in all; 500 out of memory) with a message
 * in why. */
int gn__rank_body(const gn_model *m, const char *body, size_t len, size_t max_batch, gn__strbuf *out, size_t *count,
                  char *why, size_t why_size);

#endif
