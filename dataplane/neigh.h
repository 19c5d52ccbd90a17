/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh: the director resolves its real servers' MACs itself, with ARP, so
 * that DR forwarding never depends on the kernel's neighbour cache.
 *
 * Owns: ARP requests for real servers (unresolved ones every second, resolved
 * ones refreshed every 30 s) and learning from every ARP packet the workers
 * pass up. Gratuitous ARP for VIPs is built here too.
 *
 * Threading: control core only; writes MACs into rs slots (atomic words).
 */
#ifndef VIPD_NEIGH_H
#define VIPD_NEIGH_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

void neigh_init(struct rte_mempool *mp);
/* Learn from an ARP frame (not consumed) the MACs of these real servers. */
void neigh_snoop(const uint32_t *handles, unsigned n, const struct rte_mbuf *m);
/* Send the requests that are due; call about every 100 ms. */
void neigh_tick(const uint32_t *handles, unsigned n, uint64_t now_ms);
/* Send a gratuitous ARP for vip on port index pidx; -errno. */
int neigh_garp(uint16_t pidx, uint32_t vip);

#endif
