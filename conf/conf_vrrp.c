/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_vrrp: the VRRP sections (vrrp_instances, vrrp_scripts,
 * vrrp_sync_groups) and the checks that tie them to each other and to ports.
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

/* ---- vrrp_instances ----------------------------------------------------- */

static void conf_vrrp_state(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, void *obj)
{
	struct conf_vrrp *v = obj;
	const char *str;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	if (strcasecmp(str, "MASTER") == 0 || strcasecmp(str, "BACKUP") == 0)
		v->initial_master = strcasecmp(str, "MASTER") == 0;
	else
		conf_err(cx, s, where, "state '%s' must be MASTER or BACKUP", str);
}

static void conf_auth_type(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, void *obj)
{
	const char *str;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	if (strcasecmp(str, "PASS") == 0)
		((struct conf_vrrp *)obj)->auth_pass = true;
	else if (strcasecmp(str, "AH") == 0)
		conf_err(cx, s, where, "auth_type AH is not supported (obsolete); use PASS or no authentication");
	else
		conf_err(cx, s, where, "auth_type '%s' must be PASS", str);
}

static void conf_auth_pass(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, void *obj)
{
	struct conf_vrrp *v = obj;
	const char *str;
	size_t len;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	len = strlen(str);
	if (len == 0 || len >= sizeof(v->auth_password)) {
		/* keepalived would silently use the first 8: peers disagree. */
		conf_err(cx, s, where, "auth_pass has %zu characters; VRRPv2 carries 1..8",
			 len);
		return;
	}
	memcpy(v->auth_password, str, len + 1);
}

#define KT struct conf_vrrp
static const struct conf_key conf_auth_keys[] = {
	{ K_FN("auth_type", conf_auth_type), .required = true },
	{ K_FN("auth_pass", conf_auth_pass), .required = true },
};
CONF_KEYS_FIT(conf_auth_keys);
#undef KT

static void conf_vrrp_auth(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, void *obj)
{
	char w[CONF_WHERE_MAX];

	if (!conf_is_group(cx, s, where))
		return;
	conf_wheref(w, "%s.authentication", where);
	conf_walk(cx, s, w, "authentication", conf_auth_keys,
		  CONF_ARRAY_SIZE(conf_auth_keys), 0, obj);
}

#define KT struct conf_vrrp
static const struct conf_key conf_vrrp_keys[] = {
	{ K_STR("name", name), .required = true },
	{ K_FN("state", conf_vrrp_state) },
	{ K_STR("interface", interface), .required = true },
	{ K_UINT("virtual_router_id", vrid, 1, 255), .required = true },
	{ K_UINT("priority", priority, 1, 255) },
	{ K_SECS("advert_int", advert_int, 0.01, 255) },
	{ K_UINT("version", version, 2, 3) },
	{ K_FN("authentication", conf_vrrp_auth) },
	{ K_ADDRS("virtual_ipaddress", vips, n_vips) },
	{ K_BOOL("preempt", preempt) },
	{ K_SECS("preempt_delay", preempt_delay, 0, 1000) },
	{ K_BOOL("use_vmac", use_vmac) },
	{ K_ADDR("unicast_src_ip", unicast_src) },
	{ K_ADDRS("unicast_peer", peers, n_peers) },
	{ K_SECS("garp_master_delay", garp_master_delay, 0, 3600) },
	{ K_UINT("garp_master_repeat", garp_master_repeat, 1, 255) },
	{ K_SECS("garp_master_refresh", garp_master_refresh, 0, 86400) },
	{ K_STRS("track_interface", track_if, n_track_if) },
	{ K_STRS("track_script", track_script, n_track_script) },
	{ K_STR("notify_master", notify_master) },
	{ K_STR("notify_backup", notify_backup) },
	{ K_STR("notify_fault", notify_fault) },
	{ K_STR("notify_stop", notify_stop) },
	{ K_STR("notify", notify) },
	{ K_BOOL("smtp_alert", smtp_alert) },
};
CONF_KEYS_FIT(conf_vrrp_keys);
#undef KT

/* advert_int's unit and range depend on version, which may come after it. */
static void conf_vrrp_advert(struct conf_ctx *cx, const config_setting_t *g,
			     const char *where, const struct conf_vrrp *v)
{
	const config_setting_t *s = conf_at(g, "advert_int");
	double cs = v->advert_int * 100;

	if (v->version == 2 && v->advert_int != floor(v->advert_int))
		conf_err(cx, s, where,
			 "advert_int %g must be whole seconds 1..255 with version 2 (version 3 allows 0.01..40.95)",
			 v->advert_int);
	else if (v->version == 3 && v->advert_int > 40.95)
		conf_err(cx, s, where, "advert_int %g out of range 0.01..40.95 for version 3",
			 v->advert_int);
	else if (v->version == 3 && fabs(cs - round(cs)) > 1e-6)
		conf_err(cx, s, where, "advert_int %g must be a multiple of 0.01 s (centiseconds) with version 3",
			 v->advert_int);
}

static void conf_vrrp_finish(struct conf_ctx *cx, const config_setting_t *g,
			     const char *where, const struct conf_vrrp *v)
{
	conf_vrrp_advert(cx, g, where, v);
	if (v->version == 3 && v->auth_pass)
		conf_err(cx, conf_at(g, "authentication"), where,
			 "authentication is not available with version 3 (RFC 5798 removed it)");
	if (!v->preempt && v->initial_master)
		conf_err(cx, conf_at(g, "preempt"), where,
			 "preempt = false needs state BACKUP (a MASTER would take over anyway)");
}

void conf_vrrp_list(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, void *obj)
{
	struct vipd_conf *c = obj;
	int n;
	char w[CONF_WHERE_MAX];

	c->vrrp = conf_list_alloc(cx, s, where, sizeof(*c->vrrp), &n);
	if (c->vrrp == NULL)
		return;
	c->n_vrrp = n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		struct conf_vrrp *v = &c->vrrp[i];

		v->line = config_setting_source_line(g);
		v->priority = 100;
		v->advert_int = 1;
		v->version = 2;
		v->preempt = true;
		v->garp_master_delay = 5;
		v->garp_master_repeat = 5;
		v->sync_group = -1;
		conf_wheref(w, "vrrp_instances[%d]", i);
		conf_walk(cx, g, w, "vrrp_instance", conf_vrrp_keys,
			  CONF_ARRAY_SIZE(conf_vrrp_keys), 0, v);
		conf_vrrp_finish(cx, g, w, v);
	}
}

/* ---- vrrp_scripts ------------------------------------------------------- */

static void conf_vscript_weight(struct conf_ctx *cx, const config_setting_t *s,
				const char *where, void *obj)
{
	double v;

	if (conf_dec_num(cx, s, where, true, -253, 253, &v))
		((struct conf_vrrp_script *)obj)->weight = (int32_t)v;
}

#define KT struct conf_vrrp_script
static const struct conf_key conf_vscript_keys[] = {
	{ K_STR("name", name), .required = true },
	{ K_STR("script", script), .required = true },
	{ K_SECS("interval", interval, 0.1, 3600) },
	{ K_SECS("timeout", timeout, 0.1, 3600) },
	{ K_FN("weight", conf_vscript_weight) },
	{ K_UINT("rise", rise, 1, 1000) },
	{ K_UINT("fall", fall, 1, 1000) },
};
CONF_KEYS_FIT(conf_vscript_keys);
#undef KT

/* A list of groups into a fixed array of max; the count, or -1. */
static int conf_fixed_list(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, unsigned max)
{
	int n = conf_group_list(cx, s, where);

	if (n > (int)max) {
		conf_err(cx, s, where, "%s has %d entries, max %u", conf_sname(s), n, max);
		return -1;
	}
	return n;
}

void conf_vscript_list(struct conf_ctx *cx, const config_setting_t *s,
			      const char *where, void *obj)
{
	struct vipd_conf *c = obj;
	int n = conf_fixed_list(cx, s, where, CONF_MAX_VRRP_SCRIPTS);
	char w[CONF_WHERE_MAX];

	if (n <= 0)
		return;
	c->n_vrrp_scripts = n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		struct conf_vrrp_script *sc = &c->vrrp_scripts[i];
		uint64_t seen;

		sc->line = config_setting_source_line(g);
		sc->interval = 1;
		sc->rise = 1;
		sc->fall = 1;
		conf_wheref(w, "vrrp_scripts[%d]", i);
		seen = conf_walk(cx, g, w, "vrrp_script", conf_vscript_keys,
				 CONF_ARRAY_SIZE(conf_vscript_keys), 0, sc);
		/* keepalived: a run may last one interval unless told otherwise. */
		if (!conf_seen(conf_vscript_keys, CONF_ARRAY_SIZE(conf_vscript_keys), seen,
			       "timeout"))
			sc->timeout = sc->interval;
		if (conf_seen(conf_vscript_keys, CONF_ARRAY_SIZE(conf_vscript_keys), seen,
			      "script") && sc->script[strspn(sc->script, " \t")] == '\0')
			conf_err(cx, conf_at(g, "script"), w, "script is empty");
	}
}

/* ---- vrrp_sync_groups --------------------------------------------------- */

#define KT struct conf_vrrp_group
static const struct conf_key conf_group_keys[] = {
	{ K_STR("name", name), .required = true },
	{ K_STRS("group", members, n_members), .required = true },
	{ K_STR("notify_master", notify_master) },
	{ K_STR("notify_backup", notify_backup) },
	{ K_STR("notify_fault", notify_fault) },
	{ K_STR("notify_stop", notify_stop) },
	{ K_STR("notify", notify) },
	{ K_BOOL("smtp_alert", smtp_alert) },
};
CONF_KEYS_FIT(conf_group_keys);
#undef KT

void conf_group_list_fn(struct conf_ctx *cx, const config_setting_t *s,
			       const char *where, void *obj)
{
	struct vipd_conf *c = obj;
	int n = conf_fixed_list(cx, s, where, CONF_MAX_SYNC_GROUPS);
	char w[CONF_WHERE_MAX];

	if (n <= 0)
		return;
	c->n_sync_groups = n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		struct conf_vrrp_group *sg = &c->sync_groups[i];
		const config_setting_t *m;

		sg->line = config_setting_source_line(g);
		conf_wheref(w, "vrrp_sync_groups[%d]", i);
		conf_walk(cx, g, w, "vrrp_sync_group", conf_group_keys,
			  CONF_ARRAY_SIZE(conf_group_keys), 0, sg);
		m = config_setting_get_member(g, "group");
		if (m && (config_setting_is_array(m) || config_setting_is_list(m)) &&
		    config_setting_length(m) == 0)
			conf_err(cx, m, w, "group is empty: name the vrrp instances that move together");
	}
}

static const config_setting_t *conf_elem_named(const config_setting_t *t, const char *str,
					       unsigned nth)
{
	for (int j = 0; t && config_setting_is_aggregate(t) && j < config_setting_length(t); j++) {
		const char *e = config_setting_get_string_elem(t, j);

		if (e && strcmp(e, str) == 0 && nth-- == 0)
			return config_setting_get_elem(t, j);
	}
	return t;
}

static int conf_vscript_find(const struct vipd_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->n_vrrp_scripts; i++)
		if (strcmp(c->vrrp_scripts[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int conf_vrrp_find(const struct vipd_conf *c, const char *name)
{
	for (unsigned i = 0; i < c->n_vrrp; i++)
		if (strcmp(c->vrrp[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* "chk_a, chk_b" (or "none defined") for messages about an unknown script. */
static const char *conf_vscript_names(const struct vipd_conf *c)
{
	static char buf[256];
	size_t off = 0;

	snprintf(buf, sizeof(buf), "none defined");
	for (unsigned i = 0; i < c->n_vrrp_scripts && off < sizeof(buf); i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s",
				i ? ", " : "", c->vrrp_scripts[i].name);
	return buf;
}

static void conf_cross_vrrp_refs(struct conf_ctx *cx, const struct vipd_conf *c,
				 unsigned i, const char *w)
{
	const struct conf_vrrp *v = &c->vrrp[i];
	const config_setting_t *t;

	t = conf_item(cx, "vrrp_instances", i, "track_script");
	for (unsigned k = 0; k < v->n_track_script; k++) {
		unsigned twice = 0;

		for (unsigned j = 0; j < k; j++)
			twice += strcmp(v->track_script[j], v->track_script[k]) == 0;
		if (twice)
			conf_err(cx, conf_elem_named(t, v->track_script[k], twice), w,
				 "track_script '%s' is listed twice", v->track_script[k]);
		else if (conf_vscript_find(c, v->track_script[k]) < 0)
			conf_err(cx, conf_elem_named(t, v->track_script[k], 0), w,
				 "track_script '%s' names no vrrp_script (vrrp_scripts: %s)",
				 v->track_script[k], conf_vscript_names(c));
	}
	if (!c->n_ports) /* already reported; every name would fail */
		return;
	if (*v->interface && conf_port_find(c, v->interface) < 0)
		conf_err(cx, conf_item(cx, "vrrp_instances", i, "interface"), w,
			 "interface '%s' names no port (ports: %s)", v->interface,
			 conf_port_names(c));
	t = conf_item(cx, "vrrp_instances", i, "track_interface");
	for (unsigned k = 0; k < v->n_track_if; k++) {
		if (conf_port_find(c, v->track_if[k]) >= 0)
			continue;
		/* Point at the element; bad elements were skipped, so search. */
		conf_err(cx, conf_elem_named(t, v->track_if[k], 0), w,
			 "track_interface '%s' names no port (ports: %s)",
			 v->track_if[k], conf_port_names(c));
	}
}

void conf_cross_vrrp(struct conf_ctx *cx, const struct vipd_conf *c)
{
	char w[CONF_WHERE_MAX], ip[16];

	for (unsigned i = 0; i < c->n_vrrp; i++) {
		const struct conf_vrrp *v = &c->vrrp[i];

		conf_wheref(w, "vrrp_instances[%u]", i);
		conf_cross_vrrp_refs(cx, c, i, w);
		for (unsigned j = 0; j < i; j++) {
			const struct conf_vrrp *u = &c->vrrp[j];

			if (*v->name && strcmp(v->name, u->name) == 0)
				conf_err(cx, conf_item(cx, "vrrp_instances", i, "name"), w,
					 "duplicate vrrp instance name '%s' (also vrrp_instances[%u], line %d)",
					 v->name, j, u->line);
			if (v->vrid && v->vrid == u->vrid &&
			    strcmp(v->interface, u->interface) == 0)
				conf_err(cx, conf_item(cx, "vrrp_instances", i, "virtual_router_id"), w,
					 "virtual_router_id %u on interface '%s' is also used by vrrp_instances[%u] (line %d)",
					 v->vrid, v->interface, j, u->line);
			for (unsigned a = 0; a < v->n_vips; a++)
				for (unsigned b = 0; b < u->n_vips; b++)
					if (v->vips[a] == u->vips[b])
						conf_err(cx, conf_item(cx, "vrrp_instances", i, "virtual_ipaddress"), w,
							 "virtual_ipaddress %s is also held by vrrp_instances[%u] (line %d)",
							 conf_ip_str(v->vips[a], ip), j, u->line);
		}
	}
}

void conf_cross_vscripts(struct conf_ctx *cx, const struct vipd_conf *c)
{
	char w[CONF_WHERE_MAX];

	for (unsigned i = 0; i < c->n_vrrp_scripts; i++) {
		const struct conf_vrrp_script *s = &c->vrrp_scripts[i];

		conf_wheref(w, "vrrp_scripts[%u]", i);
		for (unsigned j = 0; j < i; j++)
			if (*s->name && strcmp(s->name, c->vrrp_scripts[j].name) == 0)
				conf_err(cx, conf_item(cx, "vrrp_scripts", i, "name"), w,
					 "duplicate vrrp_script name '%s' (also vrrp_scripts[%u], line %d)",
					 s->name, j, c->vrrp_scripts[j].line);
	}
}

/*
 * Sync groups: names unique, members are instances, an instance in one group
 * at most. Fills member_idx and each member's sync_group.
 */
void conf_cross_groups(struct conf_ctx *cx, struct vipd_conf *c)
{
	char w[CONF_WHERE_MAX];

	for (unsigned g = 0; g < c->n_sync_groups; g++) {
		struct conf_vrrp_group *sg = &c->sync_groups[g];
		const config_setting_t *t = conf_item(cx, "vrrp_sync_groups", g, "group");

		conf_wheref(w, "vrrp_sync_groups[%u]", g);
		for (unsigned j = 0; j < g; j++)
			if (*sg->name && strcmp(sg->name, c->sync_groups[j].name) == 0)
				conf_err(cx, conf_item(cx, "vrrp_sync_groups", g, "name"), w,
					 "duplicate vrrp_sync_group name '%s' (also vrrp_sync_groups[%u], line %d)",
					 sg->name, j, c->sync_groups[j].line);
		for (unsigned k = 0; k < sg->n_members; k++) {
			const char *name = sg->members[k];
			unsigned twice = 0;
			int i;

			for (unsigned j = 0; j < k; j++)
				twice += strcmp(sg->members[j], name) == 0;
			if (twice) {
				conf_err(cx, conf_elem_named(t, name, twice), w,
					 "vrrp instance '%s' is listed twice", name);
				continue;
			}
			i = conf_vrrp_find(c, name);
			if (i < 0) {
				conf_err(cx, conf_elem_named(t, name, 0), w,
					 "group member '%s' names no vrrp instance", name);
				continue;
			}
			sg->member_idx[k] = (unsigned)i;
			if (c->vrrp[i].sync_group >= 0) {
				const struct conf_vrrp_group *o = &c->sync_groups[c->vrrp[i].sync_group];

				/* keepalived ignores the second membership: refused here. */
				conf_err(cx, conf_elem_named(t, name, 0), w,
					 "vrrp instance '%s' is already in sync group '%s' (line %d): an instance belongs to one group at most",
					 name, o->name, o->line);
				continue;
			}
			c->vrrp[i].sync_group = (int)g;
		}
	}
}

/*
 * track_script: indexes resolved; a weighted script is refused in a sync
 * group member (keepalived sets such weights to zero, or drops the script:
 * members with priorities that drift apart re-elect each other forever).
 */
void conf_cross_track_scripts(struct conf_ctx *cx, struct vipd_conf *c)
{
	char w[CONF_WHERE_MAX];

	for (unsigned i = 0; i < c->n_vrrp; i++) {
		struct conf_vrrp *v = &c->vrrp[i];
		const config_setting_t *t = conf_item(cx, "vrrp_instances", i, "track_script");

		conf_wheref(w, "vrrp_instances[%u]", i);
		for (unsigned k = 0; k < v->n_track_script; k++) {
			int s = conf_vscript_find(c, v->track_script[k]);
			const struct conf_vrrp_script *sc;

			if (s < 0)
				continue; /* reported by conf_cross_vrrp_refs */
			v->track_script_idx[k] = (unsigned)s;
			sc = &c->vrrp_scripts[s];
			if (sc->weight != 0 && v->sync_group >= 0)
				conf_err(cx, conf_elem_named(t, sc->name, 0), w,
					 "track_script '%s' has weight %d, but '%s' is in sync group '%s': members of a sync group need weight 0 (a failure then puts the whole group in FAULT; keepalived sets the weight to 0)",
					 sc->name, (int)sc->weight, v->name,
					 c->sync_groups[v->sync_group].name);
		}
	}
}

/* FNV-1a, 64 bits. */
static uint64_t conf_fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t conf_fnv_str(uint64_t h, const char *s)
{
	return conf_fnv(h, s, strlen(s) + 1);
}

/* conf_vrrp.track_sig: field by field (no padding bytes). */
void conf_vrrp_sigs(struct vipd_conf *c)
{
	for (unsigned i = 0; i < c->n_vrrp; i++) {
		struct conf_vrrp *v = &c->vrrp[i];
		uint64_t h = 0xcbf29ce484222325ull;

		for (unsigned k = 0; k < v->n_track_script; k++) {
			const struct conf_vrrp_script *s = &c->vrrp_scripts[v->track_script_idx[k]];

			h = conf_fnv_str(h, s->name);
			h = conf_fnv_str(h, s->script);
			h = conf_fnv(h, &s->interval, sizeof(s->interval));
			h = conf_fnv(h, &s->timeout, sizeof(s->timeout));
			h = conf_fnv(h, &s->weight, sizeof(s->weight));
			h = conf_fnv(h, &s->rise, sizeof(s->rise));
			h = conf_fnv(h, &s->fall, sizeof(s->fall));
		}
		if (v->sync_group >= 0) {
			const struct conf_vrrp_group *g = &c->sync_groups[v->sync_group];

			h = conf_fnv_str(h, g->name);
			for (unsigned k = 0; k < g->n_members; k++)
				h = conf_fnv_str(h, g->members[k]);
			h = conf_fnv_str(h, g->notify_master);
			h = conf_fnv_str(h, g->notify_backup);
			h = conf_fnv_str(h, g->notify_fault);
			h = conf_fnv_str(h, g->notify_stop);
			h = conf_fnv_str(h, g->notify);
			h = conf_fnv(h, &g->smtp_alert, sizeof(g->smtp_alert));
		}
		v->track_sig = h;
	}
}

