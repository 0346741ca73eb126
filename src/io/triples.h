/* io/triples.h: (user, item, rating) rows of CSV files for matrix factorization: three columns
 * picked by header name or 1-based index, ids as strings mapped to dense indices (util/iddict.h),
 * the rating a number. The other columns are never looked at (--ignore is implied). Gzip/zstd
 * and stdin as every reader (io/linereader.h). */
#ifndef GN_IO_TRIPLES_H
#define GN_IO_TRIPLES_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "util/iddict.h"

typedef struct gn_triples {
    uint32_t *user, *item; /* indices, or GN_IDDICT_NONE for an id not in a fixed dictionary */
    float *rating;         /* 1 when there is no rating column */
    double *time;          /* the time column's numbers when cols->time is given, else NULL */
    size_t n, cap;
    uint64_t skipped;      /* bad rows skipped (spec->skip_bad) */
} gn_triples;

typedef struct gn_triples_cols {
    const char *user, *item, *rating; /* header names or 1-based indices; rating NULL or "": none */
    int rating_optional;              /* 1: a file without the rating column gives ratings of NaN */
    const char *time;                 /* NULL or "": no times; else a column of finite numbers
                                         (model selection's time folds, select/mf_select.c) */
} gn_triples_cols;

/* Appends the rows of every file to t. add_ids 1: new ids are added to the dictionaries; 0: an
 * unknown id reads as GN_IDDICT_NONE. The CSV settings (sep, header, skip_bad, max_line) come from
 * spec. Errors name file:line: a missing column, a row with too few fields, a rating that is not
 * a finite number, a time that is not one (GN_EPARSE), and GN_EIO / GN_ENOMEM. */
int gn__triples_read(const char *const *paths, size_t npaths, const gn_data_spec *spec, const gn_triples_cols *cols,
                     gn_iddict *users, gn_iddict *items, int add_ids, gn_triples *t);
void gn__triples_free(gn_triples *t);

/* The CSV record rules of this reader for other readers of the same files (learn/time_split.c):
 * a record split into fields (quoted fields unquoted; at most 4096 fields, else GN_ELIMIT), a
 * column resolved from a 1-based index or a header name (header NULL: no header line; errors
 * name path and flag), and a field read as a finite number (0, else -1). */
typedef struct gn__csv_fields gn_csv_fields;
gn_csv_fields *gn__csv_fields_new(void); /* NULL when out of memory */
void gn__csv_fields_free(gn_csv_fields *fs);
int gn__csv_fields_split(gn_csv_fields *fs, const char *line, size_t len, char sep);
size_t gn__csv_fields_count(const gn_csv_fields *fs);
const char *gn__csv_field(const gn_csv_fields *fs, size_t k, size_t *len);
int gn__csv_column(const char *path, const char *flag, const char *ref, const gn_csv_fields *header, long *col);
int gn__csv_number(const char *f, size_t len, double *out);

#endif
