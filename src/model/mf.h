/* model/mf.h: the tables of a matrix-factorization model (kind mf), shared by the kind
 * (model/kinds/mf.c: file payload, header keys), the trainer (learn/mf_train.c), prediction and
 * evaluation (learn/mf_eval.c) and top-k recommendation (model/recommend.c). A model's m->payload
 * is this struct. Explicit ratings are predicted as
 *
 *   mean + ubias[u] + ibias[i] + P[u] . Q[i]
 *
 * implicit models (weighted ALS) score P[u] . Q[i] (a preference, not a rating; no biases). An
 * unknown user is answered from the items alone: mean + ibias[i] (explicit) or the item's
 * popularity pop[i] (implicit); an unknown item from the user alone: mean + ubias[u] (explicit)
 * or 0 (implicit). Factor rows are contiguous (row-major, rank floats per row) so scoring every
 * item is one matrix-vector product. */
#ifndef GN_MODEL_MF_H
#define GN_MODEL_MF_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "model/mf_hnsw.h"
#include "model/mf_index.h"
#include "util/iddict.h"

#define GN__MF_MAX_RANK 1024u
#define GN__MF_COL_MAX 128

struct gn_kind_payload {
    uint32_t rank;              /* K */
    uint32_t nusers, nitems;
    uint64_t nnz;               /* training interactions (seen_idx entries) */
    int implicit;               /* 1: weighted ALS (scores are preferences) */
    double mean, alpha;         /* global mean rating (0 when implicit); implicit's alpha */
    float *ubias, *ibias;       /* nusers, nitems (zeros when implicit) */
    float *P, *Q;               /* nusers x rank, nitems x rank */
    float *pop;                 /* nitems: training interactions of each item */
    uint64_t *seen_ptr;         /* nusers + 1: user u's training items are seen_idx[seen_ptr[u] ..] */
    uint32_t *seen_idx;         /* nnz item indices, ascending within each user */
    gn_iddict *users, *items;   /* the ids, index = row */
    gn__mf_index *index;        /* NULL: every query scans exactly; else built for serving
                                   (gn_model_mf_build_index), never written to the file */
    gn__mf_hnsw *hnsw;          /* likewise, the HNSW graph; at most one of index and hnsw is set */
    char user_col[GN__MF_COL_MAX], item_col[GN__MF_COL_MAX], rating_col[GN__MF_COL_MAX]; /* CSV columns */
};
typedef struct gn_kind_payload gn_mf;

/* Bytes of the tables (factors, biases, popularity, seen lists; not the id dictionaries). */
uint64_t gn__mf_table_bytes(uint32_t rank, uint64_t nusers, uint64_t nitems, uint64_t nnz);
/* A zeroed gn_mf with every table allocated and empty dictionaries. GN_ENOMEM. */
int gn__mf_new(uint32_t rank, uint32_t nusers, uint32_t nitems, uint64_t nnz, gn_mf **out);
void gn__mf_free(gn_mf *mf);
/* The model's tables (NULL unless m is of kind mf). */
const gn_mf *gn__mf_of(const gn_model *m);
/* The prediction for (u, i); either may be GN_IDDICT_NONE (unknown). */
double gn__mf_predict(const gn_mf *mf, uint32_t u, uint32_t i);
/* 1 if user u saw item i in training. */
int gn__mf_seen(const gn_mf *mf, uint32_t u, uint32_t i);

#endif
