/* serve/json_instances.h: a strict, streaming reader for predict bodies
 * {"instances":[{"feature": number | "string" | null, ...} | "text line", ...], ...}.
 * Written for speed (no per-value allocation: a body is decoded in one arena, ~10x faster than
 * building a jansson tree for 1,000-instance batches) and for safety: full RFC 8259 grammar,
 * UTF-8 validated, "\u0000" and duplicate keys rejected, nesting of ignored members bounded,
 * numbers correctly rounded (gn__parse_double, bit-identical to strtod). Other top-level
 * members are skipped. */
#ifndef GN_SERVE_JSON_INSTANCES_H
#define GN_SERVE_JSON_INSTANCES_H

#include <stddef.h>

/* Most nesting accepted inside ignored members. */
#define GN__JSON_MAX_DEPTH 64

/* One instance: either n named features (names[i] with values[i], or a category string
 * strs[i] != NULL), or a text line (line != NULL, n == 0). Returns 0 to go on, or an HTTP status
 * with why filled to stop. Every name and string may be read 8 bytes at a time from its start:
 * the bytes after its NUL are readable and initialized (their values unspecified). */
typedef int (*gn__instance_fn)(void *ctx, size_t index, size_t n, const char *const *names, const double *values,
                               const char *const *strs, const char *line, size_t line_len, char *why,
                               size_t why_size);

/* Reads body and calls fn for every instance in order. Returns 200, or 400 (bad JSON / wrong
 * types), 413 (more than max_batch instances or max_features features in one instance), 500 (out
 * of memory), or fn's status; why holds the reason. */
int gn__json_instances(const char *body, size_t len, size_t max_batch, size_t max_features, gn__instance_fn fn,
                       void *ctx, char *why, size_t why_size);

/* A member other than the array read: its key (NUL-terminated) and its value's JSON text
 * [value, value + len), whole and valid. Returns 0 to go on, or an HTTP status with why filled. */
typedef int (*gn__member_fn)(void *ctx, const char *key, const char *value, size_t len, char *why, size_t why_size);

/* gn__json_instances with the array under key_name instead of "instances", and every other
 * top-level member handed to other (when not NULL); with other, a body without the array is no
 * error (the caller decides: *found, when found is not NULL, says whether it was there). */
int gn__json_instances_at(const char *body, size_t len, const char *key_name, size_t max_batch, size_t max_features,
                          gn__instance_fn fn, gn__member_fn other, void *ctx, int *found, char *why, size_t why_size);

#endif
