/* serve/predict_req.h: turns a predict request body into predictions with one model: JSON
 * {"instances":[{"feature": number | "category" | null, ...} | "text line", ...]} or a
 * text/plain body of lines in the model's input format (LIBSVM / VW / CSV). Pure functions of
 * (model, body): no HTTP, no globals, so they are unit-tested and fuzzed directly. */
#ifndef GN_SERVE_PREDICT_REQ_H
#define GN_SERVE_PREDICT_REQ_H

#include <stddef.h>

#include "gannet/gannet.h"
#include "serve/strbuf.h"

typedef enum gn__body_kind { GN__BODY_JSON = 0, GN__BODY_TEXT = 1 } gn__body_kind;

/* Most features one instance may carry: a JSON object, or a line (text body or JSON string),
 * counted as parsed, the bias aside. */
#define GN__MAX_INSTANCE_FEATURES 100000u

/* Predicts every instance of body. On success returns 200, appends the predictions to out as a
 * comma-separated list of JSON numbers (each printed "%.9g" like `gannet predict`; null for a
 * non-finite value; a multiclass model's instance is the object {"class": NAME, "probabilities":
 * {NAME: p, ...}}) and sets *count. On failure returns an HTTP status (400 bad body, 413 more
 * than max_batch instances or more than GN__MAX_INSTANCE_FEATURES features in one, 500 out of
 * memory) with a message in why (NUL-terminated). */
int gn__predict_body(const gn_model *m, gn__body_kind kind, const char *body, size_t len, size_t max_batch,
                     gn__strbuf *out, size_t *count, char *why, size_t why_size);

#endif
