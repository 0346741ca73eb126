/* select/select_internal.h: pieces of model selection shared between the candidate runner
 * (select/runner.c), the public calls (select/select.c) and the unit tests. */
#ifndef GN_SELECT_INTERNAL_H
#define GN_SELECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "gannet/select.h"
#include "learn/split.h"

/* Checks the configurations (options, spec, and that they are online learners without holdout). */
int gn__select_check_configs(const gn_select_config *configs, size_t n);

/* Runs every (configuration x fold) candidate over the shared passes and fills results[0..n). */
int gn__select_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                   const char *const *paths, size_t npaths, gn_select_result *results);

/* Under MPI (select/share.c): whether this rank owns candidate number cand (config * k + fold);
 * candidates are dealt out round-robin. Always 1 with one rank. */
int gn__select_mine(size_t cand);
/* Gives every rank the metrics in slots[0..n): the rank with mine[i] set filled slots[i]. */
int gn__select_share_metrics(gn_metrics *const *slots, const int *mine, size_t n);

/* Runs every (configuration x fold) candidate of batch-solver configurations (lbfgs, owlqn) and
 * fills results[0..n) (select/batch_select.c). */
int gn__select_batch_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                         const char *const *paths, size_t npaths, gn_select_result *results);

/* Runs every (configuration x fold) candidate of kind mf configurations and fills results[0..n)
 * (select/mf_select.c): the rating rows read once, each fold trained by the mf trainer from the
 * rows in memory and scored by rmse/mae and the ranking metrics. */
int gn__select_mf_run(const gn_select_options *o, const gn_select_config *configs, size_t n,
                      const char *const *paths, size_t npaths, gn_select_result *results);

/* Forward-chaining time blocks (GN_SELECT_SPLIT_TIME): the n rows sorted by (time, row) are cut
 * into k + 1 blocks 0..k of sizes differing by at most one; block[row] gets each row's. */
int gn__select_time_blocks(const double *time, size_t n, uint32_t k, uint32_t *block);

/* Whether two data specs are equal (then their configurations can share parsed data); the same
 * for two configurations, whose label kinds follow from their losses (select/runner.c). */
int gn__select_same_spec(const gn_data_spec *a, const gn_data_spec *b);
int gn__select_same_data(const gn_select_config *a, const gn_select_config *b);

/* Mean and population std over k fold metrics, field by field. */
void gn__select_summarise(gn_select_result *r);

#endif
