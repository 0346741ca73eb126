/* model/recommend_internal.h: top-k over item indices (model/recommend.c), for the public calls
 * and for ranking evaluation (learn/mf_eval.c). */
#ifndef GN_MODEL_RECOMMEND_INTERNAL_H
#define GN_MODEL_RECOMMEND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model/mf.h"

/* The k best items for user index u (GN_IDDICT_NONE: unknown, the fallback) into out_idx and
 * out_score (room for k), best first; exclusions: the user's training items when exclude_seen,
 * and excl (nexcl sorted indices); cand (ncand indices) NULL: every item. */
void gn__mf_topk(const gn_mf *mf, uint32_t u, size_t k, int exclude_seen, const uint32_t *excl, size_t nexcl,
                 const uint32_t *cand, size_t ncand, uint32_t *out_idx, float *out_score, size_t *n_out);

#endif
