/*
 * log.c — levelled messages on stderr. See log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level cur_level = LOG_LEVEL_WARN;

void log_set_level(enum log_level lvl)
{
    cur_level = lvl;
}
enum log_level log_get_level(void)
{
    return cur_level;
}

void log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
{
    static const char *const tag[] = {"error", "warning", "info", "debug"};
    char line[1024];
    va_list ap;

    if (lvl > cur_level) return;
    va_start(ap, fmt);
    (void)vsnprintf(line, sizeof line, fmt, ap); /* long messages are cut */
    va_end(ap);
    if (cur_level >= LOG_LEVEL_DEBUG) {
        (void)fprintf(stderr, "genomenode: %s: %s: %s\n", tag[lvl], func, line);
    } else {
        (void)fprintf(stderr, "genomenode: %s: %s\n", tag[lvl], line); /* nowhere to report */
    }
}
