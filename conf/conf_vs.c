/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtual_servers and their real_servers. Defaults follow keepalived: UDP
 * when no protocol is given, wlc, NAT, quorum 1, delay_loop 60, a /32
 * persistence netmask. A real server's port, its check's delay_loop and its
 * inhibit_on_failure come from the virtual server when the file leaves them
 * out; that is resolved once the whole virtual server is read, as the keys
 * may stand in any order.
 */
#include "conf_pvt.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataplane/sched.h"

static bool conf_fwd_parse(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, enum conf_fwd *out)
{
	static const enum conf_fwd all[] = { CONF_FWD_NAT, CONF_FWD_DR, CONF_FWD_TUN };
	const char *str;

	if (!conf_dec_strp(cx, s, where, &str))
		return false;
	for (unsigned i = 0; i < CONF_ARRAY_SIZE(all); i++) {
		if (strcasecmp(str, conf_fwd_name(all[i])) == 0) {
			*out = all[i];
			return true;
		}
	}
	conf_err(cx, s, where, "unknown forwarding method '%s' (NAT, DR or TUN)", str);
	return false;
}

static void conf_vs_fwd(struct conf_ctx *cx, const config_setting_t *s,
			const char *where, void *obj)
{
	conf_fwd_parse(cx, s, where, &((struct conf_vs *)obj)->fwd);
}

static void conf_rs_fwd_key(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, void *obj)
{
	struct conf_rs *rs = obj;

	rs->has_fwd = conf_fwd_parse(cx, s, where, &rs->fwd);
}

static void conf_vs_proto(struct conf_ctx *cx, const config_setting_t *s,
			  const char *where, void *obj)
{
	struct conf_vs *vs = obj;
	const char *str;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	if (strcasecmp(str, "TCP") == 0)
		vs->proto = IPPROTO_TCP;
	else if (strcasecmp(str, "UDP") == 0)
		vs->proto = IPPROTO_UDP;
	else
		conf_err(cx, s, where, "protocol '%s' must be TCP or UDP", str);
}

static void conf_vs_sched(struct conf_ctx *cx, const config_setting_t *s,
			  const char *where, void *obj)
{
	struct conf_vs *vs = obj;
	const char *str;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	if (!sched_find(str) || strlen(str) >= sizeof(vs->scheduler)) {
		conf_err(cx, s, where, "unknown scheduler '%s' (known: %s)", str,
			 sched_names());
		return;
	}
	strcpy(vs->scheduler, str);
}

/* IPVS's scheduler flags, comma separated as ipvsadm takes them. */
static void conf_vs_sched_flags(struct conf_ctx *cx, const config_setting_t *s,
				const char *where, void *obj)
{
	static const char *const known[] = {
		"sh-fallback", "sh-port", "mh-fallback", "mh-port",
		"flag-1", "flag-2", "flag-3",
	};
	struct conf_vs *vs = obj;
	char buf[sizeof(vs->sched_flags)], *tok, *save;

	if (!conf_dec_str(cx, s, where, buf, sizeof(buf)))
		return;
	strcpy(vs->sched_flags, buf);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned i = 0;

		while (i < CONF_ARRAY_SIZE(known) && strcmp(tok, known[i]) != 0)
			i++;
		if (i == CONF_ARRAY_SIZE(known))
			conf_err(cx, s, where, "unknown scheduler flag '%s' (known: sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3)",
				 tok);
	}
}

static void conf_vs_netmask(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, void *obj)
{
	struct conf_vs *vs = obj;
	uint32_t m, inv;

	if (!conf_dec_addr(cx, s, where, &m))
		return;
	inv = ~ntohl(m);
	if (inv & (inv + 1)) { /* ones must be contiguous from the top */
		conf_err(cx, s, where, "%s '%s' is not a netmask",
			 conf_sname(s), config_setting_get_string(s));
		return;
	}
	vs->persistence_netmask = m;
}

#define KT struct conf_vs
static const struct conf_key conf_sorry_keys[] = {
	{ K_ADDR("address", sorry_addr), .required = true },
	{ K_UINT("port", sorry_port, 1, 65535) },
};
CONF_KEYS_FIT(conf_sorry_keys);
#undef KT

static void conf_vs_sorry(struct conf_ctx *cx, const config_setting_t *s,
			  const char *where, void *obj)
{
	char w[CONF_WHERE_MAX];

	if (!conf_is_group(cx, s, where))
		return;
	conf_wheref(w, "%s.sorry_server", where);
	conf_walk(cx, s, w, "sorry_server", conf_sorry_keys,
		  CONF_ARRAY_SIZE(conf_sorry_keys), 0, obj);
	((struct conf_vs *)obj)->has_sorry = true;
}

static void conf_rs_mac(struct conf_ctx *cx, const config_setting_t *s,
			const char *where, void *obj)
{
	struct conf_rs *rs = obj;
	const char *str;
	unsigned b[6];
	int n = 0;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	/* sscanf alone would take spaces, signs and 0x. */
	for (n = 0; str[n] && n < 17; n++)
		if (n % 3 == 2 ? str[n] != ':' : !isxdigit((unsigned char)str[n]))
			break;
	if (n != 17 || str[n] ||
	    sscanf(str, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6) {
		conf_err(cx, s, where, "mac '%s' must be six hex bytes like 02:00:00:00:00:11",
			 str);
		return;
	}
	if (b[0] & 1) {
		conf_err(cx, s, where, "mac '%s' is a multicast address", str);
		return;
	}
	for (int i = 0; i < 6; i++)
		rs->mac[i] = (uint8_t)b[i];
	rs->has_mac = true;
}

#define KT struct conf_rs
static const struct conf_key conf_rs_keys[] = {
	{ K_ADDR("address", addr), .required = true },
	{ K_UINT("port", port, 1, 65535) },
	{ K_UINT("weight", weight, 0, 65535) },
	{ K_FN("forwarding", conf_rs_fwd_key) },
	{ K_ALIAS("lb_kind", "forwarding") },
	{ K_ALIAS("lvs_method", "forwarding") },
	{ K_FN("mac", conf_rs_mac) },
	{ K_UINT("uthreshold", u_threshold, 0, INT32_MAX) },
	{ K_UINT("lthreshold", l_threshold, 0, INT32_MAX) },
	{ K_BOOL("inhibit_on_failure", inhibit_on_failure) },
	{ K_STR("notify_up", notify_up) },
	{ K_STR("notify_down", notify_down) },
	{ K_FN("HTTP_GET", conf_check_group) },
	{ K_FN("SSL_GET", conf_check_group) },
	{ K_FN("TCP_CHECK", conf_check_group) },
	{ K_FN("MISC_CHECK", conf_check_group) },
	{ K_FN("SMTP_CHECK", conf_check_group) },
	{ K_FN("DNS_CHECK", conf_check_group) },
};
CONF_KEYS_FIT(conf_rs_keys);
#undef KT

static void conf_rs_list(struct conf_ctx *cx, const config_setting_t *s,
			 const char *where, void *obj)
{
	struct conf_vs *vs = obj;
	int n;
	char w[CONF_WHERE_MAX];

	vs->rs = conf_list_alloc(cx, s, where, sizeof(*vs->rs), &n);
	if (vs->rs == NULL)
		return;
	vs->n_rs = n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		struct conf_rs *rs = &vs->rs[i];

		rs->line = config_setting_source_line(g);
		rs->weight = 1;
		conf_wheref(w, "%s.real_servers[%d]", where, i);
		conf_walk(cx, g, w, "real_server", conf_rs_keys,
			  CONF_ARRAY_SIZE(conf_rs_keys), 0, rs);
	}
}

#define KT struct conf_vs
static const struct conf_key conf_vs_keys[] = {
	{ K_ADDR("address", addr), .required = true },
	{ K_UINT("port", port, 1, 65535), .required = true },
	{ K_FN("protocol", conf_vs_proto) },
	{ K_FN("scheduler", conf_vs_sched) },
	{ K_ALIAS("lb_algo", "scheduler") },
	{ K_ALIAS("lvs_sched", "scheduler") },
	{ K_FN("sched_flags", conf_vs_sched_flags) },
	{ K_FN("forwarding", conf_vs_fwd) },
	{ K_ALIAS("lb_kind", "forwarding") },
	{ K_ALIAS("lvs_method", "forwarding") },
	{ K_UINT("persistence_timeout", persistence_timeout, 0, 604800) },
	{ K_FN("persistence_netmask", conf_vs_netmask) },
	{ K_ALIAS("persistence_granularity", "persistence_netmask") },
	{ K_SECS("delay_loop", delay_loop, 0.01, 86400) },
	{ K_UINT("quorum", quorum, 1, INT32_MAX) },
	{ K_UINT("hysteresis", hysteresis, 0, INT32_MAX) },
	{ K_BOOL("alpha", alpha) },
	{ K_BOOL("omega", omega) },
	{ K_BOOL("inhibit_on_failure", inhibit_on_failure) },
	{ K_FN("sorry_server", conf_vs_sorry) },
	{ K_STR("quorum_up", quorum_up) },
	{ K_STR("quorum_down", quorum_down) },
	{ K_FN("real_servers", conf_rs_list) },
};
CONF_KEYS_FIT(conf_vs_keys);
#undef KT

static void conf_vs_init(struct conf_vs *vs, int line)
{
	vs->line = line;
	vs->proto = IPPROTO_UDP; /* keepalived's default, with a warning */
	strcpy(vs->scheduler, "wlc");
	vs->fwd = CONF_FWD_NAT;
	vs->persistence_netmask = 0xffffffff;
	vs->delay_loop = 60;
	vs->quorum = 1;
}

/* What a real server inherits, and what only makes sense once it has. */
static void conf_rs_finish(struct conf_ctx *cx, const config_setting_t *g,
			   const char *where, const struct conf_vs *vs,
			   struct conf_rs *rs)
{
	if (!config_setting_get_member(g, "inhibit_on_failure"))
		rs->inhibit_on_failure = vs->inhibit_on_failure;
	if (!rs->port) {
		rs->port = vs->port;
	} else if (conf_rs_fwd(vs, rs) != CONF_FWD_NAT && rs->port != vs->port) {
		/* DR and TUN leave the packet's destination port alone. */
		conf_err(cx, conf_at(g, "port"), where,
			 "port %u differs from the virtual server's %u, which %s forwarding cannot translate",
			 rs->port, vs->port, conf_fwd_name(conf_rs_fwd(vs, rs)));
	}
	if (rs->u_threshold && rs->l_threshold > rs->u_threshold)
		conf_err(cx, conf_at(g, "lthreshold"), where,
			 "lthreshold %d is above uthreshold %d", rs->l_threshold,
			 rs->u_threshold);
	conf_check_finish(&rs->check, vs->delay_loop);
}

static void conf_vs_finish(struct conf_ctx *cx, const config_setting_t *g,
			   const char *where, struct conf_vs *vs)
{
	const config_setting_t *l = config_setting_get_member(g, "real_servers");
	char w[CONF_WHERE_MAX], ip[16];

	if (vs->has_sorry && !vs->sorry_port)
		vs->sorry_port = vs->port;
	for (unsigned i = 0; i < vs->n_rs; i++) {
		const config_setting_t *e = config_setting_get_elem(l, i);
		struct conf_rs *rs = &vs->rs[i];

		conf_wheref(w, "%s.real_servers[%u]", where, i);
		conf_rs_finish(cx, e, w, vs, rs);
		for (unsigned j = 0; j < i && rs->addr; j++) {
			if (rs->addr == vs->rs[j].addr && rs->port == vs->rs[j].port)
				conf_err(cx, conf_at(e, "address"), w,
					 "duplicate real server %s:%u (also real_servers[%u], line %d)",
					 conf_ip_str(rs->addr, ip), rs->port, j,
					 vs->rs[j].line);
		}
	}
}

void conf_vs_list(struct conf_ctx *cx, const config_setting_t *s,
		  const char *where, void *obj)
{
	struct vipd_conf *c = obj;
	int n;
	char w[CONF_WHERE_MAX];

	c->vs = conf_list_alloc(cx, s, where, sizeof(*c->vs), &n);
	if (c->vs == NULL)
		return;
	c->n_vs = n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		struct conf_vs *vs = &c->vs[i];

		conf_vs_init(vs, config_setting_source_line(g));
		conf_wheref(w, "virtual_servers[%d]", i);
		conf_walk(cx, g, w, "virtual_server", conf_vs_keys,
			  CONF_ARRAY_SIZE(conf_vs_keys), 0, vs);
		conf_vs_finish(cx, g, w, vs);
	}
}

void conf_vs_cross(struct conf_ctx *cx, const struct vipd_conf *c)
{
	char w[CONF_WHERE_MAX], ip[16];

	for (unsigned i = 0; i < c->n_vs; i++) {
		const struct conf_vs *vs = &c->vs[i];

		conf_wheref(w, "virtual_servers[%u]", i);
		for (unsigned j = 0; j < i && vs->addr && vs->port; j++) {
			const struct conf_vs *o = &c->vs[j];

			if (vs->addr == o->addr && vs->port == o->port &&
			    vs->proto == o->proto)
				conf_err(cx, conf_item(cx, "virtual_servers", i, "address"), w,
					 "duplicate virtual service %s %s:%u (also virtual_servers[%u], line %d)",
					 vs->proto == IPPROTO_TCP ? "TCP" : "UDP",
					 conf_ip_str(vs->addr, ip), vs->port, j, o->line);
		}
	}
}
