/*
 * node.c — creating a node directory and naming its parts. See node.h.
 */
#include "node.h"

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fsutil.h"
#include "gtstore.h"
#include "pseudonym.h"

int node_catalog_path(char *buf, size_t cap, const char *dir)
{
    return fsutil_path(buf, cap, dir, "catalog.db");
}

int node_key_path(char *buf, size_t cap, const char *dir)
{
    const char *env = getenv("GENOMENODE_KEY");
    if (env && *env) {
        if (strlen(env) >= cap) return GN_ELIMIT;
        strcpy(buf, env);
        return GN_OK;
    }
    return fsutil_path(buf, cap, dir, "pseudonym.key");
}

int node_init(const char *dir, enum contig_build build, struct gn_err *err)
{
    struct catalog *cat = NULL;
    char path[4096];
    int rc;

    if ((rc = gtstore_init(dir, build, err)) < 0) return rc;
    if (node_key_path(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path too long");
    if ((rc = pseudonym_keygen(path, err)) < 0) return rc;
    if (node_catalog_path(path, sizeof path, dir) < 0)
        return gn_errf(err, GN_ELIMIT, "path too long");
    if ((rc = catalog_open(&cat, path, err)) < 0) return rc;
    catalog_close(cat);
    return GN_OK;
}
