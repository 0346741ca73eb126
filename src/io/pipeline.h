/* io/pipeline.h: one input stream shared by several workers, for input that cannot be split by
 * byte ranges (gzip, zstd, stdin). A reader thread reads (and decompresses) the source and packs
 * raw data lines into chunks of about chunk_bytes; chunk c goes to worker c % nworkers, so the
 * split is the same on every run (deterministic mode stays deterministic). Each worker parses
 * its chunks with its own parser and learns. Memory in flight is bounded: each worker's queue
 * holds at most GN_PIPELINE_DEPTH chunks, and chunks are recycled.
 * Threads: gn__stream_next(s, w, ...) is called by worker w only; gn__stream_abort by anyone; the
 * other calls by the thread that owns the stream, while no worker is inside gn__stream_next.
 * Every worker must read its share to the end (or the stream be aborted): a worker that stops
 * early can block the reader, which deals chunks in a fixed order. */
#ifndef GN_IO_PIPELINE_H
#define GN_IO_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"
#include "io/batch.h"
#include "io/parser.h"
#include "io/source.h"

#define GN_PIPELINE_DEPTH 2

typedef struct gn_stream gn_stream;

/* Takes ownership of src (opened and resolved). */
int gn__stream_new(gn_source *src, uint32_t nworkers, size_t chunk_bytes, gn_stream **out);
/* Starts a pass: rewinds the source when rewind is set, and starts the reader thread. */
int gn__stream_start(gn_stream *s, int rewind);
/* Worker w: clears b and fills it with up to max examples parsed with p (a clone of the source's
 * parser owned by the worker). GN_OK, GN_EOF when its share of the pass is done, or an error
 * (a bad line "file:line: reason", or the reader's error). */
int gn__stream_next(gn_stream *s, uint32_t w, gn_parser *p, gn_batch *b, size_t max);
/* Stops the reader thread (at a pass end, or to abandon a pass) and waits for it. */
void gn__stream_stop(gn_stream *s);
/* Any thread: makes every worker's gn__stream_next return GN_EOF soon and the reader stop
 * (a worker that failed calls it so that no one waits for chunks that will not come). */
void gn__stream_abort(gn_stream *s);
gn_source *gn__stream_source(gn_stream *s);
uint64_t gn__stream_bytes_done(const gn_stream *s);
/* Bad lines skipped (skip_bad) in this stream's life, by the reader and by the workers. */
uint64_t gn__stream_skipped(const gn_stream *s);
void gn__stream_free(gn_stream *s);

#endif
