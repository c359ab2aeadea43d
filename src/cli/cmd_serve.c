/*
 * cmd_serve.c — `genomenode serve`: the HTTP server in the foreground until SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server.h"
#include "strparse.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void ready(void *ctx, uint16_t port)
{
    const char *addr = ctx;
    printf("listening on http://%s:%u\n", addr, port);
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct server_opts o = {0};
    static char addr[64] = "127.0.0.1";
    static const struct option lo[] = {{"listen", required_argument, 0, 'l'},
                                       {"threads", required_argument, 0, 't'},
                                       {"tls-cert", required_argument, 0, 'c'},
                                       {"tls-key", required_argument, 0, 'k'},
                                       {"hpo", required_argument, 0, 'H'},
                                       {"pgx-data", required_argument, 0, 'X'},
                                       {0, 0, 0, 0}};
    struct sigaction sa;
    int c;
    int64_t v;

    o.port = 8080;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'l') {
            const char *colon = strrchr(optarg, ':');
            if (!colon || (size_t)(colon - optarg) >= sizeof addr ||
                strparse_i64_all(colon + 1, strlen(colon + 1), &v) < 0 || v < 0 || v > 65535)
                return cli_usage_error("serve", "bad --listen '%s' (ADDR:PORT)", optarg);
            memcpy(addr, optarg, (size_t)(colon - optarg));
            addr[colon - optarg] = '\0';
            o.port = (uint16_t)v;
        } else if (c == 't') {
            if (strparse_i64_all(optarg, strlen(optarg), &v) < 0 || v < 1 || v > 64)
                return cli_usage_error("serve", "bad --threads '%s' (1..64)", optarg);
            o.threads = (unsigned)v;
        } else if (c == 'c') {
            o.tls_cert = optarg;
        } else if (c == 'k') {
            o.tls_key = optarg;
        } else if (c == 'H') {
            o.hpo_index = optarg;
        } else if (c == 'X') {
            o.pgx_data = optarg;
        } else {
            return cli_usage_error("serve", "unknown option%s", "");
        }
    }
    if (optind + 1 != argc) return cli_usage_error("serve", "expected DIR%s", "");
    if (!o.tls_cert != !o.tls_key)
        return cli_usage_error("serve", "--tls-cert and --tls-key go together%s", "");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    o.dir = argv[optind];
    o.addr = addr;
    /* Matchmaker Exchange scores phenotypes with the HPO index */
    o.hpo_index = cli_hpo_index(o.hpo_index);
    if (!o.pgx_data) { /* GET /pgx/{id}: definitions, phenotypes, guidelines */
        const char *e = getenv("GENOMENODE_PGX_DATA");
        o.pgx_data = e && *e ? e : "data/pgx";
    }
    o.max_body = (size_t)1 << 20;
    o.stop = &stop_flag;
    o.ready = ready;
    o.ready_ctx = addr;
    if (server_run(&o, &err) < 0) return cli_fail(&err);
    printf("stopped\n");
    return 0;
}
