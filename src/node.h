/*
 * node.h — a genomenode directory: the genotype store, its catalog and its key.
 *
 *   DIR/MANIFEST, DIR/segments/   the genotype store (gtstore.h)
 *   DIR/catalog.db                 the catalog (catalog.h), SQLite
 *   DIR/pseudonym.key              the HMAC key (pseudonym.h), mode 0600
 *
 * node_init creates all three; the other helpers give their paths. The key may be moved
 * to separate storage and pointed to with GENOMENODE_KEY.
 *
 * Thread safety: pure functions apart from node_init's filesystem writes.
 */
#ifndef GN_NODE_H
#define GN_NODE_H

#include <stddef.h>

#include "contig.h"
#include "err.h"

GN_MUST_CHECK int node_init(const char *dir, enum contig_build build, struct gn_err *err);
GN_MUST_CHECK int node_catalog_path(char *buf, size_t cap, const char *dir);
/* GENOMENODE_KEY if set in the environment, else DIR/pseudonym.key. */
GN_MUST_CHECK int node_key_path(char *buf, size_t cap, const char *dir);

#endif
