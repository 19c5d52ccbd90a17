/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the unit tests that need a real snapshot (test_fast.c,
 * test_worker_sched.c): a config loaded from text through conf_load(), as
 * vipd loads its file, and snap_build() over per-service real server lists.
 */
#ifndef VIPD_SNAP_TEST_UTIL_H
#define VIPD_SNAP_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dataplane/snap.h"

/* 0, or -1 after printing the loader's errors. */
static inline int test_conf_from_text(const char *text, struct vipd_conf **out)
{
	char path[] = "/tmp/vipd_test_conf_XXXXXX";
	struct conf_errors e = { 0 };
	size_t len = strlen(text);
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	int rc = conf_load(path, out, &e);
	unlink(path);
	if (rc != 0) {
		conf_errors_print(&e, stderr);
		return -1;
	}
	return 0;
}

/*
 * A snapshot of conf's services, service i in slot i with real servers
 * lists[i] (n_rs[i] of them), on DPDK port 0, numbered version. NULL on
 * failure.
 */
static inline struct snap *test_snap(const struct vipd_conf *conf,
				     const struct snap_rs *const *lists, const uint16_t *n_rs,
				     uint32_t version, bool (*owned)(uint32_t, void *))
{
	static const uint16_t slot[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint16_t pids[1] = { 0 };
	if (conf->n_vs > 16)
		return NULL;
	struct snap_src src = { .conf = conf, .port_ids = pids, .svc_slot = slot,
				.rs = lists, .n_rs = n_rs, .vip_owned = owned };
	struct snap *s = snap_build(&src);
	if (s)
		s->version = version;
	return s;
}

#endif
