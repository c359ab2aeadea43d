/*
 * main.c — runs every unit test in its own process, with CPU and wall-clock limits, and ends with
 * the line "N passed, M failed". Usage: unit-tests [substring-filter].
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

static char tmpdir[256];

const char *test_tmpdir(void)
{
    return tmpdir;
}

static const struct test_case *const suites[] = {
    test_strparse_cases, test_buf_cases,        test_segment_cases, test_gtstore_cases,
    test_misc_cases,     test_duo_cases,        test_natid_cases,   test_samplesheet_cases,
    test_passport_cases, test_beacon_req_cases, test_pgx_cases,     test_hpo_cases,
    test_beacon_cases,   test_phenopacket_cases};

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        for (const struct test_case *t = suites[s]; t->name; t++) {
            if (argc > 1 && !strstr(t->name, argv[1])) continue;
            snprintf(tmpdir, sizeof tmpdir, "/tmp/gn-unit-XXXXXX");
            if (!mkdtemp(tmpdir)) return 2;
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                /* 60 s of CPU: what a test may use however busy the machine is; the wall
                 * clock limit (10 min) only catches a test that hangs without computing */
                struct rlimit cpu = {60, 70};
                (void)setrlimit(RLIMIT_CPU, &cpu);
                alarm(600);
                t->fn();
                _exit(0);
            }
            int st = 0;
            waitpid(pid, &st, 0);
            int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            printf("%s %s", ok ? "ok  " : "FAIL", t->name);
            if (WIFSIGNALED(st))
                printf(" (signal %d%s)", WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM   ? ", timeout"
                       : WTERMSIG(st) == SIGXCPU ? ", over 60 s of CPU"
                                                 : "");
            printf("\n");
            ok ? passed++ : failed++;
            char cmd[300];
            snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
            if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", tmpdir);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
