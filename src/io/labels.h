/* io/labels.h: the label dictionary: the classes of a classification target, as users write them
 * (`yes`/`no`, `<=50K`/`>50K`, `1`/`2`, `+1`/`-1`), with their indices and counts.
 *
 * Canonical form. A label token is trimmed of surrounding blanks (space, tab, CR). If what is
 * left is a number (gn__parse_double over the whole token), it is that number: `1`, `+1`, `1.0`
 * and `1e0` are one class, named by the shortest text that reads back as the same double ("1";
 * -0 is 0), except that a whole number below 1e15 is written whole ("10", not "1e+01"). Anything else is a string compared byte for byte: case matters (`Yes` and `yes` are
 * two classes). Names are at most GN_LABEL_NAME_MAX bytes of valid UTF-8 without control
 * characters, because they are stored in JSON headers and printed by `predict`.
 *
 * Life of a dictionary. Collecting (gn__labels_add, from a label-only scan of the input) keeps the
 * classes in order of first appearance, with counts and where each was first seen, and at most
 * GN_LABELS_MAX distinct values (bounded memory). Resolving for a binary loss
 * (gn__labels_resolve_binary) picks the positive class and leaves exactly two classes: index 0
 * the negative, index 1 the positive. A resolved dictionary is immutable and is read by the
 * parsers of every thread (each holds its own clone).
 *
 * The binary rule. `--positive VALUE` names the positive class. Otherwise, of the two values,
 * the one that is positive-like (1, true, yes, y, t, pos, positive; case-insensitive) is positive
 * when exactly one is; else the other one when exactly one is negative-like (0, -1, false, no, n,
 * f, neg, negative); else it is an error listing the values with their counts. When the classes
 * are the numbers 1 and 0, or 1 and -1 ("standard"), 0 and -1 both read as the negative class, as
 * gannet always did, so a model trained on 0/1 evaluates -1/+1 data. A single class is accepted
 * when its role is known (positive-/negative-like, or --positive); the missing class is then
 * named by its natural opposite (yes -> no, TRUE -> FALSE, 1 -> 0, ...) or "not NAME". */
#ifndef GN_IO_LABELS_H
#define GN_IO_LABELS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

#define GN_LABELS_MAX 65536        /* distinct label values collected before giving up */
#define GN_LABEL_NAME_MAX 255      /* longest class name, in bytes */
#define GN_LABELS_SCAN_FIRST 10000 /* records of the first-lines scan */
#define GN_LABELS_MAX_CLASSES 256  /* most classes of a multiclass loss (a model's weights per slot) */

typedef struct gn_labels gn_labels;

int gn__labels_new(gn_labels **out);
void gn__labels_free(gn_labels *l);
/* A deep copy (for parsers on other threads). */
int gn__labels_clone(const gn_labels *l, gn_labels **out);

/* Number of classes, the canonical name of class i (owned by l), its count (collected examples;
 * 0 for a class named but not seen), and whether it is a number. */
size_t gn__labels_count(const gn_labels *l);
const char *gn__labels_name(const gn_labels *l, size_t i);
uint64_t gn__labels_class_count(const gn_labels *l, size_t i);

/* The index of the class of token [tok, tok+len) (canonicalised as above), or -1. Cheap: no
 * allocation; a hash lookup when there are many classes. Thread-safe on a const l. */
long gn__labels_find(const gn_labels *l, const char *tok, size_t len);

/* Counts one occurrence of a label token, adding its class when new, and remembers where a
 * class was first seen (file index, 1-based line; 0 when unknown). GN_EPARSE (why filled) for an
 * empty, too long or non-UTF-8 label; GN_ELIMIT (why filled) past GN_LABELS_MAX classes; GN_ENOMEM. */
int gn__labels_add(gn_labels *l, const char *tok, size_t len, size_t file, uint64_t line, char *why);

/* +1 if the token is positive-like, -1 if negative-like, 0 otherwise (see above). */
int gn__label_role(const char *tok, size_t len);
/* The canonical text of a token into buf (size >= GN_LABEL_NAME_MAX + 1); 0 on success, -1 if
 * the token is empty or too long. */
int gn__label_canonical(const char *tok, size_t len, char *buf, size_t size);

/* Resolves the collected classes for a binary loss by the rule above. positive: the --positive
 * value or NULL/"". With more than two values, two of them become the classes and the lines with
 * the others are bad lines for the parse to report (or skip): without skip_bad the first two to
 * appear (so the first line with a third value is the error), with it the two most frequent; the
 * positive one is always kept. When those two cannot be told apart (no --positive, neither rule
 * decides: regression targets, say) it is an error naming where the first one is
 * (paths[file]:line). how: GN_LABELS_STREAM when the values come from the first lines of a
 * stream only, GN_LABELS_FIRST when from the first records only (said in messages).
 * GN_EPARSE / GN_EINVAL with the message set; GN_ENOMEM. */
#define GN_LABELS_STREAM 1
#define GN_LABELS_FIRST 2
int gn__labels_resolve_binary(gn_labels *l, const char *positive, int skip_bad, int how,
                              const char *const *paths, size_t npaths);
/* 1 once resolved for a binary loss (2 classes, [negative, positive]). */
int gn__labels_is_binary(const gn_labels *l);
/* 1 for the standard numeric classes (positive 1, negative 0 or -1): the parser then keeps its
 * numeric fast path. */
int gn__labels_is_standard(const gn_labels *l);
/* 1 if some class is not a number (a prediction input may then carry any label text). */
int gn__labels_has_strings(const gn_labels *l);
/* 1 if the classes were taken from the first lines of a stream only. */
int gn__labels_partial(const gn_labels *l);

/* The binary label (+1 positive, -1 negative) of a token, for a resolved dictionary. GN_OK, or
 * GN_EPARSE with why (GN_WHY_MAX bytes) naming the value and the two classes. */
int gn__labels_binary_value(const gn_labels *l, const char *tok, size_t len, float *y, char *why);
/* Writes "'no' and 'yes' (positive)" (the classes for messages) into buf. */
void gn__labels_describe(const gn_labels *l, char *buf, size_t size);

/* ---- multiclass (label kind class) ------------------------------------------------------------
 * The classes are every value of the input (a full label-only scan), sorted: numbers ascending,
 * then names byte by byte, so that the class order does not depend on the order of the input; or
 * the list given by --classes, in its order, with no scan. Either way 2 to GN_LABELS_MAX_CLASSES
 * classes, and a label outside them is a bad line. */
/* Sorts the collected classes and checks their number (GN_EINVAL naming the input otherwise: one
 * class only, too many classes). how and paths as gn__labels_resolve_binary. */
int gn__labels_resolve_classes(gn_labels *l, int how, const char *const *paths, size_t npaths);
/* The classes of a --classes list ("a,b,c": names trimmed and canonical, no empty or repeated
 * one, 2 to GN_LABELS_MAX_CLASSES of them). GN_EINVAL with the message set. */
int gn__labels_from_list(const char *list, gn_labels **out);
/* The classes of a list of n names (the in-memory seam: Python's classes_), in that order, checked
 * as gn__labels_from_list checks its fields (names canonical, none repeated, 2 to
 * GN_LABELS_MAX_CLASSES of them; a name may hold commas here). GN_EINVAL with the message set. */
int gn__labels_from_names(const char *const *names, size_t n, gn_labels **out);
/* The class index of a token as the label of a class label kind. GN_OK, or GN_EPARSE with why
 * naming the value and (some of) the classes. */
int gn__labels_class_value(const gn_labels *l, const char *tok, size_t len, float *y, char *why);

/* JSON form stored in model files and cache headers:
 *   {"classes": ["no", "yes"], "positive": "yes"}
 * classes in index order (binary: negative, positive); "positive" only for binary dictionaries.
 * to_json returns a new reference (NULL on out of memory). from_json validates (GN_EFORMAT with
 * a message: not an object, not 1..GN_LABELS_MAX distinct valid names, a positive that is not
 * the second class); binary is set when "positive" is present. */
json_t *gn__labels_to_json(const gn_labels *l);
int gn__labels_from_json(const json_t *j, gn_labels **out);

/* ---- the label-only scan (io/label_scan.c) --------------------------------------------------
 * Finds the classes of the input before learning starts, so that every thread and MPI rank
 * parses with the same dictionary. It reads only the label token of each record (no features,
 * no hashing): first the first GN_LABELS_SCAN_FIRST records; when those are all standard
 * numeric labels (1 and 0 or -1, both present) that is all; otherwise every record of every file
 * (stdin: what fits into GN_LABELS_PEEK_BYTES of its first lines, peeked without consuming it).
 * Then the binary rule above, with spec->positive and spec->skip_bad. */
#define GN_LABELS_PEEK_BYTES ((size_t)32 << 20)

struct gn_parser;
struct gn_line_reader;
typedef struct gn_label_scan_input {
    const char *const *paths;      /* the whole input, in order ("-" = stdin) */
    size_t npaths;
    /* stdin, when the source has it open already (it cannot be opened twice): peeked with a
     * mark and reset, after the records the source read ahead but has not parsed yet (pending:
     * npending records, their lengths and line numbers; the header check's sample) */
    struct gn_line_reader *live;
    size_t live_file;              /* its index in paths */
    const char *const *pending;
    const size_t *pending_len;
    const uint64_t *pending_line;
    size_t npending;
} gn_label_scan_input;

/* p: the source's resolved parser (format, CSV columns and header; its scratch is used). On
 * success *out is a resolved binary dictionary owned by the caller. Errors name file:line. */
int gn__labels_scan(struct gn_parser *p, const gn_label_scan_input *in, gn_labels **out);

#endif
