/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf ports: keepalived drives kernel interfaces and never names the
 * director's own address on them; vipd needs a port per interface with
 * that address. One port per distinct vrrp_instance interface, named after
 * it; the address comes from --address, else from the first unicast_src_ip
 * on the interface (with the prefix of a virtual_ipaddress written with
 * one, else /24, said), else a 192.0.2.0/24 placeholder (said, and marked).
 */
#include "kaconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- ports ----------------------------------------------------------------- */

static const char *const kaconf_port_order[] = {
	"name", "device", "address", "kernel_name", NULL,
};

struct kaconf_port *kaconf_port_find(struct kaconf_cx *cx, const char *ifname)
{
	for (unsigned i = 0; i < cx->n_ports; i++)
		if (strcmp(cx->port[i].ifname, ifname) == 0)
			return &cx->port[i];
	return NULL;
}

static bool ifname_ok(const char *s)
{
	/* What Linux takes (1..15 bytes, no '/' or blank), and no ',' that
	 * would end the iface= devarg; a ':' (eth0:1) becomes '_' below. */
	if (!*s || strlen(s) > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ',' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

/*
 * One vipd port per keepalived interface. Its name is the interface's,
 * made safe for vipd (letters, digits, '-', '_', '.'); its device reads the
 * kernel interface through net_af_packet, which works anywhere and which the
 * operator replaces by the NIC's PCI address for DPDK proper.
 */
struct kaconf_port *kaconf_port_get(struct kaconf_cx *cx, const struct kaconf_node *n,
				    const char *ifname)
{
	struct kaconf_port *p = kaconf_port_find(cx, ifname);
	const char *kw = n ? n->kw : "--address"; /* n NULL: not from the file */
	char *dev;

	if (p)
		return p;
	if (!ifname_ok(ifname)) {
		kaconf_err(cx, n, "%s: '%s' is not a Linux interface name", kw, ifname);
		return NULL;
	}
	if (cx->n_ports == KACONF_MAX_PORTS) {
		kaconf_err(cx, n, "%s: more than %d interfaces", kw, KACONF_MAX_PORTS);
		return NULL;
	}
	p = &cx->port[cx->n_ports];
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	for (unsigned i = 0; ifname[i]; i++)
		p->name[i] = isalnum((unsigned char)ifname[i]) || strchr("-_.", ifname[i])
				     ? ifname[i] : '_';
	for (unsigned i = 0; i < cx->n_ports; i++) {
		if (strcmp(cx->port[i].name, p->name) == 0) {
			/* eth0:1 and eth0_1 both became eth0_1 */
			snprintf(p->name + strlen(p->name), 8, "_%u", cx->n_ports % 100);
			break;
		}
	}
	if (strcmp(p->name, ifname) != 0)
		kaconf_warn(cx, n, "%s: interface '%s' becomes port '%s' (vipd port names take letters, digits, '-', '_' and '.')",
			    kw, ifname, p->name);
	p->where = n;
	p->g = kv_group(NULL, kaconf_port_order, n);
	kv_set(p->g, "name", kv_quote(p->name), n);
	dev = kaconf_fmt("net_af_packet%u,iface=%s", cx->n_ports, ifname);
	kv_set(p->g, "device", kv_quote(dev), n);
	free(dev);
	kv_note(kv_find(p->g, "device"),
		"CHECK: keepalived's interface %s, read through net_af_packet (DPDK on the kernel's interface).",
		ifname);
	kv_note(kv_find(p->g, "device"),
		"For a NIC that vipd should drive itself, write its PCI address (0000:03:00.0).");
	if (strlen(p->name) > 10) {
		/* The TAP mirror's default name, vipd-NAME, would pass IFNAMSIZ. */
		kv_set(p->g, "kernel_name", kaconf_fmt("\"vipd-p%u\"", cx->n_ports), n);
		kv_note(kv_find(p->g, "kernel_name"),
			"The default TAP name vipd-%s would not fit Linux's 15 characters.", p->name);
	}
	kv_add(cx->ports, p->g);
	cx->n_ports++;
	return p;
}

/* The longest prefix written on a VIP of this interface that holds addr. */
static unsigned port_prefix(const struct kaconf_port *p, uint32_t addr)
{
	unsigned best = 0;

	for (unsigned i = 0; i < p->n_nets; i++) {
		unsigned len = p->nets[i].len;
		uint32_t mask = len ? htonl(0xffffffffu << (32 - len)) : 0;

		if (((p->nets[i].addr ^ addr) & mask) == 0 && len > best)
			best = len;
	}
	return best;
}

static const char *opt_addr(const struct kaconf_opts *o, const char *ifname)
{
	for (unsigned i = 0; o && i < o->n_addrs; i++)
		if (strcmp(o->addrs[i].ifname, ifname) == 0)
			return o->addrs[i].addr;
	return NULL;
}

/* The director's own address on each port, which keepalived never names. */
void kaconf_ports_finish(struct kaconf_cx *cx)
{
	const struct kaconf_opts *o = cx->opts;
	char ip[16];

	for (unsigned i = 0; o && i < o->n_addrs; i++) {
		if (kaconf_port_find(cx, o->addrs[i].ifname))
			continue;
		if (cx->n_ports == 0) {
			/* No VRRP at all: the option names the one port. */
			kaconf_port_get(cx, NULL, o->addrs[i].ifname);
			continue;
		}
		kaconf_logf(cx->lg, false, NULL, 0,
			    "--address %s: no vrrp_instance uses interface %s; ignored",
			    o->addrs[i].ifname, o->addrs[i].ifname);
	}
	if (cx->n_ports == 0) {
		const struct kaconf_node *top = cx->tree->root.child;

		kaconf_logf(cx->lg, false, cx->tree->files[0]->path, top ? top->line : 0,
			    "ports: no vrrp_instance names an interface, and vipd needs a port: wrote port lan0 with the placeholder address 192.0.2.1/24; set both, or use --address IFNAME=A.B.C.D/LEN");
		kaconf_port_get(cx, NULL, "lan0");
	}
	for (unsigned i = 0; i < cx->n_ports; i++) {
		struct kaconf_port *p = &cx->port[i];
		const char *given = opt_addr(o, p->ifname);
		const struct kaconf_node *at = p->src_node ? p->src_node : p->where;
		struct kaconf_val *v;
		unsigned len;

		if (given) {
			v = kv_new(KV_SCALAR, "address", at);
			v->text = kv_quote(given);
			kv_note(v, "The director's address on %s, from --address.", p->ifname);
		} else if (p->src_node) {
			len = port_prefix(p, p->src);
			v = kv_new(KV_SCALAR, "address", at);
			v->text = kaconf_fmt("\"%s/%u\"", kaconf_ip_str(p->src, ip), len ? len : 24);
			if (len) {
				kv_note(v, "The director's address on %s: unicast_src_ip (%s:%u), with the prefix of a virtual_ipaddress.",
					p->ifname, at->file->show, at->line);
			} else {
				kaconf_warn(cx, at, "%s: port %s gets %s/24: keepalived.conf gives no prefix length, /24 is assumed (check it, or use --address %s=A.B.C.D/LEN)",
					    at->kw, p->name, ip, p->ifname);
				kv_note(v, "CHECK: the director's address on %s is unicast_src_ip (%s:%u); the /24 is assumed.",
					p->ifname, at->file->show, at->line);
			}
		} else {
			v = kv_new(KV_SCALAR, "address", at);
			v->text = kaconf_fmt("\"192.0.2.%u/24\"", i + 1);
			if (at)
				kaconf_warn(cx, at, "%s: keepalived.conf does not give the director's own address on %s: wrote the placeholder 192.0.2.%u/24; set it, give unicast_src_ip, or use --address %s=A.B.C.D/LEN",
					    at->kw, p->ifname, i + 1, p->ifname);
			kv_note(v, "CHECK: PLACEHOLDER (TEST-NET-1): write the director's own address on %s and its prefix length.",
				p->ifname);
		}
		kv_add(p->g, v);
	}
}
