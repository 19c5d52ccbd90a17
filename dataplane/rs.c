/* SPDX-License-Identifier: BSD-3-Clause */
#include "rs.h"
#include "stats.h"
#include "worker.h"
#include "xmit.h"

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

struct rs_slot *rs_slots;
uint32_t rs_avail_gen;

static void avail_changed(void)
{
	__atomic_fetch_add(&rs_avail_gen, 1, __ATOMIC_RELEASE);
}

/* Control-core private: free indexes, and retired ones awaiting a grace period. */
static uint32_t rs_free[RS_MAX], rs_nfree;
static uint32_t rs_dead[RS_MAX], rs_ndead;
static uint8_t svc_used[SVC_MAX];
static uint8_t svc_freed[SVC_MAX]; /* freed, reusable after rs_reclaim() */

int rs_init(void)
{
	rs_slots = rte_zmalloc("vipd_rs", sizeof(struct rs_slot) * RS_MAX, 64);
	if (rs_slots == NULL)
		return -ENOMEM;
	/* Index 0 is never handed out, so a zero handle never matches. */
	rs_nfree = 0;
	for (uint32_t i = RS_MAX - 1; i >= 1; i--)
		rs_free[rs_nfree++] = i;
	return 0;
}

int64_t rs_alloc(const struct rs_spec *sp)
{
	if (rs_nfree == 0)
		return -ENOSPC;
	uint32_t i = rs_free[--rs_nfree];
	struct rs_slot *r = &rs_slots[i];
	uint32_t gen = ((r->gen + 1) & 0xffff) ? (r->gen + 1) & 0xffff : 1;
	r->addr = sp->addr;
	r->port = sp->port;
	r->out_port = sp->out_port;
	r->txq_off = (uint32_t)(offsetof(struct worker, txq) +
				sp->out_port * sizeof(struct worker_txq));
	r->fwd = sp->fwd;
	r->svc = sp->svc;
	struct xmit_nat_delta dx = xmit_nat_delta(sp->vaddr, sp->vport, sp->addr, sp->port);
	r->nat_vaddr = sp->vaddr;
	r->nat_vport = sp->vport;
	r->nat_dip = dx.ip;
	r->nat_dl4 = dx.l4;
	r->tun_sd = (uint64_t)sp->src | (uint64_t)sp->addr << 32;
	r->tun_sum = xmit_tun_sum(sp->src, sp->addr);
	r->tun_max = (uint16_t)(sp->mtu > sizeof(struct rte_ipv4_hdr) ?
				sp->mtu - sizeof(struct rte_ipv4_hdr) : 0);
	r->eth_lo = 0;
	rs_eth_src(r, sp->src_mac);
	r->live = 1;
	r->held = 1;
	r->static_mac = 0;
	/* A reused slot starts with fresh counters (its sessions are gone or
	 * stale: stale ones no longer touch them, see sess_end). */
	for (unsigned l = 0; l < stats_n_lc; l++)
		memset(&stats_lc[l]->rs[i], 0, sizeof(stats_lc[l]->rs[i]));
	__atomic_store_n(&r->mac, RS_MAC_UP, __ATOMIC_RELAXED);
	__atomic_store_n(&r->gen, gen, __ATOMIC_RELEASE);
	avail_changed();
	return (int64_t)(gen << 16 | i);
}

void rs_retire(uint32_t h)
{
	struct rs_slot *r = &rs_slots[rs_handle_idx(h)];
	if (!r->live || r->gen != rs_handle_gen(h))
		return;
	r->live = 0;
	/* An odd step keeps the retired gen distinct from every live handle. */
	__atomic_store_n(&r->gen, (r->gen + 0x8000) & 0xffff, __ATOMIC_RELEASE);
	avail_changed();
	rs_dead[rs_ndead++] = rs_handle_idx(h);
}

void rs_reclaim(void)
{
	/* The control core's own counters keep what they carried for their service. */
	struct stats_lcore *ctl = stats_n_lc ? stats_lc[stats_n_lc - 1] : NULL;
	while (rs_ndead) {
		uint32_t i = rs_dead[--rs_ndead];
		struct rs_slot *r = &rs_slots[i];
		if (ctl) {
			struct stats_ctr c = stats_sum_ctr(true, i);
			struct stats_ctr *v = &ctl->svc[r->svc];
			v->pkts += c.pkts;
			v->bytes += c.bytes;
			v->out_pkts += c.out_pkts;
			v->out_bytes += c.out_bytes;
		}
		r->held = 0;
		rs_free[rs_nfree++] = i;
	}
	for (unsigned s = 0; s < SVC_MAX; s++)
		if (svc_freed[s])
			svc_freed[s] = svc_used[s] = 0;
}

void rs_svc_traffic(struct stats_ctr *per_svc)
{
	for (uint32_t i = 1; i < RS_MAX; i++) {
		const struct rs_slot *r = &rs_slots[i];
		if (!r->held)
			continue;
		struct stats_ctr c = stats_sum_ctr(true, i);
		struct stats_ctr *v = &per_svc[r->svc];
		v->pkts += c.pkts;
		v->bytes += c.bytes;
		v->out_pkts += c.out_pkts;
		v->out_bytes += c.out_bytes;
	}
}

void rs_set_avail(uint32_t h, bool up)
{
	struct rs_slot *r = &rs_slots[rs_handle_idx(h)];
	if (r->gen == rs_handle_gen(h)) {
		uint64_t mac = up ? r->mac | RS_MAC_UP : r->mac & ~RS_MAC_UP;
		__atomic_store_n(&r->mac, mac, __ATOMIC_RELEASE);
		avail_changed();
	}
}

void rs_set_mac(uint32_t h, const uint8_t mac[6], bool is_static)
{
	struct rs_slot *r = &rs_slots[rs_handle_idx(h)];
	if (r->gen != rs_handle_gen(h) || (r->static_mac && !is_static))
		return;
	uint64_t v = RS_MAC_VALID | (r->mac & RS_MAC_UP);
	for (int i = 0; i < 6; i++)
		v |= (uint64_t)mac[i] << (8 * i);
	r->static_mac = is_static;
	/* The frame's words first: a worker that sees VALID reads these after. */
	__atomic_store_n(&r->eth_lo, (v & 0xffffffffffffULL) | (r->eth_lo & ~0xffffffffffffULL),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&r->mac, v, __ATOMIC_RELEASE);
}

bool rs_mac_bytes(const struct rs_slot *r, uint8_t mac[6])
{
	uint64_t v = rs_mac(r);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(v >> (8 * i));
	return (v & RS_MAC_VALID) != 0;
}

int svc_slot_alloc(void)
{
	for (unsigned i = 0; i < SVC_MAX; i++)
		if (!svc_used[i] && !svc_freed[i]) {
			svc_used[i] = 1;
			/* Not yet in any snapshot: no worker counts into it. */
			for (unsigned l = 0; l < stats_n_lc; l++)
				memset(&stats_lc[l]->svc[i], 0, sizeof(stats_lc[l]->svc[i]));
			return (int)i;
		}
	return -ENOSPC;
}

void svc_slot_free(int slot)
{
	if (slot >= 0 && (unsigned)slot < SVC_MAX && svc_used[slot])
		svc_freed[slot] = 1;
}
