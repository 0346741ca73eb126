/* learn/lbfgs.c: batch solvers (L-BFGS for smooth objectives, OWL-QN for L1).
 * Placeholder until the batch solver lands: reports that it is not built yet. */
#include "learn/train_internal.h"
#include "util/error.h"

int gn__train_batch_solver(const gn_train_options *o, gn_source *src, gn_progress_fn fn, void *user,
                           gn_model **out, gn_train_summary *sum, const char *const *paths, size_t npaths) {
    (void)src; (void)fn; (void)user; (void)out; (void)sum; (void)paths; (void)npaths;
    return gn__fail(GN_EUNSUPPORTED, "--optimizer %s is not available yet", gn_optimizer_name(o->optimizer));
}
