/* io/source.h: a stream of parsed batches from a list of files read in order ("-" is stdin).
 * Resolves the format from the first data line when the spec says AUTO, reports bad lines as
 * "file:line: reason" (or skips and counts them with spec->skip_bad), and can be rewound for
 * another pass (not on stdin). Memory is bounded by the batch and the longest line. */
#ifndef GN_IO_SOURCE_H
#define GN_IO_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/parser.h"

typedef struct gn_source gn_source;

/* Opens the first file at once (so missing files and the format are known up front).
 * A parser from a model may be passed in `parser` (the source then uses a clone of it and the
 * model's resolved spec); otherwise one is created from spec. */
int gn__source_open(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths,
                    size_t npaths, gn_source **out);
/* Opens part `part` (0-based) of `nparts` of the input, for threads and MPI ranks. The parts
 * together hold every example exactly once, with the same keys as gn__source_open. With at least
 * nparts files, whole files are dealt out; otherwise a plain file is split into byte ranges and a
 * line (a CSV record, which may span lines) belongs to the part where it starts (records are never
 * split); a compressed file or stdin that cannot be split goes whole to one part. The files are
 * opened by the first read (gn__source_next*): for a CSV, finding a range's first record means
 * reading the file up to it, which then runs in the reading thread. Implemented in io/source.c. */
int gn__source_open_part(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths,
                         size_t npaths, uint32_t part, uint32_t nparts, gn_source **out);
/* For --shuffle: what every part of a run shares, made once per run (per process) and read-only
 * afterwards, so the parts (threads) may share it: the format and CSV columns resolved from the
 * first data line of the first file; the plain files cut into chunks of about chunk_examples
 * examples' worth of bytes (estimated from the first data records; byte ranges whose lines are
 * never split, as for parts); a compressed file or one that is not a regular file is one chunk.
 * For a CSV read in record mode (quoted fields may hold newlines) it also holds, per chunk, the
 * offset of the first record that starts in it, found by ONE sequential scan of each file that has
 * more than one chunk (gn__line_reader_record_starts: memchr speed where there is no '"'), so a
 * chunk opens with a seek at a true record start in any order. Memory: a few words per file, and
 * 8 bytes per chunk of a CSV file. Not stdin. spec is copied (its strings must outlive the plan).
 * parser: a resolved one (gn__source_parser of a resolved source over the same input, with the
 * classes of a binary label), which the plan clones; NULL: the plan resolves the input itself
 * (format, columns, classes: one label scan). */
typedef struct gn_chunk_plan gn_chunk_plan;
int gn__chunk_plan_new(const gn_data_spec *spec, const gn_parser *parser, const char *const *paths, size_t npaths,
                       size_t chunk_examples, gn_chunk_plan **out);
void gn__chunk_plan_free(gn_chunk_plan *plan);
uint64_t gn__chunk_plan_chunk_bytes(const gn_chunk_plan *plan);
/* Opens part `part` of `nparts` of the input read in a seeded random order, from a plan that
 * must outlive the source. Each pass permutes all the chunks with gn__permute_index (seeded by
 * seed and the pass) and deals position g to part g mod nparts, so the parts together hold every
 * example exactly once per pass, with the keys of a sequential read, and the order depends only
 * on seed, the pass, nparts and the input. Opens at pass 1; gn__source_rewind_pass starts
 * another. Memory: one reader. Reads nothing but its own chunks. */
int gn__source_open_shuffled_plan(const gn_chunk_plan *plan, uint32_t part, uint32_t nparts, uint64_t seed,
                                  gn_source **out);
/* gn__chunk_plan_new, then gn__source_open_shuffled_plan with a plan the source owns (one part
 * alone, tests: several parts should share one plan). */
int gn__source_open_shuffled(const gn_data_spec *spec, const char *const *paths, size_t npaths, uint32_t part,
                             uint32_t nparts, uint64_t seed, size_t chunk_examples, gn_source **out);
/* Starts pass `pass` (1-based): a shuffled source takes that pass's order; any other rewinds. */
int gn__source_rewind_pass(gn_source *s, uint32_t pass);
/* The chunk size of a shuffled source in bytes (0 for any other), for tests and reports. */
uint64_t gn__source_chunk_bytes(const gn_source *s);
/* Resolves the format (detection) and the CSV columns/header from the first data line, without
 * consuming an example, and (a source opened without a parser, binary labels) the classes by a
 * label-only scan of the whole input (io/labels.h); afterwards gn__source_spec/gn__source_parser
 * are final. Optional: gn__source_next does it too. */
int gn__source_resolve(gn_source *s);
/* --idf without the document-frequency pass: the caller counts the frequencies itself as it reads
 * (a cache made in one pass, io/cache.c). Call before the first read or gn__source_resolve. */
void gn__source_defer_idf(gn_source *s);
/* Clears b and fills it with up to max examples. GN_OK with b->n > 0, GN_EOF when the data is
 * exhausted, or an error (message "file:line: reason"). */
int gn__source_next(gn_source *s, gn_batch *b, size_t max);
/* Where a data line comes from. lineno is 0 inside a byte-range part (not counted there). */
typedef struct gn_source_line {
    uint64_t key;       /* (file << 40) ^ byte offset, as in batches */
    uint64_t lineno;    /* 1-based within its file */
    size_t file;        /* index into the paths */
} gn_source_line;
/* The next data line (CSV: record, which may hold newlines inside quotes), unparsed (header,
 * leading blank/comment lines and, with skip_bad, over-long lines and unclosed quotes are dealt
 * with here). *line is valid until the next call. GN_OK, GN_EOF or an error. For parsing on other
 * threads: the line goes to gn__parser_line with where->key. */
int gn__source_next_line(gn_source *s, const char **line, size_t *len, gn_source_line *where);
/* The key of the line read last (the bad one after an error); UINT64_MAX between files. */
uint64_t gn__source_last_key(const gn_source *s);
/* The 1-based line number, within its whole file, of the line read last (inside a byte-range
 * part the lines before the range are counted on the first call: for messages). */
uint64_t gn__source_last_lineno(gn_source *s);
/* The path of file i for messages ("<stdin>" for "-"). */
const char *gn__source_path(const gn_source *s, size_t file);
/* 1 if every input is a plain regular file (so parts can split it), 0 otherwise. */
int gn__source_splittable(const gn_source *s);
/* Starts again from the first file (GN_EINVAL for stdin). */
int gn__source_rewind(gn_source *s);
uint64_t gn__source_skipped(const gn_source *s);
uint64_t gn__source_lines(const gn_source *s);
/* Progress within the current pass: raw bytes consumed and total size of all files (0 if some
 * size is unknown). */
uint64_t gn__source_bytes_done(const gn_source *s);
uint64_t gn__source_bytes_total(const gn_source *s);
/* The resolved spec (format, sep, header) and the parser (for CSV column names). */
const gn_data_spec *gn__source_spec(const gn_source *s);
gn_parser *gn__source_parser(gn_source *s);
void gn__source_free(gn_source *s);

#endif
