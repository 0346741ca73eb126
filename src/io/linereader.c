/* io/linereader.c: owns reading text lines from a file or stdin, plain, gzip or zstd. The input
 * kind comes from the first bytes (gzip 1f 8b, zstd 28 b5 2f fd), never from the name. Data is
 * read (and decompressed) into one large buffer that lines are handed out of in place: no
 * per-line allocation, memchr for the newline, and the buffer only grows for a line that does
 * not fit, up to max_line. */
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

#include "util/error.h"

#define GN_LR_BUF_SIZE ((size_t)1 << 20)    /* decompressed/plain data buffer, first size */
#define GN_LR_RAW_SIZE ((size_t)256 << 10)  /* compressed input buffer */
#define GN_LR_ERRMSG 512                    /* a failed reader repeats its message */

typedef enum { LR_PLAIN, LR_GZIP, LR_ZSTD } lr_kind;

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
    bool skipping;         /* discarding the rest of a line that was over max_line */

    /* Compressed input: [raw_pos, raw_len) of raw is not yet decompressed. */
    unsigned char *raw;
    size_t raw_pos, raw_len;
    bool raw_eof;
    z_stream z;
    bool z_ready;          /* inflateInit2 succeeded: inflateEnd is owed */
    bool z_member_done;    /* a gzip member ended; another may follow */
    ZSTD_DCtx *zd;
    size_t zstd_hint;      /* last ZSTD_decompressStream result: 0 = at a frame boundary */

    uint64_t buf_offset;   /* decompressed offset of buf[0] */
    uint64_t line_offset;  /* decompressed offset of the line returned last */
    uint64_t lineno;       /* lines returned (and over-long lines refused) so far */
    uint64_t raw_read;     /* bytes read from fd */
    uint64_t file_size;
    uint64_t range_begin;  /* a byte range reader (plain files): first byte of the range */
    uint64_t range_end;    /* lines starting at or after this offset are not returned */
    uint64_t base_lineno;  /* lines before range_begin (UINT64_MAX: not counted yet) */

    gn_status failed;      /* GN_OK, or the sticky error (not GN_ELIMIT: that one is skipped) */
    char errmsg[GN_LR_ERRMSG];
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

/* Makes room after buf[len] (moving the pending bytes to the front, growing up to cap_limit)
 * and reads more. Called only when [start, len) holds no '\n'. */
static gn_status refill(gn_line_reader *r) {
    if (r->start > 0) {
        size_t pending = r->len - r->start;
        memmove(r->buf, r->buf + r->start, pending);
        r->buf_offset += r->start;
        r->scan -= r->start;
        r->len = pending;
        r->start = 0;
    }
    if (r->len == r->cap) {
        /* The caller checked the line limit, so the buffer is below cap_limit here. */
        size_t ncap = r->cap > r->cap_limit / 2 ? r->cap_limit : r->cap * 2;
        char *nbuf = realloc(r->buf, ncap);
        if (!nbuf) {
            gn__fail(GN_ENOMEM, "%s:%llu: out of memory for a line of %zu bytes", r->path,
                     (unsigned long long)r->lineno + 1, ncap);
            return lr_fail(r, GN_ENOMEM);
        }
        r->buf = nbuf;
        r->cap = ncap;
    }
    switch (r->kind) {
    case LR_GZIP: return fill_gzip(r);
    case LR_ZSTD: return fill_zstd(r);
    default: return fill_plain(r);
    }
}

/* After an over-long line: drops data up to and including its '\n', without buffering it. */
static gn_status skip_rest_of_line(gn_line_reader *r) {
    for (;;) {
        char *nl = memchr(r->buf + r->scan, '\n', r->len - r->scan);
        if (nl) {
            r->start = r->scan = (size_t)(nl + 1 - r->buf);
            r->skipping = false;
            return GN_OK;
        }
        r->start = r->scan = r->len;
        if (r->eof) {
            r->skipping = false;
            return GN_OK;
        }
        GN_TRY(refill(r));
    }
}

/* Refuses the next line for being over max_line. It keeps its line number, so later lines keep
 * theirs, and the next call goes on after it. */
static gn_status too_long(gn_line_reader *r) {
    r->lineno++;
    return gn__fail(GN_ELIMIT, "%s:%llu: line longer than %zu bytes", r->path,
                    (unsigned long long)r->lineno, r->max_line);
}

int gn__line_reader_next(gn_line_reader *r, const char **line, size_t *len) {
    if (r->failed != GN_OK) return gn__fail(r->failed, "%s", r->errmsg);
    if (r->skipping) GN_TRY(skip_rest_of_line(r));
    for (;;) {
        if (r->buf_offset + r->start >= r->range_end) return GN_EOF; /* next line is not ours */
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
            if ((pending > 0 && pending - 1 > r->max_line) || pending >= r->cap_limit) {
                r->skipping = true;
                return too_long(r);
            }
            r->scan = r->len;
            GN_TRY(refill(r));
            continue;
        }
        char *s = r->buf + r->start;
        r->start = r->scan;
        if (n > 0 && s[n - 1] == '\r') n--;
        if (n > r->max_line) return too_long(r);
        r->line_offset = r->buf_offset + (uint64_t)(s - r->buf);
        r->lineno++;
        *line = s;
        *len = n;
        return GN_OK;
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
    r->skipping = true;
    *out = r;
    return GN_OK;
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

uint64_t gn__line_reader_lineno(const gn_line_reader *r) { return r->lineno; }
uint64_t gn__line_reader_offset(const gn_line_reader *r) { return r->line_offset; }
uint64_t gn__line_reader_bytes_read(const gn_line_reader *r) {
    /* raw input still waiting in our buffer has not been consumed yet */
    return r->raw_read - (r->raw_len - r->raw_pos);
}
uint64_t gn__line_reader_file_size(const gn_line_reader *r) { return r->file_size; }
const char *gn__line_reader_path(const gn_line_reader *r) { return r->path; }

void gn__line_reader_free(gn_line_reader *r) {
    if (!r) return;
    if (r->own_fd && r->fd >= 0) close(r->fd);
    if (r->z_ready) inflateEnd(&r->z);
    ZSTD_freeDCtx(r->zd);
    free(r->raw);
    free(r->buf);
    free(r->path);
    free(r);
}
