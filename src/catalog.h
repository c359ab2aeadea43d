/*
 * catalog.h — metadata about samples and batches, behind one interface.
 *
 * The genotype store knows samples only by global id; the catalog maps those ids to
 * pseudonyms (never clear identifiers), batches and withdrawal. This issue ships the
 * embedded SQLite backend (WAL journal); the interface is a vtable so that a PostgreSQL
 * backend can sit beside it. Schema changes are numbered migrations applied at open.
 *
 * Crash consistency with the store: the store's manifest is the commit point. Sample
 * rows are written before the manifest commit; rows whose id is not below the
 * manifest's next_sample belong to an ingest that never committed and are purged by
 * the next writer (catalog_purge_uncommitted).
 *
 * Ownership: catalog_open returns an owned handle (catalog_close). Strings passed in are
 * borrowed. Thread safety: one thread at a time per handle; open one per thread.
 */
#ifndef GN_CATALOG_H
#define GN_CATALOG_H

#include <stdint.h>

#include "err.h"

#define CATALOG_SCHEMA_VERSION 1

struct catalog;

GN_MUST_CHECK int catalog_open(struct catalog **c, const char *path, struct gn_err *err);
void catalog_close(struct catalog *c);
GN_MUST_CHECK int catalog_begin(struct catalog *c, struct gn_err *err);
GN_MUST_CHECK int catalog_commit(struct catalog *c, struct gn_err *err);
void catalog_rollback(struct catalog *c);

/* Deletes sample and batch rows of ingests that never committed (id >= next_sample). */
GN_MUST_CHECK int catalog_purge_uncommitted(struct catalog *c, uint32_t next_sample,
                                            struct gn_err *err);
/* Records a batch; GN_EEXIST when the name is taken. */
GN_MUST_CHECK int catalog_batch_add(struct catalog *c, const char *name, uint32_t first_sample,
                                    uint32_t n_samples, struct gn_err *err);
GN_MUST_CHECK int catalog_sample_add(struct catalog *c, uint32_t id, const char *pseudonym,
                                     const char *batch, struct gn_err *err);
/* Looks a pseudonym up: GN_ENOTFOUND when unknown; *withdrawn 1 when withdrawn. */
GN_MUST_CHECK int catalog_sample_lookup(struct catalog *c, const char *pseudonym, uint32_t *id,
                                        int *withdrawn, struct gn_err *err);
/* Writes the pseudonym of sample id into out (at least 64 bytes). */
GN_MUST_CHECK int catalog_sample_pseudonym(struct catalog *c, uint32_t id, char *out, size_t cap,
                                           struct gn_err *err);
GN_MUST_CHECK int catalog_sample_withdraw(struct catalog *c, uint32_t id, struct gn_err *err);

#endif
