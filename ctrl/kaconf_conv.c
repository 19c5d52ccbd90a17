/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf conversion: the table walker, argument decoders, ports, the top
 * level and global_defs. vrrp_instance, vrrp_script and vrrp_sync_group are
 * in kaconf_vrrp.c, virtual_server in kaconf_vs.c, the checks in
 * kaconf_check.c.
 *
 * Each block has a table mapping keepalived's keywords to vipd's keys; the
 * walker applies the rows and reports what has no row. A keyword vipd cannot
 * express is reported (and noted in the output where it stood) rather than
 * approximated, except where keepalived itself would change it the same way
 * (auth_pass over 8 characters, nopreempt with state MASTER), which is said.
 */
#include "kaconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- messages -------------------------------------------------------------- */

void kaconf_warn(struct kaconf_cx *cx, const struct kaconf_node *n,
		 const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kaconf_logf(cx->lg, false, n ? n->file->path : NULL, n ? n->line : 0, "%s", msg);
}

void kaconf_err(struct kaconf_cx *cx, const struct kaconf_node *n,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kaconf_logf(cx->lg, true, n ? n->file->path : NULL, n ? n->line : 0, "%s", msg);
}

void kaconf_unsup(struct kaconf_cx *cx, const struct kaconf_node *n,
		  const char *what, const char *why)
{
	kaconf_logf(cx->lg, false, n->file->path, n->line,
		    "%s: not supported by vipd (%s)", what, why);
	/* The operator reading the output sees the gap where it is. */
	if (cx->cur)
		kv_note(cx->cur, "NOT CONVERTED (%s:%u): %s: %s", n->file->show, n->line,
			what, why);
}

/* ---- arguments ------------------------------------------------------------- */

const char *kaconf_arg(struct kaconf_cx *cx, const struct kaconf_node *n,
		       unsigned i, const char *what)
{
	if (i < n->n_args)
		return n->args[i];
	kaconf_err(cx, n, "%s: missing %s", n->kw, what);
	return NULL;
}

void kaconf_extra(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned max)
{
	if (n->n_args > max)
		kaconf_warn(cx, n, "%s: '%s'%s ignored (keepalived reads %u word%s here)",
			    n->kw, n->args[max], n->n_args > max + 1 ? " and what follows" : "",
			    max, max == 1 ? "" : "s");
}

bool kaconf_uint(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
		 double min, double max, unsigned long *out)
{
	const char *s = kaconf_arg(cx, n, i, "number");
	unsigned long v = 0;
	const char *p;

	if (!s)
		return false;
	/* Digits only: strtoul would take signs, spaces and overflow quietly. */
	for (p = s; *p && isdigit((unsigned char)*p) && v <= 0xffffffffUL; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || (*p && !isdigit((unsigned char)*p))) {
		kaconf_err(cx, n, "%s: '%s' is not a whole number", n->kw, s);
		return false;
	}
	if (*p || (double)v < min || (double)v > max) {
		kaconf_err(cx, n, "%s: %s out of range %.0f..%.0f", n->kw, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool kaconf_secs(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
		 double min, double max, double *out)
{
	const char *s = kaconf_arg(cx, n, i, "number of seconds");
	double v = 0, scale = 1;
	bool dot = false, digit = false;

	if (!s)
		return false;
	/* keepalived reads decimals to the microsecond: up to 6 places. */
	for (const char *p = s; *p; p++) {
		if (*p == '.' && !dot) {
			dot = true;
		} else if (isdigit((unsigned char)*p) && (!dot || scale > 1e-6) &&
			   v < 1e9) {
			digit = true;
			if (dot)
				v += (scale /= 10) * (*p - '0');
			else
				v = v * 10 + (*p - '0');
		} else {
			digit = false;
			break;
		}
	}
	if (!digit) {
		kaconf_err(cx, n, "%s: '%s' is not a number of seconds", n->kw, s);
		return false;
	}
	v = (double)(long long)(v * 1e6 + 0.5) / 1e6;
	if (v < min || v > max) {
		kaconf_err(cx, n, "%s: %s out of range %g..%g", n->kw, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

int kaconf_parse_ip(const char *s, uint32_t *out)
{
	struct in6_addr a6;
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) == 1) {
		*out = a.s_addr;
		return 1;
	}
	return inet_pton(AF_INET6, s, &a6) == 1 ? 0 : -1;
}

const char *kaconf_ip_str(uint32_t a, char buf[16])
{
	struct in_addr in = { .s_addr = a };

	return inet_ntop(AF_INET, &in, buf, 16) ? buf : "?";
}

int kaconf_ip(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
	      uint32_t *out)
{
	const char *s = kaconf_arg(cx, n, i, "IP address");
	int rc;

	if (!s)
		return -1;
	rc = kaconf_parse_ip(s, out);
	if (rc < 0)
		kaconf_err(cx, n, "%s: '%s' is not an IP address", n->kw, s);
	return rc;
}

int kaconf_bool(const char *s)
{
	static const char *const yes[] = { "true", "on", "yes" };
	static const char *const no[] = { "false", "off", "no" };

	for (unsigned i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* ---- the walker ------------------------------------------------------------ */

const struct kaconf_map *kaconf_row(const struct kaconf_map *tab, size_t n_tab,
				    const char *kw)
{
	for (size_t i = 0; i < n_tab; i++)
		if (strcmp(tab[i].kw, kw) == 0)
			return &tab[i];
	return NULL;
}

void kaconf_set(struct kaconf_cx *cx, struct kaconf_val *g, const char *key,
		char *text, const struct kaconf_node *n)
{
	const struct kaconf_node *was = kv_set(g, key, text, n);

	if (was)
		kaconf_warn(cx, n, "%s: overrides %s at %s:%u; keepalived keeps the last one",
			    n->kw, was->kw, was->file->path, was->line);
}

static void apply_script(struct kaconf_cx *cx, const struct kaconf_node *n,
			 const struct kaconf_map *m, struct kaconf_val *g)
{
	const char *s = kaconf_arg(cx, n, 0, "script");

	if (!s)
		return;
	if (strlen(s) > 255) {
		kaconf_err(cx, n, "%s: the script is longer than 255 characters", n->kw);
		return;
	}
	/* keepalived: `notify_master "/path/script arg" [user [group]]`. */
	if (n->n_args > 1) {
		char why[160];

		snprintf(why, sizeof(why),
			 "the script user '%.64s': vipd runs scripts as the user it runs as",
			 n->args[1]);
		kaconf_unsup(cx, n, n->kw, why);
	}
	kaconf_set(cx, g, m->key, kv_quote(s), n);
}

void kaconf_apply(struct kaconf_cx *cx, const struct kaconf_node *n,
		  const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	unsigned long u;
	uint32_t a;
	double d;
	char ip[16];
	const char *s;
	int b;

	if (m->act == KA_UNSUP) {
		kaconf_unsup(cx, n, n->kw, m->why);
		return;
	}
	if (!m->block_opt && m->block != n->block) {
		kaconf_err(cx, n, "%s: %s", n->kw,
			   m->block ? "needs a { } block" : "takes no { } block");
		return;
	}
	switch (m->act) {
	case KA_STR:
		s = kaconf_arg(cx, n, 0, "value");
		if (!s)
			return;
		if (strlen(s) > (size_t)m->max) {
			kaconf_err(cx, n, "%s: '%s' is longer than %.0f characters", n->kw, s,
				   m->max);
			return;
		}
		kaconf_extra(cx, n, 1);
		kaconf_set(cx, g, m->key, kv_quote(s), n);
		break;
	case KA_SCRIPT:
		apply_script(cx, n, m, g);
		break;
	case KA_UINT:
		if (kaconf_uint(cx, n, 0, m->min, m->max, &u)) {
			kaconf_extra(cx, n, 1);
			kaconf_set(cx, g, m->key, kaconf_fmt("%lu", u), n);
		}
		break;
	case KA_SECS:
		if (kaconf_secs(cx, n, 0, m->min, m->max, &d)) {
			kaconf_extra(cx, n, 1);
			kaconf_set(cx, g, m->key, kv_num(d), n);
		}
		break;
	case KA_ADDR:
		b = kaconf_ip(cx, n, 0, &a);
		if (b == 0)
			kaconf_unsup(cx, n, n->kw, "IPv6 is not supported yet");
		if (b == 1) {
			kaconf_extra(cx, n, 1);
			kaconf_set(cx, g, m->key, kv_quote(kaconf_ip_str(a, ip)), n);
		}
		break;
	case KA_FLAG:
		b = n->n_args ? kaconf_bool(n->args[0]) : 1;
		if (b < 0) {
			kaconf_err(cx, n, "%s: '%s' is not true or false", n->kw, n->args[0]);
			return;
		}
		kaconf_extra(cx, n, 1);
		kaconf_set(cx, g, m->key, kaconf_strdup(b ? "true" : "false"), n);
		break;
	case KA_FN:
		m->fn(cx, n, m, g, obj);
		break;
	case KA_UNSUP:
		break;
	}
}

/* Why a keyword without a row is dropped; keepalived's macro lines say so. */
static const char *unknown_why(const char *kw, const char *why)
{
	if (kw[0] == '$')
		return "a keepalived parameter line: expand the parameters before importing";
	if (kw[0] == '@')
		return "a keepalived conditional line: keep this director's lines, without the @ prefix";
	if (kw[0] == '~')
		return "a keepalived ~SEQ or ~LST line: expand it before importing";
	return why;
}

void kaconf_walk(struct kaconf_cx *cx, const struct kaconf_node *blk,
		 const struct kaconf_map *tab, size_t n_tab, unsigned only,
		 struct kaconf_val *g, void *obj)
{
	for (const struct kaconf_node *n = blk->child; n; n = n->next) {
		const struct kaconf_map *m = kaconf_row(tab, n_tab, n->kw);

		if (!m)
			kaconf_unsup(cx, n, n->kw,
				     unknown_why(n->kw, "a keyword the importer does not know here"));
		else if (m->only && !(m->only & only))
			kaconf_unsup(cx, n, n->kw, "not a keyword of this check");
		else
			kaconf_apply(cx, n, m, g, obj);
	}
}

/* ---- global_defs ----------------------------------------------------------- */

static const char *const kaconf_global_order[] = {
	"router_id", "notification_email", "notification_email_from", "smtp_server",
	"smtp_port", "smtp_connect_timeout", "tcp_timeout", "tcpfin_timeout",
	"udp_timeout", NULL,
};

static void g_emails(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *arr = kv_new(KV_ARRAY, m->key, n);
	unsigned count = 0;

	(void)obj;
	/* Every word in the block is an address, one per line or not. */
	for (const struct kaconf_node *e = n->child; e; e = e->next) {
		for (unsigned i = 0; i <= e->n_args; i++) {
			const char *a = i ? e->args[i - 1] : e->kw;
			struct kaconf_val *v;

			if (!strchr(a, '@') || strlen(a) > 255) {
				char what[96];

				snprintf(what, sizeof(what), "notification_email %.64s", a);
				kaconf_unsup(cx, e, what, "not an email address");
				continue;
			}
			if (count == 16) {
				kaconf_unsup(cx, e, a, "vipd mails at most 16 addresses");
				continue;
			}
			v = kv_new(KV_SCALAR, NULL, e);
			v->text = kv_quote(a);
			kv_add(arr, v);
			count++;
		}
	}
	if (count)
		kv_add(g, arr);
	else
		kv_free(arr);
}

static void g_smtp(struct kaconf_cx *cx, const struct kaconf_node *n,
		   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	unsigned long port;
	uint32_t a;
	char ip[16];
	int rc;

	(void)m;
	(void)obj;
	if (!kaconf_arg(cx, n, 0, "SMTP server"))
		return;
	rc = kaconf_parse_ip(n->args[0], &a);
	if (rc < 0 && strspn(n->args[0], "0123456789.") == strlen(n->args[0])) {
		kaconf_err(cx, n, "smtp_server: '%s' is not an IP address", n->args[0]);
		return;
	}
	if (rc != 1) {
		kaconf_unsup(cx, n, n->kw, rc == 0 ? "IPv6 is not supported yet"
				: "vipd takes an IPv4 address: resolve the name and write the address");
		return;
	}
	kv_set(g, "smtp_server", kv_quote(kaconf_ip_str(a, ip)), n);
	if (n->n_args > 1 && kaconf_uint(cx, n, 1, 1, 65535, &port))
		kv_set(g, "smtp_port", kaconf_fmt("%lu", port), n);
	kaconf_extra(cx, n, 2);
}

/* vrrp_version and vrrp_garp_master_*: defaults for every instance. */
static void g_vrrp_default(struct kaconf_cx *cx, const struct kaconf_node *n,
			   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	unsigned long u;
	double d;

	(void)g;
	(void)obj;
	if (strcmp(m->kw, "vrrp_version") == 0) {
		if (kaconf_uint(cx, n, 0, 2, 3, &u))
			cx->vrrp_version = n;
	} else if (strcmp(m->kw, "vrrp_garp_master_repeat") == 0) {
		if (kaconf_uint(cx, n, 0, 1, 255, &u))
			cx->garp_repeat = n;
	} else if (strcmp(m->kw, "vrrp_garp_master_delay") == 0) {
		if (kaconf_secs(cx, n, 0, 0, 3600, &d))
			cx->garp_delay = n;
	} else if (kaconf_secs(cx, n, 0, 0, 86400, &d)) {
		cx->garp_refresh = n;
	}
	kaconf_extra(cx, n, 1);
}

/* lvs_timeouts tcp N tcpfin N udp N: ipvsadm --set, vipd's global timeouts. */
static void g_lvs_timeouts(struct kaconf_cx *cx, const struct kaconf_node *n,
			   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	static const char *const words[] = { "tcp", "tcpfin", "udp" };
	static const char *const keys[] = { "tcp_timeout", "tcpfin_timeout", "udp_timeout" };
	unsigned long v;

	(void)m;
	(void)obj;
	for (unsigned i = 0; i < n->n_args; i += 2) {
		unsigned k = 0;

		while (k < 3 && strcmp(n->args[i], words[k]) != 0)
			k++;
		if (k == 3) {
			kaconf_unsup(cx, n, n->args[i], "vipd has tcp, tcpfin and udp timeouts");
			continue;
		}
		/* 0 leaves the kernel's timeout alone: vipd's default then. */
		if (kaconf_uint(cx, n, i + 1, 0, 604800, &v) && v)
			kv_set(g, keys[k], kaconf_fmt("%lu", v), n);
	}
}

#define KA_NOEQ "no equivalent in vipd"

static const struct kaconf_map kaconf_global_tab[] = {
	{ .kw = "router_id", .act = KA_STR, .key = "router_id", .max = 63 },
	{ .kw = "lvs_id", .act = KA_STR, .key = "router_id", .max = 63 },
	{ .kw = "notification_email", .act = KA_FN, .key = "notification_email",
	  .fn = g_emails, .block = true },
	{ .kw = "notification_email_from", .act = KA_STR,
	  .key = "notification_email_from", .max = 255 },
	{ .kw = "smtp_server", .act = KA_FN, .fn = g_smtp },
	{ .kw = "smtp_connect_timeout", .act = KA_SECS, .key = "smtp_connect_timeout",
	  .min = 0.01, .max = 3600 },
	{ .kw = "vrrp_version", .act = KA_FN, .fn = g_vrrp_default },
	{ .kw = "vrrp_garp_master_delay", .act = KA_FN, .fn = g_vrrp_default },
	{ .kw = "vrrp_garp_master_repeat", .act = KA_FN, .fn = g_vrrp_default },
	{ .kw = "vrrp_garp_master_refresh", .act = KA_FN, .fn = g_vrrp_default },
	{ .kw = "lvs_timeouts", .act = KA_FN, .fn = g_lvs_timeouts },
	KA_ROW_UNSUP("lvs_sync_daemon", "no connection synchronisation between directors: a failover drops established sessions"),
	KA_ROW_UNSUP("smtp_helo_name", KA_NOEQ),
	KA_ROW_UNSUP("smtp_alert", "vipd sends email for the VRRP instances that set smtp_alert"),
	KA_ROW_UNSUP("enable_script_security", "vipd runs scripts as the user it runs as"),
	KA_ROW_UNSUP("script_user", "vipd runs scripts as the user it runs as"),
	KA_ROW_UNSUP("vrrp_strict", KA_NOEQ),
	KA_ROW_UNSUP("vrrp_skip_check_adv_addr", KA_NOEQ),
	KA_ROW_UNSUP("vrrp_garp_interval", KA_NOEQ),
	KA_ROW_UNSUP("vrrp_gna_interval", KA_NOEQ),
	KA_ROW_UNSUP("vrrp_mcast_group4", "vipd sends adverts to 224.0.0.18 or to unicast_peer"),
	KA_ROW_UNSUP("vrrp_iptables", "vipd adds no firewall rules"),
	KA_ROW_UNSUP("dynamic_interfaces", "vipd's ports are fixed at start"),
	KA_ROW_UNSUP("enable_traps", "no SNMP in vipd; it exports Prometheus metrics"),
	KA_ROW_UNSUP("checker_log_all_failures", KA_NOEQ),
};

void kaconf_global(struct kaconf_cx *cx, const struct kaconf_node *n)
{
	struct kaconf_val *saved = cx->cur;

	if (!n->block) {
		kaconf_err(cx, n, "%s: needs a { } block", n->kw);
		return;
	}
	cx->cur = cx->global;
	kaconf_walk(cx, n, kaconf_global_tab,
		    sizeof(kaconf_global_tab) / sizeof(kaconf_global_tab[0]), 0,
		    cx->global, NULL);
	cx->cur = saved;
}

/* ---- the top level --------------------------------------------------------- */

static void top_vrrp(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)m;
	(void)g;
	(void)obj;
	kaconf_vrrp(cx, n);
}

static void top_vscript(struct kaconf_cx *cx, const struct kaconf_node *n,
			const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)m;
	(void)g;
	(void)obj;
	kaconf_vscript(cx, n);
}

/* Read by kaconf_vrrp_finish, once every instance is known. */
static void top_later(struct kaconf_cx *cx, const struct kaconf_node *n,
		      const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)cx;
	(void)n;
	(void)m;
	(void)g;
	(void)obj;
}

static void top_vs(struct kaconf_cx *cx, const struct kaconf_node *n,
		   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)m;
	(void)g;
	(void)obj;
	kaconf_vs(cx, n);
}

#define KA_STATIC "vipd configures no kernel addresses, routes or rules: keep them in the host's network setup"

static const struct kaconf_map kaconf_top_tab[] = {
	{ .kw = "vrrp_instance", .act = KA_FN, .fn = top_vrrp, .block = true },
	{ .kw = "virtual_server", .act = KA_FN, .fn = top_vs, .block = true },
	{ .kw = "vrrp_script", .act = KA_FN, .fn = top_vscript, .block = true },
	{ .kw = "vrrp_sync_group", .act = KA_FN, .fn = top_later, .block = true },
	KA_ROW_UNSUPB("virtual_server_group", "no virtual server groups in vipd: write one virtual_server per address and port"),
	KA_ROW_UNSUPB("static_ipaddress", KA_STATIC),
	KA_ROW_UNSUPB("static_routes", KA_STATIC),
	KA_ROW_UNSUPB("static_rules", KA_STATIC),
	KA_ROW_UNSUPB("vrrp_track_file", "no track files in vipd"),
	KA_ROW_UNSUPB("track_file", "no track files in vipd"),
	KA_ROW_UNSUPB("vrrp_track_process", "no process tracking in vipd"),
	KA_ROW_UNSUPB("track_process", "no process tracking in vipd"),
	KA_ROW_UNSUPB("bfd_instance", "no BFD in vipd"),
	KA_ROW_UNSUPB("linkbeat_interfaces", "vipd watches its own ports' links"),
	KA_ROW_UNSUPB("garp_group", KA_NOEQ),
	KA_ROW_UNSUPB("SSL", "vipd's SSL_GET presents no client certificate"),
	KA_ROW_UNSUPB("local_address_group", "a DPVS/keepalived fork keyword: no FULLNAT in vipd"),
};

static const char *const kaconf_top_order[] = {
	"global", "dpdk", "ports", "vrrp_scripts", "vrrp_instances", "vrrp_sync_groups",
	"virtual_servers", NULL,
};

int kaconf_convert(const struct kaconf_tree *t, const struct kaconf_opts *o,
		   struct kaconf_log *lg, char **text,
		   const struct kaconf_node ***origin, unsigned *n_lines)
{
	struct kaconf_cx cx = { .lg = lg, .opts = o, .tree = t };
	unsigned errs = lg->n_err;
	struct kaconf_val *dpdk;
	char *header;

	*text = NULL;
	cx.root = kv_group(NULL, kaconf_top_order, NULL);
	cx.global = kv_group("global", kaconf_global_order, NULL);
	cx.ports = kv_new(KV_LIST, "ports", NULL);
	cx.vrrps = kv_new(KV_LIST, "vrrp_instances", NULL);
	cx.vss = kv_new(KV_LIST, "virtual_servers", NULL);
	cx.scripts = kv_new(KV_LIST, "vrrp_scripts", NULL);
	cx.groups = kv_new(KV_LIST, "vrrp_sync_groups", NULL);
	cx.cur = cx.root;
	/* global_defs first: its VRRP defaults apply whatever the order. */
	for (const struct kaconf_node *n = t->root.child; n; n = n->next)
		if (strcmp(n->kw, "global_defs") == 0)
			kaconf_global(&cx, n);
	/* Ports in the order their interfaces first appear, known before any
	 * track_interface refers to them. */
	for (const struct kaconf_node *n = t->root.child; n; n = n->next) {
		if (strcmp(n->kw, "vrrp_instance") != 0)
			continue;
		for (const struct kaconf_node *c = n->child; c; c = c->next)
			if (strcmp(c->kw, "interface") == 0 && c->n_args && !c->block)
				kaconf_port_get(&cx, c, c->args[0]);
	}
	for (const struct kaconf_node *n = t->root.child; n; n = n->next) {
		const struct kaconf_map *m = kaconf_row(kaconf_top_tab,
			sizeof(kaconf_top_tab) / sizeof(kaconf_top_tab[0]), n->kw);

		if (strcmp(n->kw, "global_defs") == 0)
			continue;
		if (m)
			kaconf_apply(&cx, n, m, cx.root, NULL);
		else
			kaconf_unsup(&cx, n, n->kw,
				     unknown_why(n->kw, "not a top-level block the importer knows"));
	}
	kaconf_vrrp_finish(&cx);
	if (lg->n_err == errs) /* else its placeholders only add noise */
		kaconf_ports_finish(&cx);
	if (cx.global->first)
		kv_add(cx.root, cx.global);
	else
		kv_free(cx.global);
	dpdk = kv_group("dpdk", NULL, NULL);
	kv_set(dpdk, "workers", kaconf_strdup("1"), NULL);
	kv_note(dpdk, "CHECK: DPDK settings have no keepalived equivalent; see docs/configuration.md.");
	kv_add(cx.root, dpdk);
	kv_add(cx.root, cx.ports);
	if (cx.scripts->first)
		kv_add(cx.root, cx.scripts);
	else
		kv_free(cx.scripts);
	if (cx.vrrps->first)
		kv_add(cx.root, cx.vrrps);
	else
		kv_free(cx.vrrps);
	if (cx.groups->first)
		kv_add(cx.root, cx.groups);
	else
		kv_free(cx.groups);
	if (cx.vss->first)
		kv_add(cx.root, cx.vss);
	else
		kv_free(cx.vss);
	if (lg->n_err == errs) {
		header = kaconf_fmt(
			"vipd configuration converted from %s by `vipctl import-keepalived`.\n"
			"Keys and defaults: docs/configuration.md. Read every CHECK note before\n"
			"using it. NOT CONVERTED notes stand where keepalived options without a\n"
			"vipd equivalent were dropped; the import reported them as well.",
			t->n_files ? t->files[0]->show : "keepalived.conf");
		*text = kv_print(cx.root, header, origin, n_lines);
		free(header);
	}
	kv_free(cx.root);
	return *text ? 0 : -1;
}
