/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * worker: the packet path of a worker lcore, one received burst at a time
 * (worker_rx_burst(); its poll loop is worker_loop.c's). Pass 1 parses and
 * classifies every packet and prefetches its session's first-choice bucket
 * and home; pass 2 takes each packet's session a few packets ahead
 * (candidate()) and forwards it on the lean path (vip_fast()) or the full
 * one (vip_flow(): new sessions, state changes, persistence, drops). The
 * session table, the scheduler state and the counters it writes are this
 * worker's own; the snapshot and the real servers' slots are read-only here.
 */
#include "worker.h"

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "conf/conf.h"
#include "dataplane/clock.h"
#include "dataplane/fast.h"
#include "dataplane/pkt.h"
#include "dataplane/rs.h"
#include "dataplane/tcpstate.h"
#include "dataplane/icmp.h"
#include "dataplane/worker_pvt.h"
#include "dataplane/xmit.h"

#ifndef SESS_AHEAD
#define SESS_AHEAD 4 /* packets between a session's prefetch and its use */
#endif

static void forward(struct worker *w, uint16_t pidx, struct rte_mbuf *m,
		    const struct pkt_info *pi, const struct rs_slot *r);
static inline __attribute__((always_inline)) bool vip_fast(struct worker *w,
							   struct rte_mbuf *m, uint8_t *d,
							   uint16_t l4_off, int fl,
							   struct sess *s);

/*
 * A packet of a VIP flow: find or make its session, then forward it. absent:
 * the caller knows the key is not in the table (no lookup needed).
 *
 * Out of line, and vip_fast() always inline: inlined into process(), this
 * path's registers cost the established packets' loop (bench/instr_count.sh,
 * DR: 268 instructions a packet this way, 276 with vip_flow() inlined, 295
 * when GCC stopped inlining vip_fast() because it had two callers).
 */
static __attribute__((noinline)) void vip_flow(struct worker *w, uint16_t pidx,
					       struct rte_mbuf *m, struct pkt_info *pi,
					       bool absent)
{
	const struct snap_svc *svc = pi->svc;
	const struct snap *sn = w->snap;
	struct sess *s = absent ? NULL : sess_lookup(w->sess, &pi->key, pi->hash);
	bool tcp = pi->key.proto == IPPROTO_TCP;

	/* A new SYN on a closing session starts a new connection (port reuse). */
	if (s && tcp && (pi->tcp_flags & (TCP_FL_SYN | TCP_FL_ACK)) == TCP_FL_SYN &&
	    tcpstate_closing(s->state)) {
		worker_sess_kill(w, s);
		s = NULL;
	}
	if (s == NULL) {
		if (tcp && !(pi->tcp_flags & TCP_FL_SYN) && !sn->sloppy_tcp) {
			drop(w, pidx, m, VIPD_DROP_TCP_NOT_SYN);
			return;
		}
		s = worker_new_session(w, svc, pi, pidx, m);
		if (s == NULL)
			return;
		/* A new UDP flow needs nothing the lean path leaves out (no state
		 * to step, its expiry already set): every DNS query is one. */
		if (!tcp && vip_fast(w, m, rte_pktmbuf_mtod(m, uint8_t *), pi->l4_off, 0, s))
			return;
	}
	const struct rs_slot *r = rs_get(s->rs);
	if (r == NULL || !rs_up(r)) {
		if (sn->expire_nodest)
			worker_sess_kill(w, s);
		drop(w, pidx, m, VIPD_DROP_DEST_GONE);
		return;
	}
	if (tcp)
		worker_set_state(w, s,
				 tcpstate_next(r->fwd == CONF_FWD_NAT ? TCPDIR_INPUT : TCPDIR_INPUT_ONLY,
					       s->state, pi->tcp_flags));
	sess_touch(w->sess, s, w->now, worker_state_timeout(sn, s->state));
	forward(w, pidx, m, pi, r);
}

/*
 * Client to NAT real server: the destination becomes the real server, by
 * the checksum differences worked out when the real server was added (20
 * instructions fewer than the general rewrite). They hold for packets to its
 * service's VIP:port, which every packet of its sessions is: a session is
 * made only then (worker_new_session(), nat_slot_mismatch).
 */
static inline __attribute__((always_inline)) void nat_dnat(struct rte_ipv4_hdr *ip, void *l4,
							   bool tcp, const struct rs_slot *r)
{
	xmit_nat_dnat(ip, l4, tcp, r->addr, r->port,
		      (struct xmit_nat_delta){ .ip = r->nat_dip, .l4 = r->nat_dl4 });
}

/*
 * A packet of an established flow that changes nothing but its session's
 * expiry (UDP, or TCP in ESTABLISHED without SYN, FIN or RST), to a live real
 * server: the common case, in few instructions. d is the frame, l4_off its
 * TCP/UDP header's offset and fl its TCP flags with FAST_TCP, 0 for UDP (as
 * fast_check_flags() returns them: the caller may have them in registers).
 * false leaves the packet untouched for vip_flow().
 */
static inline __attribute__((always_inline)) bool vip_fast(struct worker *w,
							   struct rte_mbuf *m, uint8_t *d,
							   uint16_t l4_off, int fl,
							   struct sess *s)
{
	uint32_t exp;
	bool tcp = fl & FAST_TCP;
	if (tcp) {
		if (s->state != TCPS_ESTABLISHED ||
		    (fl & (TCP_FL_SYN | TCP_FL_FIN | TCP_FL_RST)))
			return false;
		exp = w->exp_tcp;
	} else {
		exp = w->exp_udp;
	}
	const struct rs_slot *r = rs_slot_of(s->rs);
	if (unlikely(!rs_same(r, s->rs)))
		return false;
	/* Up (health) and its MAC known, in one word. */
	if (unlikely(!rs_go(r)))
		return false;
	/*
	 * A longer expiry: the wheel re-files it lazily. Most packets land in
	 * the tick the last one did, and an unchanged line stays clean: not
	 * written back when it leaves the cache. A shorter one (a longer
	 * timeout set before) is sess_touch()'s to file. Written before the
	 * rewrite: if the packet then goes to vip_flow() after all, that sets
	 * it again.
	 */
	uint32_t e = s->expire;
	if (exp != e) {
		if (unlikely((int32_t)(exp - e) < 0))
			return false;
		s->expire = exp;
	}
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	uint8_t fwd = r->fwd;
	/* TUN tested first: the mode with the most to do. DR: only the MACs change. */
	if (fwd == CONF_FWD_TUN) {
		uint16_t ip_len = xmit_be16(ip->total_length);
		/* Too big for the tunnel: forward() answers with ICMP. */
		if (unlikely(ip_len > r->tun_max))
			return false;
		/* Several segments, or no headroom: forward() sorts it out. */
		d = xmit_tun_encap1(m, d, ip_len, r->tun_sd, r->tun_sum);
		if (unlikely(d == NULL))
			return false;
	} else if (fwd == CONF_FWD_NAT) {
		nat_dnat(ip, d + l4_off, tcp, r);
	}
	struct stats_ctr *rc = worker_rs_ctr(w, r);
	uint32_t len = m->pkt_len;
	rc->pkts++;
	rc->bytes += len;

	rs_write_eth(r, d);
	tx_rs(w, r, m, len);
	return true;
}

/*
 * Queue a packet that goes to real server r, counted as its traffic (and so
 * its service's: rs_svc_traffic()) as it leaves, TUN's outer header
 * included: as vip_fast() counts it.
 */
static inline void tx_counted(struct worker *w, uint16_t out, struct rte_mbuf *m,
			      const struct rs_slot *r)
{
	struct stats_ctr *rc = worker_rs_ctr(w, r);
	rc->pkts++;
	rc->bytes += m->pkt_len;
	tx(w, out, m);
}

static inline bool set_next_hop(struct worker *w, uint16_t pidx, struct rte_mbuf *m,
				const struct rs_slot *r)
{
	if (!(rs_mac(r) & RS_MAC_VALID)) {
		drop(w, pidx, m, VIPD_DROP_NO_NEIGH);
		return false;
	}
	rs_write_eth(r, rte_pktmbuf_mtod(m, struct rte_ether_hdr *));
	return true;
}

/* Client to real server, by the real server's method. */
static void forward(struct worker *w, uint16_t pidx, struct rte_mbuf *m,
		    const struct pkt_info *pi, const struct rs_slot *r)
{
	uint16_t out = r->out_port;
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + sizeof(struct rte_ether_hdr));

	switch (r->fwd) {
	case CONF_FWD_NAT:
		nat_dnat(ip, rte_pktmbuf_mtod_offset(m, void *, pi->l4_off),
			 pi->key.proto == IPPROTO_TCP, r);
		break;
	case CONF_FWD_TUN:
		switch (xmit_tun(m, port_tab[out].addr, r->addr, port_tab[out].mtu)) {
		case XMIT_TUN_OK:
			break;
		case XMIT_TUN_TOO_BIG:
			w->st->port[pidx].drops[VIPD_DROP_TUN_TOO_BIG]++;
			if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
				/* Type 3 code 4: fragmentation needed, with the next-hop MTU. */
				xmit_icmp_error(m, &port_tab[pidx].mac, port_tab[pidx].addr, 3, 4,
						(uint16_t)(port_tab[out].mtu -
							   sizeof(struct rte_ipv4_hdr)));
				tx(w, pidx, m);
			} else {
				rte_pktmbuf_free(m);
			}
			return;
		default:
			drop(w, pidx, m, VIPD_DROP_TUN_NO_ROOM);
			return;
		}
		break;
	default: /* DR: the real server holds the VIP; only the MAC changes */
		break;
	}
	if (set_next_hop(w, pidx, m, r))
		tx_counted(w, out, m, r);
}

static inline void to_kernel(struct worker *w, uint16_t pidx, struct rte_mbuf *m,
			     struct rte_mbuf **excp, uint16_t *nexcp)
{
	if (port_tab[pidx].tap == PORT_NONE) {
		drop(w, pidx, m, VIPD_DROP_NO_KERNEL);
		return;
	}
	m->port = pidx; /* the control core routes it to this port's TAP */
	excp[(*nexcp)++] = m;
}

/* An ICMP error quoting a VIP flow, from its client: to the flow's real server. */
static void icmp_in(struct worker *w, uint16_t pidx, struct rte_mbuf *m, struct pkt_info *pi)
{
	struct sess *s = sess_lookup(w->sess, &pi->key, pi->hash);
	const struct rs_slot *r = s ? rs_get(s->rs) : NULL;
	if (r == NULL || !rs_up(r)) {
		drop(w, pidx, m, s ? VIPD_DROP_DEST_GONE : VIPD_DROP_ICMP_NO_SESSION);
		return;
	}
	struct rte_ipv4_hdr *ip =
		(struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + sizeof(struct rte_ether_hdr));
	if (r->fwd == CONF_FWD_NAT) {
		struct icmp_quote q = { 0 }; /* classify checked the quote */
		icmp_quote_parse(ip, (uint16_t)(m->data_len - sizeof(struct rte_ether_hdr)), &q);
		icmp_nat(ip, &q, true, r->addr, r->port);
		if (set_next_hop(w, pidx, m, r))
			tx_counted(w, r->out_port, m, r);
		return;
	}
	/* DR and TUN carry it unchanged, as they carry the flow. */
	forward(w, pidx, m, pi, r);
}

/* Which worker handles this client: both directions of a flow, and all of a
 * persistent client's flows, meet on one worker whatever RSS did. */
static inline uint8_t owner_of(const struct snap *sn, uint32_t client)
{
	uint32_t h = (uint32_t)(((uint64_t)(client & sn->owner_mask) * 0x9E3779B97F4A7C15ULL) >> 32);
	return (uint8_t)(((uint64_t)h * dp_n_workers) >> 32);
}

/* Out of line: keeps the common case's loop small. */
static __attribute__((noinline)) uint8_t classify_slow(const struct snap *sn,
							const struct port_info *port,
							struct rte_mbuf *m, struct pkt_info *pi)
{
	return pkt_classify(sn, port, m, pi);
}

/*
 * The session a VIP flow's packet most likely has, prefetched. A home hit
 * sets s alone: the rest is read only without one. (Without one it is most
 * likely a new flow; if NAT, its reply key will go to the bucket pass 1
 * fetched: sess_hash_words().)
 */
static inline __attribute__((always_inline)) void candidate(struct worker *w,
							    struct sess_home sh,
							    struct pkt_info *pi, bool all_fast)
{
	struct pkt_cand *c = &pi->cand;
	/* At home: all fast, pass 1 left the bucket; else the hash's low half. */
	c->s = all_fast ? sess_home_at(pi->bucket, &pi->key)
			: sess_home_find(sh, (uint32_t)pi->hash, &pi->key);
	if (likely(c->s != NULL))
		return;
	/*
	 * Other bursts' hashes are whole since pass 1 (pass1_mark(),
	 * fast_parse(), pkt_classify()): made again for pass1_mark()'s, they
	 * are the same, and without that test GCC laid out the all-fast loop
	 * one instruction a packet longer (bench/instr_count.sh).
	 */
	if (all_fast || pi->unchecked)
		fast_key_hash(pi);
	c->away = sess_candidate_away(w->sess, pi->hash, &c->absent);
}

/*
 * A session was deleted while the candidates of the next packets were
 * waiting: a home hit may now be a free slot, or another key's session.
 * Those whose key no longer compares are taken again. Only vip_flow()
 * deletes sessions in process() (a SYN on a closing session,
 * expire_nodest_conn), never the lean path.
 */
static __attribute__((noinline, cold)) void cand_recheck(struct worker *w, struct pkt_info *pi)
{
	for (unsigned j = 1; j <= SESS_AHEAD; j++)
		if (pi[j].cand.s != NULL && !sess_key_eq(&pi[j].cand.s->key, &pi[j].key))
			candidate(w, sess_home_of(w->sess), &pi[j], true);
}

/*
 * Pass 1's common case on its own (one worker, a VIP flow's packet), in as
 * few instructions as its lookup needs (fast_check() and the hash's high
 * half wait for pass 2), its bucket's address straight from the CRC's
 * register. Merged with the other cases, the hash is reloaded from pi[] (its
 * store still in flight). false: not that case, pkt_classify() decides.
 * It leaves the bucket's address in pi->bucket, for an all-fast burst's
 * pass 2; the verdict, the unchecked flag and the whole hash are
 * pass1_mark()'s, for other bursts.
 */
static inline __attribute__((always_inline)) bool pass1_fast(struct worker *w, uint64_t port_mac,
							     struct sess_home sh,
							     struct rte_mbuf *m,
							     struct pkt_info *pi)
{
	uint32_t lo;
	if (unlikely(fast_key(&w->fc, port_mac, m, pi, &lo) != PKT_VIP_FLOW))
		return false;
	const uint8_t *b = sess_home_bucket(sh, lo);
	pi->bucket = b;
	sess_prefetch_line(b);
	sess_prefetch_line(b + 64); /* its home session */
	return true;
}

static inline void pass1_mark(struct pkt_info *pi)
{
	pi->verdict = PKT_VIP_FLOW;
	pi->unchecked = true;
	fast_key_hash(pi); /* in place of the bucket */
}

/*
 * A VIP flow's packet in pass 2, its candidate taken: the lean path, else
 * vip_flow(). An earlier packet of the burst may have added the key since
 * the candidate was taken: absent is checked again (the bucket is in cache).
 * All fast, a home hit is the packet's session without a second compare:
 * c[1 .. SESS_AHEAD] are the next packets' candidates, taken again where a
 * deletion in vip_flow() may have changed them. Otherwise (packets between
 * workers, other verdicts between them) the key is compared here.
 */
static inline __attribute__((always_inline)) void vip_packet(struct worker *w, uint16_t pidx,
							     struct rte_mbuf *m, uint8_t *d,
							     uint16_t l4_off, int fl,
							     struct pkt_info *pi, bool all_fast)
{
	const struct pkt_cand *c = &pi->cand;
	struct sess *s = c->s;
	bool home = s != NULL;
	if (!all_fast && home && !sess_key_eq(&s->key, &pi->key))
		s = NULL;
	else if (!home && c->away != NULL && sess_key_eq(&c->away->key, &pi->key))
		s = c->away;
	if (s == NULL || !vip_fast(w, m, d, l4_off, fl, s)) {
		/* All fast, fast_check_flags() left them in registers. */
		if (all_fast) {
			pi->tcp_flags = (uint8_t)fl;
			pi->l4_off = l4_off;
		}
		/*
		 * All fast, a home hit left the hash undone: pi->bucket holds
		 * its place (a packet pkt_classify() took has its whole hash
		 * there: made again, it is the same). Other bursts' hashes are
		 * whole since pass 1.
		 */
		if (home && (all_fast || pi->unchecked))
			fast_key_hash(pi); /* unchecked: see candidate() */
		uint32_t dels = w->sess->dels;
		vip_flow(w, pidx, m, pi,
			 !home && c->away == NULL && c->absent && sess_absent(w->sess, pi->hash));
		if (all_fast && unlikely(w->sess->dels != dels))
			cand_recheck(w, pi);
	}
}

/* What fast_check_flags() would have returned, from pi. */
static inline int pkt_fl(const struct pkt_info *pi)
{
	return pi->key.proto == IPPROTO_TCP ? pi->tcp_flags | FAST_TCP : 0;
}

/* A packet the all-fast loop's pkt_classify() took: vip_packet() out of line. */
static __attribute__((noinline)) void vip_slow(struct worker *w, uint16_t pidx,
					       struct rte_mbuf *m, struct pkt_info *pi)
{
	vip_packet(w, pidx, m, rte_pktmbuf_mtod(m, uint8_t *), pi->l4_off, pkt_fl(pi), pi, true);
}

/* Pass 2 for a packet that is no VIP flow's and stays on this worker. */
static __attribute__((noinline)) void act_other(struct worker *w, uint16_t pidx,
						struct rte_mbuf *m, struct pkt_info *pi,
						struct rte_mbuf **excp, uint16_t *nexcp)
{
	switch (pi->verdict) {
	case PKT_NAT_REPLY:
		worker_nat_reply(w, pidx, m, pi);
		break;
	case PKT_ICMP_IN:
		icmp_in(w, pidx, m, pi);
		break;
	case PKT_ICMP_OUT:
		worker_icmp_out(w, pidx, m, pi);
		break;
	case PKT_REPLY:
		if (pi->drop == VIPD_DROP_MAX)
			w->st->port[pidx].arp_replies++;
		tx(w, pidx, m);
		break;
	case PKT_KERNEL:
		to_kernel(w, pidx, m, excp, nexcp);
		break;
	default:
		if (pi->drop == VIPD_DROP_NO_SERVICE && w->snap->no_service_reply &&
		    worker_reject(w, pidx, m))
			break;
		drop(w, pidx, m, pi->drop);
		break;
	}
}

static void process(struct worker *w, uint16_t pidx, struct rte_mbuf **pkts, uint16_t n,
		    bool redirected)
{
	struct pkt_info pi[WORKER_BURST + SESS_AHEAD]; /* + all-fast pass 2's padding */
	struct rte_mbuf *excp[WORKER_BURST];
	struct rte_mbuf *redir[VIPD_MAX_WORKERS][WORKER_BURST];
	uint16_t nredir[VIPD_MAX_WORKERS];
	uint16_t nexcp = 0;
	bool any_redir = false;
	const struct snap *sn = w->snap;
	const struct port_info *port = &port_tab[pidx];
	struct stats_port *sp = &w->st->port[pidx];
	uint64_t port_mac = fast_mac64(&port->mac);
	uint64_t rx_bytes = 0;
	bool may_redir = dp_n_workers > 1 && !redirected;
	if (unlikely(n == 0))
		return;
	const struct sess_home sh = sess_home_of(w->sess);

	fast_cache_sync(&w->fc, sn);
	/* Pass 1: parse and classify; prefetch the session buckets of VIP flows. */
	uint16_t i1 = 0;
	bool all_fast = !may_redir; /* every packet a VIP flow's through pass1_fast() */
	if (likely(!may_redir)) {
		/*
		 * The common case's own loop, while there is a packet four ahead
		 * and each is a VIP flow's: no test for several workers, none
		 * for the end of the burst (pass 1's instructions are the dear
		 * ones). The first other packet, and the last four, go on below.
		 */
		for (; i1 + 4 < n; i1++) {
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i1 + 4], void *));
			if (!pass1_fast(w, port_mac, sh, pkts[i1], &pi[i1]))
				break;
		}
	}
	/*
	 * NAT replies come in runs (a burst from the real servers' side):
	 * after one, the next packet is tried as a reply first, which never
	 * takes a frame fast_key() would (test_fast.c). The packet the loop
	 * above stopped at is no VIP flow's either.
	 */
	bool reply_first = i1 + 4 < n;
	for (uint16_t i = i1; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		uint8_t v = PKT_SLOW;
		bool tried = false;
		if (likely(!may_redir)) {
			if (reply_first) {
				v = fast_reply(sn, port->addr, port_mac, pkts[i], &pi[i]);
				tried = true;
			}
			if (v == PKT_SLOW && pass1_fast(w, port_mac, sh, pkts[i], &pi[i])) {
				if (!all_fast)
					pass1_mark(&pi[i]);
				reply_first = false;
				continue;
			}
			/* Pass 2 reads verdicts and hashes after all: the earlier ones' too. */
			if (all_fast)
				for (uint16_t j = 0; j < i; j++)
					pass1_mark(&pi[j]);
			all_fast = false;
		} else {
			/* Its owner is decided here: the checks first, as for any. */
			v = fast_parse(&w->fc, port_mac, pkts[i], &pi[i]);
		}
		pi[i].unchecked = false;
		if (v == PKT_SLOW && !tried)
			v = fast_reply(sn, port->addr, port_mac, pkts[i], &pi[i]);
		reply_first = v == PKT_NAT_REPLY;
		if (v == PKT_SLOW)
			v = classify_slow(sn, port, pkts[i], &pi[i]);
		bool keyed = v == PKT_VIP_FLOW || v == PKT_NAT_REPLY || v == PKT_ICMP_IN ||
			     v == PKT_ICMP_OUT;
		if (unlikely(may_redir) && keyed) {
			bool from_client = v == PKT_VIP_FLOW || v == PKT_ICMP_IN;
			uint8_t o = owner_of(sn, from_client ? pi[i].key.saddr : pi[i].key.daddr);
			if (o != w->id) {
				if (!any_redir)
					memset(nredir, 0, sizeof(nredir[0]) * dp_n_workers);
				any_redir = true;
				pi[i].owner = o;
				v = PKT_REDIRECT;
			}
		}
		pi[i].verdict = v;
		if (v != PKT_REDIRECT && keyed)
			sess_home_prefetch(sh, (uint32_t)pi[i].hash);
	}
	/* Pass 2: act, prefetching the session a few packets ahead (its bucket
	 * arrived during pass 1). */
	if (likely(all_fast)) {
		/*
		 * The common case's own loop: no verdict to test, and no end
		 * of the burst either: the candidates past it are its last
		 * packet's, looked up again (in cache by then).
		 */
		for (uint16_t k = 0; k < SESS_AHEAD; k++) {
			/* What candidate() reads of it, not the whole 64 bytes. */
			pi[n + k].key = pi[n - 1].key;
			pi[n + k].bucket = pi[n - 1].bucket;
			pi[n + k].svc = pi[n - 1].svc;
		}
		for (uint16_t i = 0; i < SESS_AHEAD; i++)
			candidate(w, sh, &pi[i], true);
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
			rx_bytes += m->pkt_len;
			candidate(w, sh, &pi[i + SESS_AHEAD], true);
			/*
			 * fast_check_flags() failed: pkt_classify() decides, as in
			 * pass 1, and its L4 offset is not known here (IP options).
			 */
			int fl = fast_check_flags(m);
			if (unlikely(fl < 0)) {
				pi[i].verdict = classify_slow(sn, port, m, &pi[i]);
				if (pi[i].verdict != PKT_VIP_FLOW) {
					uint32_t dels = w->sess->dels;
					act_other(w, pidx, m, &pi[i], excp, &nexcp);
					/* None deletes sessions today; if one did: */
					if (unlikely(w->sess->dels != dels))
						cand_recheck(w, &pi[i]);
				} else {
					vip_slow(w, pidx, m, &pi[i]);
				}
				continue;
			}
			vip_packet(w, pidx, m, d, FAST_L4_OFF, fl, &pi[i], true);
		}
	} else {
		for (uint16_t i = 0; i < n && i < SESS_AHEAD; i++)
			if (pi[i].verdict == PKT_VIP_FLOW)
				candidate(w, sh, &pi[i], false);
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			rx_bytes += m->pkt_len;
			if (i + SESS_AHEAD < n && pi[i + SESS_AHEAD].verdict == PKT_VIP_FLOW)
				candidate(w, sh, &pi[i + SESS_AHEAD], false);
			if (likely(pi[i].verdict == PKT_VIP_FLOW) && pi[i].unchecked &&
			    unlikely(!fast_check(m, &pi[i])))
				pi[i].verdict = classify_slow(sn, port, m, &pi[i]);
			if (likely(pi[i].verdict == PKT_VIP_FLOW)) {
				vip_packet(w, pidx, m, rte_pktmbuf_mtod(m, uint8_t *), pi[i].l4_off,
					   pkt_fl(&pi[i]), &pi[i], false);
			} else if (pi[i].verdict == PKT_NAT_REPLY) {
				/*
				 * Half of a NAT service's packets, in runs: each
				 * run in one call. The VIP flows its look-ahead
				 * passes over get their candidates first (a
				 * candidate is compared here before use, but an
				 * unset one may hold any pointer).
				 */
				uint16_t j = i + 1;
				while (j < n && pi[j].verdict == PKT_NAT_REPLY)
					rx_bytes += pkts[j++]->pkt_len;
				for (uint16_t k = RTE_MAX(j, i + 1 + SESS_AHEAD);
				     k < n && k < j + SESS_AHEAD; k++)
					if (pi[k].verdict == PKT_VIP_FLOW)
						candidate(w, sh, &pi[k], false);
				worker_nat_replies(w, pidx, pkts + i, pi + i, j - i);
				i = j - 1;
			} else if (pi[i].verdict == PKT_REDIRECT) {
				m->port = pidx;
				redir[pi[i].owner][nredir[pi[i].owner]++] = m;
			} else {
				act_other(w, pidx, m, &pi[i], excp, &nexcp);
			}
		}
	}
	if (!redirected) {
		sp->rx_pkts += n;
		sp->rx_bytes += rx_bytes;
	}
	if (nexcp) {
		unsigned q = rte_ring_sp_enqueue_burst(w->excp, (void **)excp, nexcp, NULL);
		sp->to_kernel += q;
		for (unsigned i = q; i < nexcp; i++)
			drop(w, pidx, excp[i], VIPD_DROP_EXCP_FULL);
	}
	for (unsigned o = 0; any_redir && o < dp_n_workers; o++) {
		if (nredir[o] == 0)
			continue;
		unsigned q = rte_ring_mp_enqueue_burst(dp_workers[o]->redir, (void **)redir[o],
						       nredir[o], NULL);
		sp->redirected += q;
		for (unsigned i = q; i < nredir[o]; i++)
			drop(w, pidx, redir[o][i], VIPD_DROP_REDIR_FULL);
	}
}

/* Never inlined: bench/instr_count.sh counts from its entry. */
__attribute__((noinline)) void worker_rx_burst(struct worker *w, uint16_t pidx,
					       struct rte_mbuf **pkts, uint16_t n)
{
	process(w, pidx, pkts, n, false);
}

void worker_redirected_burst(struct worker *w, uint16_t pidx, struct rte_mbuf **pkts, uint16_t n)
{
	process(w, pidx, pkts, n, true);
}
