/* io/linereader.h: reads text lines from a file or stdin ("-"), plain, gzip or zstd (detected
 * from the magic bytes, never from the name), with a hard limit on line length. */
#ifndef GN_IO_LINEREADER_H
#define GN_IO_LINEREADER_H

#include <stddef.h>
#include <stdint.h>

#include "gannet/gannet.h"

typedef struct gn_line_reader gn_line_reader;

/* Opens path ("-" = stdin). max_line: longest line accepted, in bytes. */
int gn__line_reader_open(const char *path, size_t max_line, gn_line_reader **out);
/* Next line, without its '\n' (and without a '\r' before it). *line stays valid until the next
 * call. Returns GN_OK, GN_EOF at the end, or an error (GN_EIO, GN_EFORMAT for a truncated or
 * corrupt compressed stream, GN_ELIMIT for a line over max_line) with a message naming the file
 * and line. A last line without '\n' is returned as a line. */
int gn__line_reader_next(gn_line_reader *r, const char **line, size_t *len);
/* 1-based number of the line returned last. */
uint64_t gn__line_reader_lineno(const gn_line_reader *r);
/* Byte offset (in the decompressed stream) where the line returned last starts. */
uint64_t gn__line_reader_offset(const gn_line_reader *r);
/* Compressed/raw bytes consumed from the file so far, and its size (0 if unknown, e.g. stdin). */
uint64_t gn__line_reader_bytes_read(const gn_line_reader *r);
uint64_t gn__line_reader_file_size(const gn_line_reader *r);
const char *gn__line_reader_path(const gn_line_reader *r);
void gn__line_reader_free(gn_line_reader *r);

#endif
