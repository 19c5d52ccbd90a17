/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_pvt: what the worker's files share (worker.c: the packet path;
 * worker_aux.c: the less travelled parts). Worker lcores only.
 */
#ifndef VIPD_WORKER_PVT_H
#define VIPD_WORKER_PVT_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/drop.h"
#include "dataplane/port.h"
#include "dataplane/worker.h"

static inline void drop(struct worker *w, uint16_t pidx, struct rte_mbuf *m, enum vipd_drop why)
{
	w->st->port[pidx].drops[why]++;
	rte_pktmbuf_free(m);
}

static inline void tx(struct worker *w, uint16_t pidx, struct rte_mbuf *m)
{
	struct stats_port *sp = &w->st->port[pidx];
	sp->tx_pkts++;
	sp->tx_bytes += m->pkt_len;
	rte_eth_tx_buffer(port_tab[pidx].id, (uint16_t)w->id, w->txb[pidx], m);
}

/* no_service_reply: answer in place and send; false = drop it instead. */
bool worker_reject(struct worker *w, uint16_t pidx, struct rte_mbuf *m);
/* A part of a flush the control core asked for (dp_flush_gen). */
void worker_flush_step(struct worker *w);

#endif
