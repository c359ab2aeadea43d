/*
 * node.c — creating a node directory and naming its parts. See node.h.
 */
#include "node.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fsutil.h"
#include "alloc.h"
#include "gtstore.h"
#include "natid.h"
#include "pseudonym.h"

int node_catalog_target(char *buf, size_t cap, const char *dir)
{
    const char *env = getenv("GENOMENODE_CATALOG");
    char conf[4096];
    uint8_t *data = NULL;
    size_t n = 0;

    if (env && *env) {
        if (strlen(env) >= cap) return GN_ELIMIT;
        memcpy(buf, env, strlen(env) + 1);
        return GN_OK;
    }
    if (fsutil_path(conf, sizeof conf, dir, "catalog.conf") < 0) return GN_ELIMIT;
    if (fsutil_read_all(conf, 4096, &data, &n, NULL) == GN_OK) {
        const char *s = (const char *)data;
        size_t len = 0;
        while (len < n && s[len] != '\n' && s[len] != '\r') {
            len++;
        }
        if (len == 0 || len >= cap) {
            gn_free(data);
            return GN_ELIMIT;
        }
        memcpy(buf, s, len);
        buf[len] = '\0';
        gn_free(data);
        return GN_OK;
    }
    return fsutil_path(buf, cap, dir, "catalog.db");
}

int node_key_path(char *buf, size_t cap, const char *dir)
{
    const char *env = getenv("GENOMENODE_KEY");
    if (env && *env) {
        if (strlen(env) >= cap) return GN_ELIMIT;
        memcpy(buf, env, strlen(env) + 1);
        return GN_OK;
    }
    return fsutil_path(buf, cap, dir, "pseudonym.key");
}

int node_init(const char *dir, enum contig_build build, const char *catalog, struct gn_err *err)
{
    struct catalog *cat = NULL;
    char path[4096];
    int rc;

    if ((rc = gtstore_init(dir, build, err)) < 0) return rc;
    if (node_key_path(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path too long");
    if ((rc = pseudonym_keygen(path, err)) < 0) return rc;
    if (!catalog) catalog = getenv("GENOMENODE_CATALOG");
    if (catalog && *catalog) {
        /* Remembered beside the store; may hold a password, so private like the key. */
        char line[4200];
        int n = snprintf(line, sizeof line, "%s\n", catalog);
        if (n < 0 || (size_t)n >= sizeof line) {
            return gn_errf(err, GN_ELIMIT, "catalog URI too long");
        }
        if (fsutil_path(path, sizeof path, dir, "catalog.conf") < 0) {
            return gn_errf(err, GN_ELIMIT, "path too long");
        }
        if ((rc = fsutil_write_atomic(path, line, (size_t)n, 0600, err)) < 0) return rc;
    }
    if (node_catalog_target(path, sizeof path, dir) < 0) {
        return gn_errf(err, GN_ELIMIT, "path too long");
    }
    if ((rc = catalog_open(&cat, path, err)) < 0) return rc;
    catalog_close(cat);
    return GN_OK;
}

int node_withdraw(const char *dir, struct catalog *cat, const uint32_t *ids, uint32_t n,
                  struct gn_err *err)
{
    struct gtstore *st = NULL;
    int rc;

    if ((rc = gtstore_open_writer(&st, dir, err)) < 0) return rc;
    if ((rc = catalog_begin(cat, err)) < 0) goto out;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = catalog_sample_withdraw(cat, ids[i], err)) < 0) goto out;
    }
    if ((rc = gtstore_withdraw(st, ids, n, err)) < 0) goto out;
    /* The catalog commits first: should the manifest commit fail, the catalog alone
     * already excludes the samples (policy reads it), and a retry completes the store. */
    if ((rc = catalog_commit(cat, err)) < 0) goto out;
    rc = gtstore_commit(st, err);
out:
    catalog_rollback(cat);
    gtstore_close(st);
    return rc;
}

int node_id_format(struct catalog *cat, const struct natid_format **fmt, struct gn_err *err)
{
    char name[64] = "cpr";
    int rc = catalog_setting_get(cat, "national_id_format", name, sizeof name, NULL);
    if (rc < 0 && rc != GN_ENOTFOUND) return gn_errf(err, rc, "cannot read settings");
    if (!(*fmt = natid_format_find(name))) {
        return gn_errf(err, GN_EINVAL, "unknown national ID format '%s' in the settings", name);
    }
    return GN_OK;
}

int node_person_pseudonym(struct catalog *cat, const struct pseudonym *key, const char *national_id,
                          char *out, struct gn_err *err)
{
    const struct natid_format *fmt = NULL;
    char norm[NATID_NORM_MAX];
    int rc;

    if ((rc = node_id_format(cat, &fmt, err)) < 0) return rc;
    if (!fmt) return gn_errf(err, GN_EINTERNAL, "no national ID format");
    if ((rc = fmt->validate(national_id, strlen(national_id), norm, sizeof norm, err)) < 0) {
        return gn_err_prefix(err, rc, "national ID");
    }
    pseudonym_of(key, "person", norm, strlen(norm), out);
    sodium_memzero(norm, sizeof norm);
    return GN_OK;
}
