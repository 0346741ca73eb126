/* learn/mf_eval.h: prediction and rating metrics of kind mf over CSV files (learn/mf_eval.c);
 * gn_predict_files_top and gn_evaluate_acc hand mf models over to these. */
#ifndef GN_LEARN_MF_EVAL_H
#define GN_LEARN_MF_EVAL_H

#include <stdio.h>

#include "gannet/gannet.h"
#include "io/triples.h"
#include "model/mf.h"

int gn__mf_predict_files(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, FILE *out,
                         uint64_t *predicted, uint64_t *skipped);
int gn__mf_evaluate(const gn_model *m, const char *const *paths, size_t npaths, int skip_bad, gn_metrics *out,
                    gn_metrics_acc **acc_out, uint64_t *skipped);

/* Ranking metrics of mf's tables on rows in memory whose indices are mf's (GN_IDDICT_NONE: an id
 * the model does not know): what gn_model_rank_eval computes after reading its files; model
 * selection scores each fold with it (select/mf_select.c). o->k checked by the caller. */
int gn__mf_rank_eval_rows(const gn_mf *mf, const gn_triples *t, const gn_rank_eval_options *o, gn_rank_metrics *out);

#endif
