/* serve/predict_req.c: predict request bodies (see predict_req.h). One parser and one batch per
 * request: every instance is parsed into the batch with the spec stored in the model, then all
 * are scored, so a 1,000-instance request costs one allocation round, not a thousand. JSON is
 * read by the streaming reader in json_instances.c. */
#include "serve/predict_req.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/batch.h"
#include "io/numparse.h"
#include "io/parser.h"
#include "model/model.h"
#include "serve/json_instances.h"
#include "util/error.h"


#define WHY(...) snprintf(why, why_size, __VA_ARGS__)

/* Appends one line's example (or nothing for a blank/comment line: *added = 0). GN_ELIMIT when
 * the example has more than GN__MAX_INSTANCE_FEATURES features (the bias not counted), the
 * limit a JSON object instance has too. */
static int parse_line(gn_parser *p, const char *line, size_t len, gn_batch *b, int *added, char *pwhy) {
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
    size_t before = b->n;
    int st = gn__parser_line(p, line, len, 0, b, pwhy);
    if (st == GN_EOF) st = GN_OK;
    *added = b->n > before;
    if (st == GN_OK && *added) {
        size_t features = b->start[b->n] - b->start[b->n - 1] - (gn__parser_spec(p)->bias ? 1 : 0);
        if (features > GN__MAX_INSTANCE_FEATURES) {
            snprintf(pwhy, GN_WHY_MAX, "more than %u features", GN__MAX_INSTANCE_FEATURES);
            st = GN_ELIMIT;
        }
    }
    return st;
}

typedef struct json_ctx {
    gn_parser *p;
    gn_batch *b;
    int libsvm_direct; /* a LIBSVM model with unhashed indices: see libsvm_named */
    uint32_t mask;
} json_ctx;

/* The common case of gn__parser_named for a LIBSVM model with unhashed indices, without its
 * strlen and gn__parse_u64 per feature: every name is a decimal index >= 1 going to slot
 * gn__libsvm_slot (the parser's rule), every value a number within the float range. Returns
 * GN_OK with the example appended, GN_ENOMEM, or -1 with nothing appended when an instance
 * needs anything else (a string value, a name that is no plain index, a value out of range):
 * gn__parser_named then handles it and words any error. */
static int libsvm_named(const json_ctx *c, size_t n, const char *const *names, const double *values,
                        const char *const *strs) {
    gn_batch *b = c->b;
    if (gn__parser_begin(c->p, b, 0.0f, 1.0f, 0, n) != GN_OK) return GN_ENOMEM; /* as gn__parser_named */
    for (size_t i = 0; i < n; i++) {
        if ((strs && strs[i]) || !(fabs(values[i]) <= FLT_MAX)) goto other; /* not finite as a float */
        if (values[i] == 0.0) continue;
        const char *s = names[i];
        uint64_t idx = 0;
#if GN_SWAR
        /* names from the JSON reader can be read 8 bytes at a time (json_instances.h) */
        uint64_t w = gn__load8(s);
        int nd = gn__swar_digit_count(w);
        if (nd > 0 && nd < 8) {
            if ((w >> (8 * nd)) & 0xFF) goto other; /* the digits are not the whole name */
            idx = gn__swar_digit_value(w, nd);
        } else
#endif
        {
            int digits = 0;
            for (; (unsigned char)(*s - '0') < 10; s++, digits++) idx = idx * 10 + (uint64_t)(*s - '0');
            if (*s != '\0' || digits == 0 || digits > 19) goto other; /* 19 digits cannot overflow */
        }
        if (idx == 0) goto other;
        gn__batch_push(b, gn__libsvm_slot(idx, c->mask), (float)values[i]);
    }
    gn__batch_end_example(b);
    return GN_OK;
other:
    gn__batch_abort_example(b);
    return -1;
}

static int on_instance(void *ctx, size_t index, size_t n, const char *const *names, const double *values,
                       const char *const *strs, const char *line, size_t line_len, char *why, size_t why_size) {
    json_ctx *c = ctx;
    char pwhy[GN_WHY_MAX];
    int st;
    if (line) {
        int added;
        st = parse_line(c->p, line, line_len, c->b, &added, pwhy);
        if (st == GN_OK && !added) {
            WHY("instance %zu: empty line", index);
            return 400;
        }
    } else {
        st = c->libsvm_direct ? libsvm_named(c, n, names, values, strs) : -1;
        if (st == -1) st = gn__parser_named(c->p, n, names, values, strs, c->b, pwhy);
    }
    if (st == GN_ENOMEM) {
        WHY("out of memory");
        return 500;
    }
    if (st != GN_OK) {
        WHY("instance %zu: %s", index, pwhy);
        return st == GN_ELIMIT ? 413 : 400;
    }
    return 0;
}

static int parse_json(gn_parser *p, const char *body, size_t len, size_t max_batch, gn_batch *b, char *why,
                      size_t why_size) {
    const gn_data_spec *spec = gn__parser_spec(p);
    json_ctx c = {p, b, spec->format == GN_FORMAT_LIBSVM && !spec->libsvm_hash,
                  gn__slot_mask(spec->bits)};
    return gn__json_instances(body, len, max_batch, GN__MAX_INSTANCE_FEATURES, on_instance, &c, why, why_size);
}

static int parse_text(gn_parser *p, const char *body, size_t len, size_t max_batch, gn_batch *b, char *why,
                      size_t why_size) {
    char pwhy[GN_WHY_MAX];
    size_t lineno = 0;
    const char *end = body + len;
    for (const char *s = body; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *e = nl ? nl : end;
        lineno++;
        if (memchr(s, '\0', (size_t)(e - s))) {
            WHY("line %zu: contains a NUL byte", lineno);
            return 400;
        }
        int added;
        int st = parse_line(p, s, (size_t)(e - s), b, &added, pwhy);
        if (st == GN_ENOMEM) { WHY("out of memory"); return 500; }
        if (st != GN_OK) { WHY("line %zu: %s", lineno, pwhy); return st == GN_ELIMIT ? 413 : 400; }
        if (b->n > max_batch) {
            WHY("more than %zu lines in one request (--max-batch)", max_batch);
            return 413;
        }
        s = e + 1;
    }
    return 200;
}

int gn__predict_body(const gn_model *m, gn__body_kind kind, const char *body, size_t len, size_t max_batch,
                     gn__strbuf *out, size_t *count, char *why, size_t why_size) {
    if (gn_model_get_kind(m) == GN_KIND_MF) { /* its rows are ids, not features */
        WHY("a model of kind mf answers POST :recommend (docs/recommend.md), not :predict");
        return 400;
    }
    gn_parser *p;
    if (gn__model_parser(m, GN_LABEL_NONE, &p) != GN_OK) {
        WHY("%s", gn_last_error());
        return 500;
    }
    gn_batch b;
    if (gn__batch_init(&b, 16, 256) != GN_OK) {
        gn__parser_free(p);
        WHY("out of memory");
        return 500;
    }
    int status;
    if (m->spec.format == GN_FORMAT_CSV && gn__parser_columns(p) == 0) {
        WHY("this CSV model has no stored columns");
        status = 500;
    } else {
        status = kind == GN__BODY_JSON ? parse_json(p, body, len, max_batch, &b, why, why_size)
                                       : parse_text(p, body, len, max_batch, &b, why, why_size);
    }
    double *pred = NULL;
    if (status == 200 && b.n && !(pred = malloc(b.n * gn_model_outputs(m) * sizeof *pred))) {
        WHY("out of memory");
        status = 500;
    }
    if (status == 200) {
        char num[64];
        const gn_rows rows = gn__batch_rows(&b);
        gn__model_predictions(m, &rows, pred);
        const size_t outs = gn_model_outputs(m);
        char *obj = NULL;
        size_t obj_cap = 0;
        for (size_t e = 0; e < b.n && gn__model_multiclass(m); e++) { /* {"class":..,"probabilities":{..}} */
            if (e) gn__sb_append(out, ",", 1);
            int n = gn__format_classes(m, pred + e * outs, GN__CLASSES_JSON, 0, obj, obj_cap);
            if (n >= 0 && (size_t)n >= obj_cap) {
                char *t = realloc(obj, (size_t)n + 1);
                if (!t) {
                    n = -1;
                } else {
                    obj = t;
                    obj_cap = (size_t)n + 1;
                    n = gn__format_classes(m, pred + e * outs, GN__CLASSES_JSON, 0, obj, obj_cap);
                }
            }
            if (n < 0) {
                gn__sb_append(out, "null", 4);
                continue;
            }
            gn__sb_append(out, obj, (size_t)n);
        }
        free(obj);
        for (size_t e = 0; e < b.n && !gn__model_multiclass(m); e++) {
            double y = pred[e];
            num[0] = ','; /* one append per prediction, its separator included */
            char *t = num + (e != 0);
            int nl;
            if (!isfinite(y)) {
                memcpy(t, "null", 5);
                nl = 4;
            } else {
                nl = gn__format_prediction(y, t, sizeof num - 1);
            }
            gn__sb_append(out, num, (size_t)(t - num) + (size_t)nl);
        }
        if (gn__sb_failed(out)) {
            WHY("out of memory");
            status = 500;
        } else {
            *count = b.n;
        }
    }
    free(pred);
    gn__batch_free(&b);
    gn__parser_free(p);
    return status;
}
