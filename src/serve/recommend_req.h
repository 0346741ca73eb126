/* serve/recommend_req.h: turns a :recommend request body into top-k answers with one model of
 * kind mf (gannet/recommend.h): {"user": "u42", "k": 10, "exclude_seen": true, "exclude": [...],
 * "candidates": [...]} or the batch form {"users": ["u1", ...], ...} with the same options. A
 * pure function of (model, body), like predict_req.h. */
#ifndef GN_SERVE_RECOMMEND_REQ_H
#define GN_SERVE_RECOMMEND_REQ_H

#include <stddef.h>

#include "gannet/gannet.h"
#include "serve/strbuf.h"

#define GN__RECOMMEND_MAX_K 10000u
#define GN__RECOMMEND_MAX_LIST 1000000u /* ids in exclude or candidates */

/* A model of another kind (fm, ffm, linear) is answered by gn__rank_body (serve/rank_req.h),
 * its status and output as that says. For kind mf: on success returns 200 and appends to out `"items":[{"item":I,"score":S},...],"known":B`
 * (one user) or `"results":[{"user":U,"known":B,"items":[...]},...]` (users); *count is the
 * number of users answered. On failure an HTTP status (400 bad body,
 * 413 more than max_batch users, 500 out of memory) with a message in why. */
int gn__recommend_body(const gn_model *m, const char *body, size_t len, size_t max_batch, gn__strbuf *out,
                       size_t *count, char *why, size_t why_size);

#endif
