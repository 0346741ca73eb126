/* flow/pipeline_split.c: a pipeline's `data: {split: {test: F, seed: S}}`: the train files are
 * cut into STATE/split/train and STATE/split/test (plain text, the header of a CSV in both) by
 * the library's one split rule (learn/split.h: an example is held out when
 * mix64(key ^ seed) falls in the first F of the buckets, key = (file index << 40) ^ byte offset
 * of its line), so the same data and rule always give the same two files. Each file is written
 * to a temporary name and renamed: a killed run leaves whole files or none. With `by: time` the
 * one train file (CSV) is cut by gn_split_by_time (gannet/split.h): the latest fraction of the
 * rows, of all or of each `per` group's, is the test part. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/pipeline_internal.h"
#include "gannet/split.h"
#include "io/linereader.h"
#include "io/source.h"
#include "learn/split.h"
#include "util/error.h"

#define SPLIT_PATH_LEN 4096

/* The first line of path that is not blank or a comment (a CSV's header) into *out (malloc'd). */
static int first_data_line(const gn_data_spec *spec, const char *path, char **out) {
    gn_line_reader *r;
    GN_TRY(gn__line_reader_open(path, spec->max_line, &r));
    const char *line;
    size_t len;
    int st;
    while ((st = gn__line_reader_next(r, &line, &len)) == GN_OK) {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
        if (i < len && line[i] != '#') break;
    }
    if (st == GN_OK) {
        *out = malloc(len + 1);
        if (!*out) st = gn__fail(GN_ENOMEM, "out of memory");
        else {
            memcpy(*out, line, len);
            (*out)[len] = '\0';
        }
    } else if (st == GN_EOF) {
        st = gn__fail(GN_EFORMAT, "%s: no header line", path);
    }
    gn__line_reader_free(r);
    return st;
}

static int put(FILE *f, const char *path, const char *line, size_t len) {
    if (fwrite(line, 1, len, f) != len || fputc('\n', f) == EOF) return gn__fail(GN_EIO, "%s: write failed", path);
    return GN_OK;
}

static int close_rename(FILE *f, const char *tmp, const char *path) {
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad) return gn__fail(GN_EIO, "%s: write failed", tmp);
    if (rename(tmp, path) != 0) return gn__fail(GN_EIO, "%s: cannot rename to %s", tmp, path);
    return GN_OK;
}

/* Replaces *files (n of them, owned) by the one path given. */
static int set_files(char ***files, size_t *n, const char *path) {
    char *copy = strdup(path);
    char **arr = malloc(sizeof *arr);
    if (!copy || !arr) {
        free(copy);
        free(arr);
        return gn__fail(GN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < *n; i++) free((*files)[i]);
    free(*files);
    arr[0] = copy;
    *files = arr;
    *n = 1;
    return GN_OK;
}

static int split_by_time(gn_pipeline *p, char path[2][SPLIT_PATH_LEN], uint64_t *ntrain_out, uint64_t *ntest_out) {
    if (p->ntrain != 1)
        return gn__fail(GN_EINVAL, "%s: data.split by time reads one train file (got %zu)", p->path, p->ntrain);
    const gn_time_split_options o = {p->split_time_col, p->split_per, p->split_test};
    uint64_t n[2] = {0, 0};
    GN_TRY(gn_split_by_time(p->train_files[0], &p->spec, &o, path[0], path[1], &n[0], &n[1]));
    if (!n[0] || !n[1]) {
        unlink(path[0]);
        unlink(path[1]);
        return gn__fail(GN_EINVAL, "%s: data.split: the %s part is empty (%llu train, %llu test rows)", p->path,
                        n[0] ? "test" : "train", (unsigned long long)n[0], (unsigned long long)n[1]);
    }
    GN_TRY(set_files(&p->train_files, &p->ntrain, path[0]));
    GN_TRY(set_files(&p->test_files, &p->ntest, path[1]));
    *ntrain_out = n[0];
    *ntest_out = n[1];
    return GN_OK;
}

int gn__pipeline_split(gn_pipeline *p, uint64_t *ntrain_out, uint64_t *ntest_out) {
    char dir[SPLIT_PATH_LEN], path[2][SPLIT_PATH_LEN], tmp[2][SPLIT_PATH_LEN];
    if (snprintf(dir, sizeof dir, "%s/split", p->state_dir) >= (int)sizeof dir)
        return gn__fail(GN_ELIMIT, "%s: path too long", p->state_dir);
    static const char *const side[2] = {"train", "test"};
    for (int k = 0; k < 2; k++) {
        if (snprintf(path[k], SPLIT_PATH_LEN, "%s/%s", dir, side[k]) >= SPLIT_PATH_LEN ||
            snprintf(tmp[k], SPLIT_PATH_LEN, "%s/.%s.%ld.tmp", dir, side[k], (long)getpid()) >= SPLIT_PATH_LEN)
            return gn__fail(GN_ELIMIT, "%s: path too long", dir);
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return gn__fail(GN_EIO, "%s: cannot create the directory", dir);
    if (p->split_by_time) return split_by_time(p, path, ntrain_out, ntest_out);
    gn_source *src = NULL;
    FILE *f[2] = {NULL, NULL};
    char *header = NULL;
    uint64_t count[2] = {0, 0};
    int st = gn__source_open(&p->spec, NULL, (const char *const *)p->train_files, p->ntrain, &src);
    if (st == GN_OK) st = gn__source_resolve(src);
    const gn_data_spec *rs = st == GN_OK ? gn__source_spec(src) : NULL;
    if (st == GN_OK && rs->format == GN_FORMAT_DIR)
        st = gn__fail(GN_EINVAL, "%s: data.split does not take --format dir input", p->path);
    if (st == GN_OK && rs->format == GN_FORMAT_CSV && rs->header == 1)
        st = first_data_line(rs, p->train_files[0], &header);
    for (int k = 0; k < 2 && st == GN_OK; k++) {
        if (!(f[k] = fopen(tmp[k], "w"))) st = gn__fail(GN_EIO, "%s: cannot create", tmp[k]);
        else if (header) st = put(f[k], tmp[k], header, strlen(header));
    }
    const char *line;
    size_t len;
    gn_source_line at;
    while (st == GN_OK && (st = gn__source_next_line(src, &line, &len, &at)) == GN_OK) {
        int k = gn__split_is_holdout(at.key, p->split_seed, p->split_test) ? 1 : 0;
        st = put(f[k], tmp[k], line, len);
        count[k]++;
    }
    if (st == GN_EOF) st = GN_OK;
    if (st == GN_OK && (!count[0] || !count[1]))
        st = gn__fail(GN_EINVAL, "%s: data.split: the %s part is empty (%llu train, %llu test examples)", p->path,
                      count[0] ? "test" : "train", (unsigned long long)count[0], (unsigned long long)count[1]);
    for (int k = 0; k < 2; k++) {
        if (!f[k]) continue;
        if (st == GN_OK) st = close_rename(f[k], tmp[k], path[k]);
        else fclose(f[k]);
        if (st != GN_OK) unlink(tmp[k]);
    }
    free(header);
    gn__source_free(src);
    if (st == GN_OK) st = set_files(&p->train_files, &p->ntrain, path[0]);
    if (st == GN_OK) st = set_files(&p->test_files, &p->ntest, path[1]);
    if (st == GN_OK) {
        *ntrain_out = count[0];
        *ntest_out = count[1];
    }
    return st;
}
