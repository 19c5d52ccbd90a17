/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_track.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "conf/conf.h"
#include "ctrl/model.h"
#include "dataplane/port.h"
#include "dataplane/rs.h"

static int ioctl_fd = -1;

int vrrp_track_init(void)
{
	ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return ioctl_fd < 0 ? -errno : 0;
}

void vrrp_track_fini(void)
{
	if (ioctl_fd >= 0)
		close(ioctl_fd);
	ioctl_fd = -1;
}

/* IFF_* flags of a kernel interface of this namespace, or -errno. */
static int if_flags(const char *name)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(ioctl_fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	return ifr.ifr_flags & 0xffff;
}

/* The kernel interface an af_packet port reads ("net_af_packet0,iface=X"). */
static bool af_packet_iface(const char *device, char *out, size_t len)
{
	const char *p = strstr(device, "iface=");
	if (strncmp(device, "net_af_packet", 13) != 0 || p == NULL)
		return false;
	p += 6;
	size_t n = strcspn(p, ",");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

bool vrrp_track_port_up(const struct vipd_conf *c, unsigned p, char *why, size_t len)
{
	const struct port_info *pi = &port_tab[p];
	struct rte_eth_link link;
	char ifname[IFNAMSIZ];

	if (p >= port_n) {
		snprintf(why, len, "port %u does not exist", p);
		return false;
	}
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(pi->id, &link) == 0 && link.link_status == RTE_ETH_LINK_DOWN) {
		snprintf(why, len, "port %s: link down", pi->name);
		return false;
	}
	if (af_packet_iface(c->ports[p].device, ifname, sizeof(ifname))) {
		int f = if_flags(ifname);
		if (f < 0 || !(f & IFF_UP) || !(f & IFF_RUNNING)) {
			snprintf(why, len, "port %s: interface %s %s", pi->name, ifname,
				 f < 0 ? "gone" : !(f & IFF_UP) ? "down" : "has no carrier");
			return false;
		}
	}
	if (pi->tap != PORT_NONE) {
		int f = if_flags(pi->kernel_name);
		if (f < 0 || !(f & IFF_UP)) {
			snprintf(why, len, "port %s: kernel interface %s %s", pi->name,
				 pi->kernel_name, f < 0 ? "gone" : "down");
			return false;
		}
	}
	return true;
}

static bool serves(const struct conf_vrrp *v, uint32_t addr)
{
	for (unsigned k = 0; k < v->n_vips; k++)
		if (v->vips[k] == addr)
			return true;
	return false;
}

bool vrrp_track_neigh_ready(const struct conf_vrrp *v)
{
	const struct vipd_conf *c = model.conf;
	for (unsigned s = 0; c && s < c->n_vs; s++) {
		if (!serves(v, c->vs[s].addr))
			continue;
		const struct model_svc *ms = &model.svc[s];
		for (unsigned j = 0; j < ms->n_rs; j++) {
			const struct rs_slot *r = rs_get(ms->rs[j]);
			if (ms->up[j] && r && !(rs_mac(r) & RS_MAC_VALID))
				return false;
		}
	}
	return true;
}

unsigned vrrp_track_svc_penalty(const struct conf_vrrp *v)
{
	const struct vipd_conf *c = model.conf;
	unsigned pen = 0;
	if (v->priority == 255 || c == NULL)
		return 0;
	for (unsigned s = 0; s < c->n_vs; s++) {
		const struct conf_vs *vs = &c->vs[s];
		if (serves(v, vs->addr) && vs->n_rs > 0 && model_live_weight(s) == 0)
			pen += VRRP_TRACK_SVC_PENALTY;
	}
	return pen;
}

uint8_t vrrp_track_priority(const struct conf_vrrp *v)
{
	int prio = (int)v->priority - (int)vrrp_track_svc_penalty(v);
	if (v->priority == 255)
		return 255;
	return (uint8_t)(prio < 1 ? 1 : prio);
}
