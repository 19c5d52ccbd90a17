/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker_conn: a worker's connections, from the first packet to the end:
 * making the session (scheduling, the NAT reply key), its protocol state and
 * the counts that follow it, its end (expiry, a kill), and the packets that
 * go back to a client through the director (NAT replies, ICMP errors from a
 * real server). The established packets' path stays in worker.c.
 *
 * Threading: worker lcores, each on its own session table.
 */
#include <rte_ip.h>

#include "conf/conf.h"
#include "dataplane/icmp.h"
#include "dataplane/rs.h"
#include "dataplane/tcpstate.h"
#include "dataplane/worker_pvt.h"
#include "dataplane/xmit.h"

void worker_sess_uncount(struct worker *w, const struct sess *s)
{
	struct stats_lcore *st = w->st;
	if (s->key.kflags & SESS_KEY_TEMPLATE) {
		st->templates--;
		return;
	}
	/* A removed real server's slot may serve another one now. */
	if (rs_get(s->rs)) {
		struct stats_ctr *rc = &st->rs[rs_handle_idx(s->rs)];
		if (s->state == TCPS_ESTABLISHED)
			rc->active--;
		else
			rc->inactive--;
	}
	st->sessions--;
}

/* Account a session's end and untie it (its template, its reply key). */
static void sess_end(struct worker *w, struct sess *s)
{
	worker_sess_uncount(w, s);
	if (s->key.kflags & SESS_KEY_TEMPLATE)
		return;
	if (s->aux)
		sess_at(w->sess, s->aux)->aux--;
	if (s->nat_addr) {
		struct sess_key rk = sess_reply_key(s);
		sess_index_del(w->sess, &rk, sess_hash(&rk), s);
	}
}

bool worker_on_expire(void *arg, struct sess_table *t, struct sess *s)
{
	struct worker *w = arg;
	/* A template lives on while connections it placed are alive. */
	if ((s->key.kflags & SESS_KEY_TEMPLATE) && s->aux > 0) {
		const struct snap_svc *v =
			snap_svc_find(w->snap, s->key.daddr, s->key.dport, s->key.proto);
		sess_touch(t, s, w->now, v && v->persist_ticks ? v->persist_ticks : VIPD_TICK_HZ);
		return false;
	}
	sess_end(w, s);
	return true;
}

void worker_sess_kill(struct worker *w, struct sess *s)
{
	sess_end(w, s);
	sess_delete(w->sess, s);
}

void worker_set_state(struct worker *w, struct sess *s, uint8_t ns)
{
	if (ns == s->state)
		return;
	struct stats_ctr *rc = &w->st->rs[rs_handle_idx(s->rs)];
	if (rs_get(s->rs) == NULL)
		; /* counted for a real server that is gone: nothing to move */
	else if (s->state == TCPS_ESTABLISHED)
		rc->active--, rc->inactive++;
	else if (ns == TCPS_ESTABLISHED)
		rc->active++, rc->inactive--;
	uint32_t old = worker_state_timeout(w->snap, s->state);
	s->state = ns;
	uint32_t nt = worker_state_timeout(w->snap, ns);
	if (nt != old)
		sess_touch(w->sess, s, w->now, nt);
}

struct sess *worker_new_session(struct worker *w, const struct snap_svc *svc,
				struct pkt_info *pi, uint16_t pidx, struct rte_mbuf *m)
{
	uint32_t tmpl = 0, handle;
	handle = svc->persist_ticks ? worker_schedule_persistent(w, svc, pi, &tmpl)
				    : worker_schedule(w, svc, pi);
	if (handle == 0) {
		w->st->svc[svc->slot].drops++;
		drop(w, pidx, m, VIPD_DROP_NO_DEST);
		return NULL;
	}
	const struct rs_slot *r = &rs_slots[rs_handle_idx(handle)];
	struct sess_key rk;
	uint64_t rh = 0;
	if (r->fwd == CONF_FWD_NAT) {
		/*
		 * Its packets will be rewritten by the differences in r, worked
		 * out for its service's VIP:port: that must be the flow's. (It
		 * is, as the real server came from the service the flow's key
		 * found; checked here, once a flow, not for each packet.)
		 */
		if (unlikely(r->nat_vaddr != pi->key.daddr || r->nat_vport != pi->key.dport)) {
			w->st->svc[svc->slot].drops++;
			drop(w, pidx, m, VIPD_DROP_NAT_SLOT);
			return NULL;
		}
		/* Its first bucket is the connection key's (sess_hash_words()). */
		rh = sess_key_set(&rk, r->addr, pi->key.saddr, r->port, pi->key.sport,
				  pi->key.proto, SESS_KEY_REPLY);
	}
	uint8_t st = pi->key.proto == IPPROTO_TCP ? TCPS_NONE : TCPS_UDP;
	struct sess *s = sess_insert(w->sess, &pi->key, pi->hash, w->now,
				     worker_state_timeout(w->snap, st));
	if (s == NULL) {
		w->st->svc[svc->slot].drops++;
		drop(w, pidx, m, VIPD_DROP_SESS_FULL);
		return NULL;
	}
	s->rs = handle;
	s->svc = svc->slot;
	s->state = st;
	s->aux = tmpl;
	s->in_port = (uint8_t)pidx;
	memcpy(s->cmac, &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr, 6);
	if (r->fwd == CONF_FWD_NAT) {
		s->nat_addr = r->addr;
		s->nat_port = r->port;
		if (sess_index_add(w->sess, &rk, rh, s) < 0) {
			/* Nothing was counted for it yet: just give the slot back. */
			s->nat_addr = 0;
			sess_delete(w->sess, s);
			w->st->svc[svc->slot].drops++;
			drop(w, pidx, m, VIPD_DROP_SESS_FULL);
			return NULL;
		}
	}
	if (tmpl)
		sess_at(w->sess, tmpl)->aux++;
	w->st->rs[rs_handle_idx(handle)].inactive++;
	w->st->rs[rs_handle_idx(handle)].conns++;
	w->st->svc[svc->slot].conns++;
	w->st->sessions++;
	return s;
}

/*
 * The session of a packet going back to a client through the director (NAT
 * reply or related ICMP error), with its TTL checked; NULL when dropped.
 */
static inline __attribute__((always_inline)) struct sess *
toward_client(struct worker *w, uint16_t pidx, struct rte_mbuf *m, const struct pkt_info *pi,
	      enum vipd_drop miss, struct rte_ipv4_hdr **ipp)
{
	struct sess *s = sess_reply_home(w->sess, pi->hash, &pi->key);
	if (s == NULL)
		s = sess_lookup(w->sess, &pi->key, pi->hash);
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + sizeof(struct rte_ether_hdr));
	if (s == NULL || ip->time_to_live <= 1) {
		drop(w, pidx, m, s ? VIPD_DROP_IP_TTL : miss);
		return NULL;
	}
	*ipp = ip;
	return s;
}

/* Out of the port the client's packets came in on, to the hop they came from. */
static inline __attribute__((always_inline)) void
send_to_client(struct worker *w, struct rte_mbuf *m, const struct sess *s)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint64_t cmac = 0;
	memcpy(&cmac, s->cmac, 6);
	pkt_set_macs(eth, cmac, port_tab[s->in_port].mac64);
	tx(w, s->in_port, m);
}

/* Real server to client (NAT): back to the VIP's address, to the client's hop. */
static inline __attribute__((always_inline)) void
nat_reply(struct worker *w, uint16_t pidx, struct rte_mbuf *m, struct pkt_info *pi)
{
	struct rte_ipv4_hdr *ip;
	struct sess *s = toward_client(w, pidx, m, pi, VIPD_DROP_NAT_NO_SESSION, &ip);
	if (s == NULL)
		return;
	bool tcp = s->key.proto == IPPROTO_TCP;
	uint32_t exp = w->exp_udp; /* the worker's now + the UDP timeout, as vip_fast() */
	if (tcp) {
		worker_set_state(w, s, tcpstate_next(TCPDIR_OUTPUT, s->state, pi->tcp_flags));
		exp = s->state == TCPS_ESTABLISHED
			      ? w->exp_tcp
			      : w->now + worker_state_timeout(w->snap, s->state);
	}
	/* An unchanged expiry is not written (the line stays clean); a shorter
	 * one is sess_touch()'s to file on the wheel. */
	if (exp != s->expire) {
		if ((int32_t)(exp - s->expire) > 0)
			s->expire = exp;
		else
			sess_touch(w->sess, s, w->now, exp - w->now);
	}
	const struct rs_slot *r = rs_slot_of(s->rs);
	struct stats_ctr *rc = worker_rs_ctr(w, r);
	rc->out_pkts++; /* and so its service's: rs_svc_traffic() */
	rc->out_bytes += m->pkt_len;
	/* IPVS forwards replies through the kernel's forward path: TTL - 1. */
	void *l4 = rte_pktmbuf_mtod_offset(m, void *, pi->l4_off);
	/*
	 * Its slot still names its real server: the session was made from it
	 * (worker_new_session() checked the slot's VIP:port was the flow's,
	 * and took nat_addr and nat_port from it), and a slot changes only
	 * with a new generation.
	 */
	if (likely(rs_same(r, s->rs))) {
		/* The differences its slot holds, backwards: none worked out here. */
		xmit_nat_reply(ip, l4, tcp, s->key.daddr, s->key.dport,
			       (struct xmit_nat_delta){ .ip = r->nat_dip, .l4 = r->nat_dl4 });
	} else {
		xmit_ttl_dec(ip);
		xmit_nat_rewrite(ip, l4, false, s->key.daddr, s->key.dport);
	}
	send_to_client(w, m, s);
}

void worker_nat_reply(struct worker *w, uint16_t pidx, struct rte_mbuf *m, struct pkt_info *pi)
{
	nat_reply(w, pidx, m, pi);
}

void worker_nat_replies(struct worker *w, uint16_t pidx, struct rte_mbuf **pkts,
			struct pkt_info *pi, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		nat_reply(w, pidx, pkts[i], &pi[i]);
}

/* An ICMP error from a NAT real server about a client's flow: to the client. */
void worker_icmp_out(struct worker *w, uint16_t pidx, struct rte_mbuf *m, struct pkt_info *pi)
{
	struct rte_ipv4_hdr *ip;
	struct sess *s = toward_client(w, pidx, m, pi, VIPD_DROP_ICMP_NO_SESSION, &ip);
	if (s == NULL)
		return;
	struct icmp_quote q = { 0 }; /* classify checked the quote */
	icmp_quote_parse(ip, (uint16_t)(m->data_len - sizeof(struct rte_ether_hdr)), &q);
	xmit_ttl_dec(ip);
	icmp_nat(ip, &q, false, s->key.daddr, s->key.dport);
	send_to_client(w, m, s);
}


