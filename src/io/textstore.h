/* io/textstore.h: --idf over CSV --text columns or VW text namespaces in one tokenizing pass. The
 * input is read and tokenized once into memory: each example's features as the parser pushes
 * them, each text document's terms as counts (io/text.h: counts, record_spans), while the document
 * frequencies are counted as the two-pass path counts them (the example weighed without idf and
 * its repeats merged: every distinct slot once). The passes then replay the stored examples,
 * weighing each document's counts with the idf weights where the parser would have weighed it,
 * and merging repeats as gn__batch_end_example does: the batches of parsing the text with the
 * weights, bit for bit. Memory: 8 bytes per stored feature, 16 per document, 24 per example,
 * within a budget; past it the store is dropped and the pass only counts the frequencies (the
 * passes then read the text: two passes, as without the store). */
#ifndef GN_IO_TEXTSTORE_H
#define GN_IO_TEXTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/parser.h"

typedef struct gn_text_store gn_text_store;

/* 1 if spec may take the store: --idf, CSV or VW (resolved), no interactions, no --skip-bad
 * (a skipped line's features would stay behind), no fields (kind ffm remaps them). */
int gn__text_store_eligible(const gn_data_spec *spec, const gn_parser *parser);
/* Reads paths (files; no stdin) once with spec. GN_OK: *out holds the parser with the idf weights
 * (gn__text_store_parser) and, within budget bytes, the examples (gn__text_store_examples; 0 when
 * over budget, or for an input that is not eligible: then the parser is resolved but has no idf
 * table, and the caller reads the text as before). An error: the parse error of the text. */
int gn__text_store_build(const gn_data_spec *spec, const char *const *paths, size_t npaths, size_t budget,
                         gn_text_store **out);
/* The resolved parser with the idf table (owned by the store), for the sources and the model. */
const gn_parser *gn__text_store_parser(const gn_text_store *s);
/* The stored examples (0: none stored). */
size_t gn__text_store_examples(const gn_text_store *s);
/* Clears b and appends up to max stored examples from *pos (advanced), not past end, weighed
 * with the idf. GN_OK with b->n > 0, GN_EOF at end, GN_ENOMEM. Thread-safe for distinct
 * (pos, b): the store is read-only. */
int gn__text_store_next(const gn_text_store *s, size_t *pos, size_t end, gn_batch *b, size_t max);
/* The input's size (bytes) and, for progress, the part of it that examples [0, pos) stand for. */
uint64_t gn__text_store_bytes(const gn_text_store *s, size_t pos);
void gn__text_store_free(gn_text_store *s);

#endif
