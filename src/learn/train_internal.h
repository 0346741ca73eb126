/* learn/train_internal.h: pieces of training shared between the online loop (train.c), the
 * batch solvers (lbfgs.c), model selection (select/) and distributed training (dist/). */
#ifndef GN_LEARN_TRAIN_INTERNAL_H
#define GN_LEARN_TRAIN_INTERNAL_H

#include <jansson.h>

#include "gannet/gannet.h"
#include "io/parser.h"
#include "io/source.h"

/* Resolves the options' automatic values that depend on others (l1 auto), in place. gn_train,
 * gn_tune and the learners see resolved options only. */
void gn__train_options_resolve(gn_train_options *o);
/* GN_EINVAL "training diverged (what) with lr X: use a smaller lr", with the optimizer's default
 * when lr is above it: a loss, score or weight that is no longer finite. */
int gn__fail_diverged(double lr, gn_optimizer opt, const char *what);
/* The training flags as a JSON object (resolved optimizer). New reference. */
json_t *gn__train_options_json(const gn_train_options *o);
/* Sets m->extra (train flags, data summary, metrics, CSV columns) and m->created. */
/* Resolves the options' class weights (learn/class_weights.h) against the parser's classes and
 * gives them to l (nothing when none are asked for). */
struct gn_learner;
struct gn_parser;
int gn__learner_class_weights_from(struct gn_learner *l, const gn_train_options *o, const struct gn_parser *parser);
int gn__attach_metadata(gn_model *m, const gn_train_options *o, const char *const *paths, size_t npaths,
                        const gn_train_summary *sum, gn_parser *parser);
/* Kind mf (learn/mf_train.c): its option checks (gn_train_options_check calls them for kind mf)
 * and its training (gn_train hands kind mf over): ALS, implicit weighted ALS or SGD. */
int gn__mf_options_check(const gn_train_options *o);
int gn__mf_train(const gn_train_options *o, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                 gn_progress_fn progress, void *user, gn_model **out, gn_train_summary *summary);
/* Kind mf from rows already read (gn__mf_train after reading its files; gn_train_mf_rows from
 * arrays, learn/mf_rows.c): the limits, the solver, the model with its metadata (paths: the data
 * files named in it, may be none). Takes users and items (the ids of t's indices, in index
 * order) in every case; t stays the caller's. dist as gn__mf_fit. */
struct gn_iddict;
struct gn_triples;
int gn__mf_train_triples(const gn_train_options *o, const gn_data_spec *spec, const struct gn_triples *t,
                         struct gn_iddict *users, struct gn_iddict *items, int dist, const char *const *paths,
                         size_t npaths, gn_progress_fn progress, void *user, double t0, gn_model **out,
                         gn_train_summary *summary);
/* The tables of kind mf trained from rows in memory (gn__mf_train reads the files, then calls
 * this; model selection calls it per fold, select/mf_select.c): t's user and item indices are
 * below nu and ni (an index without rows gets zero factors and biases). dist 1: ALS split over
 * the MPI ranks, every rank holding all rows; 0: this process alone. The tables' id
 * dictionaries are left empty (the caller owns the ids). *ro_out (may be NULL): the options as
 * used (rank, epochs, l2, lr resolved); *mse_out (may be NULL): the training MSE. t0: the start
 * time progress reports count from. */
struct gn_triples;
struct gn_kind_payload;
int gn__mf_fit(const gn_train_options *o, const struct gn_triples *t, uint32_t nu, uint32_t ni, int dist,
               gn_progress_fn progress, void *user, double t0, struct gn_kind_payload **out, gn_train_options *ro_out,
               double *mse_out);
/* Partial updates (learn/mf_update.c): factors drawn as training draws them (rng advanced), and
 * o->passes SGD epochs (0: 1) of an explicit model over rows t (indices below mf's sizes), at
 * o->lr and o->l2 (0: SGD's defaults), shuffled by o->seed; *mse the last epoch's training MSE. */
void gn__mf_init_factors(float *x, size_t n, uint64_t *rng);
int gn__mf_sgd_epochs(struct gn_kind_payload *mf, const struct gn_triples *t, const gn_train_options *o,
                      gn_progress_fn progress, void *user, double t0, double *mse);
/* Implicit models: the factors of the users from first_user on and the items from first_item on
 * solved by weighted ALS from their rows in t, the other factors fixed, o->passes alternations
 * (0: GN__MF_FOLDIN_EPOCHS) (learn/mf_train.c). */
#define GN__MF_FOLDIN_EPOCHS 3u
int gn__mf_implicit_foldin(struct gn_kind_payload *mf, const struct gn_triples *t, uint32_t first_user,
                           uint32_t first_item, const gn_train_options *o, double *mse);
/* learn/mf_rows.c: n rows of id columns mapped to t (allocated, t->n = n) through the
 * dictionaries ud and id (new ids added, a row's user before its item); ratings NULL: 1. */
struct gn_id_column;
int gn__mf_map_rows(const struct gn_id_column *users, const struct gn_id_column *items, const double *ratings,
                    size_t n, struct gn_iddict *ud, struct gn_iddict *id, struct gn_triples *t);
/* The same training in steps (model selection's successive halving resumes a fold model for more
 * epochs rather than training it again, select/mf_select.c): gn__mf_fitter_new resolves the
 * options for t's rows and builds the model with its initial factors (no epoch yet);
 * gn__mf_fitter_run trains `epochs` more epochs on the rows t (the same rows, with the same
 * indices, at every call; the fitter keeps no pointer to them). new + run(E) + run(F) gives the model of one run of E + F
 * epochs, bit for bit (the random state and SGD's order are kept between runs).
 * gn__mf_fitter_model: the tables as trained so far (owned by the fitter); _done: epochs trained.
 * gn__mf_epochs: the epochs gn__mf_fit would train for these options on nratings rows. */
typedef struct gn__mf_fitter gn__mf_fitter;
int gn__mf_fitter_new(const gn_train_options *o, const struct gn_triples *t, uint32_t nu, uint32_t ni, int dist,
                      gn__mf_fitter **out);
int gn__mf_fitter_run(gn__mf_fitter *f, const struct gn_triples *t, uint32_t epochs, gn_progress_fn progress,
                      void *user, double t0);
const struct gn_kind_payload *gn__mf_fitter_model(const gn__mf_fitter *f);
uint32_t gn__mf_fitter_done(const gn__mf_fitter *f);
void gn__mf_fitter_free(gn__mf_fitter *f);
uint32_t gn__mf_epochs(const gn_train_options *o, size_t nratings);
/* L-BFGS / OWL-QN over the whole source (learn/lbfgs.c); with src NULL, over the cache
 * o->cache_path alone (made by `gannet cache` or gn_cache_write_matrix), checked against
 * alone_spec as gn_train checks a cache alone. */
int gn__train_batch_solver(const gn_train_options *o, gn_source *src, const gn_data_spec *alone_spec,
                           gn_progress_fn fn, void *user, gn_model **out, gn_train_summary *sum,
                           const char *const *paths, size_t npaths);

/* One batch solve on in-memory data, for model selection (learn/lbfgs.c). */
typedef struct gn_batch_fit {
    double objective;      /* F at the solution */
    double grad0;          /* the (pseudo-)gradient norm where the solve started */
    uint32_t iterations, evaluations; /* evaluations: passes over the data */
} gn_batch_fit;
struct gn_bdata;
/* A batch solver bound to one in-memory data set, whose indices are dense feature ids in [0, dim),
 * for solving a path of problems on it (model selection): the state arrays, the objective's
 * threads (0: all cores) and the data part of the preconditioner are made once. It runs on this
 * process alone (no MPI sums: model selection solves different problems on different ranks). */
typedef struct gn_batch_path gn_batch_path;
/* k: scores per example (softmax, oaa: the classes; else 1), the weights nfeat * k, feature-major;
 * loss: the objective's (objective.h: for oaa its binary loss, logistic). */
int gn__batch_path_new(const struct gn_bdata *d, size_t nfeat, size_t k, gn_loss loss, uint32_t threads,
                       uint32_t memory, gn_batch_path **out);
void gn__batch_path_free(gn_batch_path *p);
/* Solves o's problem (lbfgs | owlqn with o's loss, which must be the path's; l1, l2, --tol,
 * --max-iter, --memory) from w (nfeat * k doubles), which receives the solution. gref > 0: the stopping
 * test is |grad| <= tol * gref instead of tol * |grad at the start|, so that a warm start is
 * measured against the gradient at zero (pass the grad0 of an L-BFGS solve from zero). */
int gn__batch_path_solve(gn_batch_path *p, const gn_train_options *o, double gref, double *w, gn_batch_fit *out);

#endif
