/* gannet/describe.h: a profile of a data set as training would read it (`gannet describe`).
 *
 * One streaming pass over the files, in order, with the data spec training would use: the same
 * format detection, CSV separator, header rule, column roles, missing-value tokens and bad-line
 * rules (spec->skip_bad counts bad lines instead of failing on the first, whose message names
 * file:line). Memory is bounded whatever the input size: per profiled column a distinct counter
 * (exact up to 1024 values, then a 16 KiB HyperLogLog sketch, about 0.8% standard error) and a
 * Space-Saving table of the most frequent values; CSV columns past opts->max_columns are counted
 * in one aggregate only. With several threads, each reads a part of the input (as training's
 * workers do) into its own profile, and the profiles are merged: distinct counts and numbers
 * exactly as one pass would give them, the most frequent values exactly while a column has at
 * most 128 distinct categories (else within the error bounds shown).
 *
 * Reported: per CSV column its role as training uses it (a column with no declared role is
 * numeric when every present value is a number, else categorical; the report says when a role
 * was inferred), the missing share, distinct values, min/max/mean/std of its numbers and its top
 * values; for LIBSVM and VW, features per example, distinct features, the value range and (VW)
 * the namespaces; the label's values read as text (class balance), or a numeric summary when
 * they are many; and whether the labels come in long runs (an input sorted by label, which an
 * online pass learns poorly from; the rule is in docs/cli.md). The report is JSON text (stable
 * keys, docs/cli.md) and a readable table.
 *
 * Thread-safety: gn_describe may run on several threads at once (one report each). */
#ifndef GANNET_DESCRIBE_H
#define GANNET_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/data.h"
#include "gannet/status.h"

#ifdef __cplusplus
extern "C" {
#endif
GN_API_BEGIN

#define GN_DESCRIBE_TOP_MAX 100
#define GN_DESCRIBE_COLUMNS_MAX 65536

typedef struct gn_describe_options {
    uint32_t top;         /* most frequent values listed per categorical column; default 10, 1..100 */
    uint32_t max_columns; /* CSV columns profiled one by one; default 1024, 1..65536 */
    uint32_t threads;     /* parts of the input read at once, as `train --threads`; 0 (default): all
                           * cores (at most 64); stdin and compressed input are read by one */
} gn_describe_options;

/* Fills the defaults. */
void gn_describe_options_init(gn_describe_options *opts);
/* GN_OK, or GN_EINVAL with the reason in gn_last_error(). */
gn_status gn_describe_options_check(const gn_describe_options *opts);

typedef struct gn_describe_report gn_describe_report;

/* Profiles paths[0..npaths) ("-" is stdin) read with spec (spec->label_kind is not used: labels
 * are read as text). opts may be NULL for the defaults. On success *out is a report owned by the
 * caller (gn_describe_report_free). Errors: GN_EIO (a file cannot be read), GN_EPARSE (a bad
 * line without skip_bad, "file:line: reason"; no examples), GN_EINVAL (bad options or spec,
 * e.g. --label naming no column), GN_ELIMIT, GN_EFORMAT (a corrupt compressed stream),
 * GN_ENOMEM. */
gn_status gn_describe(const gn_describe_options *opts, const gn_data_spec *spec, const char *const *paths, size_t npaths,
                gn_describe_report **out);
/* The report as one JSON object (keys in docs/cli.md), without a trailing newline; owned by the
 * report. */
const char *gn_describe_report_json(const gn_describe_report *r);
/* The report as readable text (lines ending in '\n'); owned by the report. */
const char *gn_describe_report_text(const gn_describe_report *r);
/* Warnings (sorted labels, mixed columns, columns not profiled): how many, and the i-th (NULL
 * past the end); owned by the report. */
size_t gn_describe_report_warnings(const gn_describe_report *r);
const char *gn_describe_report_warning(const gn_describe_report *r, size_t i);
/* 1 when the labels come in long runs (the input looks sorted by label), else 0. */
int gn_describe_report_sorted(const gn_describe_report *r);
/* NULL is a no-op. */
void gn_describe_report_free(gn_describe_report *r);

GN_API_END
#ifdef __cplusplus
}
#endif
#endif
