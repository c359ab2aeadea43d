/*
 * log.h — the only way modules speak to the operator.
 *
 * Messages go to stderr with a level tag and the calling function. The level is one of
 * the two pieces of global mutable state allowed (set once at startup by main).
 * Thread safety: each message is written with one fprintf call, so lines do not interleave.
 */
#ifndef GN_LOG_H
#define GN_LOG_H

#include "err.h"

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *func, const char *fmt, ...) GN_PRINTF(3, 4);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __func__, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __func__, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __func__, __VA_ARGS__)

#endif
