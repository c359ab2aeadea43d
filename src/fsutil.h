/*
 * fsutil.h — the few filesystem operations that must be exactly right for crash safety.
 *
 * fsutil_write_atomic() is the commit primitive of the store: write a temporary file,
 * fsync it, rename it over the target, fsync the directory. After a crash the target
 * holds either the old or the new content, never a mix.
 *
 * Thread safety: reentrant; the lock is per open file description (flock).
 */
#ifndef GN_FSUTIL_H
#define GN_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Replaces path with the n bytes at data, atomically and durably. */
GN_MUST_CHECK int fsutil_write_atomic(const char *path, const void *data, size_t n, int mode,
                                      struct gn_err *err);
/* Reads the whole file (at most max bytes) into an owned buffer; free with gn_free(). */
GN_MUST_CHECK int fsutil_read_all(const char *path, size_t max, uint8_t **out, size_t *n,
                                  struct gn_err *err);
/* fsync()s a directory so that renames and creations in it are durable. */
GN_MUST_CHECK int fsutil_fsync_dir(const char *dir, struct gn_err *err);
/* Writes all n bytes to fd, retrying on EINTR and short writes. */
GN_MUST_CHECK int fsutil_write_full(int fd, const void *data, size_t n, const char *what,
                                    struct gn_err *err);
/* pread()s exactly n bytes at off, else GN_EIO/GN_ECORRUPT (short file). */
GN_MUST_CHECK int fsutil_pread_full(int fd, void *data, size_t n, uint64_t off, const char *what,
                                    struct gn_err *err);
/* Takes an exclusive, non-blocking lock on path (created 0600 if absent). Returns the fd
 * (>= 0) to keep while holding the lock, or GN_EBUSY when another process holds it. */
GN_MUST_CHECK int fsutil_lock(const char *path, struct gn_err *err);
void fsutil_unlock(int fd);
/* Joins dir and name into buf (of size cap); GN_ELIMIT when it does not fit. */
GN_MUST_CHECK int fsutil_path(char *buf, size_t cap, const char *dir, const char *name);
/* Creates a directory (mode 0700 parents not created); GN_EEXIST if present and not a dir. */
GN_MUST_CHECK int fsutil_mkdir(const char *path, struct gn_err *err);

#endif
