/* io/describe_internal.h: the state `gn_describe` gathers in its pass (io/describe.c) and turns
 * into the report's JSON and text (io/describe_report.c). */
#ifndef GN_IO_DESCRIBE_INTERNAL_H
#define GN_IO_DESCRIBE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/label_runs.h"
#include "io/parser.h"
#include "util/hll.h"
#include "util/topk.h"

/* Texts kept for shown values (labels, categories, namespaces) are cut to this many bytes. */
#define GN_DESCRIBE_TEXT_MAX 64
/* Distinct label values counted exactly (the label's Space-Saving capacity). */
#define GN_DESCRIBE_LABEL_VALUES 1024
/* VW namespaces profiled one by one; later ones are counted together. */
#define GN_DESCRIBE_NAMESPACES 256

/* Running min, max, mean and sum of squared deviations (Welford). */
typedef struct gn__num_stats {
    uint64_t n;
    double min, max, mean, m2;
} gn__num_stats;

static inline void gn__num_add(gn__num_stats *s, double x) {
    s->n++;
    if (s->n == 1) {
        s->min = s->max = s->mean = x;
        s->m2 = 0.0;
        return;
    }
    if (x < s->min) s->min = x;
    if (x > s->max) s->max = x;
    double d = x - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
}

/* A CSV column profiled one by one. */
typedef struct gn__col_prof {
    int role;            /* as declared: GN_CSV_ROLE_* */
    uint64_t missing, numbers, texts;
    gn__num_stats num;   /* over its numbers */
    gn_hll distinct;     /* over its present values (numbers by value, texts by text) */
    uint64_t last_id;    /* the value counted last (a repeat needs no distinct count) */
    gn_topk *top;        /* its texts (the categories training makes); NULL until the first */
} gn__col_prof;

typedef struct gn__ns_prof {
    uint64_t id;         /* hash of the namespace name */
    char name[GN_DESCRIBE_TEXT_MAX];
    size_t name_len;
    int name_cut;
    uint64_t examples, features;
    uint64_t last_example; /* the example that counted it last (examples are counted once) */
    gn_hll distinct;
} gn__ns_prof;

struct gn_describe_report {
    gn_describe_options opts;
    /* what was read */
    char **paths;
    size_t npaths;
    gn_data_spec spec;   /* resolved (format, separator, header) */
    uint64_t examples, skipped, bytes;
    double seconds;
    uint32_t threads;    /* parts read at once */
    /* the label, read as text */
    uint64_t label_numbers; /* label values that are numbers */
    gn__num_stats label_num;
    gn_hll label_distinct;
    gn_topk *label_values;
    gn_label_runs runs;
    gn_label_runs_result order;
    /* CSV */
    size_t ncols, nprof;  /* columns, columns profiled one by one (the first nprof) */
    char **col_names;     /* the first nprof names */
    gn__col_prof *cols;
    size_t label_col;     /* (size_t)-1: none */
    uint64_t rest_missing, rest_present; /* the columns past nprof together */
    /* LIBSVM and VW */
    uint64_t nnz, per_min, per_max;
    double value_min, value_max;
    int have_value;
    gn_hll features;
    gn__ns_prof *ns;
    size_t nns;
    uint64_t ns_rest_features; /* features of namespaces past GN_DESCRIBE_NAMESPACES */
    /* the outputs, made at the end */
    char **warnings;
    size_t nwarnings;
    char *json;
    char *text;
};

/* Adds a warning (copied); GN_OK or GN_ENOMEM. */
int gn__describe_warn(gn_describe_report *r, const char *msg);
/* Makes r->json and r->text from the gathered state. */
int gn__describe_render(gn_describe_report *r);

#endif
