/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker: the poll loop of a worker lcore and its packet path.
 *
 * Owns: per-worker state (session table, scheduler state, tx buffers, the
 * exception ring to the control core), the adaptive idle back-off.
 *
 * Threading: struct worker is written only by its own lcore once launched.
 * It reads the published snapshot (RCU/QSBR: it reports a quiescent state
 * once per loop), the rs slots (atomics written by the control core) and
 * writes only its own stats_lcore. No locks, no allocation, no syscalls on
 * the packet path; the only syscall in the loop is the idle sleep.
 */
#ifndef VIPD_WORKER_H
#define VIPD_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/fast.h"
#include "dataplane/port.h"
#include "dataplane/sched.h"
#include "dataplane/sess.h"
#include "dataplane/snap.h"
#include "dataplane/stats.h"

/*
 * Packets per rx burst: 128 quarters the per-burst work of 32 (the loop's
 * clock, snapshot and expiry steps, the PMD calls, pass 2's set-up) and
 * gives pass 1's bucket prefetches longer to land. Against 64: 5
 * instructions a packet fewer (bench/instr_count.sh --loop, NAT 404 -> 398,
 * TUN 413 -> 409), B/A 1.013 at 100k flows (bench/ab_bench.sh, 8 rounds).
 * A burst's packet state (pkt_info, 64 bytes each) is 8 KB, within L1. Both
 * can be set at build time for experiments (-DWORKER_BURST=N).
 */
#ifndef WORKER_BURST
#define WORKER_BURST 128
#endif
#ifndef WORKER_TXQ
#define WORKER_TXQ (2 * WORKER_BURST) /* packets a worker gathers per port before a tx burst */
#endif

#define WORKER_DCACHE_MAX 64 /* dests of the service a dest cache holds at most */

/*
 * The dests of the last service scheduled without connection counts, as
 * worker_schedule() built them: valid while the snapshot version and
 * rs_avail_gen stay what they were.
 */
struct worker_dcache {
	bool valid;
	uint16_t slot;
	uint32_t version;
	uint32_t avail_gen;
	struct sched_dest d[WORKER_DCACHE_MAX];
};

/*
 * A port's packets to send, and their bytes counted as they are queued (a
 * second walk over the mbufs at the burst cost a few instructions a packet).
 */
struct worker_txq {
	uint16_t n;
	uint64_t bytes;
	struct rte_mbuf *m[WORKER_TXQ];
} __attribute__((aligned(64)));

struct worker {
	unsigned id;
	unsigned lcore;
	uint16_t n_rxq;
	struct {
		uint16_t port; /* index in port_tab */
		uint16_t queue;
	} rxq[VIPD_MAX_PORTS];
	struct fast_cache fc;
	struct rte_ring *excp; /* to the control core */
	struct rte_ring *redir; /* from other workers: clients this one owns */
	struct sess_table *sess;
	struct stats_lcore *st;
	const struct snap *snap;
	uint32_t snap_version; /* the last snapshot worker_snap_changed() saw */
	/* Its counters of a real server from the real server's slot, one add
	 * (worker_rs_ctr()): both arrays have a 64-byte element per index. */
	uintptr_t rs_to_ctr;
	uint32_t now;
	uint32_t exp_tcp, exp_udp; /* now + the snapshot's tcp and udp timeouts */
	uint32_t idle_max_us;
	uint32_t flush_gen;    /* the last flush this worker finished */
	uint32_t flush_cursor; /* pool index a running flush has reached, 0 = none */
	struct sched_lcache *lcache; /* lblc/lblcr memory */
	uint32_t rnd;                /* xorshift state for twos */
	struct sched_state sched[SVC_MAX];
	struct sched_ovl ovl; /* threshold overload flags by rs slot index */
	struct worker_dcache dcache;
	/* What the worker will send on each port, handed to its PMD in one burst. */
	struct worker_txq txq[VIPD_MAX_PORTS];
} __attribute__((aligned(64)));

_Static_assert(RS_MAX <= SCHED_OVL_MAX, "sched_ovl has a bit per rs slot");

/* The published snapshot: written by the control core, read by workers. */
extern struct snap *dp_snap;
extern struct rte_rcu_qsbr *dp_qs;
extern volatile bool dp_quit;
/* Bumped by the control core: every worker empties its session table. */
extern uint32_t dp_flush_gen;
extern struct worker *dp_workers[VIPD_MAX_WORKERS];
extern unsigned dp_n_workers;

/* Allocate worker w's state (sessions, rings, tx buffers); control core. */
int worker_init(unsigned w, uint32_t sessions, uint32_t idle_max_us);
/* rte_eal_remote_launch entry point; arg is the struct worker. */
int worker_main(void *arg);
/* Process one received burst (also used by the benchmark harness). */
void worker_rx_burst(struct worker *w, uint16_t pidx, struct rte_mbuf **pkts, uint16_t n);

#endif
