/* io/textstore.c: the in-memory store of --idf over CSV/VW text read in one tokenizing pass (the
 * rules are in io/textstore.h): building it (one source, the parser emitting counts and recording
 * where each document's terms lie), counting the document frequencies as the two-pass path does,
 * and replaying the stored examples weighed with the idf weights. */
#include "io/textstore.h"

#include <stdlib.h>
#include <string.h>

#include "io/source.h"
#include "io/text.h"
#include "util/error.h"

struct gn_text_store {
    gn_parser *parser;   /* resolved, with the idf table (NULL: the input was not eligible) */
    gn_text_opts w;      /* the weighing of the passes: tf, normalize, the idf weights */
    /* examples [0, n): label, weight, key; features [fstart[i], fstart[i + 1]) of slot/val as the
     * parser pushed them (text terms as counts); their documents [sstart[i], sstart[i + 1]) of
     * span, pairs (offset in the example, length) in push order */
    size_t n, ncap;
    float *label, *weight;
    uint64_t *key;
    size_t *fstart, *sstart;
    uint32_t *slot;
    float *val;
    size_t nf, fcap;
    uint32_t *span;
    size_t ns, scap;
    uint64_t bytes;      /* the input's size */
};

static void drop_examples(gn_text_store *s) {
    free(s->label);
    free(s->weight);
    free(s->key);
    free(s->fstart);
    free(s->sstart);
    free(s->slot);
    free(s->val);
    free(s->span);
    s->label = s->weight = s->val = NULL;
    s->key = NULL;
    s->fstart = s->sstart = NULL;
    s->slot = s->span = NULL;
    s->n = s->ncap = s->nf = s->fcap = s->ns = s->scap = 0;
}

void gn__text_store_free(gn_text_store *s) {
    if (!s) return;
    drop_examples(s);
    gn__parser_free(s->parser);
    free(s);
}

/* The rules of io/textstore.h apart from the format. */
static int eligible_flags(const gn_data_spec *spec) {
    return spec->idf && !spec->interactions[0] && !spec->skip_bad && !spec->field_aware;
}

int gn__text_store_eligible(const gn_data_spec *spec, const gn_parser *parser) {
    (void)parser;
    return eligible_flags(spec) && (spec->format == GN_FORMAT_CSV || spec->format == GN_FORMAT_VW);
}

/* The request may be eligible once its format is known (AUTO resolves to CSV or VW). */
static int request_eligible(const gn_data_spec *spec) {
    return eligible_flags(spec) &&
           (spec->format == GN_FORMAT_AUTO || spec->format == GN_FORMAT_CSV || spec->format == GN_FORMAT_VW);
}

/* Bytes the stored examples take. */
static size_t store_bytes(const gn_text_store *s) {
    return s->ncap * (2 * sizeof(float) + sizeof(uint64_t) + 2 * sizeof(size_t)) +
           s->fcap * (sizeof(uint32_t) + sizeof(float)) + s->scap * sizeof(uint32_t);
}

static int grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return GN_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *n = realloc(*p, c * size);
    if (!n) return GN_ENOMEM;
    *p = n;
    *cap = c;
    return GN_OK;
}

/* Appends example i of b (features as pushed; its documents spans[2k], spans[2k + 1] for k in
 * [k0, k1), offsets in b) to the store. GN_ENOMEM. */
static int add_example(gn_text_store *s, const gn_batch *b, size_t i, const size_t *spans, size_t k0, size_t k1) {
    const size_t f0 = b->start[i], nf = b->start[i + 1] - f0;
    if (s->n + 2 > s->ncap) { /* the per-example arrays share one capacity */
        const size_t need = s->n + 2;
        size_t c[5] = {s->ncap, s->ncap, s->ncap, s->ncap, s->ncap};
        if (grow((void **)&s->label, &c[0], need, sizeof *s->label) ||
            grow((void **)&s->weight, &c[1], need, sizeof *s->weight) ||
            grow((void **)&s->key, &c[2], need, sizeof *s->key) ||
            grow((void **)&s->fstart, &c[3], need, sizeof *s->fstart) ||
            grow((void **)&s->sstart, &c[4], need, sizeof *s->sstart))
            return GN_ENOMEM; /* the caller drops the store */
        s->ncap = c[0];
    }
    size_t fc = s->fcap;
    if (grow((void **)&s->slot, &fc, s->nf + nf, sizeof *s->slot)) return GN_ENOMEM;
    fc = s->fcap;
    if (grow((void **)&s->val, &fc, s->nf + nf, sizeof *s->val)) return GN_ENOMEM;
    s->fcap = fc;
    if (grow((void **)&s->span, &s->scap, s->ns + 2 * (k1 - k0), sizeof *s->span)) return GN_ENOMEM;
    if (s->n == 0) s->fstart[0] = s->sstart[0] = 0;
    s->label[s->n] = b->label[i];
    s->weight[s->n] = b->weight[i];
    s->key[s->n] = b->key[i];
    memcpy(s->slot + s->nf, b->index + f0, nf * sizeof *s->slot);
    memcpy(s->val + s->nf, b->value + f0, nf * sizeof *s->val);
    s->nf += nf;
    for (size_t k = k0; k < k1; k++) {
        s->span[s->ns++] = (uint32_t)(spans[2 * k] - f0);
        s->span[s->ns++] = (uint32_t)(spans[2 * k + 1] - spans[2 * k]);
    }
    s->n++;
    s->fstart[s->n] = s->nf;
    s->sstart[s->n] = s->ns;
    return GN_OK;
}

/* Appends one example to b, its features slot/val[0, nf) as pushed and its documents span[0, 2ns)
 * weighed by w where the parser weighs them, then closes it (repeats merged). GN_ENOMEM. */
static int replay(const gn_text_opts *w, float label, float weight, uint64_t key, const uint32_t *slot,
                  const float *val, size_t nf, const uint32_t *span, size_t ns, gn_batch *b) {
    GN_TRY(gn__batch_begin_example(b, label, weight, key));
    GN_TRY(gn__batch_reserve_features(b, nf));
    size_t at = 0;
    for (size_t k = 0; k <= ns; k++) {
        const size_t so = k < ns ? span[2 * k] : nf, sl = k < ns ? span[2 * k + 1] : 0;
        memcpy(b->index + b->nnz, slot + at, (so - at) * sizeof *slot); /* the features before it */
        memcpy(b->value + b->nnz, val + at, (so - at) * sizeof *val);
        b->nnz += so - at;
        if (k == ns) break;
        const size_t k0 = b->nnz;
        memcpy(b->index + k0, slot + so, sl * sizeof *slot);
        memcpy(b->value + k0, val + so, sl * sizeof *val);
        b->nnz = k0 + gn__text_weigh(w, b->index + k0, b->value + k0, sl);
        at = so + sl;
    }
    gn__batch_end_example(b);
    return GN_OK;
}

int gn__text_store_build(const gn_data_spec *spec, const char *const *paths, size_t npaths, size_t budget,
                         gn_text_store **out) {
    gn_text_store *s = calloc(1, sizeof *s);
    if (!s) return gn__fail(GN_ENOMEM, "out of memory");
    gn_source *src = NULL;
    uint32_t *df = NULL;
    gn_batch b, sb;
    int st = gn__batch_init(&b, 1024, 1 << 16);
    if (st != GN_OK) {
        free(s);
        return st;
    }
    if ((st = gn__batch_init(&sb, 1, 1 << 12)) != GN_OK) {
        gn__batch_free(&b);
        free(s);
        return st;
    }
    if (!request_eligible(spec)) goto done; /* not eligible: no parser, nothing read */
    for (size_t i = 0; i < npaths; i++)
        if (strcmp(paths[i], "-") == 0) goto done;
    if ((st = gn__source_open(spec, NULL, paths, npaths, &src)) != GN_OK) goto done;
    gn__source_defer_idf(src);
    if ((st = gn__source_resolve(src)) != GN_OK) goto done;
    gn_parser *p = gn__source_parser(src);
    const gn_data_spec *rs = gn__source_spec(src);
    if (!p || !gn__text_store_eligible(rs, p)) goto done;
    const size_t nslots = (size_t)1 << rs->bits;
    if (!(df = calloc(nslots, sizeof *df))) {
        st = gn__fail(GN_ENOMEM, "out of memory for document frequencies of 2^%u slots", (unsigned)rs->bits);
        goto done;
    }
    gn__parser_set_text_counts(p, 1);
    gn__parser_record_text_spans(p, 1);
    b.keep_repeats = 1;
    /* the first pass of the two-pass path weighs without idf: tf and the norm only */
    const gn_text_opts w0 = {rs->ngrams, rs->skips, (int)rs->tf, rs->normalize_rows, (uint32_t)(nslots - 1), NULL, 0};
    int storing = budget > 0;
    uint64_t docs = 0;
    while ((st = gn__source_next(src, &b, 1024)) == GN_OK) {
        size_t nsp;
        const size_t *spans = gn__parser_text_spans(p, &nsp);
        size_t k = 0;
        for (size_t i = 0; i < b.n && st == GN_OK; i++) {
            const size_t f0 = b.start[i], f1 = b.start[i + 1], k0 = k;
            while (k < nsp && spans[2 * k] < f1) k++;
            /* example i's documents are spans [k0, k): each within [f0, f1) */
            gn__batch_clear(&sb);
            sb.keep_repeats = 0;
            uint32_t *sp = NULL;
            uint32_t local[64];
            const size_t ns = k - k0;
            if (2 * ns > sizeof local / sizeof *local) {
                if (!(sp = malloc(2 * ns * sizeof *sp))) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
            } else {
                sp = local;
            }
            for (size_t j = 0; j < ns; j++) {
                sp[2 * j] = (uint32_t)(spans[2 * (k0 + j)] - f0);
                sp[2 * j + 1] = (uint32_t)(spans[2 * (k0 + j) + 1] - spans[2 * (k0 + j)]);
            }
            st = replay(&w0, b.label[i], b.weight[i], b.key[i], b.index + f0, b.value + f0, f1 - f0, sp, ns, &sb);
            if (sp != local) free(sp);
            if (st != GN_OK) { st = gn__fail(GN_ENOMEM, "out of memory"); break; }
            docs++;
            for (size_t f = 0; f < sb.nnz; f++) /* distinct slots: the replay merged repeats */
                if (df[sb.index[f]] != UINT32_MAX) df[sb.index[f]]++;
            if (storing) {
                if (add_example(s, &b, i, spans, k0, k) != GN_OK || store_bytes(s) > budget) {
                    /* over the budget: the frequencies only, the passes read the text again */
                    drop_examples(s);
                    storing = 0;
                }
            }
        }
        gn__parser_clear_text_spans(p);
        if (st != GN_OK) break;
    }
    if (st != GN_EOF) goto done;
    st = GN_OK;
    s->bytes = gn__source_bytes_total(src);
    gn_idf *t = NULL;
    if ((st = gn__idf_from_df(rs->bits, docs, df, &t)) != GN_OK) goto done;
    gn__parser_set_text_counts(p, 0);
    gn__parser_record_text_spans(p, 0);
    st = gn__parser_clone(p, &s->parser);
    if (st == GN_OK) gn__parser_set_idf(s->parser, t);
    gn__idf_unref(t); /* the parser holds it */
    if (st != GN_OK) goto done;
    s->w = w0;
    s->w.idf = gn__parser_idf(s->parser)->w;
done:
    gn__source_free(src);
    free(df);
    gn__batch_free(&b);
    gn__batch_free(&sb);
    if (st != GN_OK) {
        gn__text_store_free(s);
        return st;
    }
    *out = s;
    return GN_OK;
}

const gn_parser *gn__text_store_parser(const gn_text_store *s) { return s->parser; }

size_t gn__text_store_examples(const gn_text_store *s) { return s->n; }

int gn__text_store_next(const gn_text_store *s, size_t *pos, size_t end, gn_batch *b, size_t max) {
    gn__batch_clear(b);
    if (end > s->n) end = s->n;
    while (*pos < end && b->n < max) {
        const size_t i = *pos;
        const size_t f0 = s->fstart[i], s0 = s->sstart[i];
        if (replay(&s->w, s->label[i], s->weight[i], s->key[i], s->slot + f0, s->val + f0, s->fstart[i + 1] - f0,
                   s->span + s0, (s->sstart[i + 1] - s0) / 2, b) != GN_OK)
            return gn__fail(GN_ENOMEM, "out of memory");
        (*pos)++;
    }
    return b->n ? GN_OK : GN_EOF;
}

uint64_t gn__text_store_bytes(const gn_text_store *s, size_t pos) {
    if (s->n == 0) return s->bytes;
    return (uint64_t)((double)s->bytes * (double)(pos < s->n ? pos : s->n) / (double)s->n);
}
