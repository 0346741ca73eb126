/* io/linereader.h: reads text lines from a file or stdin ("-"), plain, gzip or zstd (detected
 * from the magic bytes, never from the name), with a hard limit on line length. */
#ifndef GN_IO_LINEREADER_H
#define GN_IO_LINEREADER_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

typedef struct gn_line_reader gn_line_reader;

/* Opens path ("-" = stdin, never closed by the reader). max_line: longest line accepted, in
 * bytes, not counting its '\n' or '\r\n'; at least 1. The reader owns its buffers (about
 * 1 MiB, growing to max_line + 2 only for a line that needs it); free it with
 * gn__line_reader_free. One reader is used by one thread at a time. Errors: GN_EIO (cannot open,
 * a directory), GN_ENOMEM, GN_EINVAL. */
int gn__line_reader_open(const char *path, size_t max_line, gn_line_reader **out);
/* Opens the lines of a plain regular file that START in the byte range [begin, end): the line in
 * progress at begin belongs to the range before, and the last line may run past end. Offsets and
 * keys stay those of the whole file. GN_EINVAL for a compressed file, stdin or a non-regular
 * file (those cannot be split). */
int gn__line_reader_open_range(const char *path, size_t max_line, uint64_t begin, uint64_t end,
                               gn_line_reader **out);
/* Like gn__line_reader_open_range, taking over the data buffer of `old` (a reader that is done
 * with; it is freed in any case; NULL is fine): a source that reads many short ranges (--shuffle)
 * then allocates no new buffer per range. */
int gn__line_reader_reopen_range(gn_line_reader *old, const char *path, size_t max_line, uint64_t begin,
                                 uint64_t end, gn_line_reader **out);
/* Next line, without its '\n' (and without a '\r' before it). *line stays valid until the next
 * call. Returns GN_OK, GN_EOF at the end, or an error (GN_EIO, GN_EFORMAT for a truncated or
 * corrupt compressed stream, GN_ELIMIT for a line over max_line) with a message naming the file
 * and line. A last line without '\n' is returned as a line.
 * GN_ELIMIT refuses one line only: it counts as a line (lineno() names it) and the next call
 * continues after it, so callers may skip it. Every other error is final: later calls return
 * it again with the same message. */
int gn__line_reader_next(gn_line_reader *r, const char **line, size_t *len);
/* 1-based number of the line returned last. */
uint64_t gn__line_reader_lineno(const gn_line_reader *r);
/* 1-based number of the line returned last within the whole file (for a range reader, the lines
 * before the range are counted once, on the first call). */
uint64_t gn__line_reader_abs_lineno(gn_line_reader *r);
/* Byte offset (in the decompressed stream) where the line returned last starts. */
uint64_t gn__line_reader_offset(const gn_line_reader *r);
/* Compressed/raw bytes consumed from the file so far, and its size (0 if unknown, e.g. stdin):
 * bytes_read / file_size is the fraction done, for progress reports. */
uint64_t gn__line_reader_bytes_read(const gn_line_reader *r);
uint64_t gn__line_reader_file_size(const gn_line_reader *r);
/* The name for messages: the path as given, or "<stdin>" for "-". Owned by the reader. */
const char *gn__line_reader_path(const gn_line_reader *r);
/* Closes the file (never stdin) and frees the reader; NULL is a no-op. */
void gn__line_reader_free(gn_line_reader *r);

#endif
