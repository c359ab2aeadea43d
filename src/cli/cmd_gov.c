/*
 * cmd_gov.c — the governance commands: user, token, dataset, project, grant, consent,
 * setting, duo, pseudonym, audit. Changes need the steward role (policy_admin) and every
 * change or disclosure is audited; reading the audit log needs auditor or steward.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "audit.h"
#include "buf.h"
#include "catalog.h"
#include "cli.h"
#include "duo.h"
#include "fsutil.h"
#include "natid.h"
#include "node.h"
#include "passport.h"
#include "policy.h"
#include "pseudonym.h"
#include "strparse.h"

/* Options every governance command accepts; a NULL value means "not given". */
struct gov_opt {
    const char *role, *person, *label, *expires, *terms, *purpose, *approval, *description;
    const char *dataset, *user, *project, *level, *consent, *id, *member;
    int clinical;
    struct cli_access acc;
};

static int parse_gov(const char *cmd, int argc, char **argv, struct gov_opt *o)
{
    static const struct option lo[] = {{"role", required_argument, 0, 'r'},
                                       {"person", required_argument, 0, 'p'},
                                       {"label", required_argument, 0, 'l'},
                                       {"expires", required_argument, 0, 'e'},
                                       {"terms", required_argument, 0, 't'},
                                       {"purpose", required_argument, 0, 'u'},
                                       {"approval", required_argument, 0, 'a'},
                                       {"description", required_argument, 0, 'd'},
                                       {"dataset", required_argument, 0, 'D'},
                                       {"user", required_argument, 0, 'U'},
                                       {"level", required_argument, 0, 'L'},
                                       {"consent", required_argument, 0, 'c'},
                                       {"research", required_argument, 0, 'R'},
                                       {"clinical", no_argument, 0, 'C'},
                                       {"id", required_argument, 0, 'i'},
                                       {"member", required_argument, 0, 'm'},
                                       {"token", required_argument, 0, 'T'},
                                       {"project", required_argument, 0, 'P'},
                                       {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->role = optarg;
            break;
        case 'p':
            o->person = optarg;
            break;
        case 'l':
            o->label = optarg;
            break;
        case 'e':
            o->expires = optarg;
            break;
        case 't':
            o->terms = optarg;
            break;
        case 'u':
            o->purpose = optarg;
            break;
        case 'a':
            o->approval = optarg;
            break;
        case 'd':
            o->description = optarg;
            break;
        case 'D':
            o->dataset = optarg;
            break;
        case 'U':
            o->user = optarg;
            break;
        case 'L':
            o->level = optarg;
            break;
        case 'c':
        case 'R':
            o->consent = optarg;
            break;
        case 'C':
            o->clinical = 1;
            break;
        case 'i':
            o->id = optarg;
            break;
        case 'm':
            o->member = optarg;
            break;
        case 'T':
            o->acc.token = optarg;
            break;
        case 'P':
            o->project = optarg;
            break;
        default:
            return cli_usage_error(cmd, "unknown option%s", "");
        }
    }
    return 0;
}

/* Opens DIR (argv[optind]) and checks the caller is a steward. */
static int open_admin(struct cli_ctx *cx, const char *dir, const struct gov_opt *o,
                      const char *action, struct gn_err *err)
{
    int rc = cli_ctx_open(cx, dir, 0, &o->acc, err);
    if (rc == GN_OK) rc = policy_admin(cx->cat, &cx->key, &cx->who.caller, action, err);
    return rc;
}

/* Audits a steward's change as done. Details are descriptions for people: the callers cut
 * one that is too long for their buffer rather than fail the change. */
static int done(struct cli_ctx *cx, const char *action, const char *detail, const char *subjects,
                struct gn_err *err)
{
    return policy_audit(cx->cat, &cx->key, &cx->who.caller, POLICY_PURPOSE_ADMIN, action, "done",
                        detail, subjects, err);
}

/* Copies the argument src into dst (cap bytes). One that does not fit is an error: a name
 * stored cut would not be found again under the name the operator gave. */
static int copy_arg(char *dst, size_t cap, const char *what, const char *src, struct gn_err *err)
{
    int n = snprintf(dst, cap, "%s", src);
    if (n < 0 || (size_t)n >= cap) {
        return gn_errf(err, GN_ELIMIT, "%s too long (at most %zu bytes)", what, cap - 1);
    }
    return GN_OK;
}

/* Canonical DUO terms of a use or purpose list, or the parse error. */
static int canon_terms(const char *s, enum duo_side side, char *out, size_t cap, struct gn_err *err)
{
    struct duo_list l;
    int rc = duo_list_parse(&l, s, strlen(s), side, err);
    if (rc < 0) return rc;
    if (duo_list_format(&l, 0, out, cap) >= cap) return gn_errf(err, GN_ELIMIT, "terms too long");
    return GN_OK;
}

static int person_pseudonym(struct cli_ctx *cx, const char *nid, char out[PSEUDONYM_LEN + 1],
                            struct gn_err *err)
{
    return node_person_pseudonym(cx->cat, &cx->key, nid, out, err);
}

/* Subcommand dispatch: argv[0] is the command, argv[1] the subcommand. */
static int sub(const char *cmd, int argc, char **argv, const char *const *subs)
{
    if (argc < 2) {
        cli_usage_error(cmd, "expected a subcommand%s", "");
        return -1;
    }
    for (int i = 0; subs[i]; i++) {
        if (!strcmp(argv[1], subs[i])) return i;
    }
    cli_usage_error(cmd, "unknown subcommand '%s'", argv[1]);
    return -1;
}

/* ---- listings ----------------------------------------------------------------------- */

/* A listing (user list, dataset list) is built in memory and printed only once its audit
 * entry is durable, like every other answer (policy.h). */
#define LISTING_MAX ((size_t)64 << 20)

struct listing {
    struct gn_buf text;
    struct gn_buf subjects; /* comma-separated person pseudonyms shown, NUL-terminated */
    int64_t n;
};

static int listing_add(struct listing *l, const char *line, size_t n, const char *subject)
{
    int rc = gn_buf_append(&l->text, line, n);
    if (rc == GN_OK && subject && *subject) {
        if (l->subjects.len) rc = gn_buf_append(&l->subjects, ",", 1);
        if (rc == GN_OK) rc = gn_buf_append(&l->subjects, subject, strlen(subject));
    }
    l->n++;
    return rc;
}

/* Decides (policy_list), fills the listing with each(), records it, then prints it. */
static int listing_run(struct cli_ctx *cx, const char *what,
                       int (*each)(struct cli_ctx *, struct listing *, struct gn_err *),
                       struct gn_err *err)
{
    struct listing l;
    int rc;

    gn_buf_init(&l.text, LISTING_MAX);
    gn_buf_init(&l.subjects, LISTING_MAX);
    l.n = 0;
    if ((rc = policy_list(cx->cat, &cx->key, &cx->who.caller, what, err)) < 0) goto out;
    if ((rc = each(cx, &l, err)) < 0 ||
        (rc = gn_buf_append(&l.subjects, "", 1)) < 0) { /* its NUL */
        if (!err->code) gn_errf(err, rc, "cannot build the %s list", what);
        goto out;
    }
    rc = policy_listed(cx->cat, &cx->key, &cx->who.caller, what, l.n, (const char *)l.subjects.data,
                       err);
    if (rc == GN_OK && l.text.len && fwrite(l.text.data, 1, l.text.len, stdout) != l.text.len) {
        rc = gn_errf(err, GN_EIO, "cannot write the %s list", what);
    }
out:
    gn_buf_free(&l.text);
    gn_buf_free(&l.subjects);
    return rc;
}

/* ---- user ------------------------------------------------------------------------- */

static int list_user(void *ctx, const struct catalog_user *u)
{
    char line[CATALOG_NAME_MAX + sizeof u->role + sizeof u->individual + 16];
    int n = snprintf(line, sizeof line, "%s\t%s\t%s%s\n", u->name, u->role,
                     u->individual[0] ? u->individual : "-", u->disabled ? "\tdisabled" : "");
    if (n < 0 || (size_t)n >= sizeof line) return GN_ELIMIT; /* sized for the fields */
    return listing_add(ctx, line, (size_t)n, u->individual);
}

static int users_each(struct cli_ctx *cx, struct listing *l, struct gn_err *err)
{
    return catalog_user_each(cx->cat, list_user, l, err);
}

int cmd_user(int argc, char **argv)
{
    static const char *const subs[] = {"add", "list", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    int s = sub("user", argc, argv, subs), rc;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("user", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (s == 0) {
        struct catalog_user u = {0};
        if (optind + 2 != argc || !o.role) {
            return cli_usage_error("user", "user add DIR NAME --role ROLE [--person NATIONAL_ID]%s",
                                   "");
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "user.add", &err)) == GN_OK &&
            (rc = copy_arg(u.name, sizeof u.name, "user name", argv[optind + 1], &err)) == GN_OK &&
            (rc = copy_arg(u.role, sizeof u.role, "role", o.role, &err)) == GN_OK) {
            if (o.person && (rc = person_pseudonym(&cx, o.person, u.individual, &err)) < 0) {
            } else if (!strcmp(o.role, "citizen") && !o.person) {
                rc = gn_errf(&err, GN_EINVAL, "a citizen user needs --person NATIONAL_ID");
            } else if ((rc = catalog_user_add(cx.cat, &u, NULL, &err)) == GN_OK) {
                rc = done(&cx, "user.add", o.role, u.individual, &err);
            }
            if (rc == GN_OK) printf("user %s added (%s)\n", u.name, u.role);
        }
    } else {
        if (optind + 1 != argc) return cli_usage_error("user", "user list DIR%s", "");
        if ((rc = cli_ctx_open(&cx, argv[optind], 0, &o.acc, &err)) == GN_OK) {
            rc = listing_run(&cx, "user", users_each, &err);
        }
    }
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- token ------------------------------------------------------------------------ */

/* An expiry date as --expires takes it: YYYY-MM-DD, a day that exists, in 2000 or later. */
static int valid_date(const char *s)
{
    return strparse_date(s, strlen(s)) == GN_OK && strncmp(s, "2000", 4) >= 0;
}

int cmd_token(int argc, char **argv)
{
    static const char *const subs[] = {"create", "revoke", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    char tok[AUTH_TOKEN_LEN + 1], detail[200];
    int s = sub("token", argc, argv, subs), rc;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("token", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (optind + 1 != argc) return cli_usage_error("token", "expected DIR%s", "");
    if (s == 0) {
        struct catalog_user u;
        int64_t id = 0;
        if (!o.user) return cli_usage_error("token", "token create DIR --user NAME%s", "");
        if (o.expires && !valid_date(o.expires)) {
            return cli_usage_error("token", "bad --expires '%s' (YYYY-MM-DD)", o.expires);
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "token.create", &err)) == GN_OK &&
            (rc = catalog_user_get(cx.cat, o.user, &u, &err)) == GN_OK &&
            (rc = auth_token_create(cx.cat, u.id, o.label, o.expires, tok, &id, &err)) == GN_OK) {
            (void)snprintf(detail, sizeof detail, "token %lld for %s", (long long)id, u.name);
            if ((rc = done(&cx, "token.create", detail, NULL, &err)) == GN_OK) {
                printf("%s\n", tok); /* shown once; only its hash is stored */
            }
        }
    } else {
        char *end;
        long long id = o.id ? strtoll(o.id, &end, 10) : 0;
        if (!o.id || *end || id <= 0) {
            return cli_usage_error("token", "token revoke DIR --id N%s", "");
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "token.revoke", &err)) == GN_OK &&
            (rc = catalog_token_revoke(cx.cat, id, &err)) == GN_OK) {
            (void)snprintf(detail, sizeof detail, "token %lld", id);
            rc = done(&cx, "token.revoke", detail, NULL, &err);
            if (rc == GN_OK) printf("token %lld revoked\n", id);
        }
    }
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- dataset, project, grant ----------------------------------------------------------- */

static int list_dataset(void *ctx, const struct catalog_dataset *d)
{
    char line[sizeof d->name + sizeof d->terms + sizeof d->access + sizeof d->description + 4];
    int n = snprintf(line, sizeof line, "%s\t%s\t%s\t%s\n", d->name, d->terms, d->access,
                     d->description);
    if (n < 0 || (size_t)n >= sizeof line) return GN_ELIMIT; /* sized for the fields */
    return listing_add(ctx, line, (size_t)n, NULL);
}

static int datasets_each(struct cli_ctx *cx, struct listing *l, struct gn_err *err)
{
    return catalog_dataset_each(cx->cat, list_dataset, l, err);
}

int cmd_dataset(int argc, char **argv)
{
    static const char *const subs[] = {"add", "list", "access", "matchmaking", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    char terms[CATALOG_TERMS_MAX + 1];
    int s = sub("dataset", argc, argv, subs), rc;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("dataset", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (s == 0) {
        if (optind + 2 != argc || !o.terms) {
            return cli_usage_error("dataset",
                                   "dataset add DIR NAME --terms DUO [--description T]%s", "");
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "dataset.add", &err)) == GN_OK &&
            (rc = canon_terms(o.terms, DUO_SIDE_USE, terms, sizeof terms, &err)) == GN_OK &&
            (rc = catalog_dataset_add(cx.cat, argv[optind + 1], terms, o.description, &err)) ==
                GN_OK &&
            (rc = done(&cx, "dataset.add", argv[optind + 1], NULL, &err)) == GN_OK) {
            printf("dataset %s added (%s)\n", argv[optind + 1], terms);
        }
    } else if (s == 2) {
        if (optind + 3 != argc) {
            return cli_usage_error("dataset",
                                   "dataset access DIR NAME public|registered|controlled%s", "");
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "dataset.access", &err)) == GN_OK &&
            (rc = catalog_dataset_set_access(cx.cat, argv[optind + 1], argv[optind + 2], &err)) ==
                GN_OK &&
            (rc = done(&cx, "dataset.access", argv[optind + 1], NULL, &err)) == GN_OK) {
            printf("dataset %s is %s\n", argv[optind + 1], argv[optind + 2]);
        }
    } else if (s == 3) { /* Matchmaker Exchange may offer the dataset's people (policy.h) */
        const char *v = optind + 3 == argc ? argv[optind + 2] : "";
        char detail[CATALOG_NAME_MAX + 8];
        if (strcmp(v, "on") && strcmp(v, "off"))
            return cli_usage_error("dataset", "dataset matchmaking DIR NAME on|off%s", "");
        (void)snprintf(detail, sizeof detail, "%s %s", argv[optind + 1], v);
        if ((rc = open_admin(&cx, argv[optind], &o, "dataset.matchmaking", &err)) == GN_OK &&
            (rc = catalog_dataset_set_matchmaking(cx.cat, argv[optind + 1], !strcmp(v, "on"),
                                                  &err)) == GN_OK &&
            (rc = done(&cx, "dataset.matchmaking", detail, NULL, &err)) == GN_OK) {
            printf("dataset %s: matchmaking %s\n", argv[optind + 1], v);
        }
    } else {
        if (optind + 1 != argc) return cli_usage_error("dataset", "dataset list DIR%s", "");
        if ((rc = cli_ctx_open(&cx, argv[optind], 0, &o.acc, &err)) == GN_OK) {
            rc = listing_run(&cx, "dataset", datasets_each, &err);
        }
    }
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_project(int argc, char **argv)
{
    static const char *const subs[] = {"add", "join", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    struct catalog_project p = {0};
    struct catalog_user u;
    int s = sub("project", argc, argv, subs), rc;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("project", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (s == 0) {
        if (optind + 2 != argc || !o.purpose || !o.approval || !o.expires) {
            return cli_usage_error("project",
                                   "project add DIR NAME --purpose DUO --approval REF "
                                   "--expires YYYY-MM-DD%s",
                                   "");
        }
        if (!valid_date(o.expires)) {
            return cli_usage_error("project", "bad --expires '%s' (YYYY-MM-DD)", o.expires);
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "project.add", &err)) == GN_OK &&
            (rc = canon_terms(o.purpose, DUO_SIDE_PURPOSE, p.purpose, sizeof p.purpose, &err)) ==
                GN_OK &&
            (rc = copy_arg(p.name, sizeof p.name, "project name", argv[optind + 1], &err)) ==
                GN_OK &&
            (rc = copy_arg(p.approval, sizeof p.approval, "approval", o.approval, &err)) == GN_OK) {
            (void)snprintf(p.expires, sizeof p.expires, "%s", o.expires); /* checked: 10 bytes */
            if ((rc = catalog_project_add(cx.cat, &p, &err)) == GN_OK &&
                (rc = done(&cx, "project.add", p.name, NULL, &err)) == GN_OK) {
                printf("project %s added (purpose %s, until %s)\n", p.name, p.purpose, p.expires);
            }
        }
    } else {
        if (optind + 3 != argc) {
            return cli_usage_error("project", "project join DIR PROJECT USER%s", "");
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "project.join", &err)) == GN_OK &&
            (rc = catalog_project_get(cx.cat, argv[optind + 1], &p, &err)) == GN_OK &&
            (rc = catalog_user_get(cx.cat, argv[optind + 2], &u, &err)) == GN_OK &&
            (rc = catalog_project_member_add(cx.cat, p.id, u.id, &err)) == GN_OK &&
            (rc = done(&cx, "project.join", u.name, NULL, &err)) == GN_OK) {
            printf("%s joined project %s\n", u.name, p.name);
        }
    }
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_grant(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    struct catalog_dataset d;
    struct catalog_user u = {0};
    struct catalog_project p = {0};
    enum catalog_granularity g = GRAN_NONE;
    char detail[400];
    int rc;

    if ((rc = parse_gov("grant", argc, argv, &o))) return rc;
    if (optind + 1 != argc || !o.dataset || !o.level || !o.user == !o.project) {
        return cli_usage_error("grant",
                               "grant DIR --dataset D (--user U | --project P) --level L%s", "");
    }
    if (strcmp(o.level, "none") != 0 && catalog_granularity_parse(o.level, &g) < 0) {
        return cli_usage_error("grant", "bad --level '%s' (boolean, count, record or none)",
                               o.level);
    }
    if ((rc = open_admin(&cx, argv[optind], &o, "grant", &err)) == GN_OK &&
        (rc = catalog_dataset_get(cx.cat, o.dataset, &d, &err)) == GN_OK &&
        (!o.user || (rc = catalog_user_get(cx.cat, o.user, &u, &err)) == GN_OK) &&
        (!o.project || (rc = catalog_project_get(cx.cat, o.project, &p, &err)) == GN_OK) &&
        (rc = catalog_grant_set(cx.cat, u.id, p.id, d.id, g, &err)) == GN_OK) {
        (void)snprintf(detail, sizeof detail, "%s %s: %s on %s", o.user ? "user" : "project",
                       o.user ? o.user : o.project, catalog_granularity_name(g), d.name);
        if ((rc = done(&cx, "grant", detail, NULL, &err)) == GN_OK) printf("granted %s\n", detail);
    }
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- consent ---------------------------------------------------------------------- */

static int print_consent(void *ctx, const struct catalog_consent *e)
{
    (void)ctx;
    printf("%s\t%s\t%s\t%s\n", e->at, e->kind, e->terms[0] ? e->terms : "-", e->actor);
    return 0;
}

int cmd_consent(int argc, char **argv)
{
    static const char *const subs[] = {"set", "withdraw", "show", "matchmaking", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    struct catalog_individual ind;
    char ps[PSEUDONYM_LEN + 1], terms[CATALOG_TERMS_MAX + 1] = "";
    static const char *const actions[] = {"consent.set", "consent.withdraw", "consent.show",
                                          "consent.matchmaking"};
    int s = sub("consent", argc, argv, subs), rc;
    const char *yesno = NULL;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("consent", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (s == 3 && optind + 2 == argc) yesno = argv[optind + 1];
    if (s == 3 && (!yesno || (strcmp(yesno, "yes") && strcmp(yesno, "no")) || !o.person)) {
        return cli_usage_error("consent", "consent matchmaking DIR --person NATIONAL_ID yes|no%s",
                               "");
    }
    if ((s != 3 && optind + 1 != argc) || !o.person) {
        return cli_usage_error("consent",
                               "consent set|withdraw|show DIR --person NATIONAL_ID "
                               "[--clinical | --research DUO]%s",
                               "");
    }
    if (s == 0 && !o.clinical == !o.consent) {
        return cli_usage_error("consent", "consent set needs --clinical or --research TERMS%s", "");
    }
    if ((rc = open_admin(&cx, argv[optind], &o, actions[s], &err)) < 0) goto out;
    if ((rc = person_pseudonym(&cx, o.person, ps, &err)) < 0) goto out;
    if ((rc = catalog_individual_get(cx.cat, ps, &ind, &err)) < 0) {
        if (rc == GN_ENOTFOUND) gn_errf(&err, rc, "no such person in the catalog");
        goto out;
    }
    if (s == 2) {
        struct catalog_consent mc;
        rc = catalog_consent_each(cx.cat, ind.id, print_consent, NULL, &err);
        if (rc == GN_OK &&
            (rc = catalog_matchmaking_choice_get(cx.cat, ind.id, &mc, &err)) == GN_OK)
            (void)print_consent(NULL, &mc);
        if (rc == GN_ENOTFOUND) rc = GN_OK;
        if (rc == GN_OK) rc = done(&cx, actions[s], "", ps, &err);
    } else if (s == 3) { /* the person's own say on Matchmaker Exchange (policy.h) */
        if ((rc = catalog_matchmaking_choice_add(cx.cat, ind.id, !strcmp(yesno, "yes"), cx.who.name,
                                                 &err)) == GN_OK &&
            (rc = done(&cx, actions[s], yesno, ps, &err)) == GN_OK) {
            printf("matchmaking for %s: %s\n", ps, yesno);
        }
    } else if (s == 0) {
        if (o.consent &&
            (rc = canon_terms(o.consent, DUO_SIDE_USE, terms, sizeof terms, &err)) < 0) {
            goto out;
        }
        if ((rc = catalog_consent_add(cx.cat, ind.id, o.clinical ? "clinical" : "research", terms,
                                      cx.who.name, &err)) == GN_OK &&
            (rc = done(&cx, actions[s], o.clinical ? "clinical" : terms, ps, &err)) == GN_OK) {
            printf("consent of %s: %s %s\n", ps, o.clinical ? "clinical use only" : "research",
                   terms);
        }
    } else {
        uint32_t ids[256];
        int n = catalog_individual_samples(cx.cat, ind.id, ids, 256, &err);
        if ((rc = n) < 0) goto out;
        /* The consent event and the samples' withdrawal: from the next query on, every
         * answer excludes this person; compaction then purges the genotypes. */
        if ((rc = catalog_consent_add(cx.cat, ind.id, "withdrawn", "", cx.who.name, &err)) < 0 ||
            (n > 0 && (rc = node_withdraw(argv[optind], cx.cat, ids, (uint32_t)n, &err)) < 0)) {
            goto out;
        }
        if ((rc = done(&cx, actions[s], "", ps, &err)) == GN_OK) {
            printf("consent withdrawn: %d sample(s) excluded from every query from now on\n", n);
        }
    }
out:
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- settings --------------------------------------------------------------------- */

int cmd_setting(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    char detail[300];
    int rc;

    if ((rc = parse_gov("setting", argc, argv, &o))) return rc;
    if (optind + 3 != argc) return cli_usage_error("setting", "setting DIR KEY VALUE%s", "");
    const char *k = argv[optind + 1], *v = argv[optind + 2];
    static const char *const keys[] = {
        "small_count_threshold", "small_count_mode",    "national_id_format",  "public_granularity",
        "discovery_purpose",     "query_budget",        "query_budget_window", "beacon_id",
        "beacon_name",           "beacon_organization", "matchmaking_consent", NULL};
    enum catalog_granularity g;
    int64_t num;
    size_t ki = 0;
    while (keys[ki] && strcmp(keys[ki], k) != 0)
        ki++;
    if (!keys[ki]) return cli_usage_error("setting", "unknown setting '%s'", k);
    if (!strcmp(k, "national_id_format") && !natid_format_find(v)) {
        return cli_usage_error("setting", "unknown national ID format '%s'", v);
    }
    if (!strcmp(k, "small_count_mode") && strcmp(v, "suppress") != 0 && strcmp(v, "round") != 0) {
        return cli_usage_error("setting", "small_count_mode is suppress or round, not '%s'", v);
    }
    if (!strcmp(k, "matchmaking_consent") && strcmp(v, "optout") != 0 && strcmp(v, "optin") != 0) {
        return cli_usage_error("setting", "matchmaking_consent is optout or optin, not '%s'", v);
    }
    if (!strcmp(k, "public_granularity") && catalog_granularity_parse(v, &g) < 0) {
        return cli_usage_error("setting",
                               "public_granularity is boolean, count or record, not '%s'", v);
    }
    if ((!strcmp(k, "small_count_threshold") || !strcmp(k, "query_budget") ||
         !strcmp(k, "query_budget_window")) &&
        (strparse_i64_all(v, strlen(v), &num) < 0 || num < 0 ||
         (!strcmp(k, "query_budget_window") && num < 1))) {
        return cli_usage_error("setting", "%s needs a non-negative integer", k);
    }
    if (!strcmp(k, "discovery_purpose") &&
        canon_terms(v, DUO_SIDE_PURPOSE, detail, sizeof detail, &err) < 0) {
        return cli_fail(&err);
    }
    if ((rc = open_admin(&cx, argv[optind], &o, "setting", &err)) == GN_OK &&
        (rc = catalog_setting_set(cx.cat, k, v, &err)) == GN_OK) {
        (void)snprintf(detail, sizeof detail, "%s = %s", k, v);
        rc = done(&cx, "setting", detail, NULL, &err);
    }
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- duo match, pseudonym ---------------------------------------------------------- */

int cmd_duo(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct duo_list use, purpose;
    struct duo_result res;
    int rc;

    if (argc < 2 || strcmp(argv[1], "match") != 0) {
        return cli_usage_error("duo", "expected 'match'%s", "");
    }
    if ((rc = parse_gov("duo", argc - 1, argv + 1, &o))) return rc;
    if (optind != argc - 1 || !o.consent || !o.purpose) {
        return cli_usage_error("duo", "duo match --consent TERMS --purpose TERMS%s", "");
    }
    if (duo_list_parse(&use, o.consent, strlen(o.consent), DUO_SIDE_USE, &err) < 0 ||
        duo_list_parse(&purpose, o.purpose, strlen(o.purpose), DUO_SIDE_PURPOSE, &err) < 0) {
        return cli_fail(&err);
    }
    duo_match(&use, &purpose, NULL, &res);
    printf("%s\n", res.reason);
    return res.verdict == DUO_ALLOWED ? 0 : 1;
}

int cmd_pseudonym(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    struct catalog_individual ind;
    char ps[PSEUDONYM_LEN + 1], pp[PSEUDONYM_LEN + 1];
    int rc, in_catalog;

    if ((rc = parse_gov("pseudonym", argc, argv, &o))) return rc;
    if (optind + 1 != argc || !o.id) {
        return cli_usage_error("pseudonym", "pseudonym DIR --id NATIONAL_ID [--project P]%s", "");
    }
    if ((rc = open_admin(&cx, argv[optind], &o, "pseudonym.reidentify", &err)) < 0) goto out;
    if ((rc = person_pseudonym(&cx, o.id, ps, &err)) < 0) goto out;
    rc = catalog_individual_get(cx.cat, ps, &ind, &err);
    if (rc < 0 && rc != GN_ENOTFOUND) goto out;
    in_catalog = rc == GN_OK; /* kept: rc is reused below, and ind is unset when not found */
    /* The act itself is on record, naming the person by pseudonym only. */
    if ((rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN,
                           "pseudonym.reidentify", "done", o.project ? o.project : "", ps, &err)) <
        0) {
        goto out;
    }
    if (o.project) {
        struct pseudonym pk;
        pseudonym_derive(&cx.key, o.project, &pk);
        /* same normalisation as the node's pseudonym, in the project's key space */
        if ((rc = node_person_pseudonym(cx.cat, &pk, o.id, pp, &err)) < 0) {
            pseudonym_wipe(&pk);
            goto out;
        }
        pseudonym_wipe(&pk);
        printf("{\"pseudonym\":\"%s\",\"project\":\"%s\",\"project_pseudonym\":\"%s\",\"in_"
               "catalog\":%s}\n",
               ps, o.project, pp, in_catalog ? "true" : "false");
    } else {
        printf("{\"pseudonym\":\"%s\",\"in_catalog\":%s}\n", ps, in_catalog ? "true" : "false");
    }
    rc = GN_OK;
out:
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- audit ------------------------------------------------------------------------ */

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            printf("\\%c", ch);
        } else if (ch < 0x20) {
            printf("\\u%04x", ch);
        } else {
            putchar(ch);
        }
    }
    putchar('"');
}

static int print_entry(void *ctx, const struct audit_entry *e)
{
    (void)ctx;
    printf("{\"seq\":%lld,\"at\":", (long long)e->seq);
    json_str(e->at);
    printf(",\"actor\":");
    json_str(e->actor);
    printf(",\"role\":");
    json_str(e->role);
    printf(",\"purpose\":");
    json_str(e->purpose);
    printf(",\"action\":");
    json_str(e->action);
    printf(",\"outcome\":");
    json_str(e->outcome);
    printf(",\"records\":%lld,\"detail\":", (long long)e->records);
    json_str(e->detail);
    printf("}\n");
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    static const char *const subs[] = {"verify", "show", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    struct audit_filter f = {0};
    char ps[PSEUDONYM_LEN + 1], detail[300];
    int64_t n = 0;
    int s = sub("audit", argc, argv, subs), rc;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("audit", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (optind + 1 != argc) return cli_usage_error("audit", "expected DIR%s", "");
    if ((rc = cli_ctx_open(&cx, argv[optind], 0, &o.acc, &err)) < 0) goto out;
    if (strcmp(cx.who.caller.role, "auditor") != 0 && strcmp(cx.who.caller.role, "steward") != 0) {
        struct policy_request rq = {0};
        struct policy_decision d;
        rq.action = s ? "audit.show" : "audit.verify";
        rq.need = GRAN_RECORD;
        /* policy denies citizens and others and records the attempt */
        rc = policy_decide(cx.cat, &cx.key, &cx.who.caller, &rq, &d, &err);
        if (rc == GN_OK) {
            policy_decision_free(&d);
            rc = gn_errf(&err, GN_EDENIED, "reading the audit log needs the auditor role");
        }
        goto out;
    }
    if (s == 0) {
        if ((rc = audit_verify(cx.cat, &cx.key, &n, &err)) < 0) goto out;
        (void)snprintf(detail, sizeof detail, "%lld entries verified", (long long)n);
        if ((rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, "audit", "audit.verify", "done",
                               detail, NULL, &err)) == GN_OK) {
            printf("audit log intact: %lld entries\n", (long long)n);
        }
    } else {
        if (o.person) {
            if ((rc = person_pseudonym(&cx, o.person, ps, &err)) < 0) goto out;
            f.person = ps;
        }
        f.actor = o.user;
        f.purpose = o.project;
        (void)snprintf(detail, sizeof detail, "filter%s%s%s%s%s", o.person ? " person" : "",
                       o.user ? " user " : "", o.user ? o.user : "", o.project ? " project " : "",
                       o.project ? o.project : "");
        if ((rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, "audit", "audit.show", "done",
                               detail, o.person ? ps : NULL, &err)) == GN_OK) {
            rc = audit_each(cx.cat, &f, print_entry, NULL, &err);
        }
    }
out:
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- trust (GA4GH Passport issuers) ------------------------------------------------- */

int cmd_trust(int argc, char **argv)
{
    static const char *const subs[] = {"add", "prefix", "audience", NULL};
    struct gn_err err = GN_ERR_INIT;
    struct gov_opt o;
    struct cli_ctx cx;
    struct passport_trust *t = NULL;
    uint8_t *jwks = NULL;
    size_t n = 0;
    char key[600], list[8192] = "", roles[16];
    unsigned r = PASSPORT_ROLE_BROKER | PASSPORT_ROLE_VISA;
    int s = sub("trust", argc, argv, subs), rc;

    if (s < 0) return EXIT_USAGE;
    if ((rc = parse_gov("trust", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (s == 1) {
        if (optind + 2 != argc) return cli_usage_error("trust", "trust prefix DIR URL%s", "");
        if ((rc = open_admin(&cx, argv[optind], &o, "trust.prefix", &err)) == GN_OK &&
            (rc = catalog_setting_set(cx.cat, "passport.dataset_prefix", argv[optind + 1], &err)) ==
                GN_OK) {
            rc = done(&cx, "trust.prefix", argv[optind + 1], NULL, &err);
        }
        goto out;
    }
    if (s == 2) { /* this node's identifier in a token's "aud" claim (passport.h) */
        const char *aud = optind + 2 == argc ? argv[optind + 1] : "";
        if (!*aud || strlen(aud) > 512 || strchr(aud, '\n')) {
            return cli_usage_error("trust", "trust audience DIR ID (1 to 512 bytes, one line)%s",
                                   "");
        }
        if ((rc = open_admin(&cx, argv[optind], &o, "trust.audience", &err)) == GN_OK &&
            (rc = catalog_setting_set(cx.cat, "passport.audience", aud, &err)) == GN_OK &&
            (rc = done(&cx, "trust.audience", aud, NULL, &err)) == GN_OK) {
            printf("passport audience: %s\n", aud);
        }
        goto out;
    }
    if (optind + 3 != argc) {
        return cli_usage_error("trust",
                               "trust add DIR ISSUER JWKS_FILE [--role broker|visa|both]%s", "");
    }
    if (o.role && !strcmp(o.role, "broker")) {
        r = PASSPORT_ROLE_BROKER;
    } else if (o.role && !strcmp(o.role, "visa")) {
        r = PASSPORT_ROLE_VISA;
    } else if (o.role && strcmp(o.role, "both") != 0) {
        return cli_usage_error("trust", "bad --role '%s' (broker, visa or both)", o.role);
    }
    const char *iss = argv[optind + 1];
    if (strlen(iss) > 512 || strchr(iss, '\n')) {
        return cli_usage_error("trust", "bad issuer '%s'", iss);
    }
    if ((rc = open_admin(&cx, argv[optind], &o, "trust.add", &err)) < 0) goto out;
    /* Checked as the verifier will load it: no private keys, usable signing keys only. */
    if ((rc = fsutil_read_all(argv[optind + 2], PASSPORT_MAX_JWKS_BYTES, &jwks, &n, &err)) < 0 ||
        (rc = passport_trust_new(&t, &err)) < 0 ||
        (rc = passport_trust_add_jwks(t, iss, r, (const char *)jwks, n, &err)) < 0) {
        goto out;
    }
    rc = catalog_setting_get(cx.cat, "passport.issuers", list, sizeof list, NULL);
    if (rc < 0 && rc != GN_ENOTFOUND) goto out;
    if (strlen(list) + strlen(iss) + 2 >= sizeof list) {
        rc = gn_errf(&err, GN_ELIMIT, "too many trusted issuers");
        goto out;
    }
    {
        /* add the issuer once, then its keys and roles */
        int seen = 0;
        char copy[8192];
        (void)snprintf(copy, sizeof copy, "%s", list); /* same size */
        for (char *sp = NULL, *p = strtok_r(copy, "\n", &sp); p; p = strtok_r(NULL, "\n", &sp)) {
            seen |= !strcmp(p, iss);
        }
        if (!seen) {
            size_t l = strlen(list);
            (void)snprintf(list + l, sizeof list - l, "%s%s", l ? "\n" : "", iss); /* fits */
        }
    }
    {
        char *text = gn_strndup((const char *)jwks, n);
        if (!text) {
            rc = gn_errf(&err, GN_ENOMEM, "out of memory");
            goto out;
        }
        (void)snprintf(key, sizeof key, "passport.jwks:%s", iss); /* iss <= 512 bytes */
        (void)snprintf(roles, sizeof roles, "%u", r);
        if ((rc = catalog_begin(cx.cat, &err)) == GN_OK &&
            (rc = catalog_setting_set(cx.cat, key, text, &err)) == GN_OK &&
            (snprintf(key, sizeof key, "passport.roles:%s", iss),
             (rc = catalog_setting_set(cx.cat, key, roles, &err)) == GN_OK) &&
            (rc = catalog_setting_set(cx.cat, "passport.issuers", list, &err)) == GN_OK &&
            (rc = done(&cx, "trust.add", iss, NULL, &err)) == GN_OK) {
            rc = catalog_commit(cx.cat, &err);
        }
        catalog_rollback(cx.cat);
        gn_free(text);
    }
    if (rc == GN_OK) printf("trusted %s\n", iss);
out:
    passport_trust_free(t);
    gn_free(jwks);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}
