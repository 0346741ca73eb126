/* gannet/split.h: cutting a CSV file of (user, item, rating, time) rows into a train and a test
 * file by time: the latest rows are the test part, of all rows or of each user's, as
 * recommenders are judged (`gannet split --by time`). */
#ifndef GANNET_SPLIT_H
#define GANNET_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/data.h"
#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

typedef struct gn_time_split_options {
    const char *time_col;  /* the column of times: header name or 1-based index; numbers (e.g.
                              Unix seconds), compared as doubles */
    const char *group_col; /* NULL or "": the latest fraction of all rows; else (e.g. the user
                              column) the latest round(test * n) of each group's n rows */
    double test;           /* the test fraction, in (0, 1) */
} gn_time_split_options;

/* Reads the CSV file `path` (not stdin: it is read twice; gzip/zstd as every reader; the CSV
 * settings sep, header and max_line from spec) and writes its rows, in file order and with the
 * header line in both when there is one, to train_out and test_out, each written to a temporary
 * file and renamed (a failed split leaves neither). Rows with equal times are ordered by their
 * place in the file (the later row is the later one). Blank lines are dropped. A row without the
 * needed columns or with a time that is not a finite number is an error naming path:line.
 * *ntrain and *ntest (either may be NULL) get the rows written. */
gn_status gn_split_by_time(const char *path, const gn_data_spec *spec, const gn_time_split_options *options,
                           const char *train_out, const char *test_out, uint64_t *ntrain, uint64_t *ntest);

GN_API_END
#ifdef __cplusplus
}
#endif

#endif
