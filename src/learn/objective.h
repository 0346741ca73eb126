/* learn/objective.h: the data and the smooth part of the objective for the batch solvers
 * (learn/lbfgs.c). The examples are held in memory in one compact CSR (read once from a source),
 * their hashed slots renumbered to a dense range of the slots that occur, and
 *     f(w) = sum_i weight_i * loss(x_i . w, y_i) + l2/2 * |w|^2
 * is evaluated by T threads that each own a contiguous shard of the examples. Every sum is
 * reduced in a fixed order (thread 0, 1, ... and coordinate by coordinate), so the result depends
 * on the thread count but never on timing. Nothing here talks to MPI: the solver all-reduces the
 * per-rank results itself. */
#ifndef GN_LEARN_OBJECTIVE_H
#define GN_LEARN_OBJECTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/source.h"

/* The examples of one rank, in one CSR. Indices are hash slots until gn__bdata_remap, then dense
 * feature ids in [0, dim). */
typedef struct gn_bdata {
    size_t n, nnz;          /* examples, features held */
    size_t cap_n, cap_nnz;  /* allocated */
    float *label, *weight;
    uint64_t *key;
    size_t *start;          /* n+1 */
    uint32_t *index;
    float *value;
} gn_bdata;

/* The examples of d as rows for scoring (a view). */
static inline gn_rows gn__bdata_rows(const gn_bdata *d) {
    gn_rows r = {d->n, d->start, d->index, d->value};
    return r;
}

/* Reads part `part` of `nparts` of the input into d (empty on entry) with `threads` threads, each
 * reading sub-part part*threads+t of nparts*threads; the sub-parts are concatenated in order, so
 * the examples keep their order in the input whatever the thread count. src is the whole input,
 * already open: it is read as is (one thread) when there is one part and one thread, or when the
 * input includes stdin; once resolved (gn__source_resolve), its parser is handed to the parts,
 * which then do not detect the format again. The arrays are sized up front from the input's size
 * (a hint; they grow as needed). *skipped counts the bad lines skipped (spec->skip_bad). Errors
 * name file:line. (learn/bload.c) */
int gn__bdata_read(gn_source *src, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                   uint32_t part, uint32_t nparts, uint32_t threads, uint32_t batch, gn_bdata *d,
                   uint64_t *skipped);
/* Appends every example of b. GN_ENOMEM (message names the size) on failure. */
int gn__bdata_append(gn_bdata *d, const gn_batch *b);
void gn__bdata_free(gn_bdata *d);
/* Makes room for n examples and nnz features in all (a capacity hint, so that appending them
 * moves nothing). Returns 0, or -1 when out of memory (d is then unchanged and still usable, and
 * no error message is set). */
int gn__bdata_reserve(gn_bdata *d, size_t n, size_t nnz);
/* A read-only gn_batch view of the whole data (for an online warm-start pass). */
void gn__bdata_view(const gn_bdata *d, gn_batch *view);
/* Sets bit s of used[] (nslots bits, 64 per word) for every slot s that occurs. */
void gn__bdata_mark_used(const gn_bdata *d, uint64_t *used, size_t nslots);
/* *dim = the number of distinct slots (< nslots) that occur in d. */
int gn__bdata_count_features(const gn_bdata *d, size_t nslots, size_t *dim);
/* Renumbers the indices in place: slot s becomes its rank among the set bits of used[] (which must
 * include every slot that occurs). *slots (owned by the caller) maps dense id -> slot; *dim is
 * the number of set bits. */
int gn__bdata_remap(gn_bdata *d, const uint64_t *used, size_t nslots, uint32_t **slots, size_t *dim);

/* Copies every example e of d to b if to_b[e], else to a (appending, in order). The split keeps
 * slot or dense indices as they are. GN_ENOMEM on failure (a and b then hold what was copied). */
int gn__bdata_split(const gn_bdata *d, const uint8_t *to_b, gn_bdata *a, gn_bdata *b);
/* Checks the labels suit the loss (poisson: >= 0); the error names the file and byte offset. */
int gn__bdata_check_labels(const gn_bdata *d, gn_loss loss, const char *const *paths, size_t npaths);

/* Loss on a score for the batch solvers: logistic, squared, and poisson (continued linearly
 * above a score of 30 so that value and derivative stay consistent). */
typedef struct gn_objective gn_objective;

/* threads >= 1 (no more than there are examples). The threads live as long as the
 * objective. The data must stay alive and unchanged while the objective is used. */
int gn__objective_new(const gn_bdata *d, size_t dim, gn_loss loss, uint32_t threads, gn_objective **out);
/* The same for a loss of k scores per example (k = 1: gn__objective_new): softmax, or logistic for
 * one-against-all (--oaa: the sum over classes c of the logistic loss of score c at label
 * [c == y] ? +1 : -1, k binary problems in one pass; the label is the class index). The weights
 * are nfeat * k doubles, feature-major (w[j * k + c]), the margins z and q n * k doubles
 * (z[e * k + c]), the gradient nfeat * k doubles. */
int gn__objective_new_k(const gn_bdata *d, size_t nfeat, size_t k, gn_loss loss, uint32_t threads,
                        gn_objective **out);
void gn__objective_free(gn_objective *o);
/* z = X w for every example and the data loss there (one pass). */
void gn__objective_margins(gn_objective *o, const double *w, double *z, double *loss);
/* q = X dir (kept inside the objective), and the data loss at z + alpha*q with its derivative in
 * alpha, sum weight_i loss'(.) q_i (one pass). */
void gn__objective_direction(gn_objective *o, const double *dir, const double *z, double alpha, double *loss,
                             double *dphi);
/* The same at another alpha along the last direction. O(examples). */
void gn__objective_line(gn_objective *o, const double *z, double alpha, double *loss, double *dphi);
/* gn__objective_direction, and also g = X^T (weight_i loss'(z_i + alpha q_i)), the gradient at
 * that point (regularisation not included), in the same pass. If the step alpha is then taken,
 * gn__objective_step(z, alpha) moves the margins there and g is its gradient: the same numbers
 * as gn__objective_gradient(z, alpha, NULL, g) would give, without that second pass. */
void gn__objective_direction_gradient(gn_objective *o, const double *dir, const double *z, double alpha,
                                      double *loss, double *dphi, double *g);
/* z += alpha * q (the accepted step along the last direction). */
void gn__objective_step(gn_objective *o, double *z, double alpha);
/* First z += alpha * q (the accepted step along the last direction; alpha 0: z as is), then
 * g = X^T (weight_i loss'(z_i)) and, if loss is not NULL, the data loss at z (one pass).
 * Regularisation is not included. */
void gn__objective_gradient(gn_objective *o, double *z, double alpha, double *loss, double *g);
/* Sum of the example weights of this rank. */
double gn__objective_weight_sum(const gn_objective *o);

#endif
