/* learn/mf_rows.c: gn_train_mf_rows (gannet/recommend.h), kind mf trained from (user, item,
 * rating) rows in memory: the ids mapped to dense indices and the ratings rounded to float as the
 * CSV reader (io/triples.c) does for the same rows, then the trainer's shared part
 * (gn__mf_train_triples), so the model is the one `gannet train --kind mf` makes of the file. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/triples.h"
#include "learn/train_internal.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/iddict.h"

/* Row r's id of column c: its bytes (*s, *len; an integer id is written into buf). */
static int row_id(const gn_id_column *c, size_t r, const char *what, char *buf, size_t bufsize, const char **s,
                  size_t *len) {
    if (!c->text) {
        const int w = snprintf(buf, bufsize, "%" PRId64, c->ints[r]);
        *s = buf;
        *len = (size_t)w;
        return GN_OK;
    }
    const char *t = c->text[r];
    if (!t) return gn__fail(GN_EINVAL, "mf rows: row %zu: the %s id is NULL", r, what);
    *s = t;
    *len = c->len ? c->len[r] : strlen(t);
    if (*len == 0) return gn__fail(GN_EINVAL, "mf rows: row %zu: empty %s id", r, what);
    if (*len > GN_IDDICT_MAX_LEN)
        return gn__fail(GN_EINVAL, "mf rows: row %zu: the %s id is longer than %u bytes", r, what, GN_IDDICT_MAX_LEN);
    if (c->len && memchr(t, '\0', *len))
        return gn__fail(GN_EINVAL, "mf rows: row %zu: the %s id holds a NUL byte", r, what);
    return GN_OK;
}

static int add_id(gn_iddict *d, const char *s, size_t len, size_t r, const char *what, uint32_t *index) {
    const int a = gn__iddict_add(d, s, len, index);
    if (a == -1) return gn__fail(GN_ENOMEM, "out of memory for the ids");
    if (a) return gn__fail(GN_ELIMIT, "mf rows: row %zu: more than %u %s ids", r, (unsigned)GN_IDDICT_MAX_IDS, what);
    return GN_OK;
}

/* Maps n rows to t (allocated here, t->n = n): ids through ud and id (added when new, a row's
 * user before its item, as the CSV reader adds them), ratings (NULL: 1) rounded to float. */
int gn__mf_map_rows(const gn_id_column *users, const gn_id_column *items, const double *ratings, size_t n,
                    gn_iddict *ud, gn_iddict *id, gn_triples *tp) {
    gn_triples t;
    memset(&t, 0, sizeof t);
    t.user = malloc((n ? n : 1) * sizeof *t.user);
    t.item = malloc((n ? n : 1) * sizeof *t.item);
    t.rating = malloc((n ? n : 1) * sizeof *t.rating);
    int st = GN_OK;
    if (!t.user || !t.item || !t.rating) st = gn__fail(GN_ENOMEM, "out of memory for %zu ratings", n);
    char ubuf[32], ibuf[32];
    for (size_t r = 0; r < n && st == GN_OK; r++) {
        const char *us, *is;
        size_t ul, il;
        if ((st = row_id(users, r, "user", ubuf, sizeof ubuf, &us, &ul)) != GN_OK) break;
        if ((st = row_id(items, r, "item", ibuf, sizeof ibuf, &is, &il)) != GN_OK) break;
        const double v = ratings ? ratings[r] : 1.0;
        if (!(fabs(v) <= FLT_MAX)) {
            st = gn__fail(GN_EINVAL, "mf rows: row %zu: rating %g is not a finite number (as a 32-bit float)", r, v);
            break;
        }
        /* a row's user, then its item: the order the CSV reader adds them in */
        if ((st = add_id(ud, us, ul, r, "user", &t.user[r])) != GN_OK) break;
        if ((st = add_id(id, is, il, r, "item", &t.item[r])) != GN_OK) break;
        t.rating[r] = (float)v;
    }
    t.n = t.cap = n;
    if (st != GN_OK) gn__triples_free(&t);
    else *tp = t;
    return st;
}

gn_status gn_train_mf_rows(const gn_train_options *opts, const gn_id_column *users, const gn_id_column *items,
                           const double *ratings, size_t n, gn_progress_fn progress, void *user, gn_model **out,
                           gn_train_summary *summary) {
    const double t0 = gn__now();
    gn__clear_error();
    if (!opts || !users || !items || !out) return gn__fail(GN_EINVAL, "mf rows: options, columns and out are required");
    if ((!users->text && !users->ints) || (!items->text && !items->ints))
        return gn__fail(GN_EINVAL, "mf rows: a column has neither text nor integer ids");
    if (n == 0) return gn__fail(GN_EINVAL, "kind mf: no ratings in the input");
    if (n > UINT32_MAX) return gn__fail(GN_ELIMIT, "mf rows: %zu rows, more than %" PRIu32, n, UINT32_MAX);
    gn_train_options o = *opts;
    o.kind = GN_KIND_MF;
    if (!o.mf_user || !o.mf_user[0]) o.mf_user = "user";
    if (!o.mf_item || !o.mf_item[0]) o.mf_item = "item";
    if (ratings) {
        if (!o.mf_rating || !o.mf_rating[0]) o.mf_rating = "rating";
    } else {
        if (!o.implicit) return gn__fail(GN_EINVAL, "kind mf: ratings are required unless implicit");
        o.mf_rating = NULL;
    }
    GN_TRY(gn_train_options_check(&o));
    /* the spec a CSV file of these rows is read with (the model records it) */
    gn_data_spec spec;
    gn_data_spec_init(&spec);
    spec.format = GN_FORMAT_CSV;
    spec.sep = ',';
    spec.header = 1;
    GN_TRY(gn_data_spec_check(&spec));

    gn_triples t;
    memset(&t, 0, sizeof t);
    gn_iddict *ud = gn__iddict_new(), *id = gn__iddict_new();
    int st = ud && id ? gn__mf_map_rows(users, items, ratings, n, ud, id, &t)
                      : (int)gn__fail(GN_ENOMEM, "out of memory for %zu ratings", n);
    if (st == GN_OK) {
        st = gn__mf_train_triples(&o, &spec, &t, ud, id, 0, NULL, 0, progress, user, t0, out, summary);
        ud = id = NULL; /* taken */
    }
    gn__iddict_free(ud);
    gn__iddict_free(id);
    gn__triples_free(&t);
    return st;
}
