/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_pvt: what the worker's files share (worker.c: the packet path;
 * worker_loop.c: the poll loop around it; worker_aux.c: the less travelled
 * parts). Worker lcores only.
 */
#ifndef VIPD_WORKER_PVT_H
#define VIPD_WORKER_PVT_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/clock.h"
#include "dataplane/drop.h"
#include "dataplane/port.h"
#include "dataplane/tcpstate.h"
#include "dataplane/worker.h"

static inline void drop(struct worker *w, uint16_t pidx, struct rte_mbuf *m, enum vipd_drop why)
{
	w->st->port[pidx].drops[why]++;
	rte_pktmbuf_free(m);
}

/* Send what txq[pidx] holds; what the PMD refuses is counted and freed. */
void worker_tx_port(struct worker *w, uint16_t pidx);
/* Packets another worker received for clients this one owns (its redirect
 * ring), a run of one port's: worker_rx_burst() without the port's rx counts. */
void worker_redirected_burst(struct worker *w, uint16_t pidx, struct rte_mbuf **pkts, uint16_t n);

_Static_assert(sizeof(struct stats_ctr) == sizeof(struct rs_slot),
	       "worker_rs_ctr() steps both arrays by the same size");

/* w's counters for the real server in slot r: &w->st->rs[r - rs_slots]. */
static inline struct stats_ctr *worker_rs_ctr(const struct worker *w, const struct rs_slot *r)
{
	return (struct stats_ctr *)((uintptr_t)r + w->rs_to_ctr);
}

/*
 * Queue m (len: its pkt_len) on q, one of w->txq; sent by worker_tx_flush()
 * or when the queue fills. The length from a caller that has it: a byte
 * store into the frame since its load (the MACs) would make the compiler
 * load it again.
 */
static inline void txq_put(struct worker *w, struct worker_txq *q, struct rte_mbuf *m,
			   uint32_t len)
{
	/* Opaque to the optimiser: the queue's address once, in a register,
	 * and the slot from it (GCC otherwise recomputed it from w by a
	 * second multiply, three instructions a packet). */
	__asm__("" : "+r"(q));
	uint16_t n = q->n;
	q->m[n++] = m;
	q->n = n;
	q->bytes += len;
	if (unlikely(n == WORKER_TXQ))
		worker_tx_port(w, (uint16_t)(q - w->txq));
}

/* Queue m for port pidx. */
static inline void tx(struct worker *w, uint16_t pidx, struct rte_mbuf *m)
{
	txq_put(w, &w->txq[pidx], m, m->pkt_len);
}

/* Queue m (len: its pkt_len) for real server r's port: r->txq_off is its queue's. */
static inline void tx_rs(struct worker *w, const struct rs_slot *r, struct rte_mbuf *m,
			 uint32_t len)
{
	txq_put(w, (struct worker_txq *)((uintptr_t)w + r->txq_off), m, len);
}

/* Hand every queued packet to its PMD. */
static inline void worker_tx_flush(struct worker *w)
{
	for (uint16_t p = 0; p < port_n; p++)
		if (w->txq[p].n)
			worker_tx_port(w, p);
}

/* A real server for a new flow of svc: its handle, or 0 when none is usable. */
uint32_t worker_schedule(struct worker *w, const struct snap_svc *svc, const struct pkt_info *pi);
/* The same with persistence: reuse or make the client's template (*tmpl_idx). */
uint32_t worker_schedule_persistent(struct worker *w, const struct snap_svc *svc,
				    const struct pkt_info *pi, uint32_t *tmpl_idx);

/* A snapshot this worker has not run with before: per-worker state follows it. */
void worker_snap_changed(struct worker *w, const struct snap *sn);

/* no_service_reply: answer in place and send; false = drop it instead. */
bool worker_reject(struct worker *w, uint16_t pidx, struct rte_mbuf *m);
/* A part of a flush the control core asked for (dp_flush_gen). */
void worker_flush_step(struct worker *w);

/* worker_conn.c: connections, their state and end, and packets toward clients. */

/* How long a session in state lives past its last packet, in ticks. */
static inline uint32_t worker_state_timeout(const struct snap *sn, uint8_t state)
{
	switch (state) {
	case TCPS_ESTABLISHED:
		return sn->t_tcp;
	case TCPS_FIN_WAIT:
		return sn->t_tcpfin;
	case TCPS_UDP:
		return sn->t_udp;
	default:
		return tcpstate_fixed_secs(state) * VIPD_TICK_HZ;
	}
}

/* A new connection of svc: scheduled, inserted (with its NAT reply key) and
 * counted; NULL when m was dropped (no real server, a full table). */
struct sess *worker_new_session(struct worker *w, const struct snap_svc *svc,
				struct pkt_info *pi, uint16_t pidx, struct rte_mbuf *m);
/* Step s to protocol state ns: its real server's active/inactive counts and
 * its expiry follow. */
void worker_set_state(struct worker *w, struct sess *s, uint8_t ns);
/* End s now (counts, its template's, its reply key) and free its slot. */
void worker_sess_kill(struct worker *w, struct sess *s);
/* What ends a connection's or a template's count; not its slot. */
void worker_sess_uncount(struct worker *w, const struct sess *s);
/* sess_expire()'s callback (arg: the worker). */
bool worker_on_expire(void *arg, struct sess_table *t, struct sess *s);
/* A NAT real server's reply: back to the VIP's address, to the client. */
void worker_nat_reply(struct worker *w, uint16_t pidx, struct rte_mbuf *m, struct pkt_info *pi);
/* A run of n consecutive NAT replies of a burst: one call for all. */
void worker_nat_replies(struct worker *w, uint16_t pidx, struct rte_mbuf **pkts,
			struct pkt_info *pi, uint16_t n);
/* An ICMP error from a NAT real server about a client's flow: to the client. */
void worker_icmp_out(struct worker *w, uint16_t pidx, struct rte_mbuf *m, struct pkt_info *pi);

#endif
