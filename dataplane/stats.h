/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats: per-lcore counters, summed by readers.
 *
 * Threading: each worker writes only its own struct stats_lcore with plain
 * stores (no atomics on the packet path); telemetry reads all of them. Reads
 * of aligned 64-bit words are not torn on the 64-bit targets DPDK supports,
 * so a reader sees each counter at some recent value.
 */
#ifndef VIPD_STATS_H
#define VIPD_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/drop.h"
#include "dataplane/rs.h"

#define VIPD_MAX_PORTS 16

struct stats_ctr {
	uint64_t pkts, bytes;
	uint64_t conns;    /* sessions created */
	uint64_t drops;
	int64_t active;    /* live sessions this lcore holds (TCP established) */
	int64_t inactive;  /* live sessions in other states */
	uint64_t out_pkts, out_bytes; /* replies through the director (NAT) */
};

struct stats_port {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t to_kernel, from_kernel, arp_replies;
	uint64_t redirected; /* handed to the worker owning the client */
	uint64_t drops[VIPD_DROP_MAX];
};

struct stats_lcore {
	struct stats_port port[VIPD_MAX_PORTS];
	uint64_t loops, busy_loops, sleeps;
	/* TSC cycles of the loops that found work, and the packets they
	 * handled: the worker's cost of a packet, PMDs included (VPP's
	 * "clocks per packet"). */
	uint64_t busy_cycles, busy_pkts;
	uint64_t sessions; /* live, this lcore */
	uint64_t templates;
	struct stats_ctr svc[SVC_MAX];
	struct stats_ctr rs[RS_MAX];
} __attribute__((aligned(64)));

#define VIPD_MAX_WORKERS 64

/* [0..workers-1] = workers, [workers] = the control core. */
extern struct stats_lcore *stats_lc[VIPD_MAX_WORKERS + 1];
extern unsigned stats_n_lc;

int stats_init(unsigned n_workers);

/* A service's (rs = false) or real server's counters summed over lcores. */
static inline struct stats_ctr stats_sum_ctr(bool rs, uint32_t idx)
{
	struct stats_ctr t = { 0 };
	for (unsigned i = 0; i < stats_n_lc; i++) {
		const struct stats_ctr *c = rs ? &stats_lc[i]->rs[idx] : &stats_lc[i]->svc[idx];
		t.pkts += c->pkts;
		t.bytes += c->bytes;
		t.out_pkts += c->out_pkts;
		t.out_bytes += c->out_bytes;
		t.conns += c->conns;
		t.drops += c->drops;
		t.active += c->active;
		t.inactive += c->inactive;
	}
	return t;
}

/* A service's counters, its traffic from tr (rs_svc_traffic()'s result). */
static inline struct stats_ctr stats_svc_ctr(const struct stats_ctr *tr, uint16_t slot)
{
	struct stats_ctr t = stats_sum_ctr(false, slot);
	t.pkts += tr[slot].pkts;
	t.bytes += tr[slot].bytes;
	t.out_pkts += tr[slot].out_pkts;
	t.out_bytes += tr[slot].out_bytes;
	return t;
}

static inline uint64_t stats_sum_drop(uint16_t port, unsigned reason)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < stats_n_lc; i++)
		v += stats_lc[i]->port[port].drops[reason];
	return v;
}

#endif
