/* serve/repo_models.c: gn_server_add_repository: a slot per model of a model repository, each
 * following its `current` pointer (the slot reads the pointer at every load, registry.c). */
#include <stdio.h>
#include <stdlib.h>

#include "gannet/repo.h"
#include "serve/server_internal.h"
#include "util/error.h"

gn_status gn_server_add_repository(gn_server *s, const char *repo) {
    gn__clear_error();
    if (s->started) return gn__fail(GN_EINVAL, "models must be added before the server starts");
    char **names;
    size_t n;
    GN_TRY(gn_repo_names(repo, &names, &n));
    size_t added = 0;
    int st = GN_OK;
    for (size_t i = 0; i < n && st == GN_OK; i++) {
        uint32_t cur = 0;
        if (gn_repo_current(repo, names[i], &cur) != GN_OK || !cur) {
            gn__server_log(s, GN_LOG_WARN, "repository %s: model '%s' has no current version: not served", repo,
                           names[i]);
            continue;
        }
        char pointer[4096];
        if (snprintf(pointer, sizeof pointer, "%s/%s/current", repo, names[i]) >= (int)sizeof pointer) {
            st = gn__fail(GN_ELIMIT, "repository path too long");
            break;
        }
        st = gn__server_add(s, names[i], pointer, 1);
        if (st == GN_OK) added++;
    }
    gn_repo_names_free(names, n);
    if (st != GN_OK) return st;
    if (!added) return gn__fail(GN_EINVAL, "repository %s: no model with a current version", repo);
    return GN_OK;
}
