/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf: virtual_server IP PORT { ... real_server IP PORT { ... } } into
 * virtual_servers. keepalived's defaults are written out, not left to vipd's:
 * protocol UDP (with a warning, as keepalived warns), scheduler wlc,
 * forwarding NAT, weight 1; persistence_timeout without a value is 360 s.
 *
 * Real servers are converted after the virtual server's own keywords, since
 * what they inherit (forwarding, check defaults) may stand after them.
 */
#include "kaconf.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataplane/sched.h"

static const char *const kaconf_vs_order[] = {
	"address", "port", "protocol", "scheduler", "sched_flags", "forwarding",
	"persistence_timeout", "persistence_netmask", "delay_loop", "quorum",
	"hysteresis", "alpha", "omega", "inhibit_on_failure", "sorry_server",
	"quorum_up", "quorum_down", "real_servers", NULL,
};

static const char *const kaconf_rs_order[] = {
	"address", "port", "weight", "forwarding", "uthreshold", "lthreshold",
	"inhibit_on_failure", "notify_up", "notify_down", "HTTP_GET", "SSL_GET",
	"TCP_CHECK", "MISC_CHECK", "SMTP_CHECK", "DNS_CHECK", NULL,
};

static const char *const kaconf_sorry_order[] = { "address", "port", NULL };

/* The walk's leftovers. def first: kaconf_ckdef_row takes obj as a ckdef. */
struct vs_st {
	struct kaconf_ckdef def;
	char flags[64];
	const struct kaconf_node *flags_node, *gran;
	bool skip; /* a protocol vipd cannot serve: the service is dropped */
};

struct rs_st {
	struct kaconf_ckdef def;
};

void kaconf_ckdef_row(struct kaconf_cx *cx, const struct kaconf_node *n,
		      const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_ckdef *d = obj;
	unsigned long u;
	double s;

	(void)g;
	(void)m;
	/* Checked here, so that a bad value is reported once, at its line. */
	if (strcmp(n->kw, "retry") == 0) {
		if (kaconf_uint(cx, n, 0, 0, 1000, &u))
			d->retry = n;
	} else if (strcmp(n->kw, "delay_before_retry") == 0) {
		if (kaconf_secs(cx, n, 0, 0, 3600, &s))
			d->delay_before_retry = n;
	} else if (strcmp(n->kw, "connect_timeout") == 0) {
		if (kaconf_secs(cx, n, 0, 0.01, 3600, &s))
			d->connect_timeout = n;
	} else if (strcmp(n->kw, "warmup") == 0) {
		if (kaconf_secs(cx, n, 0, 0, 86400, &s))
			d->warmup = n;
	} else if (strcmp(n->kw, "delay_loop") == 0) {
		if (kaconf_secs(cx, n, 0, 0.01, 86400, &s))
			d->delay_loop = n;
	} else if (kaconf_arg(cx, n, 0, "host name")) {
		if (strlen(n->args[0]) > 255)
			kaconf_err(cx, n, "virtualhost: longer than 255 characters");
		else
			d->virtualhost = n;
	}
	kaconf_extra(cx, n, 1);
}

static void vs_sched(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	const char *s = kaconf_arg(cx, n, 0, "scheduler");

	(void)m;
	(void)obj;
	if (!s)
		return;
	if (!sched_find(s) || strlen(s) > 15) {
		kaconf_warn(cx, n, "%s: keepalived ignores the unknown scheduler '%s' and keeps wlc; so does this file",
			    n->kw, s);
		return;
	}
	kaconf_extra(cx, n, 1);
	kaconf_set(cx, g, "scheduler", kv_quote(s), n);
}

static bool fwd_word(struct kaconf_cx *cx, const struct kaconf_node *n, const char **out)
{
	const char *s = kaconf_arg(cx, n, 0, "NAT, DR or TUN");

	if (!s)
		return false;
	/* keepalived compares exactly; anything else leaves the method alone. */
	if (strcmp(s, "NAT") != 0 && strcmp(s, "DR") != 0 && strcmp(s, "TUN") != 0) {
		kaconf_warn(cx, n, "%s: keepalived ignores the unknown method '%s' (NAT, DR, TUN); so does this file",
			    n->kw, s);
		return false;
	}
	if (n->n_args > 1)
		kaconf_unsup(cx, n, n->args[1], "tunnel options: vipd's TUN is IP-in-IP");
	*out = s;
	return true;
}

static void any_fwd(struct kaconf_cx *cx, const struct kaconf_node *n,
		    const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	const char *s;

	(void)m;
	(void)obj;
	if (fwd_word(cx, n, &s))
		kaconf_set(cx, g, "forwarding", kv_quote(s), n);
}

static void vs_proto(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	const char *s = kaconf_arg(cx, n, 0, "TCP or UDP");
	struct vs_st *st = obj;

	(void)m;
	if (!s)
		return;
	kaconf_extra(cx, n, 1);
	if (strcasecmp(s, "TCP") == 0 || strcasecmp(s, "UDP") == 0)
		kaconf_set(cx, g, "protocol", kv_quote(strcasecmp(s, "TCP") == 0 ? "TCP" : "UDP"), n);
	else if (strcasecmp(s, "SCTP") == 0) {
		struct kaconf_val *cur = cx->cur;

		/* The block is left out: its note goes to the top of the file. */
		cx->cur = cx->root;
		kaconf_unsup(cx, n, "protocol SCTP", "vipd balances TCP and UDP: the whole virtual_server is left out");
		cx->cur = cur;
		st->skip = true;
	} else
		kaconf_warn(cx, n, "protocol: keepalived ignores '%s' and keeps UDP; so does this file", s);
}

static void vs_persist(struct kaconf_cx *cx, const struct kaconf_node *n,
		       const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *v;
	unsigned long u;

	(void)m;
	(void)obj;
	if (n->n_args == 0) {
		/* keepalived: IPVS_SVC_PERSISTENT_TIMEOUT, 6 minutes. */
		v = kv_new(KV_SCALAR, "persistence_timeout", n);
		v->text = kaconf_strdup("360");
		kv_note(v, "persistence_timeout without a value: keepalived's 360 s");
		kv_add(g, v);
		return;
	}
	if (kaconf_uint(cx, n, 0, 0, 604800, &u)) {
		kaconf_extra(cx, n, 1);
		kv_set(g, "persistence_timeout", kaconf_fmt("%lu", u), n);
	}
}

static void vs_gran(struct kaconf_cx *cx, const struct kaconf_node *n,
		    const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct vs_st *st = obj;
	uint32_t mask, inv;
	char ip[16];

	(void)m;
	if (kaconf_ip(cx, n, 0, &mask) != 1) {
		if (n->n_args)
			kaconf_unsup(cx, n, n->kw, "vipd takes an IPv4 netmask such as 255.255.255.0");
		return;
	}
	inv = ~ntohl(mask);
	if (inv & (inv + 1)) {
		kaconf_unsup(cx, n, n->kw, "a netmask whose ones are not contiguous");
		return;
	}
	kaconf_extra(cx, n, 1);
	kv_set(g, "persistence_netmask", kv_quote(kaconf_ip_str(mask, ip)), n);
	st->gran = n;
}

static void vs_sorry(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *s;
	unsigned long port;
	uint32_t a;
	char ip[16];
	int rc = kaconf_ip(cx, n, 0, &a);

	(void)m;
	(void)obj;
	if (rc == 0)
		kaconf_unsup(cx, n, n->kw, "IPv6 is not supported yet");
	if (rc != 1)
		return;
	s = kv_group("sorry_server", kaconf_sorry_order, n);
	s->oneline = true;
	kv_set(s, "address", kv_quote(kaconf_ip_str(a, ip)), n);
	if (n->n_args > 1) {
		if (!kaconf_uint(cx, n, 1, 1, 65535, &port)) {
			kv_free(s);
			return;
		}
		kv_set(s, "port", kaconf_fmt("%lu", port), n);
	}
	kaconf_extra(cx, n, 2);
	kv_add(g, s);
}

/* sh-port, mh-fallback, flag-1 ...: vipd's sched_flags, comma separated. */
static void vs_flag(struct kaconf_cx *cx, const struct kaconf_node *n,
		    const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct vs_st *st = obj;
	size_t len = strlen(st->flags);

	(void)g;
	(void)m;
	kaconf_extra(cx, n, 0);
	if (strstr(st->flags, n->kw))
		return;
	snprintf(st->flags + len, sizeof(st->flags) - len, "%s%s", len ? "," : "", n->kw);
	st->flags_node = n;
}

static void vs_family(struct kaconf_cx *cx, const struct kaconf_node *n,
		      const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)m;
	(void)g;
	(void)obj;
	if (kaconf_arg(cx, n, 0, "inet or inet6") && strcmp(n->args[0], "inet") != 0)
		kaconf_unsup(cx, n, "ip_family", "IPv6 is not supported yet");
}

static void later(struct kaconf_cx *cx, const struct kaconf_node *n,
		  const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	(void)cx;
	(void)n;
	(void)m;
	(void)g;
	(void)obj;
}

#define KA_CKDEF(k) { .kw = k, .act = KA_FN, .fn = kaconf_ckdef_row }

static const struct kaconf_map kaconf_vs_tab[] = {
	{ .kw = "delay_loop", .act = KA_SECS, .key = "delay_loop", .min = 0.01, .max = 86400 },
	{ .kw = "lb_algo", .act = KA_FN, .fn = vs_sched },
	{ .kw = "lvs_sched", .act = KA_FN, .fn = vs_sched },
	{ .kw = "lb_kind", .act = KA_FN, .fn = any_fwd },
	{ .kw = "lvs_method", .act = KA_FN, .fn = any_fwd },
	{ .kw = "protocol", .act = KA_FN, .fn = vs_proto },
	{ .kw = "persistence_timeout", .act = KA_FN, .fn = vs_persist },
	{ .kw = "persistence_granularity", .act = KA_FN, .fn = vs_gran },
	{ .kw = "quorum", .act = KA_UINT, .key = "quorum", .min = 1, .max = 2147483647 },
	{ .kw = "hysteresis", .act = KA_UINT, .key = "hysteresis", .max = 2147483647 },
	{ .kw = "alpha", .act = KA_FLAG, .key = "alpha" },
	{ .kw = "omega", .act = KA_FLAG, .key = "omega" },
	{ .kw = "inhibit_on_failure", .act = KA_FLAG, .key = "inhibit_on_failure" },
	{ .kw = "sorry_server", .act = KA_FN, .fn = vs_sorry },
	{ .kw = "quorum_up", .act = KA_SCRIPT, .key = "quorum_up" },
	{ .kw = "quorum_down", .act = KA_SCRIPT, .key = "quorum_down" },
	{ .kw = "real_server", .act = KA_FN, .fn = later, .block_opt = true },
	KA_CKDEF("retry"), KA_CKDEF("delay_before_retry"), KA_CKDEF("connect_timeout"),
	KA_CKDEF("warmup"), KA_CKDEF("virtualhost"),
	{ .kw = "sh-port", .act = KA_FN, .fn = vs_flag },
	{ .kw = "sh-fallback", .act = KA_FN, .fn = vs_flag },
	{ .kw = "mh-port", .act = KA_FN, .fn = vs_flag },
	{ .kw = "mh-fallback", .act = KA_FN, .fn = vs_flag },
	{ .kw = "flag-1", .act = KA_FN, .fn = vs_flag },
	{ .kw = "flag-2", .act = KA_FN, .fn = vs_flag },
	{ .kw = "flag-3", .act = KA_FN, .fn = vs_flag },
	{ .kw = "ip_family", .act = KA_FN, .fn = vs_family },
	KA_ROW_UNSUP("ops", "no one-packet scheduling in vipd"),
	KA_ROW_UNSUP("hashed", "no equivalent in vipd"),
	KA_ROW_UNSUP("ha_suspend", "vipd's checks run whether or not this director holds the address"),
	KA_ROW_UNSUP("smtp_alert", "vipd sends email for the VRRP instances that set smtp_alert"),
	KA_ROW_UNSUP("sorry_server_inhibit", "the sorry server is used at its full weight"),
	KA_ROW_UNSUP("sorry_server_lvs_method", "the sorry server is reached with the virtual server's forwarding"),
	KA_ROW_UNSUP("persistence_engine", "no persistence engines (SIP) in vipd"),
	KA_ROW_UNSUP("nat_mask", "obsolete, no effect"),
	KA_ROW_UNSUP("weight", "no virtual server groups in vipd"),
	KA_ROW_UNSUP("snmp_name", "no SNMP in vipd"),
};

static const struct kaconf_map kaconf_rs_tab[] = {
	{ .kw = "weight", .act = KA_UINT, .key = "weight", .max = 65535 },
	{ .kw = "lvs_method", .act = KA_FN, .fn = any_fwd },
	{ .kw = "lb_kind", .act = KA_FN, .fn = any_fwd },
	{ .kw = "uthreshold", .act = KA_UINT, .key = "uthreshold", .max = 2147483647 },
	{ .kw = "lthreshold", .act = KA_UINT, .key = "lthreshold", .max = 2147483647 },
	{ .kw = "inhibit_on_failure", .act = KA_FLAG, .key = "inhibit_on_failure" },
	{ .kw = "notify_up", .act = KA_SCRIPT, .key = "notify_up" },
	{ .kw = "notify_down", .act = KA_SCRIPT, .key = "notify_down" },
	KA_CKDEF("retry"), KA_CKDEF("delay_before_retry"), KA_CKDEF("connect_timeout"),
	KA_CKDEF("warmup"), KA_CKDEF("virtualhost"), KA_CKDEF("delay_loop"),
	{ .kw = "HTTP_GET", .act = KA_FN, .fn = later, .block = true },
	{ .kw = "SSL_GET", .act = KA_FN, .fn = later, .block = true },
	{ .kw = "TCP_CHECK", .act = KA_FN, .fn = later, .block = true },
	{ .kw = "MISC_CHECK", .act = KA_FN, .fn = later, .block = true },
	{ .kw = "SMTP_CHECK", .act = KA_FN, .fn = later, .block = true },
	{ .kw = "DNS_CHECK", .act = KA_FN, .fn = later, .block = true },
	KA_ROW_UNSUPB("UDP_CHECK", "no UDP_CHECK in vipd yet"),
	KA_ROW_UNSUPB("PING_CHECK", "no PING_CHECK in vipd yet"),
	KA_ROW_UNSUPB("ICMP_CHECK", "no PING_CHECK in vipd yet"),
	KA_ROW_UNSUPB("FILE_CHECK", "no FILE_CHECK in vipd"),
	KA_ROW_UNSUPB("BFD_CHECK", "no BFD in vipd"),
	KA_ROW_UNSUP("alpha", "vipd's alpha is per virtual server"),
	KA_ROW_UNSUP("smtp_alert", "vipd sends email for the VRRP instances that set smtp_alert"),
	KA_ROW_UNSUP("snmp_name", "no SNMP in vipd"),
};

#define N_ROWS(t) (sizeof(t) / sizeof((t)[0]))

static void kaconf_rs(struct kaconf_cx *cx, const struct kaconf_node *n,
		      struct kaconf_val *list, const struct vs_st *vst, unsigned vs_port,
		      const char *vs_fwd)
{
	struct kaconf_val *g = kv_group(NULL, kaconf_rs_order, n), *v;
	struct kaconf_val *saved = cx->cur;
	struct rs_st st = { 0 };
	unsigned long port = 0;
	unsigned checks = 0, check_port = 0;
	const char *fwd = vs_fwd;
	uint32_t a;
	char ip[16];
	int rc = kaconf_ip(cx, n, 0, &a);

	if (rc == 0)
		kaconf_unsup(cx, n, "real_server", "IPv6 is not supported yet");
	if (rc != 1 || (n->n_args > 1 && !kaconf_uint(cx, n, 1, 1, 65535, &port))) {
		kv_free(g);
		return;
	}
	kaconf_extra(cx, n, 2);
	kv_set(g, "address", kv_quote(kaconf_ip_str(a, ip)), n);
	cx->cur = g;
	kaconf_walk(cx, n, kaconf_rs_tab, N_ROWS(kaconf_rs_tab), 0, g, &st);
	v = kv_find(g, "forwarding");
	if (v)
		fwd = v->text;
	if (port && port != vs_port && strcmp(fwd, "\"NAT\"") != 0) {
		/* DR and TUN keep the destination port: keepalived's port only ever
		 * reached the health check. */
		kaconf_warn(cx, n, "real_server: port %lu with %.*s forwarding: packets keep the virtual server's port %u; the health check keeps %lu (connect_port)",
			    port, (int)strlen(fwd) - 2, fwd + 1, vs_port, port);
		check_port = (unsigned)port;
		port = vs_port;
	}
	if (port)
		kv_set(g, "port", kaconf_fmt("%lu", port), n);
	if (!kv_find(g, "weight"))
		kv_set(g, "weight", kaconf_strdup("1"), n); /* keepalived's default */
	for (const struct kaconf_node *c = n->child; c; c = c->next) {
		if (!kaconf_is_check(c->kw) || !c->block)
			continue;
		if (checks++) {
			kaconf_unsup(cx, c, c->kw, "vipd runs one health check per real server, keepalived needs all to pass; the first is kept");
			continue;
		}
		kaconf_check(cx, c, g, &vst->def, &st.def, (uint16_t)check_port);
	}
	cx->cur = saved;
	kv_add(list, g);
}

void kaconf_vs(struct kaconf_cx *cx, const struct kaconf_node *n)
{
	struct kaconf_val *g = kv_group(NULL, kaconf_vs_order, n), *v, *list;
	struct kaconf_val *saved = cx->cur;
	struct vs_st st = { 0 };
	unsigned errs = cx->lg->n_err;
	unsigned long port;
	uint32_t a;
	char ip[16];
	int rc;

	if (!kaconf_arg(cx, n, 0, "address")) {
		kv_free(g);
		return;
	}
	if (strcmp(n->args[0], "fwmark") == 0 || strcmp(n->args[0], "group") == 0) {
		kaconf_unsup(cx, n, strcmp(n->args[0], "fwmark") == 0 ? "virtual_server fwmark"
			     : "virtual_server group",
			     "vipd's services are an address, a port and a protocol; the block is left out");
		kv_free(g);
		return;
	}
	rc = kaconf_ip(cx, n, 0, &a);
	if (rc == 0)
		kaconf_unsup(cx, n, "virtual_server", "IPv6 is not supported yet; the block is left out");
	if (rc == 1 && n->n_args < 2)
		kaconf_err(cx, n, "virtual_server: missing port");
	if (rc != 1 || n->n_args < 2 || !kaconf_uint(cx, n, 1, 1, 65535, &port)) {
		kv_free(g);
		return;
	}
	kaconf_extra(cx, n, 2);
	kv_note(g, "%s:%u virtual_server %s %lu", n->file->show, n->line,
		kaconf_ip_str(a, ip), port);
	kv_set(g, "address", kv_quote(ip), n);
	kv_set(g, "port", kaconf_fmt("%lu", port), n);
	cx->cur = g;
	kaconf_walk(cx, n, kaconf_vs_tab, N_ROWS(kaconf_vs_tab), 0, g, &st);
	if (st.skip)
		goto out;
	/* keepalived's defaults, written out: the file says what runs. */
	if (!kv_find(g, "protocol")) {
		kaconf_warn(cx, n, "virtual_server %s %lu: no protocol: keepalived's default UDP is kept (write protocol TCP for a TCP service)",
			    ip, port);
		kv_set(g, "protocol", kv_quote("UDP"), n);
	}
	if (!kv_find(g, "scheduler"))
		kv_set(g, "scheduler", kv_quote("wlc"), n);
	if (!kv_find(g, "forwarding"))
		kv_set(g, "forwarding", kv_quote("NAT"), n);
	if (st.flags[0])
		kv_set(g, "sched_flags", kv_quote(st.flags), st.flags_node);
	if (st.gran && !kv_find(g, "persistence_timeout")) {
		v = kv_new(KV_SCALAR, "persistence_timeout", st.gran);
		v->text = kaconf_strdup("360");
		kv_note(v, "persistence_granularity turns persistence on: keepalived's 360 s");
		kv_add(g, v);
	}
	list = kv_new(KV_LIST, "real_servers", n);
	for (const struct kaconf_node *c = n->child; c; c = c->next)
		if (strcmp(c->kw, "real_server") == 0)
			kaconf_rs(cx, c, list, &st, (unsigned)port, kv_find(g, "forwarding")->text);
	if (list->first)
		kv_add(g, list);
	else
		kv_free(list);
out:
	cx->cur = saved;
	if (cx->lg->n_err == errs && !st.skip)
		kv_add(cx->vss, g);
	else
		kv_free(g);
}
