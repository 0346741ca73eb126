/* io/parser.h: turns one text line (LIBSVM, CSV/TSV or VW) into a hashed sparse example appended
 * to a gn_batch, following a gn_data_spec. A parser is used by one thread at a time; parse
 * errors come back as a reason in a caller buffer (the caller adds file:line). */
#ifndef GN_IO_PARSER_H
#define GN_IO_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"

#define GN_WHY_MAX 256

typedef struct gn_parser gn_parser;

/* Detects the format of a data line: VW if it has '|', libffm if its second token is
 * "number:number:...", LIBSVM if it is "number:number", else CSV (with *sep set to '\t' or ','). */
gn_format gn__detect_format(const char *line, size_t len, char *sep);

/* spec->format must be resolved (not AUTO). For CSV, the column roles are resolved when the
 * first line is seen (gn__parser_first_line). */
int gn__parser_new(const gn_data_spec *spec, gn_parser **out);
void gn__parser_free(gn_parser *p);
/* Creates an independent parser with the same resolved state (for other threads). */
int gn__parser_clone(const gn_parser *p, gn_parser **out);
/* CSV: the separator, resolved from this first physical line when the spec leaves it to
 * detection (tab if the line has one, else ','); 0 for the other formats. A CSV whose separator
 * is not a tab is read in record mode (quoted fields may hold newlines: see io/linereader.h). */
char gn__parser_resolve_sep(gn_parser *p, const char *line, size_t len);
/* 1 when the header is still to be detected from the data (CSV, columns not resolved, header
 * -1, label not given by name): gn__parser_first_line_sampled then wants the records after the
 * first line (GN_HEADER_SAMPLE of them at most). */
int gn__parser_needs_sample(const gn_parser *p);
#define GN_HEADER_SAMPLE 20
#define GN_HEADER_SAMPLE_BYTES ((size_t)1 << 20)
/* Must be called with the first line (record) of every file. Returns 1 if the line was a header
 * and consumed, 0 if it is data, -1 on error (why filled) or -2 when out of memory. CSV column roles are resolved from
 * the first file's first line; later files' headers must match it. The header rule is in
 * parser.c (detect_header); the sample only informs it and is not consumed. */
int gn__parser_first_line(gn_parser *p, const char *line, size_t len, char *why);
int gn__parser_first_line_sampled(gn_parser *p, const char *line, size_t len, const char *const *sample,
                                  const size_t *slen, size_t nsample, char *why);
/* Parses a data line and appends it to b. Returns GN_OK (appended), GN_EOF (blank or comment
 * line: nothing appended), GN_EPARSE (why filled, nothing appended) or GN_ENOMEM. */
int gn__parser_line(gn_parser *p, const char *line, size_t len, uint64_t key, gn_batch *b, char *why);
/* The idf weights of text features (io/text.h): set_idf takes a reference of t (NULL: none);
 * clones share the table. */
struct gn_idf;
void gn__parser_set_idf(gn_parser *p, struct gn_idf *t);
/* Records where each text document's features lie in the batch (io/text.h: record_spans);
 * gn__parser_text_spans gives them (pairs of offsets, *n of them) and clear forgets them. */
void gn__parser_record_text_spans(gn_parser *p, int on);
const size_t *gn__parser_text_spans(const gn_parser *p, size_t *n);
void gn__parser_clear_text_spans(gn_parser *p);
struct gn_idf *gn__parser_idf(const gn_parser *p);
/* Text features as term counts, unweighted (io/text.h: gn_text_opts.counts): for a cache made in
 * one pass, whose readers weigh them once the idf weights are known. */
void gn__parser_set_text_counts(gn_parser *p, int on);
/* Interactions (io/cross.h): 1 makes the parser append the crossed features to each example
 * (prediction, caches); 0 (the default) leaves the grouped features in the batch's x lists for
 * the learner to cross. Clones keep the setting. */
void gn__parser_set_cross_inline(gn_parser *p, int on);
/* 1 if the parser crosses features (interactions): an example's features then depend on each
 * other, so two parts of one instance cannot be parsed apart and joined. */
int gn__parser_has_cross(const gn_parser *p);
/* The spec with everything resolved (format, sep, header), as it must be stored in a model. */
const gn_data_spec *gn__parser_spec(const gn_parser *p);
/* The label dictionary (io/labels.h): set_labels takes ownership of labels (NULL: none, the
 * numeric rule +1/-1 or 1/0). With label kind binary, labels are then read by name (a resolved
 * binary dictionary; its standard numeric classes keep the numeric fast path); with label kind
 * none, a dictionary with named classes lets any label text through (prediction input). Clones
 * copy it. */
struct gn_labels;
void gn__parser_set_labels(gn_parser *p, struct gn_labels *labels);
const struct gn_labels *gn__parser_labels(const gn_parser *p);
/* Finds the label token of a data line without parsing features (the label-only scan): 1 with
 * [*tok, *tok + *tok_len) (which may point into the parser's scratch, valid until its next call),
 * 0 when the line has no label (blank, comment, a LIBSVM row starting with a feature, an empty
 * CSV label), -1 when the line is malformed (why filled; the real parse reports it), -2 when out
 * of memory. CSV columns must be resolved. */
int gn__parser_label_token(gn_parser *p, const char *line, size_t len, const char **tok, size_t *tok_len,
                           char *why);
/* Number of CSV columns (0 before the first line / for other formats). */
size_t gn__parser_columns(const gn_parser *p);

/* The mask of 2^bits slots, and the slot of an unhashed LIBSVM index: index mod 2^bits, where
 * slot 0 is the bias, so an index landing there goes to slot 1. The one rule behind the parser
 * and the server's shortcut for LIBSVM feature names (serve/predict_req.c). */
static inline uint32_t gn__slot_mask(uint32_t bits) { return bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1u; }
static inline uint32_t gn__libsvm_slot(uint64_t idx, uint32_t mask) {
    uint32_t s = (uint32_t)(idx & mask);
    return s ? s : 1;
}

/* Starts an example in b with room for `room` features and, when the spec has one, the bias
 * feature (slot 0) pushed: every parser path begins its examples so. */
int gn__parser_begin(const gn_parser *p, gn_batch *b, float label, float weight, uint64_t key, size_t room);

/* Appends the features of named inputs (see gn_model_predict_named) to b as one example. */
int gn__parser_named(gn_parser *p, size_t n, const char *const *names, const double *values,
                     const char *const *strs, gn_batch *b, char *why);



#include <jansson.h>
/* CSV columns as a JSON array of {"name":..,"role":..} (new reference; NULL if none). */
json_t *gn__parser_columns_json(const gn_parser *p);
/* Restores CSV columns saved by gn__parser_columns_json (for serving named/text input without
 * a header line). */
int gn__parser_load_columns(gn_parser *p, const json_t *cols);

/* Raw CSV fields, for profiling the data as training reads it (io/describe.c): the same
 * splitting, unquoting and trimming, missing-value tokens and column roles as parsing. */
enum { GN_CSV_ROLE_AUTO = 0, GN_CSV_ROLE_LABEL, GN_CSV_ROLE_NUMERIC, GN_CSV_ROLE_CATEGORICAL, GN_CSV_ROLE_IGNORE,
       GN_CSV_ROLE_TEXT };
enum { GN_CSV_MISSING = 0, GN_CSV_NUMBER = 1, GN_CSV_TEXT = 2 };
/* Checks a data record as parsing does (text, field count) and splits it: GN_OK (its fields are
 * then read with gn__parser_csv_field), GN_EOF (a blank record), GN_EPARSE (why filled),
 * GN_ENOMEM. CSV columns must be resolved. */
int gn__parser_csv_split(gn_parser *p, const char *line, size_t len, char *why);
/* Field col (0-based) of the record split last, unquoted and trimmed; NULL when out of memory.
 * Valid until the next call on p. */
const char *gn__parser_csv_field(gn_parser *p, size_t col, size_t *len);
/* How parsing reads the value v of column col (not the label, not ignored): GN_CSV_MISSING,
 * GN_CSV_NUMBER (*num = the number as written, before --log-numeric), GN_CSV_TEXT (a category),
 * or -1 for a value that makes the line bad (text in a --numeric column, a number out of the
 * 32-bit float range), why filled. */
int gn__parser_csv_value(const gn_parser *p, size_t col, const char *v, size_t vl, double *num, char *why);
/* 1 if the value is missing (empty or a missing-value token): how the label is checked. */
int gn__parser_csv_missing(const gn_parser *p, const char *v, size_t vl);
/* A column's role as declared (GN_CSV_ROLE_*: AUTO for no role), its name, the label column
 * ((size_t)-1: none), and how messages name a column ("column 3 ('age')"). */
int gn__parser_csv_role(const gn_parser *p, size_t col);
const char *gn__parser_csv_name(const gn_parser *p, size_t col);
size_t gn__parser_csv_label(const gn_parser *p);
const char *gn__parser_csv_column_ref(const gn_parser *p, size_t col, char *buf, size_t size);
#endif
