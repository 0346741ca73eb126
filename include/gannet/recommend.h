/* gannet/recommend.h: matrix-factorization models (kind mf, `gannet train --kind mf`): top-k
 * recommendation, single predictions by id, and ranking evaluation; and, at the end, ranking a
 * list of candidates that share a context with a feature model (fm, ffm, linear).
 *
 * A model of kind mf holds its users' and items' ids (strings), their factors and biases, and
 * each user's training items. Every call here takes a const model and only reads it: they are
 * thread-safe, and the server calls gn_model_recommend from its worker threads directly.
 * Strings returned point into the model and live as long as it does. */
#ifndef GANNET_RECOMMEND_H
#define GANNET_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/model.h"
#include "gannet/status.h"
#include "gannet/train.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_recommend_options {
    int exclude_seen;               /* 1: never return the user's training items */
    const char *const *exclude;     /* item ids never to return (ids the model does not know are
                                       ignored); NULL when nexclude is 0 */
    size_t nexclude;
    const char *const *candidates;  /* NULL: rank every item; else only these ids (unknown ids and
                                       repeats ignored) */
    size_t ncandidates;
    int exact;                      /* 1: the exact scan even when the model has an index */
    uint32_t nprobe;                /* lists the IVF index probes; 0: the index's default (more lists:
                                       better recall, slower; all lists: the exact answer) */
    uint32_t ef;                    /* the HNSW index's search beam; 0: the index's default (wider:
                                       better recall, slower; never below k) */
} gn_recommend_options;

/* exclude_seen 0, no exclusions, every item a candidate, the index when the model has one. */
void gn_recommend_options_init(gn_recommend_options *o);

typedef struct gn_recommend_item {
    const char *item; /* the item's id (owned by the model) */
    double score;     /* explicit ratings: the predicted rating; implicit: the preference score
                         (an unknown user: the item's training interactions, its popularity) */
} gn_recommend_item;

/* The k best items for `user` (a NUL-terminated id), best first (ties: the item seen first in
 * training), into out (room for k); *n_out says how many (fewer when the catalogue, after the
 * exclusions, has fewer). A user the model does not know is answered from the items alone: the
 * global mean plus each item's bias (explicit), or the most popular items (implicit). GN_EINVAL
 * unless m is of kind mf; opt NULL: the defaults. Thread-safe; allocates only O(k + exclusions). */
gn_status gn_model_recommend(const gn_model *m, const char *user, size_t k, const gn_recommend_options *opt,
                             gn_recommend_item *out, size_t *n_out);

/* ---- training from rows in memory ----
 * One column of n ids for gn_train_mf_rows: either text (text[r], len[r] bytes, or NUL-terminated
 * when len is NULL) or, when text is NULL, integers (ints[r], read as their decimal text: 42 is
 * the id "42", as a CSV file holding 42 gives it). Borrowed for the call. */
typedef struct gn_id_column {
    const char *const *text;
    const size_t *len;
    const int64_t *ints;
} gn_id_column;

/* Trains a model of kind mf from n (user, item, rating) rows in memory, exactly as gn_train reads
 * the same rows in the same order from a CSV file: ids mapped to dense indices in the order they
 * first appear (a row's user before its item), ratings rounded to float, then the same solver
 * (opts: rank, optimizer, l2, lr, passes, implicit, alpha, threads, seed, max_memory, stop). So
 * the model predicts and recommends bit for bit what `gannet train --kind mf` trains on that file
 * (its metadata lists no data files). ratings NULL: every row counts 1 (needs opts->implicit).
 * opts->kind is taken as mf; the column names mf_user, mf_item, mf_rating (NULL: "user", "item",
 * "rating") are only recorded in the model, for `gannet eval` on CSV files. An id is 1 to 4096
 * bytes without NUL and is kept byte for byte (the CSV reader trims spaces at either end; here
 * nothing is changed). Errors (GN_EINVAL, naming the row counted from 0): an empty, too long or
 * NUL-holding id, a rating that is not finite as a 32-bit float, n == 0, NULL columns; bad
 * options as gn_train; GN_ELIMIT (max_memory), GN_ENOMEM, GN_ECANCELED (opts->stop). On this
 * process alone (no MPI). progress and summary as gn_train; *out is owned by the caller. */
gn_status gn_train_mf_rows(const gn_train_options *opts, const gn_id_column *users, const gn_id_column *items,
                           const double *ratings, size_t n, gn_progress_fn progress, void *user, gn_model **out,
                           gn_train_summary *summary);

/* Trains a kind-mf model further on n more (user, item, rating) rows in memory (scikit-learn's
 * partial_fit): a new model in *out; base is not changed. Ids base has not seen are added after
 * its own (their factors drawn as training draws them, biases 0), each row's item joins its
 * user's seen items and the item's popularity, the global mean stays base's. Explicit ratings:
 * then opts->passes (0: 1) SGD epochs over these rows alone, at opts->lr (0: 0.007) and opts->l2
 * (0: 0.05), shuffled by opts->seed, whatever solver trained base. Implicit feedback (base
 * trained with --implicit): fold-in, the factors of the new users and new items solved by
 * weighted ALS from their rows (confidence 1 + base's alpha * rating), every other factor fixed,
 * opts->passes (0: 3) alternations at opts->l2 (0: 0.1); known users and items keep their
 * factors (the model keeps which items a user saw, not the values: refit to solve them again),
 * though their new rows join the seen items. Rank and the other solver options are base's;
 * max_memory, threads and stop are honoured. Ids and ratings as gn_train_mf_rows (ratings NULL:
 * 1 each, implicit models only); errors as gn_train_mf_rows. *out is owned by the caller. */
gn_status gn_update_mf_rows(const gn_model *base, const gn_train_options *opts, const gn_id_column *users,
                            const gn_id_column *items, const double *ratings, size_t n, gn_progress_fn progress,
                            void *user, gn_model **out, gn_train_summary *summary);

/* ---- the item index: approximate top-k for large catalogues ----
 * Two kinds over the item factors, both reranking their final candidates with the exact scan's
 * arithmetic (so scores are the exact scan's): IVF (k-means lists; a query scores the lists'
 * centroids and scans the best nprobe lists) and HNSW (a navigable small-world graph searched
 * with a beam of ef). Built in memory, never saved: the server builds it when it loads a model,
 * before the model is served, so a reload swaps model and index together. gn_model_recommend
 * uses it for known users without candidates (candidates, unknown users and opt->exact scan
 * exactly). */
typedef enum gn_mf_index_kind {
    GN_MF_INDEX_AUTO = 0,
    GN_MF_INDEX_EXACT = 1,
    GN_MF_INDEX_IVF = 2,
    GN_MF_INDEX_HNSW = 3
} gn_mf_index_kind;

typedef struct gn_mf_index_options {
    int kind;                /* gn_mf_index_kind; AUTO: exact below auto_min_items items, HNSW
                                up to auto_max_hnsw_items, IVF above (HNSW's build time grows
                                faster; docs/recommend.md) */
    uint64_t auto_min_items; /* default 20000 */
    uint32_t nlists;         /* IVF: 0: about sqrt(items) */
    uint32_t nprobe;         /* IVF: lists probed by default; 0: a tenth of the lists */
    uint32_t iters;          /* IVF: k-means iterations; default 8 */
    uint64_t seed;           /* default 1 */
    uint32_t hnsw_m;         /* HNSW: links per node (2 M on the bottom level); 0: 16 */
    uint32_t ef_construction; /* HNSW: the build's beam; 0: 100 */
    uint32_t ef_search;      /* HNSW: the default query beam; 0: max(64, 2 k) for k items,
                                max(128, 2 k) from 500,000 items */
    uint32_t threads;        /* HNSW: build threads; 0: all cores; 1: the same graph every time */
    uint64_t auto_max_hnsw_items; /* 0 (default): 150,000 per build thread (threads; 0: cores)
                                     at rank 64, scaled by 64 / rank: 300,000 on 2 cores */
} gn_mf_index_options;
void gn_mf_index_options_init(gn_mf_index_options *o);

/* Builds (or, when the options say exact, drops) the model's index. Not thread-safe with
 * queries on the same model: call it before the model is shared. GN_EINVAL unless kind mf;
 * GN_ENOMEM (the model keeps its old index). */
gn_status gn_model_mf_build_index(gn_model *m, const gn_mf_index_options *o);

typedef struct gn_mf_index_info {
    int kind;              /* GN_MF_INDEX_EXACT (no index), GN_MF_INDEX_IVF or GN_MF_INDEX_HNSW */
    uint32_t nlists, nprobe; /* IVF */
    uint32_t hnsw_m, ef_construction, ef_search, threads; /* HNSW (ef_search 0: from k) */
    uint64_t bytes;        /* memory held by the index */
    double build_seconds;
} gn_mf_index_info;
gn_status gn_model_mf_index_info(const gn_model *m, gn_mf_index_info *out);

/* 1 if the model was trained with this user / item id, 0 if not (or m is not of kind mf). */
int gn_model_mf_has_user(const gn_model *m, const char *user);
int gn_model_mf_has_item(const gn_model *m, const char *item);

/* The model's answer for one (user, item): the predicted rating (explicit) or preference
 * (implicit), with the cold-start rules above for unknown ids. */
gn_status gn_model_mf_predict(const gn_model *m, const char *user, const char *item, double *out);

typedef struct gn_mf_info {
    uint32_t rank, users, items;
    uint64_t interactions; /* distinct (user, item) pairs of the training data */
    int implicit;
    double mean;           /* the global mean rating (explicit) */
} gn_mf_info;
gn_status gn_model_mf_info(const gn_model *m, gn_mf_info *out);

/* Ranking evaluation on held-out (user, item[, rating]) CSV rows read with the model's columns:
 * for every user with at least one relevant test item, the top k with the user's training items
 * excluded, against the relevant ones (test items not seen in training, and with rating >=
 * relevant_min unless relevant_min is NaN or the data has no rating). */
typedef struct gn_rank_eval_options {
    size_t k;             /* default 10 */
    double relevant_min;  /* default NaN: every test row is relevant */
    int skip_bad;         /* skip bad rows (counted) instead of failing */
    uint32_t threads;     /* 0: all cores */
} gn_rank_eval_options;
void gn_rank_eval_options_init(gn_rank_eval_options *o);

typedef struct gn_rank_metrics {
    size_t k;
    uint64_t users;       /* users evaluated (with a relevant item) */
    uint64_t unknown_users; /* of them, users the model does not know (answered by the fallback) */
    double precision;     /* mean over users of hits / k */
    double recall;        /* mean of hits / relevant */
    double ndcg;          /* mean nDCG@k, binary relevance */
    double map;           /* mean average precision at k (normalised by min(relevant, k)) */
    double coverage;      /* distinct items recommended / items in the model */
    uint64_t skipped;
} gn_rank_metrics;
gn_status gn_model_rank_eval(const gn_model *m, const char *const *paths, size_t npaths, const gn_rank_eval_options *o,
                             gn_rank_metrics *out);

/* ---- feature models (fm, ffm, linear): candidates that share a context ----
 * A context (the user, the page, the time: features like one :predict instance) and a list of
 * candidates (each the item's features); candidate c is scored as the one instance holding the
 * context's features and then its own, with the model's prediction (a probability for logistic
 * loss). The context's share of each score is computed once: fm's linear and factor sums, ffm's
 * pairs inside the context, a linear model's sum. Every call here reads a const model:
 * thread-safe. Models of kind mf (above) and multiclass models (more than one output) are refused
 * with GN_EINVAL. */

/* The predictions of candidate rows joined to one context row (context->n == 1; a row may hold
 * the bias, slot 0, once: put it in the context): out[c] (out_len >= candidates->n) is what
 * gn_model_predict_batch gives for the row of the context's features followed by candidate c's.
 * fm and linear: bit for bit; ffm: within rounding (its terms are summed in another order).
 * GN_EINVAL for bad rows (as gn_model_predict_batch) or a model refused above. */
gn_status gn_model_predict_context(const gn_model *m, const gn_rows *context, const gn_rows *candidates, double *out,
                                   size_t out_len);

/* Named features, as gn_model_predict_named takes them: names[i] with values[i], or the category
 * strs[i] when strs and strs[i] are not NULL. */
typedef struct gn_named_features {
    size_t n;
    const char *const *names;
    const double *values;
    const char *const *strs; /* NULL: every value is a number */
} gn_named_features;

typedef struct gn_ranked {
    size_t index; /* the candidate's position in the list given */
    double score; /* its prediction */
} gn_ranked;

/* The k best of ncand candidates for one context, best first (ties: the earlier candidate), into
 * out (room for k); *n_out = min(k, ncand). Context and candidates are named features, parsed
 * with the model's spec like gn_model_predict_named; a candidate is the context merged with its
 * features, and a feature named by both is an error. Without interactions the context is parsed
 * once and scored once (gn_model_predict_context); a model with interactions crosses context and
 * candidate features, so each merged instance is parsed and scored whole. Errors: GN_EPARSE with
 * "context: ..." or "candidate 3: ..." in gn_last_error (a bad name or value, a name in both),
 * GN_EINVAL (the model kind, NULL arguments), GN_ENOMEM. */
gn_status gn_model_rank_named(const gn_model *m, const gn_named_features *context, const gn_named_features *candidates,
                              size_t ncand, size_t k, gn_ranked *out, size_t *n_out);

/* The same ranking with the context and the candidates as text lines in the model's input format
 * without a label (a model trained on libsvm, libfm, libffm or vw lines; NUL-terminated, one line
 * each): candidate c is scored as :predict scores the line `context candidates[c]` (joined by a
 * blank; for vw each candidate line starts with its namespace, '|item ...'). Without
 * interactions the context's row is parsed and scored once; a candidate sharing a slot with the
 * context, and every candidate of a model with interactions, is parsed as the joined line.
 * Errors: GN_EPARSE with "context: ..." or "candidate 3: ..." (a line that does not parse, an
 * empty line, a label or tag, a line break), GN_EUNSUPPORTED (a model of another format: CSV
 * and the text formats rank feature objects), GN_EINVAL, GN_ENOMEM. */
gn_status gn_model_rank_lines(const gn_model *m, const char *context, const char *const *candidates, size_t ncand,
                              size_t k, gn_ranked *out, size_t *n_out);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
