/* io/linereader.c: owns reading text lines from a file or stdin, plain, gzip or zstd. The input
 * kind comes from the first bytes (gzip 1f 8b, zstd 28 b5 2f fd), never from the name. Data is
 * read (and decompressed) into one large buffer that lines are handed out of in place: no
 * per-line allocation, memchr for the newline, and the buffer only grows for a line that does
 * not fit, up to max_line. A UTF-8 byte order mark at the start of the data is dropped.
 *
 * Record mode (CSV): a newline inside a quoted field does not end the record. The quote state is
 * followed by one small machine (find_record_end) that the sequential reader and the search for
 * a byte range's first record (skip_to) both use, so every reader finds the same records. */
#include "io/linereader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "io/dirtree.h"
#include "util/error.h"

#define GN_LR_BUF_SIZE ((size_t)1 << 20)    /* decompressed/plain data buffer, first size */
#define GN_LR_RAW_SIZE ((size_t)256 << 10)  /* compressed input buffer */
#define GN_LR_ERRMSG 512                    /* a failed reader repeats its message */
#define GN_LR_BOM_LEN 3                     /* EF BB BF */

/* Record mode quote states at r->scan: outside quotes, inside a quoted field, or just after a '"'
 * inside one (the next byte tells a doubled quote from the closing one). */
enum { Q_OUT = 0, Q_IN, Q_IN_QUOTE };
/* r->pre: drop the rest of a line that was over max_line (or, for a range, the line in progress
 * at its start); look at the start of the data for a byte order mark. */
enum { PRE_SKIP = 1, PRE_BOM = 2 };

typedef enum { LR_PLAIN, LR_GZIP, LR_ZSTD, LR_DIR } lr_kind;

struct gn_line_reader {
    char *path;            /* for messages: the path, or "<stdin>" */
    int fd;
    bool own_fd;           /* false for stdin: we never close it */
    lr_kind kind;
    size_t max_line;
    size_t cap_limit;      /* the buffer never grows past max(first size, max_line + 2) */

    /* Line data: [start, len) is not handed out yet; [start, scan) is known to hold no '\n'. */
    char *buf;
    size_t cap, start, scan, len;
    bool eof;              /* no more data will come into buf */
    unsigned char pre;     /* work before the next line: PRE_SKIP, PRE_BOM (one test per line) */

    /* Compressed input: [raw_pos, raw_len) of raw is not yet decompressed. */
    unsigned char *raw;
    size_t raw_pos, raw_len;
    bool raw_eof;
    z_stream z;
    bool z_ready;          /* inflateInit2 succeeded: inflateEnd is owed */
    bool z_member_done;    /* a gzip member ended; another may follow */
    ZSTD_DCtx *zd;
    size_t zstd_hint;
    gn_dir_tree *tree;     /* LR_DIR: a --format dir tree read as records (io/dirtree.h) */      /* last ZSTD_decompressStream result: 0 = at a frame boundary */

    uint64_t buf_offset;   /* decompressed offset of buf[0] */
    uint64_t line_offset;  /* decompressed offset of the line returned last */
    uint64_t lineno;       /* 1-based line where the record returned (or refused) last starts */
    uint64_t lines_done;   /* physical lines before the next record */
    uint64_t bom_end;      /* GN_LR_BOM_LEN when a byte order mark was dropped, else 0 */

    /* Record mode (quote_sep != 0): the machine's state at scan, for the record at start. */
    char quote_sep;
    unsigned char qstate;
    bool qfield_start;     /* Q_OUT: scan is at the first byte of a field */
    bool qquoted;          /* the record has a quoted field (so it may span lines) */
    uint64_t raw_read;     /* bytes read from fd */
    uint64_t file_size;
    uint64_t range_begin;  /* a byte range reader (plain files): first byte of the range */
    uint64_t range_end;    /* lines starting at or after this offset are not returned */
    uint64_t base_lineno;  /* lines before range_begin (UINT64_MAX: not counted yet) */

    gn_status failed;      /* GN_OK, or the sticky error (not GN_ELIMIT: that one is skipped) */
    char errmsg[GN_LR_ERRMSG];

    /* A mark (peeking at a stream): the data from mark_start on stays in buf, and reset returns
     * there with the line count and offset of that moment. */
    bool marked;
    size_t mark_start, mark_budget;
    uint64_t mark_lineno, mark_lines_done, mark_line_offset;
    unsigned char mark_pre;
};

/* Fails the reader for good: the status and message come back on every later call. */
static gn_status lr_fail(gn_line_reader *r, gn_status st) {
    r->failed = st;
    snprintf(r->errmsg, sizeof r->errmsg, "%s", gn_last_error());
    return st;
}

static gn_status lr_read_error(gn_line_reader *r, int err) {
    char eb[128];
    gn__fail(GN_EIO, "%s: read error after line %llu: %s", r->path, (unsigned long long)r->lineno,
             gn__errno_text(err, eb, sizeof eb));
    return lr_fail(r, GN_EIO);
}

/* read() that retries EINTR. Returns bytes read, 0 at the end, -1 with errno set. */
static ssize_t read_some(int fd, void *dst, size_t n) {
    ssize_t got;
    do {
        got = read(fd, dst, n);
    } while (got < 0 && errno == EINTR);
    return got;
}

/* Tops up the compressed input when it has all been consumed. */
static gn_status fill_raw(gn_line_reader *r) {
    if (r->raw_pos < r->raw_len || r->raw_eof) return GN_OK;
    ssize_t got = read_some(r->fd, r->raw, GN_LR_RAW_SIZE);
    if (got < 0) return lr_read_error(r, errno);
    r->raw_pos = 0;
    r->raw_len = (size_t)got;
    r->raw_read += (uint64_t)got;
    if (got == 0) r->raw_eof = true;
    return GN_OK;
}

static gn_status truncated(gn_line_reader *r, const char *what) {
    gn__fail(GN_EFORMAT, "%s: truncated %s stream (after line %llu)", r->path, what,
             (unsigned long long)r->lineno);
    return lr_fail(r, GN_EFORMAT);
}

/* Decompresses gzip into buf[len, cap) until at least one byte came out or the data ended. */
static gn_status fill_gzip(gn_line_reader *r) {
    size_t before = r->len;
    while (r->len == before) {
        GN_TRY(fill_raw(r));
        if (r->z_member_done) {
            if (r->raw_pos == r->raw_len && r->raw_eof) {
                r->eof = true;
                return GN_OK;
            }
            inflateReset(&r->z); /* another member follows (cat a.gz b.gz) */
            r->z_member_done = false;
        }
        r->z.next_in = r->raw + r->raw_pos;
        r->z.avail_in = (uInt)(r->raw_len - r->raw_pos);
        r->z.next_out = (Bytef *)r->buf + r->len;
        size_t room = r->cap - r->len;
        r->z.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt out_before = r->z.avail_out;
        int zr = inflate(&r->z, Z_NO_FLUSH);
        r->raw_pos = r->raw_len - r->z.avail_in;
        r->len += out_before - r->z.avail_out;
        switch (zr) {
        case Z_OK: break;
        case Z_STREAM_END: r->z_member_done = true; break;
        case Z_BUF_ERROR: /* no progress: input needed */
            if (r->raw_pos == r->raw_len && r->raw_eof) return truncated(r, "gzip");
            break;
        case Z_MEM_ERROR:
            gn__fail(GN_ENOMEM, "%s: out of memory in zlib", r->path);
            return lr_fail(r, GN_ENOMEM);
        default: /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
            gn__fail(GN_EFORMAT, "%s: corrupt gzip stream: %s", r->path,
                     r->z.msg ? r->z.msg : "invalid data");
            return lr_fail(r, GN_EFORMAT);
        }
    }
    return GN_OK;
}

/* Decompresses zstd (any number of frames) into buf[len, cap), like fill_gzip. */
static gn_status fill_zstd(gn_line_reader *r) {
    size_t before = r->len;
    while (r->len == before) {
        GN_TRY(fill_raw(r));
        bool input_done = r->raw_pos == r->raw_len && r->raw_eof;
        if (input_done && r->zstd_hint == 0) { /* at a frame boundary: a clean end */
            r->eof = true;
            return GN_OK;
        }
        /* Called even without input: the decoder may still hold output to flush. */
        ZSTD_inBuffer in = {r->raw, r->raw_len, r->raw_pos};
        ZSTD_outBuffer out = {r->buf, r->cap, r->len};
        size_t zr = ZSTD_decompressStream(r->zd, &out, &in);
        if (ZSTD_isError(zr)) {
            gn__fail(GN_EFORMAT, "%s: corrupt zstd stream: %s", r->path, ZSTD_getErrorName(zr));
            return lr_fail(r, GN_EFORMAT);
        }
        r->zstd_hint = zr;
        r->raw_pos = in.pos;
        r->len = out.pos;
        if (input_done && out.pos == before && zr != 0) return truncated(r, "zstd");
    }
    return GN_OK;
}

#define GN_LR_RANGE_SLACK ((size_t)16 << 10) /* read past a range's end, for its last line */

static gn_status fill_plain(gn_line_reader *r) {
    size_t want = r->cap - r->len;
    if (r->range_end != UINT64_MAX) {
        /* a range reader reads little past its end: a short range of a big file (--shuffle reads
         * many) should not cost a whole buffer */
        uint64_t at = r->buf_offset + r->len;
        uint64_t need = (r->range_end > at ? r->range_end - at : 0) + GN_LR_RANGE_SLACK;
        if (need < want) want = (size_t)need;
    }
    ssize_t got = read_some(r->fd, r->buf + r->len, want);
    if (got < 0) return lr_read_error(r, errno);
    if (got == 0) r->eof = true;
    r->len += (size_t)got;
    r->raw_read += (uint64_t)got;
    return GN_OK;
}

/* The next records of a directory tree. */
static gn_status fill_dir(gn_line_reader *r) {
    ssize_t got = gn__dir_tree_read(r->tree, r->buf + r->len, r->cap - r->len);
    if (got < 0) return lr_fail(r, GN_EIO);
    if (got == 0) r->eof = true;
    r->len += (size_t)got;
    r->raw_read += (uint64_t)got;
    return GN_OK;
}

/* Makes room after buf[len] (moving the pending bytes to the front, growing up to cap_limit)
 * and reads more. Called only when [start, len) holds no '\n'. */
static gn_status refill(gn_line_reader *r) {
    size_t keep = r->marked ? r->mark_start : r->start; /* a mark keeps the lines after it */
    if (keep > 0) {
        size_t pending = r->len - keep;
        memmove(r->buf, r->buf + keep, pending);
        r->buf_offset += keep;
        r->scan -= keep;
        r->start -= keep;
        r->len = pending;
        if (r->marked) r->mark_start = 0;
    }
    if (r->len == r->cap) {
        /* The caller checked the line limit, so without a mark the buffer is below cap_limit
         * here; a mark may hold up to its budget more. */
        size_t limit = r->cap_limit + (r->marked ? r->mark_budget : 0);
        if (r->cap >= limit)
            return gn__fail(GN_ELIMIT, "%s: more than %zu bytes read ahead", r->path, r->mark_budget);
        size_t ncap = r->cap > limit / 2 ? limit : r->cap * 2;
        char *nbuf = realloc(r->buf, ncap);
        if (!nbuf) {
            gn__fail(GN_ENOMEM, "%s:%llu: out of memory for a line of %zu bytes", r->path,
                     (unsigned long long)r->lines_done + 1, ncap);
            return lr_fail(r, GN_ENOMEM);
        }
        r->buf = nbuf;
        r->cap = ncap;
    }
    switch (r->kind) {
    case LR_GZIP: return fill_gzip(r);
    case LR_ZSTD: return fill_zstd(r);
    case LR_DIR: return fill_dir(r);
    default: return fill_plain(r);
    }
}

/* After an over-long line: drops data up to and including its '\n', without buffering it. */
static gn_status skip_rest_of_line(gn_line_reader *r) {
    for (;;) {
        char *nl = memchr(r->buf + r->scan, '\n', r->len - r->scan);
        if (nl) {
            r->start = r->scan = (size_t)(nl + 1 - r->buf);
            r->pre &= (unsigned char)~PRE_SKIP;
            return GN_OK;
        }
        r->start = r->scan = r->len;
        if (r->eof) {
            r->pre &= (unsigned char)~PRE_SKIP;
            return GN_OK;
        }
        GN_TRY(refill(r));
    }
}

static void record_reset(gn_line_reader *r) {
    r->qstate = Q_OUT;
    r->qfield_start = true;
    r->qquoted = false;
}

/* The offset of the record starting at buf[pos]: a dropped byte order mark belongs to the first
 * record, which starts at 0 (only that record can start right after it). */
static uint64_t record_offset(const gn_line_reader *r, size_t pos) {
    uint64_t off = r->buf_offset + pos;
    return off == r->bom_end ? 0 : off;
}

static uint64_t count_newlines(const char *s, size_t n) {
    uint64_t c = 0;
    const char *e = s + n;
    while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
        c++;
        s++;
    }
    return c;
}

/* Record mode: runs the quote machine over buf[scan, len) and returns the '\n' that ends the
 * record at start (scan then points past it), or NULL when buf holds no end yet (scan = len,
 * the state kept for the next bytes). RFC 4180 with the parser's leniency: a '"' opens a quoted
 * field only as the first byte of a field; inside, '""' is a quote and '"' closes; a '"' anywhere
 * else is an ordinary byte. */
static char *find_record_end(gn_line_reader *r) {
    char *p = r->buf + r->scan, *e = r->buf + r->len;
    const char sep = r->quote_sep;
    unsigned char st = r->qstate;
    bool fs = r->qfield_start;
    /* the next '\n' at or after p (outside quotes it ends the record), looked for once, not after
     * every quoted field of a line; no_nl: there is none before e */
    char *nl = NULL;
    bool no_nl = false;
    while (p < e) {
        if (st == Q_OUT) {
            if (!no_nl && (!nl || nl < p)) no_nl = !(nl = memchr(p, '\n', (size_t)(e - p)));
            char *lim = nl ? nl : e;
            char *q = memchr(p, '"', (size_t)(lim - p));
            if (!q) {
                if (nl) {
                    r->scan = (size_t)(nl + 1 - r->buf);
                    r->qstate = Q_OUT;
                    return nl;
                }
                fs = lim[-1] == sep;
                p = e;
                break;
            }
            if (q == p ? fs : q[-1] == sep) {
                st = Q_IN;
                r->qquoted = true;
            }
            fs = false;
            p = q + 1;
        } else if (st == Q_IN) {
            char *q = memchr(p, '"', (size_t)(e - p));
            if (!q) {
                p = e;
                break;
            }
            p = q + 1;
            st = Q_IN_QUOTE;
        } else { /* Q_IN_QUOTE */
            if (*p == '"') p++, st = Q_IN; /* "" inside quotes */
            else st = Q_OUT;               /* the closing quote; *p is looked at outside */
        }
    }
    r->scan = (size_t)(p - r->buf);
    r->qstate = st;
    r->qfield_start = fs;
    return NULL;
}

/* Refuses the record at start for being over max_line, with start + max_line + 2 <= len or the
 * whole record in buf. The reader goes on after the first '\n' at or after start + max_line + 1:
 * for a plain line that is its own end; in record mode it is a point fixed by the data alone
 * (not by how much was buffered), so a byte range reader meets the same records as a sequential
 * one even around an over-long record or an unclosed quote. */
static gn_status too_long(gn_line_reader *r) {
    bool unclosed = r->quote_sep && r->qstate != Q_OUT;
    size_t from = r->start + r->max_line + 1;
    if (from > r->len) from = r->len;
    uint64_t inner = r->quote_sep ? count_newlines(r->buf + r->start, from - r->start) : 0;
    r->line_offset = record_offset(r, r->start);
    char *nl = memchr(r->buf + from, '\n', r->len - from);
    if (nl) {
        r->start = r->scan = (size_t)(nl + 1 - r->buf);
    } else {
        r->start = r->scan = r->len;
        if (!r->eof) r->pre |= PRE_SKIP;
    }
    record_reset(r);
    r->lineno = r->lines_done + 1;
    r->lines_done += 1 + inner;
    unsigned long long at = gn__line_reader_abs_lineno(r); /* a range reader counts from its start */
    if (unclosed)
        return gn__fail(GN_ELIMIT, "%s:%llu: quoted field not closed within %zu bytes (unterminated quote?)",
                        r->path, at, r->max_line);
    return gn__fail(GN_ELIMIT, "%s:%llu: line longer than %zu bytes", r->path, at, r->max_line);
}

/* Drops a UTF-8 byte order mark at the very start of the data (any format). */
static gn_status check_bom(gn_line_reader *r) {
    r->pre &= (unsigned char)~PRE_BOM;
    if (r->buf_offset != 0 || r->start != 0) return GN_OK;
    while (r->len < GN_LR_BOM_LEN && !r->eof) GN_TRY(refill(r));
    if (r->len >= GN_LR_BOM_LEN && memcmp(r->buf, "\xEF\xBB\xBF", GN_LR_BOM_LEN) == 0) {
        r->start = r->scan = GN_LR_BOM_LEN;
        r->bom_end = GN_LR_BOM_LEN;
    }
    return GN_OK;
}

static gn_status before_next(gn_line_reader *r) {
    if (r->pre & PRE_SKIP) GN_TRY(skip_rest_of_line(r));
    if (r->pre & PRE_BOM) GN_TRY(check_bom(r));
    return GN_OK;
}

/* gn__line_reader_next in record mode. */
static int next_record(gn_line_reader *r, const char **line, size_t *len) {
    for (;;) {
        if (record_offset(r, r->start) >= r->range_end) return GN_EOF; /* next record is not ours */
        char *nl = find_record_end(r);
        size_t n;
        if (nl) {
            n = (size_t)(nl - (r->buf + r->start));
        } else if (r->eof) {
            n = r->len - r->start;
            if (n == 0) return GN_EOF;
            r->scan = r->len;
            if (n <= r->max_line && r->qstate == Q_IN) {
                /* the whole rest of the input is one quoted field: refuse it */
                r->line_offset = record_offset(r, r->start);
                uint64_t inner = count_newlines(r->buf + r->start, n);
                r->start = r->len;
                record_reset(r);
                r->lineno = r->lines_done + 1;
                r->lines_done += 1 + inner;
                return gn__fail(GN_EPARSE, "%s:%llu: unterminated quoted field (no closing quote before the end)",
                                r->path, (unsigned long long)gn__line_reader_abs_lineno(r));
            }
        } else {
            size_t pending = r->len - r->start;
            if ((pending > 0 && pending - 1 > r->max_line) || pending >= r->cap_limit) return too_long(r);
            GN_TRY(refill(r));
            continue;
        }
        char *s = r->buf + r->start;
        size_t raw = n;
        if (n > 0 && s[n - 1] == '\r') n--;
        if (n > r->max_line) return too_long(r);
        uint64_t inner = r->qquoted ? count_newlines(s, raw) : 0;
        r->line_offset = record_offset(r, r->start);
        r->start = r->scan;
        record_reset(r);
        r->lineno = r->lines_done + 1;
        r->lines_done += 1 + inner;
        *line = s;
        *len = n;
        return GN_OK;
    }
}

int gn__line_reader_next(gn_line_reader *r, const char **line, size_t *len) {
    if (r->failed != GN_OK) return gn__fail(r->failed, "%s", r->errmsg);
    if (r->pre) GN_TRY(before_next(r));
    if (r->quote_sep) return next_record(r, line, len);
    for (;;) {
        uint64_t off = r->buf_offset + r->start;
        if (off == r->bom_end) off = 0; /* a dropped BOM belongs to the first line */
        if (off >= r->range_end) return GN_EOF; /* next line is not ours */
        char *nl = memchr(r->buf + r->scan, '\n', r->len - r->scan);
        size_t n;
        if (nl) {
            n = (size_t)(nl - (r->buf + r->start));
            r->scan = (size_t)(nl + 1 - r->buf);
        } else if (r->eof) {
            n = r->len - r->start;
            if (n == 0) return GN_EOF;
            r->scan = r->len;
        } else {
            /* No '\n' yet. Over max_line + 1 bytes, the line is too long even if a '\r' ends
             * it: refuse it now rather than buffer more of it. */
            size_t pending = r->len - r->start;
            if ((pending > 0 && pending - 1 > r->max_line) || pending >= r->cap_limit) return too_long(r);
            r->scan = r->len;
            GN_TRY(refill(r));
            continue;
        }
        char *s = r->buf + r->start;
        if (n > 0 && s[n - 1] == '\r') n--;
        if (n > r->max_line) return too_long(r);
        r->line_offset = off;
        r->start = r->scan;
        r->lineno = ++r->lines_done;
        *line = s;
        *len = n;
        return GN_OK;
    }
}

void gn__line_reader_set_quoting(gn_line_reader *r, char sep) {
    r->quote_sep = sep == '\t' ? 0 : sep;
    record_reset(r);
}

void gn__line_reader_unread(gn_line_reader *r) {
    /* the buffer has not moved since that line was returned (the first line's bytes start after
     * a dropped BOM) */
    uint64_t at = r->line_offset ? r->line_offset : r->bom_end;
    r->start = r->scan = (size_t)(at - r->buf_offset);
    r->lines_done = r->lineno - 1;
    r->lineno = r->lines_done;
    record_reset(r);
}

/* Record mode: moves to the first record that starts at or after offset `target`, following
 * the quotes from where the reader is (a record start). Where buf[start, target) holds no '"',
 * every '\n' in it ends a record, so the reader jumps to the last of them at memchr speed;
 * elsewhere it reads record by record with the machine gn__line_reader_next uses. */
static gn_status skip_to(gn_line_reader *r, uint64_t target) {
    for (;;) {
        if (r->failed != GN_OK) return gn__fail(r->failed, "%s", r->errmsg);
        if (r->pre) GN_TRY(before_next(r));
        if (record_offset(r, r->start) >= target) return GN_OK;
        if (r->scan == r->start && r->start < r->len) {
            uint64_t room = target - (r->buf_offset + r->start);
            size_t x = r->len - r->start < room ? r->len : r->start + (size_t)room;
            const char *a = r->buf + r->start, *b = r->buf + x;
            if (!memchr(a, '"', (size_t)(b - a))) {
                while (b > a && b[-1] != '\n') b--;
                if (b > a) {
                    r->start = r->scan = (size_t)(b - r->buf);
                    continue;
                }
            }
        }
        const char *line;
        size_t len;
        int st = gn__line_reader_next(r, &line, &len);
        if (st == GN_EOF) return GN_OK;
        if (st != GN_OK && st != GN_ELIMIT && st != GN_EPARSE) return st;
    }
}

/* Reads until at least 4 bytes are in buf or the input ends (a pipe may deliver 1 byte at a
 * time), so that the magic bytes can be told. */
static gn_status read_head(gn_line_reader *r) {
    while (r->len < 4 && !r->eof) GN_TRY(fill_plain(r));
    return GN_OK;
}

static int open_reader(const char *path, size_t max_line, uint64_t head_end, gn_line_reader *donor,
                       gn_line_reader **out);

int gn__line_reader_open(const char *path, size_t max_line, gn_line_reader **out) {
    return open_reader(path, max_line, UINT64_MAX, NULL, out);
}

static gn_status start_decoder(gn_line_reader *r) {
    static const unsigned char gzip_magic[2] = {0x1f, 0x8b};
    static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    if (r->len >= 2 && memcmp(r->buf, gzip_magic, 2) == 0) {
        r->kind = LR_GZIP;
    } else if (r->len >= 4 && memcmp(r->buf, zstd_magic, 4) == 0) {
        r->kind = LR_ZSTD;
    } else {
        return GN_OK; /* plain: the head stays in buf as data */
    }
    /* the head read may exceed the raw buffer (the first plain read fills all of buf): keep
     * only GN_LR_RAW_SIZE-sized chunks thereafter, but this first one must hold it all */
    r->raw = malloc(r->len > GN_LR_RAW_SIZE ? r->len : GN_LR_RAW_SIZE);
    if (!r->raw) return gn__fail(GN_ENOMEM, "%s: out of memory", r->path);
    memcpy(r->raw, r->buf, r->len); /* the head is compressed input, not data */
    r->raw_pos = 0;
    r->raw_len = r->len;
    r->raw_eof = r->eof;
    r->len = 0;
    r->eof = false;
    if (r->kind == LR_GZIP) {
        /* 15 + 32: any window size, gzip or zlib header detected automatically */
        if (inflateInit2(&r->z, 15 + 32) != Z_OK)
            return gn__fail(GN_ENOMEM, "%s: cannot start gzip decoder", r->path);
        r->z_ready = true;
    } else {
        r->zd = ZSTD_createDCtx();
        if (!r->zd) return gn__fail(GN_ENOMEM, "%s: cannot start zstd decoder", r->path);
        r->zstd_hint = 1; /* the magic opened a frame: ending here would be a truncation */
    }
    return GN_OK;
}

/* Opens path; the first read (for the magic bytes) stops near head_end, as a range's reads do.
 * A plain reader `donor` (may be NULL; taken over whatever happens) is reused with its buffer
 * (and its path when the same), so reading many ranges allocates nothing per range. */
static int open_reader(const char *path, size_t max_line, uint64_t head_end, gn_line_reader *donor,
                       gn_line_reader **out) {
    char eb[128];
    gn_status st;
    if (!path || !out || max_line == 0) {
        gn__line_reader_free(donor);
        if (!path || !out) return gn__fail(GN_EINVAL, "line reader: path and out are required");
        return gn__fail(GN_EINVAL, "%s: max_line must be at least 1", path);
    }
    bool is_stdin = strcmp(path, "-") == 0;
    gn_line_reader *r = NULL;
    size_t donated_cap = 0;
    if (donor && donor->kind == LR_PLAIN && donor->own_fd && donor->cap >= GN_LR_BUF_SIZE && !is_stdin) {
        char *buf = donor->buf, *old_path = donor->path;
        donated_cap = donor->cap;
        if (donor->fd >= 0) close(donor->fd);
        memset(donor, 0, sizeof *donor);
        r = donor;
        r->buf = buf; /* freed with r on any failure below */
        if (strcmp(old_path, path) == 0) r->path = old_path;
        else free(old_path);
    } else {
        gn__line_reader_free(donor);
        if (!(r = calloc(1, sizeof *r))) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    }
    r->fd = -1;
    if (!r->path) r->path = strdup(is_stdin ? "<stdin>" : path);
    if (!r->path) {
        st = gn__fail(GN_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    r->max_line = max_line;
    r->cap_limit = max_line < SIZE_MAX - 2 ? max_line + 2 : SIZE_MAX;
    if (r->cap_limit < GN_LR_BUF_SIZE) r->cap_limit = GN_LR_BUF_SIZE;

    if (is_stdin) {
        r->fd = STDIN_FILENO;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            st = gn__fail(GN_EIO, "%s: cannot open: %s", path, gn__errno_text(errno, eb, sizeof eb));
            goto fail;
        }
        r->own_fd = true;
    }
    struct stat sb;
    if (fstat(r->fd, &sb) != 0) {
        st = gn__fail(GN_EIO, "%s: cannot open: %s", r->path, gn__errno_text(errno, eb, sizeof eb));
        goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = gn__fail(GN_EIO, "%s: cannot open: %s", r->path, gn__errno_text(EISDIR, eb, sizeof eb));
        goto fail;
    }
    if (S_ISREG(sb.st_mode)) {
        r->file_size = (uint64_t)sb.st_size;
#if defined(POSIX_FADV_SEQUENTIAL)
        (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a hint: failure is fine */
#endif
    }

    r->range_end = head_end;
    r->pre = PRE_BOM;
    r->cap = r->buf ? donated_cap : GN_LR_BUF_SIZE;
    if (!r->buf) r->buf = malloc(r->cap);
    if (!r->buf) {
        st = gn__fail(GN_ENOMEM, "%s: out of memory", r->path);
        goto fail;
    }
    st = read_head(r);
    if (st != GN_OK) goto fail;
    r->range_end = UINT64_MAX;
    st = start_decoder(r);
    if (st != GN_OK) goto fail;
    *out = r;
    return GN_OK;

fail:
    gn__line_reader_free(r);
    return st;
}

int gn__line_reader_open_range(const char *path, size_t max_line, uint64_t begin, uint64_t end,
                               gn_line_reader **out) {
    return gn__line_reader_reopen_range(NULL, path, max_line, begin, end, out);
}

int gn__line_reader_reopen_range(gn_line_reader *old, const char *path, size_t max_line, uint64_t begin,
                                 uint64_t end, gn_line_reader **out) {
    char eb[128];
    gn_line_reader *r;
    /* the head read for the magic bytes need not be a whole buffer when the range starts later */
    GN_TRY(open_reader(path, max_line, begin == 0 ? end : 0, old, &r));
    if (r->kind != LR_PLAIN || !r->own_fd || r->file_size == 0) {
        gn__line_reader_free(r);
        return gn__fail(GN_EINVAL, "%s: only a plain regular file can be read by byte ranges", path);
    }
    if (begin > r->file_size) begin = r->file_size;
    r->range_end = end;
    r->range_begin = begin;
    if (begin == 0) {
        *out = r;
        return GN_OK;
    }
    /* Start one byte early: the line in progress at begin-1 (up to its '\n') belongs to the part
     * before, so a line that starts exactly at begin is ours. */
    if (lseek(r->fd, (off_t)(begin - 1), SEEK_SET) < 0) {
        gn__fail(GN_EIO, "%s: cannot seek: %s", r->path, gn__errno_text(errno, eb, sizeof eb));
        gn__line_reader_free(r);
        return GN_EIO;
    }
    r->buf_offset = begin - 1;
    r->start = r->scan = r->len = 0;
    r->eof = false;
    r->raw_read = begin - 1;
    r->base_lineno = UINT64_MAX;
    r->pre = PRE_SKIP;
    *out = r;
    return GN_OK;
}

int gn__line_reader_open_range_records(const char *path, size_t max_line, char sep, uint64_t from, uint64_t begin,
                                       uint64_t end, uint64_t *first, gn_line_reader **out) {
    return gn__line_reader_reopen_range_records(NULL, path, max_line, sep, from, begin, end, first, out);
}

/* Positions a plain reader at byte off (a record start), with an empty buffer. */
static gn_status seek_record(gn_line_reader *r, uint64_t off) {
    char eb[128];
    if (lseek(r->fd, (off_t)off, SEEK_SET) < 0)
        return gn__fail(GN_EIO, "%s: cannot seek: %s", r->path, gn__errno_text(errno, eb, sizeof eb));
    r->buf_offset = off;
    r->start = r->scan = r->len = 0;
    r->eof = false;
    r->raw_read = off;
    r->pre = 0;
    r->lineno = r->lines_done = 0;
    return GN_OK;
}

int gn__line_reader_reopen_range_records(gn_line_reader *old, const char *path, size_t max_line, char sep,
                                         uint64_t from, uint64_t begin, uint64_t end, uint64_t *first,
                                         gn_line_reader **out) {
    gn_line_reader *r;
    /* the head read (magic bytes) stops near the range's end when the range starts the file, and
     * is short when the reader then seeks; following the records from the start reads whole
     * buffers */
    uint64_t head_end = begin == 0 && from == 0 ? end : *first == UINT64_MAX ? UINT64_MAX : 0;
    GN_TRY(open_reader(path, max_line, head_end, old, &r));
    if (r->kind != LR_PLAIN || !r->own_fd || r->file_size == 0) {
        gn__line_reader_free(r);
        return gn__fail(GN_EINVAL, "%s: only a plain regular file can be read by byte ranges", path);
    }
    gn__line_reader_set_quoting(r, sep);
    if (begin > r->file_size) begin = r->file_size;
    if (from > r->file_size) from = r->file_size;
    gn_status st = GN_OK;
    if (begin <= from) *first = from; /* the range starts at or before the first record */
    if (*first == UINT64_MAX) {
        /* follow the records from the first one up to the range */
        if (from > 0 && (st = seek_record(r, from)) != GN_OK) goto fail;
        if ((st = skip_to(r, begin)) != GN_OK) goto fail;
        *first = record_offset(r, r->start);
        r->lineno = r->lines_done = 0;
    } else if (*first > 0) {
        /* a start known already: go there directly */
        if ((st = seek_record(r, *first)) != GN_OK) goto fail;
    }
    r->range_end = end;
    r->range_begin = begin;
    r->base_lineno = UINT64_MAX;
    *out = r;
    return GN_OK;
fail:
    gn__line_reader_free(r);
    return st;
}

int gn__line_reader_record_starts(const char *path, size_t max_line, char sep, uint64_t from, uint64_t *at, size_t n) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(path, max_line, &r));
    if (r->kind != LR_PLAIN || !r->own_fd) {
        gn__line_reader_free(r);
        return gn__fail(GN_EINVAL, "%s: only a plain regular file can be read by byte ranges", path);
    }
    gn__line_reader_set_quoting(r, sep);
    gn_status st = from > 0 ? seek_record(r, from) : GN_OK;
    /* one reader walks the records of the whole file once; each target is met on the way (skip_to
     * keeps the quote state and jumps through stretches without '"' at memchr speed) */
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        if (at[i] <= from) {
            at[i] = from;
            continue;
        }
        if ((st = skip_to(r, at[i])) != GN_OK) break;
        at[i] = record_offset(r, r->start);
    }
    gn__line_reader_free(r);
    return st;
}

uint64_t gn__line_reader_abs_lineno(gn_line_reader *r) {
    if (r->range_begin == 0) return r->lineno;
    if (r->base_lineno == UINT64_MAX) {
        /* Count the newlines before the line returned last, once, only when a message needs the
         * number: that line is the (count+1)th of the file. */
        uint64_t n = 0, off = 0, upto = r->line_offset;
        char *tmp = malloc(1 << 16);
        if (!tmp) return r->lineno;
        while (off < upto) {
            size_t want = upto - off < (1u << 16) ? (size_t)(upto - off) : (1u << 16);
            ssize_t got = pread(r->fd, tmp, want, (off_t)off);
            if (got <= 0) break;
            for (ssize_t i = 0; i < got; i++) n += tmp[i] == '\n';
            off += (uint64_t)got;
        }
        free(tmp);
        r->base_lineno = n + 1 - (r->lineno ? r->lineno : 1);
    }
    return r->base_lineno + r->lineno;
}

int gn__line_reader_mark(gn_line_reader *r, size_t budget) {
    if (r->failed != GN_OK) return gn__fail(r->failed, "%s", r->errmsg);
    /* at a record boundary (after open or a GN_OK next): the quote machine is at rest there */
    r->marked = true;
    r->mark_start = r->start;
    r->mark_budget = budget;
    r->mark_lineno = r->lineno;
    r->mark_lines_done = r->lines_done;
    r->mark_line_offset = r->line_offset;
    r->mark_pre = r->pre;
    return GN_OK;
}

uint64_t gn__line_reader_marked_bytes(const gn_line_reader *r) { return r->marked ? r->start - r->mark_start : 0; }

void gn__line_reader_reset(gn_line_reader *r) {
    if (!r->marked) return;
    r->start = r->scan = r->mark_start;
    r->lineno = r->mark_lineno;
    r->lines_done = r->mark_lines_done;
    r->line_offset = r->mark_line_offset;
    r->pre = r->mark_pre;
    record_reset(r);
    r->marked = false;
}

uint64_t gn__line_reader_lineno(const gn_line_reader *r) { return r->lineno; }
uint64_t gn__line_reader_offset(const gn_line_reader *r) { return r->line_offset; }
uint64_t gn__line_reader_bytes_read(const gn_line_reader *r) {
    /* raw input still waiting in our buffer has not been consumed yet */
    return r->raw_read - (r->raw_len - r->raw_pos);
}
uint64_t gn__line_reader_file_size(const gn_line_reader *r) { return r->file_size; }
const char *gn__line_reader_path(const gn_line_reader *r) { return r->path; }

int gn__line_reader_open_tree(const char *path, size_t max_line, gn_line_reader **out) {
    if (!path || !out || max_line == 0) return gn__fail(GN_EINVAL, "line reader: path, out and max_line are required");
    gn_line_reader *r = calloc(1, sizeof *r);
    if (!r) return gn__fail(GN_ENOMEM, "%s: out of memory", path);
    r->fd = -1;
    r->kind = LR_DIR;
    r->max_line = max_line;
    r->cap_limit = max_line < SIZE_MAX - 2 ? max_line + 2 : SIZE_MAX;
    if (r->cap_limit < GN_LR_BUF_SIZE) r->cap_limit = GN_LR_BUF_SIZE;
    r->range_end = UINT64_MAX;
    r->cap = GN_LR_BUF_SIZE;
    int st;
    if (!(r->path = strdup(path)) || !(r->buf = malloc(r->cap))) {
        st = gn__fail(GN_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((st = gn__dir_tree_open(path, &r->tree)) != GN_OK) goto fail;
    r->file_size = gn__dir_tree_bytes(r->tree);
    *out = r;
    return GN_OK;
fail:
    gn__line_reader_free(r);
    return st;
}

void gn__line_reader_free(gn_line_reader *r) {
    if (!r) return;
    gn__dir_tree_free(r->tree);
    if (r->own_fd && r->fd >= 0) close(r->fd);
    if (r->z_ready) inflateEnd(&r->z);
    ZSTD_freeDCtx(r->zd);
    free(r->raw);
    free(r->buf);
    free(r->path);
    free(r);
}
