/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched: IPVS scheduling policies, as pure functions over a view of a
 * service's real servers.
 *
 * Owns: the registry of scheduler names and their ops. No DPDK dependency, so
 * the config loader validates names with it and unit tests run it alone.
 *
 * Threading: ops are called on worker lcores. struct sched_state is owned by
 * exactly one worker (one per service per worker); the dest array is read-only
 * for the duration of one call. Nothing here allocates or locks.
 */
#ifndef VIPD_SCHED_H
#define VIPD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct sched_dest {
	uint32_t weight;      /* 0 = quiesced: no new flows */
	uint32_t activeconns; /* as the caller counts them */
	uint32_t inactconns;
	bool avail;           /* false: down, removed from scheduling */
};

/* What a hashing scheduler may look at. Addresses in network order. */
struct sched_pkt {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* Per worker, per service mutable state; start it with sched_state_reset(). */
struct sched_state {
	int32_t last;   /* rr/wrr cursor, -1 = none yet */
	int32_t cw;     /* wrr current weight */
	uint32_t gen;   /* dest set generation this state was built for */
};

struct sched_ops {
	const char *name;
	/* Returns the chosen dest index, or -1 if none is available. */
	int (*schedule)(struct sched_state *st, const struct sched_dest *d,
			unsigned n, const struct sched_pkt *pkt);
};

/* The scheduler named name (IPVS names: "rr", "wrr", ...), or NULL. */
const struct sched_ops *sched_find(const char *name);
/* Comma separated names of the implemented schedulers, for messages. */
const char *sched_names(void);
void sched_state_reset(struct sched_state *st);

#endif
