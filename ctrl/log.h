/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log: the daemon's log lines on stderr (journald adds the rest).
 *
 * Threading: control core and start-up only. Workers never log: a worker
 * reports through counters, which cost no syscall.
 */
#ifndef VIPD_LOG_H
#define VIPD_LOG_H

enum vlog_level { VLOG_L_ERR = 3, VLOG_L_WARN = 4, VLOG_L_NOTICE = 5, VLOG_L_INFO = 6, VLOG_L_DEBUG = 7 };

extern int vlog_level;

void vlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define VLOG_ERR(...) vlog(VLOG_L_ERR, __VA_ARGS__)
#define VLOG_WARN(...) vlog(VLOG_L_WARN, __VA_ARGS__)
#define VLOG_NOTICE(...) vlog(VLOG_L_NOTICE, __VA_ARGS__)
#define VLOG_INFO(...) vlog(VLOG_L_INFO, __VA_ARGS__)
#define VLOG_DEBUG(...) vlog(VLOG_L_DEBUG, __VA_ARGS__)

#endif
