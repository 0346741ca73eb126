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
/* Opens a directory tree DIR/<class>/<doc> (--format dir) as lines "class<TAB>text", one per
 * document (io/dirtree.h); errors name the directory or the document. Never a range reader. */
int gn__line_reader_open_tree(const char *path, size_t max_line, gn_line_reader **out);
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
/* Like gn__line_reader_open_range, for a CSV file read in record mode (gn__line_reader_set_quoting
 * with sep): the records that START in [begin, end). `from` is the offset of the file's first
 * record: its first data line, found line by line (leading blank and comment lines are lines,
 * whatever quotes they hold, in every reader of a file). Which record is the first one in the
 * range depends on the quotes before it, so unless *first already holds its offset (from an
 * earlier open of the same range, or from gn__line_reader_record_starts), the reader follows the
 * records from `from` (at memchr speed where there is no '"') and stores that offset in *first;
 * a range that begins at or before `from` starts at `from`. *first is UINT64_MAX when not known. */
int gn__line_reader_open_range_records(const char *path, size_t max_line, char sep, uint64_t from, uint64_t begin,
                                       uint64_t end, uint64_t *first, gn_line_reader **out);
/* gn__line_reader_open_range_records reusing the buffer of `old`, as gn__line_reader_reopen_range. */
int gn__line_reader_reopen_range_records(gn_line_reader *old, const char *path, size_t max_line, char sep,
                                         uint64_t from, uint64_t begin, uint64_t end, uint64_t *first,
                                         gn_line_reader **out);
/* Record mode (sep as for gn__line_reader_set_quoting), plain regular files: replaces each of the
 * byte offsets at[0..n) (ascending) by the offset of the first record that starts at or after it
 * (the file size if none; `from`, the file's first record as above, for offsets up to it), so
 * that a range [at[i], ...) can be opened at a true record start without following the quotes
 * again. One sequential read of the file answers all n, following the quotes from `from` with
 * the machine gn__line_reader_next uses (at memchr speed where there is no '"'). Over-long
 * records and an unclosed quote are passed over as a sequential read passes over them; other
 * errors are returned. */
int gn__line_reader_record_starts(const char *path, size_t max_line, char sep, uint64_t from, uint64_t *at, size_t n);
/* Next line, without its '\n' (and without a '\r' before it). *line stays valid until the next
 * call. Returns GN_OK, GN_EOF at the end, or an error (GN_EIO, GN_EFORMAT for a truncated or
 * corrupt compressed stream, GN_ELIMIT for a line over max_line) with a message naming the file
 * and line. A last line without '\n' is returned as a line. A UTF-8 byte order mark at the start
 * of the data is dropped (the first line still starts at offset 0).
 * GN_ELIMIT refuses one line only: it counts as a line (lineno() names it) and the next call
 * continues after it, so callers may skip it. In record mode GN_EPARSE refuses a record whose
 * quote is never closed before the end of the input, likewise. Every other error is final:
 * later calls return it again with the same message. */
int gn__line_reader_next(gn_line_reader *r, const char **line, size_t *len);
/* Record mode, for CSV files whose separator is sep (not a tab; 0 turns it off): a '"' that
 * starts a field opens a quoted field, in which '""' is a quote and newlines (LF or CRLF) are
 * data; a record ends at the first '\n' outside quotes and is returned whole, embedded newlines
 * included. A record is bounded by max_line like a line; one over it (an unclosed quote, say) is
 * refused with GN_ELIMIT and reading goes on after the first '\n' at or after max_line + 1
 * bytes into it. Call at a record boundary: after open, after a GN_OK next, or after unread. */
void gn__line_reader_set_quoting(gn_line_reader *r, char sep);
/* After a GN_OK gn__line_reader_next: the next call returns the same line again (from the same
 * offset; after gn__line_reader_set_quoting, as a record). */
void gn__line_reader_unread(gn_line_reader *r);
/* Peeking at a stream that cannot be read twice (stdin, for the label scan): after mark, the
 * lines read stay buffered, up to `budget` bytes more than an ordinary reader holds (past that,
 * a read returns GN_ELIMIT without failing the reader); reset goes back to the mark, and the
 * same lines come again with the same numbers and offsets. marked_bytes: bytes of the lines read
 * since the mark. Lines returned before the reset are invalid after it. */
int gn__line_reader_mark(gn_line_reader *r, size_t budget);
uint64_t gn__line_reader_marked_bytes(const gn_line_reader *r);
void gn__line_reader_reset(gn_line_reader *r);
/* 1-based number of the line returned last (in record mode, the line where the record starts). */
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
