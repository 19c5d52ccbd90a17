/* SPDX-License-Identifier: BSD-3-Clause */
#include "neigh.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include "dataplane/port.h"
#include "dataplane/rs.h"
#include "dataplane/snap.h"
#include "dataplane/worker.h"

#define RETRY_MS 1000
#define REFRESH_MS 30000

static struct rte_mempool *neigh_mp;
/* Per rs index: when we last asked. Control core only. */
static uint64_t asked_ms[RS_MAX];

void neigh_init(struct rte_mempool *mp)
{
	neigh_mp = mp;
}

static int arp_send_from(uint16_t pidx, uint16_t op, uint32_t sip, uint32_t tip,
			 const struct rte_ether_addr *dst, const struct rte_ether_addr *smac)
{
	struct port_info *p = &port_tab[pidx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(neigh_mp);
	if (m == NULL)
		return -ENOMEM;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		m, sizeof(*eth) + sizeof(struct rte_arp_hdr));
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	if (dst)
		eth->dst_addr = *dst;
	eth->src_addr = *smac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = *smac;
	arp->arp_data.arp_sip = sip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip;
	if (rte_ring_mp_enqueue(p->inject, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

static int arp_send(uint16_t pidx, uint16_t op, uint32_t sip, uint32_t tip,
		    const struct rte_ether_addr *dst)
{
	return arp_send_from(pidx, op, sip, tip, dst, &port_tab[pidx].mac);
}

void neigh_snoop(const uint32_t *handles, unsigned n, const struct rte_mbuf *m)
{
	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))
		return;
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
	    arp->arp_plen != 4)
		return;
	uint32_t sip = arp->arp_data.arp_sip;
	for (unsigned k = 0; k < n; k++) {
		const struct rs_slot *r = rs_get(handles[k]);
		if (r && r->addr == sip && !r->static_mac)
			rs_set_mac(handles[k], arp->arp_data.arp_sha.addr_bytes, false);
	}
}

/* Addresses asked for in this tick: one request per address, however many
 * services name the real server. */
#define ASKED_SET 4096
static uint32_t asked_set[ASKED_SET];

static bool asked_now(uint32_t addr)
{
	for (uint32_t i = (addr * 2654435761u) & (ASKED_SET - 1), n = 0; n < ASKED_SET;
	     i = (i + 1) & (ASKED_SET - 1), n++) {
		if (asked_set[i] == addr)
			return true;
		if (asked_set[i] == 0) {
			asked_set[i] = addr;
			return false;
		}
	}
	return false; /* full: ask again rather than never */
}

void neigh_tick(const uint32_t *handles, unsigned n, uint64_t now_ms)
{
	memset(asked_set, 0, sizeof(asked_set));
	for (unsigned k = 0; k < n; k++) {
		struct rs_slot *r = rs_get(handles[k]);
		uint32_t i = rs_handle_idx(handles[k]);
		if (r == NULL || r->static_mac)
			continue;
		uint64_t wait = (rs_mac(r) & RS_MAC_VALID) ? REFRESH_MS : RETRY_MS;
		if (asked_ms[i] && now_ms - asked_ms[i] < wait)
			continue;
		asked_ms[i] = now_ms;
		if (asked_now(r->addr))
			continue;
		const struct port_info *p = &port_tab[r->out_port];
		arp_send(r->out_port, RTE_ARP_OP_REQUEST, p->addr, r->addr, NULL);
	}
}

int neigh_garp(uint16_t pidx, uint32_t vip)
{
	/* use_vmac: announce the VRRP virtual MAC, as the VIP answers with it. */
	const struct snap *s = __atomic_load_n(&dp_snap, __ATOMIC_ACQUIRE);
	const struct snap_vip *v = s ? snap_vip_find(s, vip) : NULL;
	if (v && v->vmac_vrid) {
		struct rte_ether_addr vmac = { { 0x00, 0x00, 0x5e, 0x00, 0x01, v->vmac_vrid } };
		return arp_send_from(pidx, RTE_ARP_OP_REQUEST, vip, vip, NULL, &vmac);
	}
	return arp_send(pidx, RTE_ARP_OP_REQUEST, vip, vip, NULL);
}
