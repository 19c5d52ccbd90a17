/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sess_mem: what a worker's session table of CAP sessions costs, from the
 * dataplane's own sess_mem_size() (built against dataplane/sess.c, so it
 * follows the table's layout as it changes).
 *
 *   cc -O2 -I. -o sess_mem bench/sess_mem.c dataplane/sess.c   (from the tree)
 *   sess_mem CAP [LIVE]
 *
 * Prints one line of key=value: capacity, the table's bytes, its parts (the
 * pool of sessions, the bucket index, the header with the timer wheel), the
 * bytes per session slot and, with LIVE, per live session.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dataplane/sess.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CAP [LIVE]\n", argv[0]);
		return 2;
	}
	unsigned long cap = strtoul(argv[1], NULL, 10);
	unsigned long live = argc > 2 ? strtoul(argv[2], NULL, 10) : cap;
	if (cap == 0 || cap > 0xffffffffUL || live == 0) {
		fprintf(stderr, "sess_mem: bad CAP or LIVE\n");
		return 2;
	}
	size_t total = sess_mem_size((uint32_t)cap);
	struct sess_mem_parts pt = sess_mem_parts((uint32_t)cap);
	size_t nb = pt.buckets, head = pt.header, index = pt.index, pool = pt.sessions;
	printf("capacity=%lu bytes=%zu mib=%.1f sizeof_sess=%zu sizeof_bucket=%zu "
	       "buckets=%zu pool_bytes=%zu index_bytes=%zu header_bytes=%zu "
	       "per_slot=%.1f live=%lu per_live=%.1f\n",
	       cap, total, total / 1048576.0, sizeof(struct sess), sizeof(struct sess_bucket),
	       nb, pool, index, head, (double)total / cap, live,
	       (double)total / live);
	return 0;
}
