/* flow/pipeline_internal.h: the parsed pipeline file (pipeline_file.c), shared with the runner
 * (pipeline_run.c). */
#ifndef GN_FLOW_PIPELINE_INTERNAL_H
#define GN_FLOW_PIPELINE_INTERNAL_H

#include <jansson.h>

#include "flow/yaml_tree.h"
#include "gannet/pipeline.h"
#include "gannet/select.h"

#define GN_PIPELINE_MAX_CONDS 16

typedef enum tune_mode { TUNE_NONE = 0, TUNE_GRID, TUNE_RANDOM, TUNE_CV } tune_mode;

typedef struct gate_cond {
    char metric[16];   /* auc, logloss, accuracy, precision, recall, f1, rmse, mae */
    char op[3];        /* ">=", ">", "<=", "<" */
    double threshold;
    unsigned line;
} gate_cond;

struct gn_pipeline {
    char *path;            /* the pipeline file */
    char *dir;             /* its directory: relative data paths start here */
    char *name;
    char *state_dir;       /* DIR/.gannet-pipeline/NAME */
    gn__yaml_tree tree;    /* owns every string the options borrow */
    gn_train_options train; /* data and train sections applied */
    gn_data_spec spec;
    char **train_files, **test_files; /* resolved, globs expanded; owned */
    size_t ntrain, ntest;
    int has_split;         /* data.split: the test part is cut from the train files */
    double split_test;     /* its fraction, in (0, 1) */
    uint64_t split_seed;
    int split_by_time;     /* data.split.by: time (gn_split_by_time on the one train file) */
    const char *split_time_col, *split_per; /* its time_col and per (NULL: of all rows); the tree owns them */
    char **owned;          /* joined list values the options borrow */
    size_t nowned;
    /* tune or cv */
    tune_mode tune;
    char *space_text;      /* grid 'a=1,2;b=3' or random space text */
    uint32_t random_n;
    gn_select_options sel; /* folds, seed, metric, halving */
    /* gate */
    gate_cond conds[GN_PIPELINE_MAX_CONDS];
    size_t nconds;
    int has_not_worse;
    double not_worse_by;
    /* publish */
    char *repository;      /* resolved against dir; NULL: no publish step */
    char *publish_name;
    int report;            /* 1 (default): an HTML report per run */
};

/* data.split: writes STATE/split/{train,test} from the train files by the library's split rule
 * (learn/split.h), or with by: time the latest rows of the one train file (gannet/split.h), and makes them the pipeline's train and test files (pipeline_split.c);
 * *ntrain, *ntest: the examples on each side. */
int gn__pipeline_split(gn_pipeline *p, uint64_t *ntrain, uint64_t *ntest);

/* The canonical JSON text of a section of the file ("" when absent), for step hashes. */
char *gn__pipeline_section_text(const gn_pipeline *p, const char *section);

#endif
