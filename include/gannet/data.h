/* gannet/data.h: how input data is read and turned into hashed sparse examples.
 * A gn_data_spec describes the format (LIBSVM, CSV/TSV with column roles, VW text), the hash
 * space and the label kind. The spec is a plain struct: fill it with gn_data_spec_init(), change
 * fields, and the library validates it (gn_data_spec_check) before use. A spec is stored inside
 * every model file so that prediction parses exactly as training did. */
#ifndef GANNET_DATA_H
#define GANNET_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef enum gn_format {
    GN_FORMAT_AUTO = 0,  /* detect from the first data line */
    GN_FORMAT_LIBSVM = 1,
    GN_FORMAT_CSV = 2,   /* CSV or TSV, see sep */
    GN_FORMAT_VW = 3,
    GN_FORMAT_DIR = 4,   /* a directory tree DIR/<class>/<doc>: one example per file, its label the
                            subdirectory's name, its text the namespace "text" (docs/cli.md) */
    GN_FORMAT_LIBFM = 5, /* libFM text: "label idx:val ...", indices from 0, any numeric label */
    GN_FORMAT_LIBFFM = 6 /* libffm text: "label field:idx:val ...", fields and indices from 0 */
} gn_format;

/* Term weighting of text features (--tf): the value of a word or n-gram that occurs c times in a
 * document. */
typedef enum gn_tf {
    GN_TF_COUNT = 0,  /* c (default) */
    GN_TF_BINARY = 1, /* 1 */
    GN_TF_LOG = 2     /* 1 + ln(c), scikit-learn's sublinear_tf */
} gn_tf;

typedef enum gn_label_kind {
    GN_LABEL_BINARY = 0, /* two classes, by any names (see positive); +1/-1 and 1/0 as before */
    GN_LABEL_REAL = 1,   /* any finite number */
    GN_LABEL_NONE = 2,   /* labels optional (prediction input); a missing label reads as 0 */
    GN_LABEL_CLASS = 3   /* one of K >= 2 classes, by any names (see classes): the label read is the
                            class index 0..K-1 */
} gn_label_kind;

#define GN_MAX_BITS 30
#define GN_DEFAULT_BITS 18
#define GN_COLSPEC_MAX 1024
#define GN_DEFAULT_MAX_LINE ((size_t)64 << 20)
#define GN_NA_VALUES_MAX 256
#define GN_CLASSES_TEXT_MAX 4096 /* bytes of the classes field */
/* The tokens read as a missing value in CSV/TSV fields (besides an empty field) unless
 * na_defaults is 0. Compared with the whole field, after unquoting and trimming blanks. */
#define GN_NA_DEFAULTS "NA,N/A,n/a,NaN,nan,null,NULL,None,?,#N/A"

typedef struct gn_data_spec {
    gn_format format;          /* default GN_FORMAT_AUTO */
    uint32_t bits;             /* hash space is 2^bits slots, 1..30; default 18 */
    int bias;                  /* 1: add a constant feature (slot 0); default 1 */
    int libsvm_hash;           /* 0: LIBSVM index i goes to slot i mod 2^bits (default); 1: hashed */
    gn_label_kind label_kind;  /* set from the loss by the trainer; default GN_LABEL_BINARY */
    /* CSV/TSV */
    char sep;                  /* field separator; 0 = detect (tab if the first line has one, else ',') */
    int header;                /* 1: first line of each file names the columns; 0: none; -1: detect */
    char label_col[128];       /* label column, header name or 1-based index; default "1" */
    char categorical[GN_COLSPEC_MAX]; /* columns hashed as name=value, e.g. "15-40,city" */
    char numeric[GN_COLSPEC_MAX];     /* columns used as name:value */
    char ignore[GN_COLSPEC_MAX];      /* columns skipped; other columns are numeric if they parse */
    /* limits and bad input */
    size_t max_line;           /* longest accepted line in bytes; default 64 MiB */
    int skip_bad;              /* 1: skip and count bad lines instead of failing */
    /* transforms */
    int log_numeric;           /* 1: CSV numeric values x become sign(x)*log(1+|x|); default 0 */
    /* missing values (CSV/TSV): an empty field, and these tokens, add no feature */
    char na_values[GN_NA_VALUES_MAX]; /* more tokens, comma-separated; default "" */
    int na_defaults;           /* 1: the GN_NA_DEFAULTS tokens too; default 1 */
    /* labels */
    char positive[256];        /* binary losses: the label of the positive class ("" = the default
                                  rule: the positive-like value, see docs/cli.md); at most 255 bytes */
    char classes[GN_CLASSES_TEXT_MAX]; /* multiclass losses: the classes in order, comma-separated
                                  ("" = found by a scan of the input, sorted: numbers ascending,
                                  then names byte by byte); a label outside them is an error */
    uint32_t nclasses;         /* label_kind class: the number of classes K, set by the library once
                                  the classes are known (0 before; leave it 0) */
    /* text (io/text.h): CSV columns / VW namespaces whose values are documents, tokenized and
     * hashed as words and n-grams in the namespace of the column's name */
    char text[GN_COLSPEC_MAX]; /* CSV columns (as --categorical) or VW namespace names; default "" */
    uint32_t ngrams;           /* word n-grams 1..ngrams; default 1, at most GN_MAX_NGRAMS */
    uint32_t skips;            /* skip-grams: up to this many tokens skipped inside an n-gram; default 0 */
    int tf;                    /* gn_tf; default GN_TF_COUNT */
    int idf;                   /* 1: text values times the smoothed idf ln((1+n)/(1+df))+1 of the
                                  training documents (the table is stored in the model); default 0 */
    int normalize_rows;        /* 1: each document's text features scaled to unit L2 norm; default 0 */
    /* interactions: crosses of namespaces (CSV columns, VW namespaces), e.g. "a*b,c*d*e", hashed
     * and generated by the learner (never stored in batches or caches); default "" */
    char interactions[GN_COLSPEC_MAX];
    /* fields (kind ffm): with field_aware, every feature belongs to a field (a CSV feature column,
     * a VW namespace named in fields, or libffm's field number) and is hashed into its field's
     * own 1/nfields of the slots, so the learner can tell a slot's field (io/fields.h).
     * field_aware is set by the trainer for kind ffm; fields is the request (VW: the namespaces
     * in field order, comma-separated; libffm: the number of fields; CSV: "", each feature column
     * its field); nfields is set by the library once known (leave it 0). */
    int field_aware;
    char fields[GN_COLSPEC_MAX];
    uint32_t nfields;
} gn_data_spec;

#define GN_MAX_FIELDS 256

#define GN_MAX_NGRAMS 8
#define GN_MAX_SKIPS 8

/* Fills defaults. */
void gn_data_spec_init(gn_data_spec *spec);
/* GN_OK, or GN_EINVAL with the reason in gn_last_error(). */
gn_status gn_data_spec_check(const gn_data_spec *spec);
/* "libsvm", "csv", "vw", "auto"; and the reverse (-1 if unknown). */
const char *gn_format_name(gn_format f);
int gn_format_parse(const char *name);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
