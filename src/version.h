/*
 * version.h — the release version, shown by `genomenode --version` and in every report
 * that names the software that made it (the pgx HTML page).
 *
 * Thread safety: constants only.
 */
#ifndef GN_VERSION_H
#define GN_VERSION_H

#define GENOMENODE_VERSION "0.2.0"

#endif
