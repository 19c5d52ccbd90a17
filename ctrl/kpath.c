/* SPDX-License-Identifier: BSD-3-Clause */
#include "kpath.h"

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "conf/conf.h"
#include "ctrl/model.h"
#include "dataplane/neigh.h"
#include "dataplane/port.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"

#define KBURST 32

static void up_one(struct rte_mbuf *m)
{
	uint16_t pidx = m->port;
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		neigh_snoop(model.live, model.n_live, m);
	if (pidx >= port_n || port_tab[pidx].tap == PORT_NONE ||
	    rte_eth_tx_burst(port_tab[pidx].tap, 0, &m, 1) != 1) {
		stats_lc[dp_n_workers]->port[pidx < port_n ? pidx : 0].drops[VIPD_DROP_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

/*
 * use_vmac: the kernel sends VRRP adverts with the TAP's (the port's) MAC;
 * keepalived's macvlan would send them from the virtual MAC, so do that here.
 */
static void vrrp_vmac_source(struct rte_mbuf *m)
{
	const struct vipd_conf *c = model.conf;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (c == NULL || c->n_vrrp == 0 || m->data_len < sizeof(*eth) + 20 + 2 ||
	    eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
	if (ip->next_proto_id != 112 || m->data_len < sizeof(*eth) + rte_ipv4_hdr_len(ip) + 2)
		return;
	uint8_t vrid = *((const uint8_t *)ip + rte_ipv4_hdr_len(ip) + 1);
	for (unsigned i = 0; i < c->n_vrrp; i++)
		if (c->vrrp[i].use_vmac && c->vrrp[i].vrid == vrid) {
			eth->src_addr = (struct rte_ether_addr){ { 0, 0, 0x5e, 0, 1, vrid } };
			return;
		}
}

unsigned kpath_poll(void)
{
	struct rte_mbuf *m[KBURST];
	unsigned total = 0;

	for (unsigned w = 0; w < dp_n_workers; w++) {
		unsigned n = rte_ring_sc_dequeue_burst(dp_workers[w]->excp, (void **)m, KBURST, NULL);
		for (unsigned i = 0; i < n; i++)
			up_one(m[i]);
		total += n;
	}
	for (unsigned p = 0; p < port_n; p++) {
		if (port_tab[p].tap == PORT_NONE)
			continue;
		uint16_t n = rte_eth_rx_burst(port_tab[p].tap, 0, m, KBURST);
		if (n == 0)
			continue;
		for (uint16_t i = 0; i < n; i++)
			vrrp_vmac_source(m[i]);
		unsigned q = rte_ring_sp_enqueue_burst(port_tab[p].inject, (void **)m, n, NULL);
		stats_lc[dp_n_workers]->port[p].drops[VIPD_DROP_TX_FULL] += n - q;
		for (unsigned i = q; i < n; i++)
			rte_pktmbuf_free(m[i]);
		total += n;
	}
	return total;
}
