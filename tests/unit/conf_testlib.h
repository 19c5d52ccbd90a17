/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_testlib: what the configuration tests share (test_conf.c,
 * test_conf_bad.c): fixture paths (tests/unit/conf/, through
 * VIPD_TEST_DATA), loading a good file, and BAD(), which loads a bad one and
 * checks that it gives exactly the listed errors, each with its file, line
 * and key. Header-only: each test program is one translation unit.
 */
#ifndef VIPD_CONF_TESTLIB_H
#define VIPD_CONF_TESTLIB_H

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dataplane/sched.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static inline const char *data_path(const char *rel)
{
	static char buf[4][1024];
	static unsigned next;
	const char *dir = getenv("VIPD_TEST_DATA");
	char *p = buf[next++ % N(buf)];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir ? dir : "tests/unit", rel);
	return p;
}

static inline const char *fixture(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "conf/%s", name);
	return data_path(rel);
}

static inline uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static inline struct vipd_conf *load_good(const char *path)
{
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	int rc = conf_load(path, &c, &e);

	if (rc != 0 || e.n)
		conf_errors_print(&e, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	return c;
}

struct want {
	unsigned line;
	const char *text; /* a substring of the message, key included */
};

static inline bool has_error(const struct conf_errors *e, const char *path,
		      const struct want *w)
{
	char prefix[1200];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, w->line);
	for (unsigned i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(e->msg[i], w->text))
			return true;
	return false;
}

/* Load a bad fixture: exactly n errors, each of want[] among them. */
static inline void check_bad(const char *name, const struct want *want, unsigned n)
{
	const char *path = fixture(name);
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	int rc = conf_load(path, &c, &e);
	bool ok = rc == -EINVAL && e.n == n;

	for (unsigned i = 0; i < n; i++) {
		if (!has_error(&e, path, &want[i])) {
			fprintf(stderr, "missing: %s:%u: ...%s...\n", name,
				want[i].line, want[i].text);
			ok = false;
		}
	}
	if (!ok) {
		fprintf(stderr, "%s: rc %d, %u errors, want %u:\n", name, rc, e.n, n);
		conf_errors_print(&e, stderr);
	}
	assert_int_equal(rc, -EINVAL);
	assert_null(c);
	assert_int_equal(e.n, n);
	assert_true(ok);
	conf_errors_clear(&e);
}

#define BAD(name, ...) do { \
	static const struct want w_[] = { __VA_ARGS__ }; \
	check_bad(name, w_, N(w_)); \
} while (0)

#endif
