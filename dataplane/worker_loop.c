/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_loop: a worker lcore's life around the packet path (worker.c):
 * its state's allocation, the poll loop (receive, the other workers'
 * redirected packets, the control core's injected ones, tx flush, expiry
 * steps, RCU quiescence) and its adaptive idle back-off. Worker lcores,
 * except worker_init() (control core, before launch).
 */
#include "dataplane/worker.h"

#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/clock.h"
#include "dataplane/rs.h"
#include "dataplane/sess.h"
#include "dataplane/worker_pvt.h"

struct snap *dp_snap;
struct rte_rcu_qsbr *dp_qs;
volatile bool dp_quit;
uint32_t dp_flush_gen;
struct worker *dp_workers[VIPD_MAX_WORKERS];
unsigned dp_n_workers;

#define EXPIRE_BUDGET 128
#define IDLE_SPINS 64

int worker_init(unsigned w, uint32_t sessions, uint32_t idle_max_us)
{
	struct worker *wk = rte_zmalloc("vipd_worker", sizeof(*wk), 64);
	char name[32];

	if (wk == NULL)
		return -ENOMEM;
	wk->id = w;
	wk->st = stats_lc[w];
	wk->rs_to_ctr = (uintptr_t)wk->st->rs - (uintptr_t)rs_slots; /* rs_init() came first */
	wk->idle_max_us = idle_max_us;
	for (unsigned i = 0; i < SVC_MAX; i++)
		sched_state_reset(&wk->sched[i]);
	size_t sz = sess_mem_size(sessions);
	void *mem = rte_malloc("vipd_sess", sz, 64);
	if (mem == NULL)
		return -ENOMEM;
	clock_init();
	wk->sess = sess_init(mem, sessions, clock_now());
	wk->rnd = 0x9E3779B9u ^ (w + 1) * 2654435761u; /* any nonzero seed */
	wk->lcache = rte_zmalloc("vipd_lcache", sizeof(*wk->lcache), 64);
	if (wk->lcache == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "vipd_redir%u", w);
	wk->redir = rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (wk->redir == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "vipd_excp%u", w);
	wk->excp = rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (wk->excp == NULL)
		return -ENOMEM;
	for (unsigned p = 0; p < port_n; p++) {
		if (w < port_tab[p].n_rxq) {
			wk->rxq[wk->n_rxq].port = (uint16_t)p;
			wk->rxq[wk->n_rxq].queue = (uint16_t)w;
			wk->n_rxq++;
		}
	}
	dp_workers[w] = wk;
	return 0;
}


void worker_tx_port(struct worker *w, uint16_t pidx)
{
	struct worker_txq *q = &w->txq[pidx];
	struct rte_mbuf **m = q->m;
	uint16_t n = q->n;
	struct stats_port *sp = &w->st->port[pidx];
	sp->tx_pkts += n;
	sp->tx_bytes += q->bytes;
	uint16_t sent = rte_eth_tx_burst(port_tab[pidx].id, (uint16_t)w->id, m, n);
	if (unlikely(sent < n)) {
		sp->drops[VIPD_DROP_TX_FULL] += n - sent;
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
	q->n = 0;
	q->bytes = 0;
}

/* Packets other workers received for clients this worker owns. */
static unsigned drain_redirect(struct worker *w)
{
	struct rte_mbuf *m[WORKER_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->redir, (void **)m, WORKER_BURST, NULL);
	/* Runs of one port keep process()'s per-port bookkeeping simple. */
	for (unsigned i = 0; i < n;) {
		unsigned j = i + 1;
		while (j < n && m[j]->port == m[i]->port)
			j++;
		worker_redirected_burst(w, m[i]->port, &m[i], (uint16_t)(j - i));
		i = j;
	}
	return n;
}

/* Worker 0 sends what the control core and the kernel want on the wire. */
static unsigned drain_inject(struct worker *w)
{
	struct rte_mbuf *m[WORKER_BURST];
	unsigned total = 0;
	for (unsigned p = 0; p < port_n; p++) {
		unsigned n = rte_ring_sc_dequeue_burst(port_tab[p].inject, (void **)m,
						       WORKER_BURST, NULL);
		w->st->port[p].from_kernel += n;
		for (unsigned i = 0; i < n; i++)
			tx(w, (uint16_t)p, m[i]);
		total += n;
	}
	return total;
}


int worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *pkts[WORKER_BURST];
	unsigned idle = 0, sleep_us = 1;

	w->lcore = rte_lcore_id();
	rte_rcu_qsbr_thread_register(dp_qs, w->id);
	rte_rcu_qsbr_thread_online(dp_qs, w->id);
	while (!dp_quit) {
		unsigned work = 0;
		uint64_t t0 = rte_rdtsc();
		w->snap = __atomic_load_n(&dp_snap, __ATOMIC_ACQUIRE);
		if (unlikely(w->snap->version != w->snap_version))
			worker_snap_changed(w, w->snap);
		w->now = clock_ticks_of(t0);
		/* An established packet's new expiry, without the snapshot's lines. */
		w->exp_tcp = w->now + w->snap->t_tcp;
		w->exp_udp = w->now + w->snap->t_udp;
		for (uint16_t q = 0; q < w->n_rxq; q++) {
			uint16_t pidx = w->rxq[q].port;
			uint16_t n = rte_eth_rx_burst(port_tab[pidx].id, w->rxq[q].queue, pkts,
						      WORKER_BURST);
			if (n) {
				worker_rx_burst(w, pidx, pkts, n);
				work += n;
			}
		}
		if (dp_n_workers > 1)
			work += drain_redirect(w);
		if (w->id == 0)
			work += drain_inject(w);
		worker_tx_flush(w);
		sess_expire(w->sess, w->now, EXPIRE_BUDGET, worker_on_expire, w);
		worker_flush_step(w);
		w->snap = NULL;
		rte_rcu_qsbr_quiescent(dp_qs, w->id);

		w->st->loops++;
		if (work) {
			w->st->busy_loops++;
			w->st->busy_cycles += rte_rdtsc() - t0;
			w->st->busy_pkts += work;
			idle = 0;
			sleep_us = 1;
		} else if (++idle > IDLE_SPINS && w->idle_max_us) {
			/*
			 * Back off while the queues stay empty so that a director can
			 * share its cores; the ceiling bounds the added latency.
			 */
			rte_rcu_qsbr_thread_offline(dp_qs, w->id);
			rte_delay_us_sleep(sleep_us);
			rte_rcu_qsbr_thread_online(dp_qs, w->id);
			w->st->sleeps++;
			if (sleep_us < w->idle_max_us)
				sleep_us = sleep_us * 2 > w->idle_max_us ? w->idle_max_us
									  : sleep_us * 2;
		}
	}
	rte_rcu_qsbr_thread_offline(dp_qs, w->id);
	rte_rcu_qsbr_thread_unregister(dp_qs, w->id);
	return 0;
}
