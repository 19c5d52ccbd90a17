/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port: EAL start-up arguments, DPDK port and queue set-up, and each port's
 * kernel twin (a net_tap interface with the port's MAC and the director's own
 * address) that carries everything that is not VIP traffic.
 *
 * Threading: set up by the control core before workers start. Afterwards
 * workers own rx queue w and tx queue w of every port; the control core owns
 * the TAP ports and the inject rings' producer side.
 */
#ifndef VIPD_PORT_H
#define VIPD_PORT_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dataplane/stats.h"

struct vipd_conf;

#define PORT_NONE UINT16_MAX

struct port_info {
	char name[64];
	uint16_t id;       /* DPDK port id */
	uint16_t tap;      /* DPDK port id of the kernel twin, or PORT_NONE */
	uint16_t n_rxq;    /* rx queues (<= workers) */
	struct rte_ether_addr mac;
	uint64_t mac64;    /* mac in the low 48 bits, first byte lowest (pkt_set_macs) */
	uint32_t addr;     /* the director's own address, network order */
	uint8_t prefixlen;
	uint16_t mtu;      /* IP MTU: TUN answers bigger DF packets with ICMP */
	char kernel_name[16];
	/* Control core -> wire: packets from the kernel and the control core
	 * (ARP, VRRP), sent by worker 0 on its tx queue. */
	struct rte_ring *inject;
};

extern struct port_info port_tab[VIPD_MAX_PORTS];
extern unsigned port_n;
/* DPDK port id -> index in port_tab, or -1 (TAP ports map to -1). */
extern int16_t port_by_id[RTE_MAX_ETHPORTS];

/*
 * Build EAL's argv: argv0, the config's eal_args, extra (command line), then
 * one --vdev per virtual port and -a per PCI port, --no-pci when no port is
 * PCI (so the machine's own NICs are never probed), and an lcore map unless
 * one was given. Returns argc; *out is malloc'ed.
 */
int port_eal_args(const struct vipd_conf *c, const char *argv0, int n_extra,
		  char **extra, char ***out);
/* Configure and start every port and its TAP twin; -errno with a log line. */
int port_setup(const struct vipd_conf *c, unsigned n_workers, struct rte_mempool *mp);
void port_teardown(void);

#endif
