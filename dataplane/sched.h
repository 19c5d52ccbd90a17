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
	uint32_t activeconns; /* as the caller counts them (all workers) */
	uint32_t inactconns;
	bool avail;           /* false: down, removed from scheduling */
	bool overloaded;      /* connection threshold reached (sched_overloaded) */
	uint64_t key;         /* identity (address, port) for table builds */
};

#define SCHED_F_PORT 0x1     /* sh-port, mh-port: hash the source port too */
#define SCHED_F_FALLBACK 0x2 /* sh-fallback, mh-fallback: skip unusable dests */

/*
 * Immutable per-service data of the table schedulers (dh, sh, mh), built by
 * the control core with each snapshot and freed with it.
 */
struct sched_svc {
	uint32_t flags;
	uint32_t tab_size; /* buckets; 0 = no table */
	uint16_t *tab;     /* bucket -> dest index, 0xffff = none */
};

/*
 * Per worker locality cache of lblc/lblcr: destination address -> dests.
 * Owned by one worker; entries of a service are dropped when its dest set
 * generation changes.
 */
#define SCHED_LC_SIZE 4096 /* power of two */
#define SCHED_LC_SET 4
struct sched_lc_entry {
	uint32_t daddr;
	uint16_t svc;
	uint8_t n;        /* dests in the set (lblc uses one) */
	uint8_t pad;
	uint32_t gen;
	uint16_t idx[SCHED_LC_SET];
};
struct sched_lcache {
	struct sched_lc_entry e[SCHED_LC_SIZE];
};

/* What a scheduler may look at besides the dests. Addresses in network order. */
struct sched_pkt {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	const struct sched_svc *sv; /* table schedulers: the service's table */
	struct sched_lcache *lc;    /* lblc/lblcr: the worker's cache */
	uint16_t svc;               /* service slot, for the cache */
	uint32_t gen;               /* dest set generation, for the cache */
	uint32_t rnd;               /* twos: a random number */
};

/* Per worker, per service mutable state; start it with sched_state_reset(). */
struct sched_state {
	int32_t last;   /* rr/wrr cursor, -1 = none yet */
	int32_t cw;     /* wrr current weight */
	uint32_t gen;   /* dest set generation this state was built for */
};

/*
 * Connection thresholds (IPVS uthreshold/lthreshold, ipvsadm -x/-y): the
 * overload flag with its hysteresis, as ip_vs_bind_dest/ip_vs_unbind_dest
 * (net/netfilter/ipvs/ip_vs_conn.c) keep IP_VS_DEST_F_OVERLOAD, where
 * conns = ip_vs_dest_totalconns() = activeconns + inactconns:
 *   set   (bind):   u != 0 && conns >= u
 *   clear (unbind): l != 0 ? conns < l
 *                 : u != 0 ? conns * 4 < u * 3   (l defaults to 3/4 u,
 *                                                  rounded up)
 *                 : always                        (no limit)
 * Without the lower bound a dest at its limit would flap in and out on every
 * closed connection; with it, it takes no new flow until it has drained to l.
 * Returns the new flag given the old one (was) and the current count;
 * u == 0 (no limit) is never overloaded.
 */
bool sched_overloaded(bool was, uint64_t conns, uint32_t u_threshold, uint32_t l_threshold);

/*
 * Each worker's memory of the flag, one bit per real server slot index
 * (rs_handle_idx; RS_MAX of them, checked where it is embedded): 8 KiB.
 * Zeroed memory = nothing overloaded. IPVS keeps one flag per dest; here
 * every worker keeps its own, but all of them evaluate the same counts (the
 * sum over workers) so they agree up to the staleness of those counts. A
 * slot reused for a new server starts with 0 connections, below any lower
 * bound, so a stale bit clears at its first evaluation.
 */
#define SCHED_OVL_MAX 65536u /* power of two, >= RS_MAX */
struct sched_ovl {
	uint64_t bits[SCHED_OVL_MAX / 64];
};

/*
 * Evaluate the flag of slot idx for a new flow and remember it. Inline so a
 * dest without a limit (the common case) costs a bit test, not a call; the
 * stale bit is cleared then, as IPVS clears the flag when u is set to 0.
 * Unlike IPVS, raising u on a reload does not clear a set flag at once (the
 * worker does not see the old u): it clears when the count drops below l.
 */
static inline bool sched_ovl_update(struct sched_ovl *m, uint32_t idx, uint64_t conns,
				    uint32_t u_threshold, uint32_t l_threshold)
{
	uint64_t *w = &m->bits[(idx & (SCHED_OVL_MAX - 1)) / 64];
	uint64_t bit = 1ULL << (idx % 64);
	bool now = u_threshold && sched_overloaded(*w & bit, conns, u_threshold, l_threshold);
	if (now != !!(*w & bit))
		*w ^= bit;
	return now;
}

static inline void sched_ovl_clear(struct sched_ovl *m, uint32_t idx)
{
	m->bits[(idx & (SCHED_OVL_MAX - 1)) / 64] &= ~(1ULL << (idx % 64));
}

struct sched_ops {
	const char *name;
	/* Returns the chosen dest index, or -1 if none is available. */
	int (*schedule)(struct sched_state *st, const struct sched_dest *d,
			unsigned n, const struct sched_pkt *pkt);
	/* Table schedulers: build sv from the dests (weights, keys); -errno. */
	int (*build)(const struct sched_dest *d, unsigned n, struct sched_svc *sv);
	/* Reads activeconns/inactconns: only then does a new flow pay for
	 * summing every worker's counts (thresholds aside). */
	bool conns;
};

/* The scheduler named name (IPVS names: "rr", "wrr", ...), or NULL. */
const struct sched_ops *sched_find(const char *name);
/* "sh-port,mh-fallback,..." -> SCHED_F_* flags; -EINVAL on an unknown flag. */
int sched_parse_flags(const char *s, uint32_t *flags);
/* Build sv for ops (a no-op for schedulers without a table); -errno. */
int sched_svc_build(const struct sched_ops *ops, const struct sched_dest *d, unsigned n,
		    uint32_t flags, struct sched_svc *sv);
void sched_svc_free(struct sched_svc *sv);
/* Is d usable for a new flow (available, weight > 0, not overloaded)? */
static inline bool sched_usable(const struct sched_dest *d)
{
	return d->avail && d->weight > 0 && !d->overloaded;
}

/* Table schedulers (sched_hash.c) and locality schedulers (sched_lblc.c). */
extern const struct sched_ops sched_dh_ops, sched_sh_ops, sched_mh_ops;
extern const struct sched_ops sched_lblc_ops, sched_lblcr_ops;
#define SCHED_MH_SIZE 65537u /* prime, > 100 x dests keeps imbalance under 1% */
/* Comma separated names of the implemented schedulers, for messages. */
const char *sched_names(void);
void sched_state_reset(struct sched_state *st);

#endif
