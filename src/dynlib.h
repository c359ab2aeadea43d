/*
 * dynlib.h — loading a shared library's functions on first use.
 *
 * Most commands never talk to PostgreSQL, serve HTTP or check a Passport, yet linking
 * libpq (with its Kerberos, LDAP and SASL stack) and libmicrohttpd (with GnuTLS, p11-kit,
 * nettle, gmp) made every start load 24 more libraries: ~10 ms on an idle machine, several
 * times that on a busy one, before any work; libcrypto alone cost 1.5 ms. db.c, server.c,
 * mme_client.c and passport.c therefore reach those libraries through function tables
 * filled here, the first time they are needed. The libraries are
 * still Debian's shared libraries (security updates apply); only the moment they are
 * loaded changes.
 *
 * Thread safety: dynlib_load may be called from any thread; each table is filled once.
 */
#ifndef GN_DYNLIB_H
#define GN_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

#include "err.h"

/* One function to resolve: its name, and where to store its address (a function-pointer
 * object). */
struct dynlib_sym {
    const char *name;
    void *slot;
};

/* A library to load once: its soname, the Debian package that provides it (named in the
 * error), and the functions to resolve. Static storage, zero-initialised apart from the
 * fields below. */
struct dynlib {
    const char *soname;
    const char *package;
    const struct dynlib_sym *syms;
    size_t n_syms;
    /* private */
    pthread_mutex_t mu;
    int state; /* 0 not tried, 1 loaded, -1 failed */
    char why[200];
};

#define DYNLIB_INIT(so, pkg, syms)                                                                 \
    {                                                                                              \
        (so), (pkg), (syms), sizeof(syms) / sizeof((syms)[0]), PTHREAD_MUTEX_INITIALIZER, 0,       \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Loads the library and resolves every function (once; later calls return the first
 * outcome). GN_OK, or GN_EUNSUPPORTED naming the library and package when it or one of
 * its functions is missing. */
GN_MUST_CHECK int dynlib_load(struct dynlib *l, struct gn_err *err);

#endif
