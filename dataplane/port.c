/* SPDX-License-Identifier: BSD-3-Clause */
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_ethdev.h>

#include "conf/conf.h"
#include "ctrl/log.h"

struct port_info port_tab[VIPD_MAX_PORTS];
unsigned port_n;
int16_t port_by_id[RTE_MAX_ETHPORTS];

#define RX_DESC 1024
#define TX_DESC 1024

static char *xstrdup(const char *s)
{
	char *r = strdup(s);
	if (r == NULL)
		abort();
	return r;
}

static bool has_arg(int n, char **v, const char *a)
{
	size_t l = strlen(a);
	for (int i = 0; i < n; i++)
		if (strncmp(v[i], a, l) == 0)
			return true;
	return false;
}

/* af_packet needs one socket per worker queue, and says so with qpairs. */
static char *vdev_arg(const char *dev, unsigned workers)
{
	char buf[CONF_STR_MAX + 32];
	if (strncmp(dev, "net_af_packet", 13) == 0 && strstr(dev, "qpairs=") == NULL &&
	    workers > 1)
		snprintf(buf, sizeof(buf), "--vdev=%s,qpairs=%u", dev, workers);
	else
		snprintf(buf, sizeof(buf), "--vdev=%s", dev);
	return xstrdup(buf);
}

int port_eal_args(const struct vipd_conf *c, const char *argv0, int n_extra,
		  char **extra, char ***out)
{
	int max = 8 + (int)c->dpdk.n_eal_args + n_extra + 2 * (int)c->n_ports;
	char **v = calloc((size_t)max, sizeof(*v));
	int n = 0;
	bool any_pci = false;

	if (v == NULL)
		return -ENOMEM;
	v[n++] = xstrdup(argv0);
	for (unsigned i = 0; i < c->dpdk.n_eal_args; i++)
		v[n++] = xstrdup(c->dpdk.eal_args[i]);
	for (int i = 0; i < n_extra; i++)
		v[n++] = xstrdup(extra[i]);
	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct conf_port *p = &c->ports[i];
		if (p->is_pci) {
			any_pci = true;
			v[n++] = xstrdup("-a");
			v[n++] = xstrdup(p->device);
		} else {
			v[n++] = vdev_arg(p->device, c->dpdk.workers);
		}
	}
	/* Never probe a PCI device the config did not name. */
	if (!any_pci && !has_arg(n, v, "--no-pci"))
		v[n++] = xstrdup("--no-pci");
	if (!has_arg(n, v, "-l") && !has_arg(n, v, "--lcores") && !has_arg(n, v, "-c")) {
		/*
		 * Let the control and worker lcores float over the CPUs this process
		 * may use: pinning is for dedicated hardware, set it with eal_args.
		 */
		cpu_set_t cs;
		int lo = -1, hi = -1;
		if (sched_getaffinity(0, sizeof(cs), &cs) == 0)
			for (int i = 0; i < CPU_SETSIZE; i++)
				if (CPU_ISSET(i, &cs)) {
					if (lo < 0)
						lo = i;
					hi = i;
				}
		if (lo < 0)
			lo = hi = 0;
		char buf[64];
		snprintf(buf, sizeof(buf), "--lcores=(0-%u)@(%d-%d)", c->dpdk.workers, lo, hi);
		v[n++] = xstrdup(buf);
	}
	*out = v;
	return n;
}

static void dev_name_of(const struct conf_port *p, char *name, size_t len)
{
	snprintf(name, len, "%s", p->device);
	char *comma = strchr(name, ',');
	if (comma)
		*comma = '\0';
}

static void write_sysctl(const char *ifname, const char *path_fmt, const char *val)
{
	char path[256];
	snprintf(path, sizeof(path), path_fmt, ifname);
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(val, f) < 0)
		VLOG_WARN("%s: cannot set %s: %s", ifname, path, strerror(errno));
	if (f)
		fclose(f);
}

/*
 * An af_packet port shares its interface with the kernel, which would answer
 * ARP and ICMP for the director's own address there too (the address lives on
 * the TAP twin, but Linux answers for local addresses on any interface): every
 * such frame would be answered twice. Keep the kernel's stack off the
 * interface, as a NIC bound to DPDK would be.
 */
static void claim_af_packet_iface(const char *device)
{
	const char *p = strstr(device, "iface=");
	char ifname[IFNAMSIZ];
	size_t n;

	if (strncmp(device, "net_af_packet", 13) != 0 || p == NULL)
		return;
	p += 6;
	n = strcspn(p, ",");
	if (n == 0 || n >= sizeof(ifname))
		return;
	memcpy(ifname, p, n);
	ifname[n] = '\0';
	write_sysctl(ifname, "/proc/sys/net/ipv4/conf/%s/arp_ignore", "8");
	write_sysctl(ifname, "/proc/sys/net/ipv4/conf/%s/rp_filter", "1");
	write_sysctl("all", "/proc/sys/net/ipv4/conf/%s/rp_filter", "1");
	write_sysctl(ifname, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", "1");
}

static int queues_start(uint16_t id, uint16_t nrx, uint16_t ntx, struct rte_mempool *mp,
			const char *what)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf ec;
	int rc;

	memset(&ec, 0, sizeof(ec));
	rc = rte_eth_dev_info_get(id, &info);
	if (rc)
		return rc;
	if (ntx > info.max_tx_queues) {
		VLOG_ERR("port %s: %u workers need %u tx queues, the device has %u", what,
			 ntx, ntx, info.max_tx_queues);
		return -ENOTSUP;
	}
	if (nrx > info.max_rx_queues)
		nrx = info.max_rx_queues;
	if (nrx > 1 && info.flow_type_rss_offloads) {
		ec.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		ec.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
						 (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		ec.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	rc = rte_eth_dev_configure(id, nrx, ntx, &ec);
	if (rc) {
		VLOG_ERR("port %s: configure: %s", what, rte_strerror(-rc));
		return rc;
	}
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < nrx; q++) {
		rc = rte_eth_rx_queue_setup(id, q, nb_rxd, rte_eth_dev_socket_id(id), NULL, mp);
		if (rc) {
			VLOG_ERR("port %s: rx queue %u: %s", what, q, rte_strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < ntx; q++) {
		rc = rte_eth_tx_queue_setup(id, q, nb_txd, rte_eth_dev_socket_id(id), NULL);
		if (rc) {
			VLOG_ERR("port %s: tx queue %u: %s", what, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(id);
	if (rc) {
		VLOG_ERR("port %s: start: %s", what, rte_strerror(-rc));
		return rc;
	}
	return nrx;
}

static int ifreq_addr(int fd, unsigned long req, const char *ifname, uint32_t a)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	return ioctl(fd, req, &ifr);
}

/* Give the kernel twin the director's address and default route. */
static int kernel_addr(const struct conf_port *p, const char *ifname)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rc = 0;
	uint32_t mask = p->prefixlen ? htonl(~0u << (32 - p->prefixlen)) : 0;
	struct ifreq ifr;

	if (fd < 0)
		return -errno;
	if (ifreq_addr(fd, SIOCSIFADDR, ifname, p->addr) < 0 ||
	    ifreq_addr(fd, SIOCSIFNETMASK, ifname, mask) < 0) {
		rc = -errno;
		goto out;
	}
	/*
	 * The kernel's queue toward vipd: health checks of thousands of real
	 * servers burst past the default 1000 frames while the control core
	 * sleeps between polls.
	 */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_qlen = 10000;
	if (ioctl(fd, SIOCSIFTXQLEN, &ifr) < 0)
		VLOG_WARN("%s: txqueuelen: %s", ifname, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if (p->gateway) {
		struct rtentry rt;
		memset(&rt, 0, sizeof(rt));
		((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
		((struct sockaddr_in *)&rt.rt_gateway)->sin_addr.s_addr = p->gateway;
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		rt.rt_dev = (char *)ifname;
		if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST)
			VLOG_WARN("%s: default route: %s", ifname, strerror(errno));
	}
out:
	close(fd);
	return rc;
}

static int tap_setup(unsigned idx, const struct conf_port *cp, struct port_info *pi,
		     struct rte_mempool *mp)
{
	char vname[32], args[128];
	uint16_t id;
	int rc;

	snprintf(vname, sizeof(vname), "net_tap_vipd%u", idx);
	snprintf(args, sizeof(args), "iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, pi->kernel_name,
		 RTE_ETHER_ADDR_BYTES(&pi->mac));
	rc = rte_vdev_init(vname, args);
	if (rc) {
		VLOG_ERR("port %s: creating kernel interface %s: %s", pi->name, pi->kernel_name,
			 rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_get_port_by_name(vname, &id);
	if (rc)
		return rc;
	rc = queues_start(id, 1, 1, mp, pi->kernel_name);
	if (rc < 0)
		return rc;
	pi->tap = id;
	rc = kernel_addr(cp, pi->kernel_name);
	if (rc) {
		VLOG_ERR("%s: setting address: %s", pi->kernel_name, strerror(-rc));
		return rc;
	}
	return 0;
}

int port_setup(const struct vipd_conf *c, unsigned n_workers, struct rte_mempool *mp)
{
	for (unsigned i = 0; i < RTE_MAX_ETHPORTS; i++)
		port_by_id[i] = -1;
	if (c->n_ports > VIPD_MAX_PORTS) {
		VLOG_ERR("at most %u ports", VIPD_MAX_PORTS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct conf_port *cp = &c->ports[i];
		struct port_info *pi = &port_tab[i];
		char dname[CONF_STR_MAX];
		int rc;

		memset(pi, 0, sizeof(*pi));
		snprintf(pi->name, sizeof(pi->name), "%s", cp->name);
		snprintf(pi->kernel_name, sizeof(pi->kernel_name), "%s", cp->kernel_name);
		pi->addr = cp->addr;
		pi->prefixlen = cp->prefixlen;
		pi->tap = PORT_NONE;
		dev_name_of(cp, dname, sizeof(dname));
		claim_af_packet_iface(cp->device);
		rc = rte_eth_dev_get_port_by_name(dname, &pi->id);
		if (rc) {
			VLOG_ERR("port %s: device %s not found (%s)", cp->name, dname,
				 rte_strerror(-rc));
			return -ENODEV;
		}
		rc = queues_start(pi->id, (uint16_t)n_workers, (uint16_t)n_workers, mp, cp->name);
		if (rc < 0)
			return rc;
		pi->n_rxq = (uint16_t)rc;
		/* VRRP's virtual MAC and multicast adverts must reach us. */
		rte_eth_promiscuous_enable(pi->id);
		rte_eth_allmulticast_enable(pi->id);
		rte_eth_macaddr_get(pi->id, &pi->mac);
		pi->mac64 = 0;
		memcpy(&pi->mac64, &pi->mac, RTE_ETHER_ADDR_LEN);
		if (rte_eth_dev_get_mtu(pi->id, &pi->mtu) != 0 || pi->mtu == 0)
			pi->mtu = RTE_ETHER_MTU;
		port_by_id[pi->id] = (int16_t)i;

		char rname[32];
		snprintf(rname, sizeof(rname), "vipd_inject%u", i);
		pi->inject = rte_ring_create(rname, 1024, rte_eth_dev_socket_id(pi->id),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (pi->inject == NULL)
			return -ENOMEM;
		if (cp->kernel) {
			rc = tap_setup(i, cp, pi, mp);
			if (rc)
				return rc;
		}
		VLOG_INFO("port %s: dpdk port %u, mac " RTE_ETHER_ADDR_PRT_FMT
			  ", %u rx queues, kernel %s",
			  pi->name, pi->id, RTE_ETHER_ADDR_BYTES(&pi->mac), pi->n_rxq,
			  cp->kernel ? pi->kernel_name : "(none)");
		port_n = i + 1;
	}
	return 0;
}

void port_teardown(void)
{
	for (unsigned i = 0; i < port_n; i++) {
		struct port_info *pi = &port_tab[i];
		if (pi->tap != PORT_NONE) {
			rte_eth_dev_stop(pi->tap);
			rte_eth_dev_close(pi->tap);
		}
		rte_eth_dev_stop(pi->id);
		rte_eth_dev_close(pi->id);
	}
	port_n = 0;
}
