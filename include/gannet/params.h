/* gannet/params.h: every training option and data-spec field by name, from one table.
 * The table gives each parameter's name, type, default, range and help; the `gannet` flags,
 * `--help`, docs/cli.md, the names `gannet tune` may search, the Python keywords and pipeline
 * files all come from it. Names use underscores ("max_line"); the CLI flag is the name with
 * dashes ("--max-line"). gn_param_set() parses a value as text, checks its range and stores it:
 *
 *     gn_train_options o; gn_data_spec s;
 *     gn_train_options_init(&o); gn_data_spec_init(&s);
 *     gn_param_set(&o, &s, "l2", "1e-3");   // or gn_train_options_set(&o, "l2", "1e-3")
 *     gn_param_set(&o, &s, "max_line", "1M");
 *
 * Text parameters of gn_train_options (cache, checkpoint, resume paths) borrow the value string,
 * which must outlive the options; data-spec text is copied. The table is constant: every call
 * here is thread-safe. */
#ifndef GANNET_PARAMS_H
#define GANNET_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/data.h"
#include "gannet/gannet.h"
#include "gannet/train.h"

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef enum gn_param_type {
    GN_PARAM_BOOL = 0,   /* true|false (also 1|0, yes|no, on|off); flag --x sets it, --no-x clears it */
    GN_PARAM_INT = 1,    /* an integer in [min, max] */
    GN_PARAM_REAL = 2,   /* a finite number in the range */
    GN_PARAM_SIZE = 3,   /* bytes, with an optional binary suffix: 512K, 64M, 2G, 1T */
    GN_PARAM_CHOICE = 4, /* one of the words in choices ("a|b|c") */
    GN_PARAM_TEXT = 5    /* free text: column lists, a path, a separator */
} gn_param_type;

typedef enum gn_param_group {
    GN_PARAM_DATA = 0,  /* how data is read (gn_data_spec): train, cv, tune, cache, describe */
    GN_PARAM_TRAIN = 1, /* what is learned and how (gn_train_options): train, cv, tune */
    GN_PARAM_RUN = 2    /* how one training run reads and saves (cache, shuffle, checkpoints): train */
} gn_param_group;

typedef struct gn_param_info {
    const char *name;         /* "l2", "max_line" */
    const char *flag;         /* "--l2", "--max-line" */
    const char *alias;        /* another accepted flag ("-b", "--memory"), or NULL */
    gn_param_type type;
    gn_param_group group;
    const char *default_text; /* the default as text ("18", "auto", "true") */
    const char *choices;      /* GN_PARAM_CHOICE: "logistic|squared|..."; else NULL */
    double min, max;          /* INT, REAL, SIZE: the range */
    int min_open, max_open;   /* 1: that bound is excluded */
    int searchable;           /* 1: gannet tune may search it */
    const char *metavar;      /* what the value is called in --help ("X", "N", "COLS") */
    const char *help;         /* one line */
} gn_param_info;

/* Number of parameters and the i-th (NULL past the end), in the table's order. */
size_t gn_param_count(void);
const gn_param_info *gn_param_at(size_t i);
/* The parameter with this name, flag or alias; '-' and '_' are the same and leading dashes are
 * optional ("max-line", "--max-line", "max_line"). NULL if there is none. */
const gn_param_info *gn_param_find(const char *name);

/* Sets the named parameter from text: GN_EINVAL with a reason naming the parameter
 * ("l2: must be >= 0 (got -1)"; "loss: unknown value 'x' (logistic|squared|...)") when the name
 * is unknown or the value does not parse or is out of range. o or spec may be NULL when the
 * parameter is not theirs. */
gn_status gn_param_set(gn_train_options *o, gn_data_spec *spec, const char *name, const char *value);
gn_status gn_train_options_set(gn_train_options *o, const char *name, const char *value);
gn_status gn_data_spec_set(gn_data_spec *spec, const char *name, const char *value);
/* The current value as text ("" for an unset path). GN_EINVAL for an unknown name; GN_ELIMIT if
 * size is too small. */
gn_status gn_param_get(const gn_train_options *o, const gn_data_spec *spec, const char *name, char *buf,
                       size_t size);
/* Checks the range of every table parameter of o (group TRAIN and RUN) or of spec (DATA); the
 * option checks (gn_train_options_check, gn_data_spec_check) run these first. */
gn_status gn_param_check_train(const gn_train_options *o);
gn_status gn_param_check_data(const gn_data_spec *spec);

/* Parses a byte size: a non-negative number with an optional suffix K, M, G or T (powers of
 * 1024; "KB", "KiB", "k" are the same). GN_EINVAL if it is not one. */
gn_status gn_parse_size(const char *text, uint64_t *out);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
