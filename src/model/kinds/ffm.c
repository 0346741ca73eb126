/* model/kinds/ffm.c: the field-aware factorization-machine model kind (Juan, Zhuang, Chin and Lin,
 * "Field-aware Factorization Machines for CTR Prediction", 2016), --kind ffm --rank K, for the
 * binary (logistic, hinge), regression (squared) and multiclass (softmax over C classes) losses.
 * Every feature belongs to a field (a
 * CSV feature column, a VW namespace of --fields, libffm's field number); the parser hashes a
 * field's features into the field's own range of slots (io/fields.h), so a slot's field is known
 * from the slot and the model's spec (nfields, bits). A feature has one latent vector per field
 * it can meet, and an example's score is
 *
 *   sum_i w_i x_i + sum_{i<j} <v_{i,f(j)}, v_{j,f(i)}> x_i x_j
 *
 * over its features (the bias, slot 0, has no field and only its w), which costs O(K * n^2) for
 * n features (no O(K n) trick: each pair uses its own vectors). A model has 1 + F*K weights per
 * slot for F fields: w, then the vectors v_{i,0} .. v_{i,F-1}, K floats each, contiguous.
 * Under softmax each class c has its own w and vectors and its own score from the same formula;
 * a slot holds C (1 + F*K) weights, {w_0..w_{C-1}, then per field the C classes' K factors}
 * (v[F][C][K]), so that a pair (i, j) reads one contiguous block of C*K floats of each feature.
 *
 * The online learners are SGD and AdaGrad. The linear part learns as fm's (normalized or not, l1,
 * l2: see fm.c and linear.c); the factors take a step per pair (i, j), as libffm does, from
 * d score / d v_{i,f(j)} = v_{j,f(i)} x_i x_j plus their own l2 (fm_l2), with their own learning
 * rate (fm_lr; AdaGrad's sums for them start at 1, as libffm's; with normalized updates divided by
 * the feature's scale as fm's), each times the loss's derivative
 * in the score (softmax: p_c - [c == y] in class c's). One table row per slot (factor_table.h;
 * C = 1 but for softmax):
 *
 *   optimizer  row
 *   sgd        {s, w[C], v[F][C][K]}
 *   adagrad    {s, w[C], g2[C], v[F][C][K], g2[F][C][K]}
 *
 * s is the largest |x| seen (normalized updates). Factors start uniform in [-fm_init, fm_init]
 * from a hash of (seed, slot, factor), as fm's, so every learner made with the same options
 * (threads, folds, resumes) starts from the same table. The model-file header keys
 * ffm_rank (K) and ffm_fields (F, which must equal the spec's nfields) repeat the layout. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "io/fields.h"
#include "learn/loss.h"
#include "learn/train_internal.h"
#include "model/kind.h"
#include "model/kinds/factor_table.h"
#include "model/model.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/racy.h"

/* factors per slot: F * K (times C), one weight less than a model row may hold */
#define FFM_MAX_FACTORS (GN__MODEL_MAX_WEIGHTS_PER_SLOT - 1)
#define FFM_MAX_OUTPUTS GN__FTAB_MAX_CLASSES
/* rows up to this many features find their fields in a stack array while scoring a model */
#define FFM_STACK_FEATURES 512

/* Checks a rank and a field count for nw outputs; the reason in gn_last_error. */
static int check_layout(uint32_t k, uint32_t f, uint32_t nw) {
    if (k < 1 || k > FFM_MAX_FACTORS)
        return gn__fail(GN_EINVAL, "rank must be in [1, %u] (got %u)", (unsigned)FFM_MAX_FACTORS, (unsigned)k);
    if (f < 1 || f > GN_MAX_FIELDS)
        return gn__fail(GN_EINVAL, "kind ffm needs 1 to %d fields (got %u)", GN_MAX_FIELDS, (unsigned)f);
    if ((uint64_t)f * k > FFM_MAX_FACTORS)
        return gn__fail(GN_EINVAL,
                        "kind ffm: %u fields x rank %u = %u factors per feature, more than the %u a model holds: "
                        "lower --rank (at most %u) or use fewer fields",
                        (unsigned)f, (unsigned)k, (unsigned)(f * k), (unsigned)FFM_MAX_FACTORS,
                        (unsigned)(FFM_MAX_FACTORS / f));
    if ((uint64_t)nw * (1 + (uint64_t)f * k) > GN__MODEL_MAX_WEIGHTS_PER_SLOT)
        return gn__fail(GN_EINVAL,
                        "kind ffm: %u classes x (1 + %u fields x rank %u) = %llu weights per feature, more than the "
                        "%u a model holds: lower --rank or use fewer fields",
                        (unsigned)nw, (unsigned)f, (unsigned)k, (unsigned long long)nw * (1 + (uint64_t)f * k),
                        GN__MODEL_MAX_WEIGHTS_PER_SLOT);
    return GN_OK;
}

/* The field of feature i of a row: from the stack array when it is there, else from its slot. */
static inline uint32_t field_at(const uint32_t *fs, size_t nfs, const uint32_t *idx, size_t i, uint32_t span,
                                uint32_t nf) {
    return i < nfs ? fs[i] : gn__slot_field(idx[i], span, nf);
}

/* ================================================================ the model */

static uint32_t ffm_outputs(const gn_model *m) { return gn__ftab_model_outputs(m); }

/* Row e's nw scores into s (rows {w[nw], v[F][nw][k]}); fs holds the fields of its first nfs
 * features; lin and pair are scratch of nw doubles. Inlined with nw = 1 for the one-output losses. */
static inline __attribute__((always_inline)) void ffm_score_row(const gn_model *m, const uint32_t *idx,
                                                                const float *val, size_t n, const uint32_t *fs,
                                                                size_t nfs, size_t nw, double *lin, double *pair,
                                                                double *s) {
    const size_t st = m->weights_per_slot;
    const uint32_t nf = m->spec.nfields, span = gn__field_span(m->spec.bits, nf);
    const size_t k = nf ? (st - nw) / nw / nf : 0, kb = nw * k;
    for (size_t c = 0; c < nw; c++) lin[c] = pair[c] = 0.0;
    for (size_t a = 0; a < n; a++) {
        const float *ra = m->w + (size_t)idx[a] * st;
        for (size_t c = 0; c < nw; c++) lin[c] += (double)ra[c] * val[a];
        const uint32_t fa = field_at(fs, nfs, idx, a, span, nf);
        if (fa >= nf) continue; /* the bias */
        for (size_t b = a + 1; b < n; b++) {
            const uint32_t fb = field_at(fs, nfs, idx, b, span, nf);
            if (fb >= nf) continue;
            const float *va = ra + nw + fb * kb, *vb = m->w + (size_t)idx[b] * st + nw + fa * kb;
            for (size_t c = 0; c < nw; c++) {
                double dot = 0.0;
                for (size_t f = c * k; f < c * k + k; f++) dot += (double)va[f] * vb[f];
                pair[c] += dot * val[a] * val[b];
            }
        }
    }
    for (size_t c = 0; c < nw; c++) s[c] = lin[c] + pair[c];
}

static void ffm_score_batch(const gn_model *m, const gn_rows *rows, double *out) {
    const uint32_t nf = m->spec.nfields, span = gn__field_span(m->spec.bits, nf);
    const size_t nw = gn__ftab_model_outputs(m);
    uint32_t fs[FFM_STACK_FEATURES];
    double lin[FFM_MAX_OUTPUTS], pair[FFM_MAX_OUTPUTS];
    for (size_t e = 0; e < rows->n; e++) {
        const size_t s0 = rows->start[e], n = rows->start[e + 1] - s0;
        const uint32_t *idx = rows->index + s0;
        const float *val = rows->value + s0;
        const size_t nfs = n < FFM_STACK_FEATURES ? n : FFM_STACK_FEATURES;
        for (size_t i = 0; i < nfs; i++) fs[i] = gn__slot_field(idx[i], span, nf);
        if (nw == 1) ffm_score_row(m, idx, val, n, fs, nfs, 1, lin, pair, out + e);
        else ffm_score_row(m, idx, val, n, fs, nfs, nw, lin, pair, out + e * nw);
    }
}

/* The linear sum and the pairs term of a row's na features (the fields of the first nfa in fa);
 * features without a field (the bias) have no pairs. */
static void ffm_parts(const gn_model *m, size_t k, uint32_t nf, uint32_t span, const uint32_t *ia, const float *xa,
                      const uint32_t *fa, size_t nfa, size_t na, double *lin, double *pair) {
    const size_t st = m->weights_per_slot;
    double l = 0.0, p = 0.0;
    for (size_t a = 0; a < na; a++) {
        const float *ra = m->w + (size_t)ia[a] * st;
        l += (double)ra[0] * xa[a];
        const uint32_t f1 = field_at(fa, nfa, ia, a, span, nf);
        if (f1 >= nf) continue;
        for (size_t b = a + 1; b < na; b++) {
            const uint32_t f2 = field_at(fa, nfa, ia, b, span, nf);
            if (f2 >= nf) continue;
            const float *va = ra + 1 + f2 * k, *vb = m->w + (size_t)ia[b] * st + 1 + f1 * k;
            double dot = 0.0;
            for (size_t f = 0; f < k; f++) dot += (double)va[f] * vb[f];
            p += dot * xa[a] * xa[b];
        }
    }
    *lin = l;
    *pair = p;
}

/* The pairs term between the features of two rows: sum <v_{a,f(b)}, v_{b,f(a)}> x_a x_b over a
 * of the first and b of the second. */
static double ffm_cross(const gn_model *m, size_t k, uint32_t nf, uint32_t span, const uint32_t *ia, const float *xa,
                        const uint32_t *fa, size_t nfa, size_t na, const uint32_t *ib, const float *xb,
                        const uint32_t *fb, size_t nfb, size_t nb) {
    const size_t st = m->weights_per_slot;
    double p = 0.0;
    for (size_t a = 0; a < na; a++) {
        const uint32_t f1 = field_at(fa, nfa, ia, a, span, nf);
        if (f1 >= nf) continue;
        const float *ra = m->w + (size_t)ia[a] * st + 1;
        for (size_t b = 0; b < nb; b++) {
            const uint32_t f2 = field_at(fb, nfb, ib, b, span, nf);
            if (f2 >= nf) continue;
            const float *va = ra + f2 * k, *vb = m->w + (size_t)ib[b] * st + 1 + f1 * k;
            double dot = 0.0;
            for (size_t f = 0; f < k; f++) dot += (double)va[f] * vb[f];
            p += dot * xa[a] * xb[b];
        }
    }
    return p;
}

/* Candidates sharing a context: the context's linear sum and its own pairs (O(K c^2) for c
 * context features) once; per candidate of d features, its linear sum, its own pairs and its
 * pairs with the context (O(K d (c + d))). FFM has no O(K n) trick (each pair has its own
 * vectors), so the saving is the context's pairs. The terms are summed in another order than
 * ffm_score_batch's over the joined row: equal to it within rounding, not bit for bit. */
static void ffm_score_context(const gn_model *m, const uint32_t *cidx, const float *cval, size_t cn,
                              const gn_rows *cands, double *out) {
    const uint32_t nf = m->spec.nfields, span = gn__field_span(m->spec.bits, nf);
    const size_t k = nf ? (m->weights_per_slot - 1) / nf : 0;
    uint32_t cf[FFM_STACK_FEATURES], df[FFM_STACK_FEATURES];
    const size_t ncf = cn < FFM_STACK_FEATURES ? cn : FFM_STACK_FEATURES;
    for (size_t i = 0; i < ncf; i++) cf[i] = gn__slot_field(cidx[i], span, nf);
    double clin, cpair;
    ffm_parts(m, k, nf, span, cidx, cval, cf, ncf, cn, &clin, &cpair);
    for (size_t e = 0; e < cands->n; e++) {
        const size_t s0 = cands->start[e], dn = cands->start[e + 1] - s0;
        const uint32_t *di = cands->index + s0;
        const float *dv = cands->value + s0;
        const size_t ndf = dn < FFM_STACK_FEATURES ? dn : FFM_STACK_FEATURES;
        for (size_t i = 0; i < ndf; i++) df[i] = gn__slot_field(di[i], span, nf);
        double dlin, dpair;
        ffm_parts(m, k, nf, span, di, dv, df, ndf, dn, &dlin, &dpair);
        const double cross = ffm_cross(m, k, nf, span, cidx, cval, cf, ncf, cn, di, dv, df, ndf, dn);
        out[e] = (clin + dlin) + (cpair + dpair + cross);
    }
}

static const char *const ffm_header_keys[] = {"ffm_rank", "ffm_fields", NULL};

static int ffm_header_write(const gn_model *m, json_t *hdr) {
    const uint32_t nf = m->spec.nfields, nw = gn__ftab_model_outputs(m);
    const uint32_t k = nf ? (m->weights_per_slot / nw - 1) / nf : 0;
    return json_object_set_new(hdr, "ffm_rank", json_integer((json_int_t)k)) == 0 &&
                   json_object_set_new(hdr, "ffm_fields", json_integer((json_int_t)nf)) == 0
               ? GN_OK
               : gn__fail(GN_ENOMEM, "out of memory");
}

static int ffm_header_read(gn_model *m, const json_t *hdr, const char *path) {
    uint32_t nw = 1;
    GN_TRY(gn__ftab_model_check_outputs(m, "ffm", path, &nw));
    const json_t *r = json_object_get(hdr, "ffm_rank"), *f = json_object_get(hdr, "ffm_fields");
    if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > FFM_MAX_FACTORS)
        return gn__fail(GN_EFORMAT, "%s: header: an ffm model needs ffm_rank, an integer in [1, %u]", path,
                        (unsigned)FFM_MAX_FACTORS);
    if (!json_is_integer(f) || json_integer_value(f) < 1 || json_integer_value(f) > GN_MAX_FIELDS)
        return gn__fail(GN_EFORMAT, "%s: header: an ffm model needs ffm_fields, an integer in [1, %d]", path,
                        GN_MAX_FIELDS);
    const json_int_t k = json_integer_value(r), nf = json_integer_value(f);
    if (!m->spec.field_aware || (json_int_t)m->spec.nfields != nf)
        return gn__fail(GN_EFORMAT, "%s: header: ffm_fields %lld, but the spec has %s%u fields", path, (long long)nf,
                        m->spec.field_aware ? "" : "no field-aware hashing and ", (unsigned)m->spec.nfields);
    if (gn__field_span(m->spec.bits, (uint32_t)nf) < 2)
        return gn__fail(GN_EFORMAT, "%s: header: %lld fields do not fit in 2^%u slots", path, (long long)nf,
                        (unsigned)m->spec.bits);
    if ((json_int_t)m->weights_per_slot != (json_int_t)nw * (1 + k * nf))
        return gn__fail(GN_EFORMAT, "%s: header: ffm_rank %lld x ffm_fields %lld%s needs %lld weights per slot, not %u",
                        path, (long long)k, (long long)nf, nw > 1 ? " over the model's classes" : "",
                        (long long)nw * (1 + k * nf), (unsigned)m->weights_per_slot);
    return GN_OK;
}

/* ================================================================ the learners */

enum { R_S = GN__FTAB_S, R_W = GN__FTAB_W, SC_STEPS = GN__FTAB_STEPS };

struct gn_kind_learner {
    gn__ftab ft; /* the table (factor_table.h): nfac is nf * k */
    gn_loss loss;
    gn_data_spec spec;
    double lr, l1, l2, power_t, fm_l2, fm_lr;
    int normalized;
    uint32_t k;       /* rank */
    uint32_t nf;      /* fields */
    uint32_t span;    /* slots per field (io/fields.h) */
    uint32_t *fld;    /* per example: each feature's field (nf: none); this learner's own */
    size_t fld_cap;
    double g[FFM_MAX_OUTPUTS]; /* per example: the loss's gradient in each score */
};
_Static_assert(offsetof(struct gn_kind_learner, ft) == 0, "factor_table.h views the learner as its gn__ftab");

static gn_optimizer ffm_opt(const gn_train_options *o) {
    return o->optimizer == GN_OPT_SGD ? GN_OPT_SGD : GN_OPT_ADAGRAD;
}

/* The fields a learner over this spec will have: nfields once resolved, else what the request
 * says (libffm: N; VW: the namespaces), else (CSV before its header is read) the most a row can
 * hold, so that the bytes below are an upper bound, never less than what is allocated. */
static uint32_t fields_of(const gn_data_spec *spec, uint32_t k) {
    if (spec->nfields) return spec->nfields;
    const char *f = spec->fields;
    if (f[0] && spec->format == GN_FORMAT_LIBFFM) {
        long v = strtol(f, NULL, 10);
        if (v >= 1 && v <= GN_MAX_FIELDS) return (uint32_t)v;
    } else if (f[0] && spec->format == GN_FORMAT_VW) {
        uint32_t n = 1;
        for (; *f; f++) n += *f == ',';
        return n;
    }
    const uint32_t most = FFM_MAX_FACTORS / (k ? k : 1);
    return most < GN_MAX_FIELDS ? most : GN_MAX_FIELDS;
}

static uint64_t ffm_learner_bytes(const gn_train_options *o, const gn_data_spec *spec) {
    const uint32_t k = o->fm_rank >= 1 && o->fm_rank <= FFM_MAX_FACTORS ? o->fm_rank : 1;
    const uint32_t nw = o->loss != GN_LOSS_SOFTMAX ? 1 : spec->nclasses >= 2 ? spec->nclasses : 2;
    const uint32_t nf = fields_of(spec, k);
    const uint64_t nfac = (uint64_t)nf * k <= FFM_MAX_FACTORS ? (uint64_t)nf * k : FFM_MAX_FACTORS;
    return ((uint64_t)1 << spec->bits) * gn__ftab_stride(ffm_opt(o), nw, (uint32_t)(nw * nfac)) * sizeof(float);
}

static int ffm_learner_new(const gn_train_options *o, const gn_data_spec *spec, gn_kind_learner **out) {
    uint32_t nw = 1;
    GN_TRY(gn__ftab_outputs_for(o, spec, "ffm", &nw));
    if (o->optimizer != GN_OPT_AUTO && o->optimizer != GN_OPT_SGD && o->optimizer != GN_OPT_ADAGRAD)
        return gn__fail(GN_EINVAL, "kind ffm takes optimizer sgd or adagrad, not %s", gn_optimizer_name(o->optimizer));
    if (!(o->fm_init >= 0) || !isfinite(o->fm_init))
        return gn__fail(GN_EINVAL, "fm_init must be >= 0 (got %g)", o->fm_init);
    if (!spec->field_aware || !spec->nfields)
        return gn__fail(GN_EINVAL, "kind ffm needs fields: the columns of a CSV/TSV file, VW namespaces (--fields) "
                                   "or --format libffm (the data's fields were not resolved)");
    GN_TRY(check_layout(o->fm_rank, spec->nfields, nw));
    const uint32_t span = gn__field_span(spec->bits, spec->nfields);
    if (span < 2)
        return gn__fail(GN_EINVAL, "kind ffm: %u fields do not fit in 2^%u slots (raise --bits)",
                        (unsigned)spec->nfields, (unsigned)spec->bits);
    gn_kind_learner *l = calloc(1, sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    const gn_optimizer opt = ffm_opt(o);
    l->loss = o->loss;
    l->spec = *spec;
    gn_train_options resolved = *o;
    gn__train_options_resolve(&resolved);
    l->l1 = resolved.l1;
    l->l2 = o->l2;
    l->fm_l2 = o->fm_l2;
    l->power_t = o->power_t;
    l->normalized = o->normalize;
    l->lr = o->lr > 0 ? o->lr : gn__default_lr(opt);
    l->fm_lr = o->fm_lr > 0 ? o->fm_lr : opt == GN_OPT_ADAGRAD ? 0.2 : l->lr;
    l->k = o->fm_rank;
    l->nf = spec->nfields;
    l->span = span;
    /* AdaGrad's factor sums start at 1 (as libffm's): the first steps then scale with the
     * gradient instead of being lr whatever its size, which throws small factors far */
    const size_t bytes = gn__ftab_alloc(&l->ft, opt, nw, nw * l->k * l->nf, spec->bits, o->fm_init, o->seed, 1, o->normalize);
    if (!l->ft.table) {
        const unsigned rank = l->k, nf = l->nf;
        free(l);
        return gn__fail(GN_ENOMEM, "out of memory allocating a table of 2^%u slots x %u fields x rank %u (%zu MiB)",
                        spec->bits, nf, rank, bytes >> 20);
    }
    *out = l;
    return GN_OK;
}

static void ffm_learner_free(gn_kind_learner *l) {
    if (!l) return;
    gn__ftab_free(&l->ft);
    free(l->fld);
    free(l);
}

static int ffm_learner_share(gn_kind_learner *owner, gn_kind_learner **out) {
    gn_kind_learner *l = malloc(sizeof *l);
    if (!l) return gn__fail(GN_ENOMEM, "out of memory");
    *l = *owner;
    gn__ftab_share(&l->ft);
    l->fld = NULL; /* scratch is per learner */
    l->fld_cap = 0;
    *out = l;
    return GN_OK;
}

/* Each feature's field into l->fld (grown as needed). */
static int note_fields(gn_kind_learner *l, const uint32_t *idx, size_t n) {
    if (n > l->fld_cap) {
        size_t cap = l->fld_cap ? l->fld_cap : 64;
        while (cap < n) cap *= 2;
        uint32_t *f = realloc(l->fld, cap * sizeof *f);
        if (!f) return gn__fail(GN_ENOMEM, "out of memory");
        l->fld = f;
        l->fld_cap = cap;
    }
    for (size_t i = 0; i < n; i++) l->fld[i] = gn__slot_field(idx[i], l->span, l->nf);
    return GN_OK;
}

/* The nw scores of an example with the current table (its fields in l->fld) into s; with
 * `learn`, first updates each feature's scale s (normalized) and returns the example's normalized
 * squared norm in *norm. Inlined with nw = 1 for the one-output losses. */
static GN_HOGWILD inline __attribute__((always_inline)) void score_k(gn_kind_learner *l, const uint32_t *idx,
                                                                    const float *val, size_t n, int learn,
                                                                    double *norm, double *s, size_t nw) {
    const size_t k = l->k, kb = nw * k, st = l->ft.stride, vb = l->ft.vbase;
    const uint32_t *fld = l->fld, nf = l->nf;
    double lin[FFM_MAX_OUTPUTS], pair[FFM_MAX_OUTPUTS], nm = 0.0; /* local: registers when nw = 1 */
    for (size_t c = 0; c < nw; c++) lin[c] = pair[c] = 0.0;
    if (learn && l->normalized) /* every row at its new scale before a pair reads it */
        for (size_t a = 0; a < n; a++) nm += gn__ftab_rescale(&l->ft, l->ft.table + (size_t)idx[a] * st, val[a]);
    for (size_t a = 0; a < n; a++) {
        float *row = l->ft.table + (size_t)idx[a] * st;
        const double x = val[a];
        for (size_t c = 0; c < nw; c++) lin[c] += (double)row[R_W + c] * x;
        const uint32_t fa = fld[a];
        if (fa >= nf) continue;
        for (size_t b = a + 1; b < n; b++) {
            const uint32_t fb = fld[b];
            if (fb >= nf) continue;
            const float *va = row + vb + fb * kb, *vv = l->ft.table + (size_t)idx[b] * st + vb + fa * kb;
            for (size_t c = 0; c < nw; c++) {
                double dot = 0.0;
                for (size_t f = c * k; f < c * k + k; f++) dot += (double)va[f] * vv[f];
                pair[c] += dot * x * val[b];
            }
        }
    }
    for (size_t c = 0; c < nw; c++) s[c] = lin[c] + pair[c];
    if (norm) *norm = nm;
}

static GN_HOGWILD void score_row(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, int learn,
                                 double *norm, double *s) {
    if (l->ft.nw == 1) score_k(l, idx, val, n, learn, norm, s, 1);
    else score_k(l, idx, val, n, learn, norm, s, l->ft.nw);
}

/* 1 / s for a feature's row, s its scale, with normalized updates (1 otherwise, or before the row
 * has seen a non-zero value): v_{i,f} ~ 1 / s_i (see gn__ftab_rescale), so a factor's gradient is
 * divided by s before it enters AdaGrad's sum (which starts at 1, in those units) and its step
 * again by s (SGD: its step by s^2), and v x does not depend on the feature's unit. */
static GN_HOGWILD inline double inv_scale(const gn_kind_learner *l, const float *row) {
    const double sc = row[R_S];
    return l->normalized && sc > 0 ? 1.0 / sc : 1.0;
}

/* The factor steps of one example whose loss gradient in its scores is g: a step per pair (a, b)
 * and class c on v_{a,f(b),c} and v_{b,f(a),c}. AdaGrad keeps a squared-gradient sum per factor;
 * SGD steps eta. */
static GN_HOGWILD inline __attribute__((always_inline)) void learn_pairs(gn_kind_learner *l, const uint32_t *idx,
                                                                        const float *val, size_t n,
                                                                        const double *g, double eta, size_t nw) {
    const size_t k = l->k, kb = nw * k, st = l->ft.stride, vb = l->ft.vbase, nfac = l->ft.nfac;
    const uint32_t *fld = l->fld, nf = l->nf;
    const double fl2 = l->fm_l2;
    const int ada = l->ft.opt == GN_OPT_ADAGRAD;
    for (size_t a = 0; a < n; a++) {
        const uint32_t fa = fld[a];
        if (fa >= nf) continue;
        float *ra = l->ft.table + (size_t)idx[a] * st + vb;
        const double ia = inv_scale(l, ra - vb);
        for (size_t b = a + 1; b < n; b++) {
            const uint32_t fb = fld[b];
            if (fb >= nf) continue;
            float *rb = l->ft.table + (size_t)idx[b] * st + vb;
            const double ib = inv_scale(l, rb - vb);
            for (size_t c = 0; c < nw; c++) {
                float *va = ra + fb * kb + c * k, *vv = rb + fa * kb + c * k;
                const double kappa = g[c] * val[a] * val[b];
                if (ada) {
                    float *ga = va + nfac, *gb = vv + nfac;
                    for (size_t f = 0; f < k; f++) {
                        const double g1 = (kappa * vv[f] + fl2 * va[f]) * ia;
                        const double g2 = (kappa * va[f] + fl2 * vv[f]) * ib;
                        const double s1 = ga[f] + g1 * g1, s2 = gb[f] + g2 * g2;
                        ga[f] = (float)s1;
                        gb[f] = (float)s2;
                        if (s1 > 0) va[f] = (float)(va[f] - eta * ia * g1 / sqrt(s1));
                        if (s2 > 0) vv[f] = (float)(vv[f] - eta * ib * g2 / sqrt(s2));
                    }
                } else {
                    for (size_t f = 0; f < k; f++) {
                        const double g1 = kappa * vv[f] + fl2 * va[f], g2 = kappa * va[f] + fl2 * vv[f];
                        va[f] = (float)(va[f] - eta * ia * ia * g1);
                        vv[f] = (float)(vv[f] - eta * ib * ib * g2);
                    }
                }
            }
        }
    }
}

/* One example (its fields in l->fld): scores it into s, then one step of the optimizer on both
 * parts, each class c's weights from the loss's gradient g_c in its score. */
static GN_HOGWILD inline __attribute__((always_inline)) void learn_k(gn_kind_learner *l, const uint32_t *idx,
                                                                    const float *val, size_t n, double y, double wt,
                                                                    double *s, size_t nw) {
    double norm = 0.0;
    score_k(l, idx, val, n, 1, &norm, s, nw);
    double *g = l->g;
    gn__ftab_grad(l->loss, s, nw, y, wt, g);
    const size_t st = l->ft.stride;
    const double l1 = l->l1, l2 = l->l2;
    if (l->ft.opt == GN_OPT_ADAGRAD) {
        const double mult = l->normalized ? sqrt(gn__ftab_note_norm(&l->ft, wt, norm)) : 1.0, lr = l->lr * mult;
        int moved = l->fm_l2 > 0;
        for (size_t c = 0; c < nw; c++) moved |= g[c] != 0.0;
        for (size_t i = 0; i < n; i++) {
            float *c = l->ft.table + (size_t)idx[i] * st;
            const double x = val[i];
            const double sc = l->normalized ? c[R_S] : 1.0;
            if (sc == 0) continue; /* only zero values seen so far: nothing to learn */
            for (size_t j = 0; j < nw; j++)
                gn__ftab_ada_w(c + R_W + j, c + R_W + nw + j, g[j] * x + l2 * sc * sc * c[R_W + j], lr, sc, l1);
        }
        if (moved) learn_pairs(l, idx, val, n, g, l->fm_lr, nw);
    } else {
        const double mult = l->normalized ? gn__ftab_note_norm(&l->ft, wt, norm) : 1.0;
        const double decay = pow(1.0 / (1.0 + l->ft.sc[SC_STEPS]), l->power_t);
        const double eta = l->lr * decay * mult;
        l->ft.sc[SC_STEPS] += wt;
        for (size_t i = 0; i < n; i++) {
            float *c = l->ft.table + (size_t)idx[i] * st;
            const double x = val[i];
            const double sc = l->normalized ? c[R_S] : 1.0;
            if (sc == 0) continue;
            for (size_t j = 0; j < nw; j++) gn__ftab_sgd_w(c + R_W + j, g[j], x, sc, eta, l1, l2);
        }
        learn_pairs(l, idx, val, n, g, l->fm_lr * decay, nw);
    }
}

static GN_HOGWILD void learn_one(gn_kind_learner *l, const uint32_t *idx, const float *val, size_t n, double y,
                                 double wt, double *s) {
    if (l->ft.nw == 1) learn_k(l, idx, val, n, y, wt, s, 1);
    else learn_k(l, idx, val, n, y, wt, s, l->ft.nw);
}

static GN_HOGWILD int ffm_learn_batch(gn_kind_learner *l, const gn_batch *b, const unsigned char *mode,
                                      double *scores) {
    return gn__ftab_learn_batch(l, &l->ft, l->loss, b, mode, scores, note_fields, score_row, learn_one);
}

static int ffm_to_model(gn_kind_learner *l, const float *weights, gn_model **out) {
    return gn__ftab_to_model(l, GN_KIND_FFM, l->loss, &l->spec, weights, out);
}

const gn_kind gn__kind_ffm = {
    .name = "ffm",
    .id = GN_KIND_FFM,
    .weights_per_slot = 0, /* 1 + fields x rank: header_read checks it */
    .outputs = ffm_outputs,
    .score_batch = ffm_score_batch,
    .score_context = ffm_score_context,
    .header_keys = ffm_header_keys,
    .header_write = ffm_header_write,
    .header_read = ffm_header_read,
    .top_weights = gn__ftab_top_weights,
    .learner_bytes = ffm_learner_bytes,
    .learner_new = ffm_learner_new,
    .learner_share = ffm_learner_share,
    .learner_free = ffm_learner_free,
    .learn_batch = ffm_learn_batch,
    .learner_outputs = gn__ftab_outputs,
    .table = gn__ftab_table,
    .sync = gn__ftab_sync,
    .scalars = gn__ftab_scalars,
    .weights_len = gn__ftab_weights_len,
    .get_weights = gn__ftab_get_weights,
    .set_weights = gn__ftab_set_weights,
    .to_model = ffm_to_model,
    .optimizer = gn__ftab_optimizer,
};
