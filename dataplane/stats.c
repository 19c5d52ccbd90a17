/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

#include <errno.h>

#include <rte_malloc.h>

struct stats_lcore *stats_lc[VIPD_MAX_WORKERS + 1];
unsigned stats_n_lc;

const char *const vipd_drop_names[VIPD_DROP_MAX] = {
#define X(e, name, text) [VIPD_DROP_##e] = name,
	VIPD_DROP_REASONS(X)
#undef X
};

const char *const vipd_drop_texts[VIPD_DROP_MAX] = {
#define X(e, name, text) [VIPD_DROP_##e] = text,
	VIPD_DROP_REASONS(X)
#undef X
};

int stats_init(unsigned n_workers)
{
	for (unsigned i = 0; i <= n_workers; i++) {
		stats_lc[i] = rte_zmalloc("vipd_stats", sizeof(struct stats_lcore), 64);
		if (stats_lc[i] == NULL)
			return -ENOMEM;
	}
	stats_n_lc = n_workers + 1;
	return 0;
}
