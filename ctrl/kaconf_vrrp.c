/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf: vrrp_instance NAME { ... } into vrrp_instances. keepalived's own
 * corrections are applied as keepalived applies them (and said): nopreempt
 * and preempt_delay are cleared with state MASTER or priority 255, an
 * auth_pass is cut to its first 8 characters, VRRPv3 carries no
 * authentication. What vipd has no way to express is dropped and reported.
 */
#include "kaconf.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kaconf_vrrp_order[] = {
	"name", "state", "interface", "virtual_router_id", "priority", "advert_int",
	"version", "authentication", "unicast_src_ip", "unicast_peer",
	"virtual_ipaddress", "preempt", "preempt_delay", "use_vmac",
	"garp_master_delay", "garp_master_repeat", "garp_master_refresh",
	"track_interface", "track_script", "notify_master", "notify_backup", "notify_fault",
	"notify_stop", "notify", "smtp_alert", NULL,
};

static const char *const kaconf_auth_order[] = { "auth_type", "auth_pass", NULL };

#define VRRP_MAX_VIP_BLOCKS 8

/* What the walk leaves for the end of the instance. */
struct vrrp_st {
	struct kaconf_port *port;
	unsigned n_vip_blocks;
	const struct kaconf_node *vip_blocks[VRRP_MAX_VIP_BLOCKS];
};

static void v_state(struct kaconf_cx *cx, const struct kaconf_node *n,
		    const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	const char *s = kaconf_arg(cx, n, 0, "MASTER or BACKUP");

	(void)m;
	(void)obj;
	if (!s)
		return;
	/* keepalived compares exactly and starts anything else as BACKUP. */
	if (strcmp(s, "MASTER") != 0 && strcmp(s, "BACKUP") != 0) {
		kaconf_warn(cx, n, "state: '%s' is neither MASTER nor BACKUP; keepalived starts it as BACKUP, so does this file",
			    s);
		s = "BACKUP";
	}
	kaconf_extra(cx, n, 1);
	kaconf_set(cx, g, "state", kv_quote(s), n);
}

static void v_interface(struct kaconf_cx *cx, const struct kaconf_node *n,
			const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct vrrp_st *st = obj;
	const char *s = kaconf_arg(cx, n, 0, "interface name");

	(void)m;
	if (!s)
		return;
	/* Ports were made before the walk; an unusable name was reported then. */
	st->port = kaconf_port_find(cx, s);
	if (!st->port)
		return;
	kaconf_extra(cx, n, 1);
	kaconf_set(cx, g, "interface", kv_quote(st->port->name), n);
}

static void v_nopreempt(struct kaconf_cx *cx, const struct kaconf_node *n,
			const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)m;
	(void)obj;
	kaconf_extra(cx, n, 0);
	kaconf_set(cx, g, "preempt", kaconf_strdup("false"), n);
}

static void v_use_vmac(struct kaconf_cx *cx, const struct kaconf_node *n,
		       const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)m;
	(void)obj;
	if (n->n_args)
		kaconf_unsup(cx, n, "use_vmac", "the vmac interface name: vipd answers with the virtual MAC on its port, no kernel vmac interface");
	kv_set(g, "use_vmac", kaconf_strdup("true"), n);
}

static void v_auth(struct kaconf_cx *cx, const struct kaconf_node *n,
		   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	const struct kaconf_node *type = NULL, *pass = NULL;
	struct kaconf_val *a;
	char cut[9];

	(void)m;
	(void)obj;
	for (const struct kaconf_node *c = n->child; c; c = c->next) {
		if (strcmp(c->kw, "auth_type") == 0 && !c->block)
			type = c;
		else if (strcmp(c->kw, "auth_pass") == 0 && !c->block)
			pass = c;
		else
			kaconf_unsup(cx, c, c->kw, "not an authentication keyword");
	}
	if (type && !kaconf_arg(cx, type, 0, "PASS or AH"))
		return;
	if (pass && !kaconf_arg(cx, pass, 0, "password"))
		return;
	if (!type) {
		if (pass)
			kaconf_warn(cx, pass, "auth_pass: no auth_type, so keepalived sends no authentication; dropped");
		return;
	}
	if (strcmp(type->args[0], "AH") == 0) {
		kaconf_unsup(cx, type, "auth_type AH", "obsolete, RFC 3768 removed it; the peers must change too");
		return;
	}
	if (strcmp(type->args[0], "PASS") != 0) {
		kaconf_err(cx, type, "auth_type: '%s' is neither PASS nor AH", type->args[0]);
		return;
	}
	if (!pass) {
		kaconf_err(cx, type, "authentication: auth_type PASS without auth_pass");
		return;
	}
	snprintf(cut, sizeof(cut), "%s", pass->args[0]);
	if (strlen(pass->args[0]) > 8)
		kaconf_warn(cx, pass, "auth_pass: '%s' cut to its first 8 characters '%s', the part keepalived sends (vipd refuses a longer one)",
			    pass->args[0], cut);
	kaconf_extra(cx, type, 1);
	kaconf_extra(cx, pass, 1);
	a = kv_group("authentication", kaconf_auth_order, n);
	kv_set(a, "auth_type", kv_quote("PASS"), type);
	kv_set(a, "auth_pass", kv_quote(cut), pass);
	kv_add(g, a);
}

/* unicast_peer { IP [min_ttl N] [max_ttl N] ... } */
static void v_peers(struct kaconf_cx *cx, const struct kaconf_node *n,
		    const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *arr = kv_new(KV_ARRAY, "unicast_peer", n);
	uint32_t seen[16];
	unsigned count = 0;
	char ip[16];

	(void)m;
	(void)obj;
	for (const struct kaconf_node *c = n->child; c; c = c->next) {
		uint32_t a;
		int rc = kaconf_parse_ip(c->kw, &a);
		unsigned i;

		if (rc < 0) {
			kaconf_err(cx, c, "unicast_peer: '%s' is not an IP address", c->kw);
			continue;
		}
		if (rc == 0) {
			kaconf_unsup(cx, c, "unicast_peer", "IPv6 is not supported yet");
			continue;
		}
		if (c->n_args)
			kaconf_unsup(cx, c, c->args[0], "vipd checks no TTL range on unicast adverts");
		for (i = 0; i < count && seen[i] != a; i++)
			;
		if (i < count) {
			kaconf_warn(cx, c, "unicast_peer: %s is listed twice; once is kept", c->kw);
			continue;
		}
		if (count == 16) {
			kaconf_err(cx, c, "unicast_peer: more than 16 peers");
			break;
		}
		seen[count++] = a;
		struct kaconf_val *v = kv_new(KV_SCALAR, NULL, c);

		v->text = kv_quote(kaconf_ip_str(a, ip));
		kv_add(arr, v);
	}
	kv_add(g, arr);
}

static void v_vips_later(struct kaconf_cx *cx, const struct kaconf_node *n,
			 const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct vrrp_st *st = obj;

	(void)m;
	(void)g;
	/* Read at the end: `dev` is compared with the interface, given anywhere. */
	if (st->n_vip_blocks == VRRP_MAX_VIP_BLOCKS)
		kaconf_err(cx, n, "virtual_ipaddress: more than %d blocks", VRRP_MAX_VIP_BLOCKS);
	else
		st->vip_blocks[st->n_vip_blocks++] = n;
}

/* IP[/len] [dev X] [brd X] [scope X] [label X] [flags...] */
static void vip_line(struct kaconf_cx *cx, const struct kaconf_node *c,
		     struct vrrp_st *st, struct kaconf_val *arr, unsigned *count)
{
	static const char *const valued[] = {
		"dev", "brd", "broadcast", "scope", "label", "preferred_lft", "track_group",
	};
	char addr[64], ip[16];
	unsigned long len = 32;
	char *slash;
	uint32_t a;
	int rc;

	snprintf(addr, sizeof(addr), "%s", c->kw);
	slash = strchr(addr, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		len = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || len > 32) {
			kaconf_err(cx, c, "virtual_ipaddress: '%s' has a bad prefix length", c->kw);
			return;
		}
	}
	rc = kaconf_parse_ip(addr, &a);
	if (rc < 0) {
		kaconf_err(cx, c, "virtual_ipaddress: '%s' is not an IP address", c->kw);
		return;
	}
	if (rc == 0) {
		kaconf_unsup(cx, c, "virtual_ipaddress", "IPv6 is not supported yet");
		return;
	}
	for (unsigned i = 0; i < c->n_args; i++) {
		const char *o = c->args[i];
		bool has_val = false;

		for (unsigned k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			has_val |= strcmp(o, valued[k]) == 0;
		if (has_val && i + 1 == c->n_args) {
			kaconf_err(cx, c, "virtual_ipaddress: %s needs a value", o);
			return;
		}
		if (strcmp(o, "dev") == 0 && st->port &&
		    strcmp(c->args[i + 1], st->port->ifname) == 0) {
			i++; /* the instance's own interface: what vipd does anyway */
			continue;
		}
		if (strcmp(o, "dev") == 0)
			kaconf_unsup(cx, c, "dev", "vipd answers for a virtual address on the instance's own port only");
		else
			kaconf_unsup(cx, c, o, "vipd puts no address on a kernel interface: the address alone is kept");
		i += has_val;
	}
	/* The subnet written on a VIP hints at the port's own prefix. */
	if (slash && len && len < 32 && st->port && st->port->n_nets < 32) {
		st->port->nets[st->port->n_nets].addr = a;
		st->port->nets[st->port->n_nets++].len = (unsigned)len;
	}
	char *q = kv_quote(kaconf_ip_str(a, ip));

	for (struct kaconf_val *v = arr->first; v; v = v->next) {
		if (strcmp(v->text, q) == 0) {
			kaconf_warn(cx, c, "virtual_ipaddress: %s is listed twice; once is kept", ip);
			free(q);
			return;
		}
	}
	if (++*count > 32) {
		kaconf_err(cx, c, "virtual_ipaddress: more than 32 addresses in one instance");
		free(q);
		return;
	}
	struct kaconf_val *v = kv_new(KV_SCALAR, NULL, c);

	v->text = q;
	kv_add(arr, v);
}

static void v_track_if(struct kaconf_cx *cx, const struct kaconf_node *n,
		       const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *arr = kv_new(KV_ARRAY, "track_interface", n);
	unsigned count = 0;

	(void)m;
	(void)obj;
	for (const struct kaconf_node *c = n->child; c; c = c->next) {
		struct kaconf_port *p = kaconf_port_find(cx, c->kw);

		if (!p) {
			char what[64];

			snprintf(what, sizeof(what), "track_interface %.40s", c->kw);
			kaconf_unsup(cx, c, what, "vipd tracks its own ports only, and no vrrp_instance uses this interface");
			continue;
		}
		if (c->n_args)
			kaconf_unsup(cx, c, c->args[0], "a tracked port that goes down puts the instance in FAULT; no priority weight");
		if (count++ == 16) {
			kaconf_err(cx, c, "track_interface: more than 16 interfaces");
			break;
		}
		struct kaconf_val *v = kv_new(KV_SCALAR, NULL, c);

		v->text = kv_quote(p->name);
		kv_add(arr, v);
	}
	if (arr->first)
		kv_add(g, arr);
	else
		kv_free(arr);
}

/*
 * track_script { NAME [weight N [reverse]] }: the names, each element keeping
 * its line; kaconf_vrrp_finish resolves them once every vrrp_script is read.
 */
static void v_track_script(struct kaconf_cx *cx, const struct kaconf_node *n,
			   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *arr = kv_find(g, "track_script");

	(void)m;
	(void)obj;
	/* keepalived adds every block's entries to the instance. */
	if (!arr) {
		arr = kv_new(KV_ARRAY, "track_script", n);
		kv_add(g, arr);
	}
	for (const struct kaconf_node *c = n->child; c; c = c->next) {
		struct kaconf_val *v;

		if (strlen(c->kw) > 63) {
			kaconf_err(cx, c, "track_script: the name '%s' is longer than 63 characters",
				   c->kw);
			continue;
		}
		v = kv_new(KV_SCALAR, NULL, c);
		v->text = kv_quote(c->kw);
		kv_add(arr, v);
	}
}

static const struct kaconf_map kaconf_vrrp_tab[] = {
	{ .kw = "state", .act = KA_FN, .fn = v_state },
	{ .kw = "interface", .act = KA_FN, .fn = v_interface },
	{ .kw = "virtual_router_id", .act = KA_UINT, .key = "virtual_router_id",
	  .min = 1, .max = 255 },
	{ .kw = "priority", .act = KA_UINT, .key = "priority", .min = 1, .max = 255 },
	{ .kw = "advert_int", .act = KA_SECS, .key = "advert_int", .min = 0.01, .max = 255 },
	{ .kw = "version", .act = KA_UINT, .key = "version", .min = 2, .max = 3 },
	{ .kw = "nopreempt", .act = KA_FN, .fn = v_nopreempt },
	{ .kw = "preempt", .act = KA_FLAG, .key = "preempt" },
	{ .kw = "preempt_delay", .act = KA_SECS, .key = "preempt_delay", .max = 1000 },
	{ .kw = "authentication", .act = KA_FN, .fn = v_auth, .block = true },
	{ .kw = "unicast_src_ip", .act = KA_ADDR, .key = "unicast_src_ip" },
	{ .kw = "mcast_src_ip", .act = KA_ADDR, .key = "unicast_src_ip" },
	{ .kw = "unicast_peer", .act = KA_FN, .fn = v_peers, .block = true },
	{ .kw = "virtual_ipaddress", .act = KA_FN, .fn = v_vips_later, .block = true },
	{ .kw = "track_interface", .act = KA_FN, .fn = v_track_if, .block = true },
	{ .kw = "notify_master", .act = KA_SCRIPT, .key = "notify_master" },
	{ .kw = "notify_backup", .act = KA_SCRIPT, .key = "notify_backup" },
	{ .kw = "notify_fault", .act = KA_SCRIPT, .key = "notify_fault" },
	{ .kw = "notify_stop", .act = KA_SCRIPT, .key = "notify_stop" },
	{ .kw = "notify", .act = KA_SCRIPT, .key = "notify" },
	{ .kw = "smtp_alert", .act = KA_FLAG, .key = "smtp_alert" },
	{ .kw = "garp_master_delay", .act = KA_SECS, .key = "garp_master_delay", .max = 3600 },
	{ .kw = "garp_master_repeat", .act = KA_UINT, .key = "garp_master_repeat",
	  .min = 1, .max = 255 },
	{ .kw = "garp_master_refresh", .act = KA_SECS, .key = "garp_master_refresh",
	  .max = 86400 },
	{ .kw = "use_vmac", .act = KA_FN, .fn = v_use_vmac },
	{ .kw = "track_script", .act = KA_FN, .fn = v_track_script, .block = true },
	KA_ROW_UNSUPB("virtual_ipaddress_excluded", "vipd has no addresses left out of adverts: list them in virtual_ipaddress, the peers must agree"),
	KA_ROW_UNSUPB("virtual_routes", KA_VNOEQ),
	KA_ROW_UNSUPB("virtual_rules", KA_VNOEQ),
	KA_ROW_UNSUPB("track_file", KA_VNOEQ),
	KA_ROW_UNSUPB("track_process", KA_VNOEQ),
	KA_ROW_UNSUPB("track_bfd", KA_VNOEQ),
	KA_ROW_UNSUP("lvs_sync_daemon_interface", "no connection synchronisation between directors: a failover drops established sessions"),
	KA_ROW_UNSUP("dont_track_primary", KA_VNOEQ),
	KA_ROW_UNSUP("accept", KA_VNOEQ),
	KA_ROW_UNSUP("no_accept", KA_VNOEQ),
	KA_ROW_UNSUP("strict_mode", KA_VNOEQ),
	KA_ROW_UNSUP("skip_check_adv_addr", KA_VNOEQ),
	KA_ROW_UNSUP("native_ipv6", "IPv6 is not supported yet"),
	KA_ROW_UNSUP("vmac_xmit_base", KA_VNOEQ),
	KA_ROW_UNSUP("garp_master_refresh_repeat", KA_VNOEQ),
	KA_ROW_UNSUP("garp_lower_prio_delay", KA_VNOEQ),
	KA_ROW_UNSUP("garp_lower_prio_repeat", KA_VNOEQ),
	KA_ROW_UNSUP("lower_prio_no_advert", KA_VNOEQ),
	KA_ROW_UNSUP("higher_prio_send_advert", KA_VNOEQ),
	KA_ROW_UNSUP("notify_master_rx_lower_pri", KA_VNOEQ),
	KA_ROW_UNSUP("debug", KA_VNOEQ),
};

static bool is_text(const struct kaconf_val *v, const char *text)
{
	return v && v->text && strcmp(v->text, text) == 0;
}

/* keepalived's own corrections of preemption (vrrp.c vrrp_complete_instance). */
static void vrrp_preempt(struct kaconf_cx *cx, struct kaconf_val *g)
{
	struct kaconf_val *nop = kv_find(g, "preempt"), *delay = kv_find(g, "preempt_delay");
	struct kaconf_val *prio = kv_find(g, "priority");
	bool master = is_text(kv_find(g, "state"), "\"MASTER\"");

	if (is_text(nop, "false") && is_text(prio, "255")) {
		kaconf_warn(cx, nop->src, "nopreempt: keepalived clears it with priority 255, so does this file");
		kv_del(g, "preempt");
		nop = NULL;
	}
	if (is_text(nop, "false") && master) {
		kaconf_warn(cx, nop->src, "nopreempt: keepalived clears it with state MASTER, so does this file (use state BACKUP on both directors)");
		kv_del(g, "preempt");
		nop = NULL;
	}
	if (delay && master) {
		kaconf_warn(cx, delay->src, "preempt_delay: keepalived clears it with state MASTER, so does this file");
		kv_del(g, "preempt_delay");
	} else if (delay && is_text(nop, "false")) {
		kaconf_warn(cx, delay->src, "preempt_delay: keepalived clears it with nopreempt, so does this file");
		kv_del(g, "preempt_delay");
	}
}

/*
 * advert_int's unit follows the version: whole seconds in v2, 10 ms in v3
 * (at most 40.95 s). keepalived rounds and clamps, and says so; so do we.
 */
static void vrrp_advert(struct kaconf_cx *cx, struct kaconf_val *g, bool v3)
{
	struct kaconf_val *adv = kv_find(g, "advert_int");
	double d, r;

	if (!adv)
		return;
	d = strtod(adv->text, NULL);
	r = v3 ? round(d * 100) / 100 : round(d);
	if (r < (v3 ? 0.01 : 1))
		r = v3 ? 0.01 : 1;
	if (v3 && d > 40.95) /* keepalived: "out of range ... Setting to 40.95s" */
		r = 40.95;
	if (fabs(r - d) > 1e-9) {
		kaconf_warn(cx, adv->src, "advert_int: %g s becomes %g s: VRRPv%d adverts carry %s",
			    d, r, v3 ? 3 : 2, v3 ? "centiseconds" : "whole seconds");
		kv_set(g, "advert_int", kv_num(r), adv->src);
	}
}

static void vrrp_defaults(struct kaconf_cx *cx, struct kaconf_val *g)
{
	const struct kaconf_node *def[] = { cx->garp_delay, cx->garp_repeat, cx->garp_refresh };
	const char *keys[] = { "garp_master_delay", "garp_master_repeat", "garp_master_refresh" };

	for (unsigned i = 0; i < 3; i++)
		if (def[i] && !kv_find(g, keys[i]))
			kv_set(g, keys[i], kv_num(strtod(def[i]->args[0], NULL)), def[i]);
	if (cx->vrrp_version && !kv_find(g, "version"))
		kv_set(g, "version", kaconf_fmt("%lu", strtoul(cx->vrrp_version->args[0], NULL, 10)),
		       cx->vrrp_version);
}

void kaconf_vrrp(struct kaconf_cx *cx, const struct kaconf_node *n)
{
	struct kaconf_val *g = kv_group(NULL, kaconf_vrrp_order, n), *v;
	struct kaconf_val *saved = cx->cur;
	struct vrrp_st st = { 0 };
	unsigned errs = cx->lg->n_err, count = 0;
	const char *name = kaconf_arg(cx, n, 0, "instance name");
	bool v3;

	if (!name)
		goto out;
	if (strlen(name) > 63) {
		kaconf_err(cx, n, "vrrp_instance: the name '%s' is longer than 63 characters", name);
		goto out;
	}
	kaconf_extra(cx, n, 1);
	kv_note(g, "%s:%u vrrp_instance %s", n->file->show, n->line, name);
	kv_set(g, "name", kv_quote(name), n);
	cx->cur = g;
	kaconf_walk(cx, n, kaconf_vrrp_tab, sizeof(kaconf_vrrp_tab) / sizeof(kaconf_vrrp_tab[0]),
		    0, g, &st);
	if (st.n_vip_blocks) {
		struct kaconf_val *arr = kv_new(KV_ARRAY, "virtual_ipaddress", st.vip_blocks[0]);

		for (unsigned b = 0; b < st.n_vip_blocks; b++)
			for (const struct kaconf_node *c = st.vip_blocks[b]->child; c; c = c->next)
				vip_line(cx, c, &st, arr, &count);
		kv_add(g, arr);
	}
	if (!kv_find(g, "interface") && cx->lg->n_err == errs)
		kaconf_err(cx, n, "vrrp_instance %s: no interface", name);
	if (!kv_find(g, "virtual_router_id") && cx->lg->n_err == errs)
		kaconf_err(cx, n, "vrrp_instance %s: no virtual_router_id", name);
	if (!kv_find(g, "state"))
		kv_set(g, "state", kv_quote("BACKUP"), n); /* keepalived's default, said */
	vrrp_defaults(cx, g);
	vrrp_preempt(cx, g);
	v3 = is_text(kv_find(g, "version"), "3");
	v = kv_find(g, "authentication");
	if (v3 && v) {
		kaconf_unsup(cx, v->src, "authentication", "VRRPv3 has none (RFC 5798); keepalived ignores it too");
		kv_del(g, "authentication");
	}
	vrrp_advert(cx, g, v3);
	/* The first instance's unicast_src_ip on a port is the director's address there. */
	v = kv_find(g, "unicast_src_ip");
	if (v && st.port && !st.port->src_node) {
		char ip[32];

		snprintf(ip, sizeof(ip), "%.*s", (int)strlen(v->text) - 2, v->text + 1);
		if (kaconf_parse_ip(ip, &st.port->src) == 1)
			st.port->src_node = v->src;
	}
out:
	cx->cur = saved;
	if (cx->lg->n_err == errs)
		kv_add(cx->vrrps, g);
	else
		kv_free(g);
}
