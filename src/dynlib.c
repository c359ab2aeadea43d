/*
 * dynlib.c — loading a shared library's functions on first use (dynlib.h).
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int dynlib_load(struct dynlib *l, struct gn_err *err)
{
    pthread_mutex_lock(&l->mu);
    if (l->state == 0) {
        void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
        l->state = 1;
        if (!h) {
            (void)snprintf(l->why, sizeof l->why, "%s", dlerror());
            l->state = -1;
        }
        for (size_t i = 0; h && i < l->n_syms; i++) {
            void *p = dlsym(h, l->syms[i].name);
            if (!p) {
                (void)snprintf(l->why, sizeof l->why, "%s has no function %s", l->soname,
                               l->syms[i].name);
                l->state = -1;
                break;
            }
            /* POSIX: a function's address comes back as void *; copied, not cast */
            memcpy(l->syms[i].slot, &p, sizeof p);
        }
    }
    int ok = l->state == 1;
    pthread_mutex_unlock(&l->mu);
    if (ok) return GN_OK;
    return gn_errf(err, GN_EUNSUPPORTED, "cannot load %s (Debian package %s): %s", l->soname,
                   l->package, l->why);
}
