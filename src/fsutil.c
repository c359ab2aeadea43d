/*
 * fsutil.c — durable writes, whole-file reads, directory fsync and the writer lock.
 *
 * errno is converted to GN_E* here, at the syscall boundary, and never escapes.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

int fsutil_path(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? GN_ELIMIT : GN_OK;
}

int fsutil_write_full(int fd, const void *data, size_t n, const char *what, struct gn_err *err)
{
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return gn_errf(err, GN_EIO, "%s: write: %s", what, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return GN_OK;
}

int fsutil_pread_full(int fd, void *data, size_t n, uint64_t off, const char *what,
                      struct gn_err *err)
{
    uint8_t *p = data;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return gn_errf(err, GN_EIO, "%s: read: %s", what, strerror(errno));
        }
        if (r == 0) {
            return gn_errf(err, GN_ECORRUPT, "%s: file truncated at offset %llu", what,
                           (unsigned long long)off);
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return GN_OK;
}

int fsutil_fsync_dir(const char *dir, struct gn_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", dir, strerror(errno));
    if (fsync(fd) < 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return gn_errf(err, GN_EIO, "%s: fsync: %s", dir, strerror(e));
    }
    close(fd);
    return GN_OK;
}

int fsutil_write_atomic(const char *path, const void *data, size_t n, int mode, struct gn_err *err)
{
    char tmp[4096], dir[4096];
    const char *slash;
    int fd = -1, rc;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        return gn_errf(err, GN_ELIMIT, "%s: path too long", path);
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", tmp, strerror(errno));
    if ((rc = fsutil_write_full(fd, data, n, tmp, err)) < 0) goto fail;
    if (fsync(fd) < 0) {
        rc = gn_errf(err, GN_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        rc = gn_errf(err, GN_EIO, "rename %s: %s", path, strerror(errno));
        goto fail;
    }
    slash = strrchr(path, '/');
    if (slash) {
        size_t dn = (size_t)(slash - path);
        if (dn >= sizeof dir) return gn_errf(err, GN_ELIMIT, "%s: path too long", path);
        memcpy(dir, path, dn);
        dir[dn ? dn : 1] = '\0';
        if (!dn) dir[0] = '/';
    } else {
        memcpy(dir, ".", 2);
    }
    return fsutil_fsync_dir(dir, err);
fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    return rc;
}

int fsutil_read_all(const char *path, size_t max, uint8_t **out, size_t *n, struct gn_err *err)
{
    struct stat st;
    uint8_t *data = NULL;
    int fd, rc;

    *out = NULL;
    *n = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = gn_errf(err, GN_EIO, "%s: stat: %s", path, strerror(errno));
        goto fail;
    }
    if ((uint64_t)st.st_size > max) {
        rc = gn_errf(err, GN_ELIMIT, "%s: larger than %zu bytes", path, max);
        goto fail;
    }
    data = gn_malloc((size_t)st.st_size + 1);
    if (!data) {
        rc = gn_errf(err, GN_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if ((rc = fsutil_pread_full(fd, data, (size_t)st.st_size, 0, path, err)) < 0) goto fail;
    data[st.st_size] = '\0';
    close(fd);
    *out = data;
    *n = (size_t)st.st_size;
    return GN_OK;
fail:
    gn_free(data);
    close(fd);
    return rc;
}

int fsutil_lock(const char *path, struct gn_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            return gn_errf(err, GN_EBUSY, "%s: another writer holds the store lock", path);
        }
        return gn_errf(err, GN_EIO, "%s: flock: %s", path, strerror(e));
    }
    return fd;
}

void fsutil_unlock(int fd)
{
    if (fd >= 0) close(fd); /* closing releases the flock */
}

int fsutil_mkdir(const char *path, struct gn_err *err)
{
    struct stat st;
    if (mkdir(path, 0700) == 0) return GN_OK;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return GN_OK;
    return gn_errf(err, gn_err_from_errno(errno), "mkdir %s: %s", path, strerror(errno));
}
