/* serve/repo_models.c: gn_server_add_repository: a slot per model of a model repository, each
 * following its `current` pointer (the slot reads the pointer at every load, registry.c); and
 * the watcher's look for model names published after the start (gn__server_repo_scan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "gannet/repo.h"
#include "serve/server_internal.h"
#include "util/error.h"

/* 1 if a slot is named name. Only the thread that adds slots calls it. */
static int has_slot(const gn_server *s, const char *name) {
    for (size_t i = 0; i < s->nslots; i++)
        if (!strcmp(s->slots[i].name, name)) return 1;
    return 0;
}

/* The `current` pointer path of REPO/NAME into buf; 0 when it does not fit. */
static int pointer_path(char *buf, size_t size, const char *repo, const char *name) {
    return snprintf(buf, size, "%s/%s/current", repo, name) < (int)size;
}

gn_status gn_server_add_repository(gn_server *s, const char *repo) {
    gn__clear_error();
    if (s->started) return gn__fail(GN_EINVAL, "models must be added before the server starts");
    if (s->repo) return gn__fail(GN_EINVAL, "one repository per server");
    char **names;
    size_t n;
    GN_TRY(gn_repo_names(repo, &names, &n));
    size_t added = 0;
    int st = GN_OK;
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        uint32_t cur = 0;
        if (gn_repo_current(repo, names[i], &cur) != GN_OK || !cur) {
            gn__server_log(s, GN_LOG_WARN, "repository %s: model '%s' has no current version: not served yet", repo,
                           names[i]);
            continue;
        }
        char pointer[4096];
        if (!pointer_path(pointer, sizeof pointer, repo, names[i])) {
            st = gn__fail(GN_ELIMIT, "repository path too long");
            break;
        }
        st = gn__server_add(s, names[i], pointer, 1);
        if (st == GN_OK) added++;
    }
    gn_repo_names_free(names, n);
    if (st != GN_OK) return st;
    if (!added) return gn__fail(GN_EINVAL, "repository %s: no model with a current version", repo);
    if (!(s->repo = strdup(repo))) return gn__fail(GN_ENOMEM, "out of memory");
    return GN_OK;
}

/* Watches dir (a model's directory) for its `current` pointer, when inotify is on. */
static void watch_dir(int inotify_fd, const char *repo, const char *name) {
#ifdef __linux__
    char dir[4096];
    if (inotify_fd < 0 || snprintf(dir, sizeof dir, "%s/%s", repo, name) >= (int)sizeof dir) return;
    (void)inotify_add_watch(inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB);
#else
    (void)inotify_fd;
    (void)repo;
    (void)name;
#endif
}

void gn__server_repo_scan(gn_server *s, int inotify_fd) {
    if (!s->repo) return;
    char **names;
    size_t n;
    if (gn_repo_names(s->repo, &names, &n) != GN_OK) return; /* a missing repository: the slots keep serving */
    for (size_t i = 0; i < n; i++) {
        if (has_slot(s, names[i])) continue;
        uint32_t cur = 0;
        if (gn_repo_current(s->repo, names[i], &cur) != GN_OK || !cur) {
            watch_dir(inotify_fd, s->repo, names[i]); /* so its first publish is seen at once */
            continue;
        }
        if (s->nslots >= GN_SERVE_MAX_MODELS) {
            if (!s->repo_full_logged)
                gn__server_log(s, GN_LOG_WARN, "repository %s: model '%s' and any later ones not served: at most %u models",
                               s->repo, names[i], GN_SERVE_MAX_MODELS);
            s->repo_full_logged = 1;
            break;
        }
        char pointer[4096];
        if (!pointer_path(pointer, sizeof pointer, s->repo, names[i])) continue;
        if (gn__server_add_slot(s, names[i], pointer, 1) == GN_OK) {
            gn__server_log(s, GN_LOG_INFO, "repository %s: now serving new model '%s'", s->repo, names[i]);
            watch_dir(inotify_fd, s->repo, names[i]);
        } else {
            gn__server_log(s, GN_LOG_ERROR, "repository %s: new model '%s' not served: %s", s->repo, names[i],
                           gn_last_error());
        }
    }
    gn_repo_names_free(names, n);
}
