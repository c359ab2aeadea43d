/*
 * node.h — a genomenode directory: the genotype store, its catalog and its key.
 *
 *   DIR/MANIFEST, DIR/segments/   the genotype store (gtstore.h)
 *   DIR/catalog.db                 the catalog (catalog.h), SQLite by default, or
 *   DIR/catalog.conf               one line: the PostgreSQL URI of the catalog (mode 0600)
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
#include <stdint.h>

#include "contig.h"
#include "err.h"

/* catalog: a PostgreSQL URI, or NULL for GENOMENODE_CATALOG or else the embedded SQLite. */
GN_MUST_CHECK int node_init(const char *dir, enum contig_build build, const char *catalog,
                            struct gn_err *err);
/* The catalog target: GENOMENODE_CATALOG if set, else DIR/catalog.conf, else DIR/catalog.db. */
GN_MUST_CHECK int node_catalog_target(char *buf, size_t cap, const char *dir);
/* GENOMENODE_KEY if set in the environment, else DIR/pseudonym.key. */
GN_MUST_CHECK int node_key_path(char *buf, size_t cap, const char *dir);

struct catalog;
struct natid_format;
struct pseudonym;

/* The node's national ID format (catalog setting "national_id_format", default "cpr"). */
GN_MUST_CHECK int node_id_format(struct catalog *cat, const struct natid_format **fmt,
                                 struct gn_err *err);
/* Checks and normalises a national ID in the node's format and writes its person
 * pseudonym into out (PSEUDONYM_LEN + 1 bytes). GN_EPARSE names what is wrong without
 * repeating the ID. */
GN_MUST_CHECK int node_person_pseudonym(struct catalog *cat, const struct pseudonym *key,
                                        const char *national_id, char *out, struct gn_err *err);

/* Withdraws samples: marked in the catalog and listed as deleted in the store's manifest
 * (one commit), so every query excludes them at once; the next compaction purges their
 * genotypes. Takes the store's writer lock. */
GN_MUST_CHECK int node_withdraw(const char *dir, struct catalog *cat, const uint32_t *ids,
                                uint32_t n, struct gn_err *err);

#endif
