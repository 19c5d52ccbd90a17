/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_aux: the worker's less travelled duties: answering for VIP ports
 * without a service, and flushing its session table on request.
 */
#include <rte_ip.h>

#include "dataplane/rs.h"
#include "dataplane/sess.h"
#include "dataplane/tcpstate.h"
#include "dataplane/worker_pvt.h"
#include "dataplane/xmit.h"

/*
 * A VIP port without a service, with no_service_reply: answer as a host
 * with nothing listening would (TCP RST, ICMP port unreachable). Counted as
 * no_service all the same. False: not answerable (a RST), drop it.
 */
bool worker_reject(struct worker *w, uint16_t pidx, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip =
		(const struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) +
					      sizeof(struct rte_ether_hdr));
	/* Never answer an ICMP error with another (RFC 1122). */
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return false;
	w->st->port[pidx].drops[VIPD_DROP_NO_SERVICE]++;
	if (ip->next_proto_id == IPPROTO_TCP) {
		if (!xmit_tcp_rst(m, &port_tab[pidx].mac)) {
			w->st->port[pidx].drops[VIPD_DROP_NO_SERVICE]--;
			return false;
		}
	} else {
		/* From the VIP itself: the port is what is unreachable. */
		xmit_icmp_error(m, &port_tab[pidx].mac, ip->dst_addr, 3, 3, 0);
	}
	tx(w, pidx, m);
	return true;
}

/* A flush asked for by the control core, a bounded part per loop. */
void worker_flush_step(struct worker *w)
{
	uint32_t want = __atomic_load_n(&dp_flush_gen, __ATOMIC_ACQUIRE);
	if (want == w->flush_gen)
		return;
	struct sess_table *t = w->sess;
	if (w->flush_cursor == 0)
		w->flush_cursor = 1;
	uint32_t end = w->flush_cursor + 4096;
	for (; w->flush_cursor < t->idx_end && w->flush_cursor < end; w->flush_cursor++) {
		struct sess *s = sess_live_at(t, w->flush_cursor);
		if (s == NULL)
			continue;
		if (s->nat_addr) {
			struct sess_key rk = sess_reply_key(s);
			sess_index_del(t, &rk, sess_hash(&rk), s);
			s->nat_addr = 0;
		}
		worker_sess_uncount(w, s);
		sess_delete(t, s);
	}
	if (w->flush_cursor >= t->idx_end) {
		w->flush_cursor = 0;
		w->flush_gen = want;
	}
}
