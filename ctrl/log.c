/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

int vlog_level = VLOG_L_INFO;

void vlog(int level, const char *fmt, ...)
{
	static const char *const names[] = { [VLOG_L_ERR] = "error", [VLOG_L_WARN] = "warning",
					     [VLOG_L_NOTICE] = "notice", [VLOG_L_INFO] = "info",
					     [VLOG_L_DEBUG] = "debug" };
	if (level > vlog_level)
		return;
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s.%03ld vipd %s: ", when, ts.tv_nsec / 1000000, names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
