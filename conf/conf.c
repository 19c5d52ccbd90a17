/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf: load the libconfig file into struct vipd_conf. This file holds the
 * entry points, the top level, global, dpdk, ports, vrrp_scripts,
 * vrrp_instances and vrrp_sync_groups, and the checks that span sections; conf_vs.c and conf_check.c hold the virtual
 * servers and their health checks, conf_walk.c the shared machinery.
 *
 * keepalived only warns about unknown keywords and truncates what does not
 * fit; vipd refuses both, since a director that silently runs a different
 * configuration than the one written is worse than one that does not start.
 */
#include "conf_pvt.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *conf_fwd_name(enum conf_fwd f)
{
	switch (f) {
	case CONF_FWD_NAT:
		return "NAT";
	case CONF_FWD_DR:
		return "DR";
	case CONF_FWD_TUN:
		return "TUN";
	}
	return "?";
}

const char *conf_check_name(enum conf_check_type t)
{
	static const char *const names[] = {
		[CONF_CHECK_NONE] = "none",
		[CONF_CHECK_HTTP_GET] = "HTTP_GET",
		[CONF_CHECK_SSL_GET] = "SSL_GET",
		[CONF_CHECK_TCP] = "TCP_CHECK",
		[CONF_CHECK_MISC] = "MISC_CHECK",
		[CONF_CHECK_SMTP] = "SMTP_CHECK",
		[CONF_CHECK_DNS] = "DNS_CHECK",
	};

	return (unsigned)t < CONF_ARRAY_SIZE(names) ? names[t] : "?";
}

enum conf_fwd conf_rs_fwd(const struct conf_vs *vs, const struct conf_rs *rs)
{
	return rs->has_fwd ? rs->fwd : vs->fwd;
}

/* Longest prefix wins, so a /32 host port beats a covering subnet. */
int conf_port_for_addr(const struct vipd_conf *c, uint32_t addr)
{
	int best = -1;

	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct conf_port *p = &c->ports[i];
		uint32_t mask = conf_prefix_mask(p->prefixlen);

		if (((p->addr ^ addr) & mask) != 0)
			continue;
		if (best < 0 || p->prefixlen > c->ports[best].prefixlen)
			best = (int)i;
	}
	return best;
}

void conf_errors_print(const struct conf_errors *errs, FILE *f)
{
	for (unsigned i = 0; i < errs->n; i++)
		fprintf(f, "%s\n", errs->msg[i]);
}

void conf_errors_clear(struct conf_errors *errs)
{
	for (unsigned i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

void conf_free(struct vipd_conf *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n_vs; i++)
		free(c->vs[i].rs);
	free(c->vs);
	free(c->vrrp);
	free(c->ports);
	free(c);
}

/* ---- global and dpdk ---------------------------------------------------- */

/* "ADDR:PORT" of the Prometheus endpoint, checked here so --check catches it. */
static void conf_global_metrics(struct conf_ctx *cx, const config_setting_t *s,
				const char *where, void *obj)
{
	struct conf_global *g = obj;
	char buf[sizeof(g->metrics_listen)], *colon, *end;
	struct in_addr a;

	if (!conf_dec_str(cx, s, where, buf, sizeof(buf)))
		return;
	strcpy(g->metrics_listen, buf);
	if (buf[0] == '\0')
		return;
	colon = strrchr(buf, ':');
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (colon)
		*colon = '\0';
	if (colon == NULL || *end || port < 1 || port > 65535 || inet_pton(AF_INET, buf, &a) != 1)
		conf_err(cx, s, where, "metrics_listen '%s': want IPv4ADDR:PORT (port 1..65535)",
			 g->metrics_listen);
}

#define KT struct conf_global
static const struct conf_key conf_global_keys[] = {
	{ K_STR("router_id", router_id) },
	{ K_STRS("notification_email", emails, n_emails) },
	{ K_STR("notification_email_from", email_from) },
	{ K_ADDR("smtp_server", smtp_server) },
	{ K_UINT("smtp_port", smtp_port, 1, 65535) },
	{ K_SECS("smtp_connect_timeout", smtp_connect_timeout, 0.01, 3600) },
	{ K_BOOL("sloppy_tcp", sloppy_tcp) },
	{ K_FN("metrics_listen", conf_global_metrics) },
	{ K_BOOL("no_service_reply", no_service_reply) },
	{ K_BOOL("expire_nodest_conn", expire_nodest_conn) },
	{ K_UINT("tcp_timeout", tcp_timeout, 1, 604800) },
	{ K_UINT("tcpfin_timeout", tcpfin_timeout, 1, 604800) },
	{ K_UINT("udp_timeout", udp_timeout, 1, 604800) },
};
CONF_KEYS_FIT(conf_global_keys);
#undef KT

#define KT struct conf_dpdk
static const struct conf_key conf_dpdk_keys[] = {
	{ K_UINT("workers", workers, 1, 64) },
	{ K_STRS("eal_args", eal_args, n_eal_args) },
	{ K_UINT("sessions", sessions, 1024, 1 << 28) },
	{ K_UINT("mbufs", mbufs, 1024, 1 << 24) },
	{ K_UINT("idle_sleep_max_us", idle_sleep_max_us, 0, 100000) },
};
CONF_KEYS_FIT(conf_dpdk_keys);
#undef KT

static void conf_defaults(struct vipd_conf *c)
{
	struct conf_global *g = &c->global;
	char host[CONF_NAME_MAX] = "localhost";

	/* keepalived: router_id is the host name, mail from keepalived@host. */
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	strcpy(g->router_id, host);
	snprintf(g->email_from, sizeof(g->email_from), "vipd@%s", host);
	g->smtp_port = 25;
	g->smtp_connect_timeout = 30;
	g->tcp_timeout = 900;
	g->tcpfin_timeout = 120;
	g->udp_timeout = 300;
	c->dpdk.workers = 1;
	c->dpdk.sessions = 1048576;
	c->dpdk.mbufs = 16384;
	c->dpdk.idle_sleep_max_us = 200;
}

static void conf_global(struct conf_ctx *cx, const config_setting_t *s,
			const char *where, void *obj)
{
	struct conf_global *g = &((struct vipd_conf *)obj)->global;

	(void)where;
	if (!conf_is_group(cx, s, ""))
		return;
	conf_walk(cx, s, "global", "global", conf_global_keys,
		  CONF_ARRAY_SIZE(conf_global_keys), 0, g);
	for (unsigned i = 0; i < g->n_emails; i++) {
		if (!strchr(g->emails[i], '@'))
			conf_err(cx, conf_at(s, "notification_email"), "global",
				 "notification_email '%s' is not an email address",
				 g->emails[i]);
	}
}

static void conf_dpdk(struct conf_ctx *cx, const config_setting_t *s,
		      const char *where, void *obj)
{
	(void)where;
	if (conf_is_group(cx, s, ""))
		conf_walk(cx, s, "dpdk", "dpdk", conf_dpdk_keys,
			  CONF_ARRAY_SIZE(conf_dpdk_keys), 0,
			  &((struct vipd_conf *)obj)->dpdk);
}

/* ---- ports -------------------------------------------------------------- */

/* Matches pat: 'x' a hex digit, 'o' an octal one, others literally. */
static bool conf_pattern(const char *s, const char *pat)
{
	for (; *pat; pat++, s++) {
		if (*pat == 'x' ? !isxdigit((unsigned char)*s) :
		    *pat == 'o' ? !(*s >= '0' && *s <= '7') : *s != *pat)
			return false;
	}
	return *s == '\0' || *s == ','; /* devargs may follow a PCI address */
}

/* A name that is safe as a Linux interface name and in messages. */
static bool conf_ifname_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	}
	return true;
}

static void conf_port_device(struct conf_ctx *cx, const config_setting_t *s,
			     const char *where, void *obj)
{
	struct conf_port *p = obj;

	if (!conf_dec_str(cx, s, where, p->device, sizeof(p->device)))
		return;
	p->is_pci = conf_pattern(p->device, "xxxx:xx:xx.o") ||
		    conf_pattern(p->device, "xx:xx.o");
	if (!p->is_pci && (strncmp(p->device, "net_", 4) != 0 || !p->device[4]))
		conf_err(cx, s, where,
			 "device '%s' is neither a PCI address (0000:03:00.0) nor a DPDK vdev (net_...)",
			 p->device);
}

static void conf_port_address(struct conf_ctx *cx, const config_setting_t *s,
			      const char *where, void *obj)
{
	struct conf_port *p = obj;
	const char *str, *slash;
	char ip[64], *end = NULL;
	long len = 0;
	int rc = -1;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	slash = strchr(str, '/');
	if (slash && (size_t)(slash - str) < sizeof(ip)) {
		memcpy(ip, str, slash - str);
		ip[slash - str] = '\0';
		rc = conf_parse_ip(ip, &p->addr);
		if (isdigit((unsigned char)slash[1]))
			len = strtol(slash + 1, &end, 10);
		if (len && *end)
			len = 0;
	} else if (!slash) {
		rc = conf_parse_ip(str, &p->addr) == -2 ? -2 : -1;
	}
	if (rc == -2)
		conf_err(cx, s, where, "address '%s': IPv6 is not supported yet", str);
	else if (rc < 0 || len < 1 || len > 32)
		conf_err(cx, s, where,
			 "address '%s' must be the port's IPv4 address and prefix length, a.b.c.d/len (len 1..32)",
			 str);
	else
		p->prefixlen = (uint8_t)len;
}

#define KT struct conf_port
static const struct conf_key conf_port_keys[] = {
	{ K_STR("name", name), .required = true },
	{ K_FN("device", conf_port_device), .required = true },
	{ K_FN("address", conf_port_address), .required = true },
	{ K_ADDR("gateway", gateway) },
	{ K_BOOL("kernel", kernel) },
	{ K_STR("kernel_name", kernel_name) },
};
CONF_KEYS_FIT(conf_port_keys);
#undef KT

static void conf_port_finish(struct conf_ctx *cx, const config_setting_t *g,
			     const char *where, struct conf_port *p, uint64_t seen)
{
	char a[16], b[16];

	const char *raw = NULL;

	/* Checked on the raw text: a too long name was not stored. */
	if (config_setting_lookup_string(g, "name", &raw) &&
	    strlen(raw) < sizeof(p->name) && !conf_ifname_ok(raw))
		conf_err(cx, conf_at(g, "name"), where,
			 "name '%s' may only hold letters, digits, '-', '_' and '.'",
			 raw);
	if (!conf_seen(conf_port_keys, CONF_ARRAY_SIZE(conf_port_keys), seen,
		       "kernel_name")) {
		size_t len = strlen(p->name);

		/* The TAP's name: IFNAMSIZ is 16 with the terminator. */
		if (len + 5 >= sizeof(p->kernel_name)) {
			conf_err(cx, conf_at(g, "name"), where,
				 "kernel_name defaults to 'vipd-%s', longer than 15 characters; set kernel_name",
				 p->name);
		} else {
			memcpy(p->kernel_name, "vipd-", 5);
			memcpy(p->kernel_name + 5, p->name, len + 1);
		}
	} else if (config_setting_lookup_string(g, "kernel_name", &raw) &&
		   strlen(raw) < sizeof(p->kernel_name) && !conf_ifname_ok(raw)) {
		conf_err(cx, conf_at(g, "kernel_name"), where,
			 "kernel_name '%s' may only hold letters, digits, '-', '_' and '.'",
			 p->kernel_name);
	}
	if (p->gateway && p->prefixlen &&
	    ((p->gateway ^ p->addr) & conf_prefix_mask(p->prefixlen)))
		conf_err(cx, conf_at(g, "gateway"), where,
			 "gateway %s is not in the port's subnet %s/%u",
			 conf_ip_str(p->gateway, a),
			 conf_ip_str(p->addr & conf_prefix_mask(p->prefixlen), b),
			 p->prefixlen);
}

static void conf_ports(struct conf_ctx *cx, const config_setting_t *s,
		       const char *where, void *obj)
{
	struct vipd_conf *c = obj;
	int n;
	char w[CONF_WHERE_MAX];

	c->ports = conf_list_alloc(cx, s, where, sizeof(*c->ports), &n);
	if (c->ports == NULL) {
		if (n == 0 && !cx->nomem)
			conf_err(cx, s, where, "ports is empty; vipd needs at least one");
		return;
	}
	c->n_ports = n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		struct conf_port *p = &c->ports[i];
		uint64_t seen;

		p->line = config_setting_source_line(g);
		p->kernel = true;
		conf_wheref(w, "ports[%d]", i);
		seen = conf_walk(cx, g, w, "port", conf_port_keys,
				 CONF_ARRAY_SIZE(conf_port_keys), 0, p);
		conf_port_finish(cx, g, w, p, seen);
	}
}

/* ---- checks across sections --------------------------------------------- */

int conf_port_find(const struct vipd_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->n_ports; i++)
		if (strcmp(c->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "lan0, lan1" for messages about a name that is no port. */
const char *conf_port_names(const struct vipd_conf *c)
{
	static char buf[256];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < c->n_ports && off < sizeof(buf); i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s",
				i ? ", " : "", c->ports[i].name);
	return buf;
}

static void conf_cross_ports(struct conf_ctx *cx, const struct vipd_conf *c)
{
	char w[CONF_WHERE_MAX];

	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct conf_port *p = &c->ports[i];

		conf_wheref(w, "ports[%u]", i);
		for (unsigned j = 0; j < i; j++) {
			const struct conf_port *q = &c->ports[j];

			if (*p->name && strcmp(p->name, q->name) == 0)
				conf_err(cx, conf_item(cx, "ports", i, "name"), w,
					 "duplicate port name '%s' (also ports[%u], line %d)",
					 p->name, j, q->line);
			else if (*p->device && strcmp(p->device, q->device) == 0)
				conf_err(cx, conf_item(cx, "ports", i, "device"), w,
					 "device '%s' is also used by ports[%u] (line %d)",
					 p->device, j, q->line);
			else if (p->kernel && q->kernel && *p->kernel_name &&
				 strcmp(p->kernel_name, q->kernel_name) == 0)
				conf_err(cx, conf_item(cx, "ports", i, "name"), w,
					 "kernel_name '%s' is also used by ports[%u] (line %d)",
					 p->kernel_name, j, q->line);
		}
	}
}

/* The element of string list t equal to str (t itself if none): where to point. */
/* ---- the file ----------------------------------------------------------- */

static const struct conf_key conf_root_keys[] = {
	{ K_FN("global", conf_global) },
	{ K_FN("dpdk", conf_dpdk) },
	{ K_FN("ports", conf_ports), .required = true },
	{ K_FN("vrrp_scripts", conf_vscript_list) },
	{ K_FN("vrrp_instances", conf_vrrp_list) },
	{ K_FN("vrrp_sync_groups", conf_group_list_fn) },
	{ K_FN("virtual_servers", conf_vs_list) },
};
CONF_KEYS_FIT(conf_root_keys);

/* libconfig's @include is relative to the including file's directory. */
static int conf_read(struct conf_ctx *cx, config_t *cf)
{
	config_set_include_dir(cf, cx->dir);
	if (config_read_file(cf, cx->path))
		return 0;
	if (config_error_type(cf) == CONFIG_ERR_FILE_IO) {
		conf_err(cx, NULL, NULL, "cannot read the file");
		return -EIO;
	}
	/* A syntax error stops libconfig: it is the only error reported. */
	conf_err_at(cx, config_error_file(cf), (unsigned)config_error_line(cf),
		    NULL, "%s", config_error_text(cf));
	return -EINVAL;
}

static int conf_parse(struct conf_ctx *cx, config_t *cf, struct vipd_conf *c)
{
	int rc = conf_read(cx, cf);

	if (rc < 0)
		return rc;
	cx->root = config_root_setting(cf);
	conf_walk(cx, cx->root, "", "", conf_root_keys,
		  CONF_ARRAY_SIZE(conf_root_keys), 0, c);
	conf_cross_ports(cx, c);
	conf_cross_vscripts(cx, c);
	conf_cross_vrrp(cx, c);
	conf_cross_groups(cx, c);
	conf_cross_track_scripts(cx, c);
	conf_vrrp_sigs(c);
	conf_vs_cross(cx, c);
	if (cx->nomem)
		return -ENOMEM;
	return cx->n_err ? -EINVAL : 0;
}

int conf_load(const char *path, struct vipd_conf **out, struct conf_errors *errs)
{
	struct conf_errors scratch = { 0 };
	struct conf_ctx cx = { .path = path, .errs = errs ? errs : &scratch };
	struct vipd_conf *c;
	char *dir;
	config_t cf;
	FILE *f;
	int rc;

	*out = NULL;
	/* Tell a missing file (-ENOENT) from one that does not parse. */
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		conf_err(&cx, NULL, NULL, "%s", strerror(-rc));
		conf_errors_clear(&scratch);
		return rc;
	}
	fclose(f);
	c = calloc(1, sizeof(*c));
	dir = strdup(path);
	if (!c || !dir) {
		free(c);
		free(dir);
		return -ENOMEM;
	}
	cx.dir = dirname(dir);
	snprintf(c->path, sizeof(c->path), "%s", path);
	conf_defaults(c);
	config_init(&cf);
	rc = conf_parse(&cx, &cf, c);
	config_destroy(&cf);
	conf_errors_clear(&scratch);
	free(dir);
	if (rc < 0) {
		conf_free(c);
		return rc;
	}
	*out = c;
	return 0;
}
