/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf: a real server's health check (HTTP_GET, SSL_GET, TCP_CHECK,
 * MISC_CHECK, SMTP_CHECK, DNS_CHECK) with keepalived's keywords, including
 * the deprecated nb_get_retry. keepalived lets a real server or a virtual
 * server give retry, delay_before_retry, connect_timeout, warmup, delay_loop
 * and virtualhost for all their checks; vipd has them on the check, so they
 * are copied into it (the check's own value wins, then the real server's).
 */
#include "kaconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CK_NET (KACONF_CK_HTTP | KACONF_CK_SSL | KACONF_CK_TCP | KACONF_CK_SMTP | \
		KACONF_CK_DNS)
#define CK_WEB (KACONF_CK_HTTP | KACONF_CK_SSL)

static const struct {
	const char *kw;
	unsigned bit;
} kaconf_checks[] = {
	{ "HTTP_GET", KACONF_CK_HTTP }, { "SSL_GET", KACONF_CK_SSL },
	{ "TCP_CHECK", KACONF_CK_TCP }, { "MISC_CHECK", KACONF_CK_MISC },
	{ "SMTP_CHECK", KACONF_CK_SMTP }, { "DNS_CHECK", KACONF_CK_DNS },
};

static const char *const kaconf_check_order[] = {
	"url", "virtualhost", "http_protocol", "sni", "misc_path", "misc_timeout",
	"misc_dynamic", "helo_name", "type", "name", "connect_ip", "connect_port",
	"bindto", "connect_timeout", "retry", "delay_before_retry", "delay_loop",
	"warmup", NULL,
};

static const char *const kaconf_url_order[] = { "path", "digest", "status_code", NULL };

bool kaconf_is_check(const char *kw)
{
	for (unsigned i = 0; i < sizeof(kaconf_checks) / sizeof(kaconf_checks[0]); i++)
		if (strcmp(kaconf_checks[i].kw, kw) == 0)
			return true;
	return false;
}

struct ck_st {
	struct kaconf_val *urls;
	const struct kaconf_node *sni;
	/* a url's own virtualhost; vipd has one per check */
	const struct kaconf_node *url_vhost;
	bool vhost_mixed;
};

/* status_code 200 | 200-299 [...], each 100..599, as keepalived reads them. */
static void url_status(struct kaconf_cx *cx, const struct kaconf_node *n,
		       struct kaconf_val *u)
{
	struct kaconf_val *list = kv_new(KV_LIST, "status_code", n);
	unsigned count = 0;

	if (!kaconf_arg(cx, n, 0, "status code"))
		goto bad;
	for (unsigned i = 0; i < n->n_args; i++) {
		const char *s = n->args[i];
		unsigned long lo = 0, hi;
		char *end = (char *)s;
		struct kaconf_val *v;

		if (isdigit((unsigned char)*s))
			lo = strtoul(s, &end, 10);
		hi = lo;
		if (end != s && *end == '-' && isdigit((unsigned char)end[1]))
			hi = strtoul(end + 1, &end, 10);
		if (end == s || *end || lo < 100 || hi > 599 || lo > hi) {
			kaconf_err(cx, n, "status_code: '%s' is not a code or range within 100..599", s);
			goto bad;
		}
		if (++count > 8) {
			kaconf_err(cx, n, "status_code: more than 8 codes or ranges");
			goto bad;
		}
		v = kv_new(KV_SCALAR, NULL, n);
		v->text = lo == hi ? kaconf_fmt("%lu", lo) : kaconf_fmt("\"%lu-%lu\"", lo, hi);
		kv_add(list, v);
	}
	if (count == 1) {
		kv_set(u, "status_code", list->first->text, n);
		list->first->text = NULL;
		kv_free(list);
		return;
	}
	list->oneline = true;
	kv_add(u, list);
	return;
bad:
	kv_free(list);
}

static void ck_url(struct kaconf_cx *cx, const struct kaconf_node *n,
		   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *u = kv_group(NULL, kaconf_url_order, n);
	struct ck_st *st = obj;
	unsigned errs = cx->lg->n_err;

	(void)m;
	(void)g;
	u->oneline = true;
	for (const struct kaconf_node *c = n->child; c; c = c->next) {
		const char *s = c->n_args ? c->args[0] : NULL;

		if (c->block) {
			kaconf_unsup(cx, c, c->kw, "not a url keyword");
		} else if (strcmp(c->kw, "path") == 0) {
			if (!kaconf_arg(cx, c, 0, "path"))
				continue;
			if (s[0] != '/' || strlen(s) > 255)
				kaconf_err(cx, c, "path: '%s' must start with '/' and fit 255 characters", s);
			else
				kv_set(u, "path", kv_quote(s), c);
		} else if (strcmp(c->kw, "digest") == 0) {
			char hex[33];
			size_t i = 0;

			if (!kaconf_arg(cx, c, 0, "MD5 digest"))
				continue;
			for (; s[i] && i < 32 && isxdigit((unsigned char)s[i]); i++)
				hex[i] = (char)tolower((unsigned char)s[i]);
			hex[i] = '\0';
			if (i != 32 || s[i])
				kaconf_err(cx, c, "digest: '%s' is not an MD5 sum (32 hex digits)", s);
			else
				kv_set(u, "digest", kv_quote(hex), c);
		} else if (strcmp(c->kw, "status_code") == 0) {
			url_status(cx, c, u);
		} else if (strcmp(c->kw, "virtualhost") == 0 && kaconf_arg(cx, c, 0, "host name")) {
			if (st->url_vhost && strcmp(st->url_vhost->args[0], s) != 0)
				st->vhost_mixed = true;
			if (!st->url_vhost)
				st->url_vhost = c;
		} else if (strncmp(c->kw, "regex", 5) == 0) {
			kaconf_unsup(cx, c, c->kw, "vipd's HTTP check matches status and digest, no body regex");
		} else if (strcmp(c->kw, "virtualhost") != 0) {
			kaconf_unsup(cx, c, c->kw, "not a url keyword");
		}
	}
	if (cx->lg->n_err != errs) {
		kv_free(u);
		return;
	}
	if (!kv_find(u, "path")) {
		kaconf_warn(cx, n, "url: no path: keepalived ignores this url, so does this file");
		kv_free(u);
		return;
	}
	if (!st->urls) {
		st->urls = kv_new(KV_LIST, "url", n);
		st->urls->oneline = true;
	}
	kv_add(st->urls, u);
}

static void ck_http_proto(struct kaconf_cx *cx, const struct kaconf_node *n,
			  const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	const char *s = kaconf_arg(cx, n, 0, "1.0, 1.0C or 1.1");

	(void)m;
	(void)obj;
	if (!s)
		return;
	if (strcmp(s, "1.0") == 0 || strcmp(s, "1.1") == 0 || strcasecmp(s, "1.0C") == 0)
		kv_set(g, "http_protocol", kv_quote(strcasecmp(s, "1.0C") == 0 ? "1.0C" : s), n);
	else
		kaconf_warn(cx, n, "http_protocol: keepalived ignores '%s' and keeps 1.0; so does this file", s);
	kaconf_extra(cx, n, 1);
}

static void ck_sni(struct kaconf_cx *cx, const struct kaconf_node *n,
		   const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct ck_st *st = obj;
	int b = n->n_args ? kaconf_bool(n->args[0]) : 1;

	(void)m;
	(void)g;
	if (b < 0)
		kaconf_err(cx, n, "enable_sni: '%s' is not true or false", n->args[0]);
	else
		st->sni = b ? n : NULL;
}

static void ck_dns_type(struct kaconf_cx *cx, const struct kaconf_node *n,
			const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	static const char *const types[] = { "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA" };
	const char *s = kaconf_arg(cx, n, 0, "record type");

	(void)m;
	(void)obj;
	if (!s)
		return;
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(s, types[i]) == 0) {
			kv_set(g, "type", kv_quote(types[i]), n);
			kaconf_extra(cx, n, 1);
			return;
		}
	}
	kaconf_err(cx, n, "type: '%s' is not one of A, NS, CNAME, SOA, MX, TXT, AAAA", s);
}

#define KA_CNOEQ "no equivalent in vipd's checks"

static const struct kaconf_map kaconf_check_tab[] = {
	{ .kw = "connect_ip", .act = KA_ADDR, .key = "connect_ip", .only = CK_NET },
	{ .kw = "connect_port", .act = KA_UINT, .key = "connect_port", .min = 1,
	  .max = 65535, .only = CK_NET },
	{ .kw = "bindto", .act = KA_ADDR, .key = "bindto", .only = CK_NET },
	{ .kw = "connect_timeout", .act = KA_SECS, .key = "connect_timeout", .min = 0.01,
	  .max = 3600, .only = CK_NET },
	{ .kw = "retry", .act = KA_UINT, .key = "retry", .max = 1000 },
	{ .kw = "nb_get_retry", .act = KA_UINT, .key = "retry", .max = 1000, .only = CK_WEB },
	{ .kw = "delay_before_retry", .act = KA_SECS, .key = "delay_before_retry", .max = 3600 },
	{ .kw = "warmup", .act = KA_SECS, .key = "warmup", .max = 86400 },
	{ .kw = "delay_loop", .act = KA_SECS, .key = "delay_loop", .min = 0.01, .max = 86400 },
	{ .kw = "url", .act = KA_FN, .fn = ck_url, .block = true, .only = CK_WEB },
	{ .kw = "virtualhost", .act = KA_STR, .key = "virtualhost", .max = 255, .only = CK_WEB },
	{ .kw = "http_protocol", .act = KA_FN, .fn = ck_http_proto, .only = CK_WEB },
	{ .kw = "enable_sni", .act = KA_FN, .fn = ck_sni, .only = KACONF_CK_SSL },
	{ .kw = "misc_path", .act = KA_SCRIPT, .key = "misc_path", .only = KACONF_CK_MISC },
	{ .kw = "misc_timeout", .act = KA_SECS, .key = "misc_timeout", .min = 0.01,
	  .max = 3600, .only = KACONF_CK_MISC },
	{ .kw = "misc_dynamic", .act = KA_FLAG, .key = "misc_dynamic", .only = KACONF_CK_MISC },
	{ .kw = "helo_name", .act = KA_STR, .key = "helo_name", .max = 255,
	  .only = KACONF_CK_SMTP },
	{ .kw = "type", .act = KA_FN, .fn = ck_dns_type, .only = KACONF_CK_DNS },
	{ .kw = "name", .act = KA_STR, .key = "name", .max = 255, .only = KACONF_CK_DNS },
	KA_ROW_UNSUP("user", "vipd runs MISC_CHECK programs as the user it runs as"),
	KA_ROW_UNSUPB("host", "the old SMTP_CHECK host { } form: vipd checks one address, give connect_ip and connect_port"),
	KA_ROW_UNSUP("fast_recovery", KA_CNOEQ),
	KA_ROW_UNSUP("tls_compliant", KA_CNOEQ),
	KA_ROW_UNSUP("bind_port", KA_CNOEQ),
	KA_ROW_UNSUP("bind_if", KA_CNOEQ),
	KA_ROW_UNSUP("fwmark", KA_CNOEQ),
	KA_ROW_UNSUP("alpha", "vipd's alpha is per virtual server"),
	KA_ROW_UNSUP("log_all_failures", KA_CNOEQ),
};

/* Copy what the real server or virtual server gives for all its checks. */
static void inherit(struct kaconf_val *g, unsigned bit, const struct kaconf_ckdef *rs,
		    const struct kaconf_ckdef *vs)
{
	static const struct {
		const char *key;
		size_t off;
		unsigned only;
		bool secs;
	} keys[] = {
		{ "retry", offsetof(struct kaconf_ckdef, retry), 0, false },
		{ "delay_before_retry", offsetof(struct kaconf_ckdef, delay_before_retry), 0, true },
		{ "connect_timeout", offsetof(struct kaconf_ckdef, connect_timeout), CK_NET, true },
		{ "warmup", offsetof(struct kaconf_ckdef, warmup), 0, true },
		{ "delay_loop", offsetof(struct kaconf_ckdef, delay_loop), 0, true },
	};

	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct kaconf_node *r = *(const struct kaconf_node *const *)
			((const char *)rs + keys[i].off);
		const struct kaconf_node *v = *(const struct kaconf_node *const *)
			((const char *)vs + keys[i].off);
		const struct kaconf_node *d = r ? r : v;

		if (!d || kv_find(g, keys[i].key) || (keys[i].only && !(keys[i].only & bit)))
			continue;
		kv_set(g, keys[i].key, keys[i].secs ? kv_num(strtod(d->args[0], NULL))
			: kaconf_fmt("%lu", strtoul(d->args[0], NULL, 10)), d);
	}
}

void kaconf_check(struct kaconf_cx *cx, const struct kaconf_node *n,
		  struct kaconf_val *rs, const struct kaconf_ckdef *vsdef,
		  const struct kaconf_ckdef *rsdef, uint16_t connect_port)
{
	struct kaconf_val *g = kv_group(n->kw, kaconf_check_order, n), *vh;
	unsigned errs = cx->lg->n_err, bit = 0;
	struct ck_st st = { 0 };
	const struct kaconf_node *host;

	for (unsigned i = 0; i < sizeof(kaconf_checks) / sizeof(kaconf_checks[0]); i++)
		if (strcmp(kaconf_checks[i].kw, n->kw) == 0)
			bit = kaconf_checks[i].bit;
	kaconf_extra(cx, n, 0);
	cx->cur = g;
	kaconf_walk(cx, n, kaconf_check_tab, sizeof(kaconf_check_tab) / sizeof(kaconf_check_tab[0]),
		    bit, g, &st);
	if (bit & CK_WEB) {
		if (!st.urls) {
			if (cx->lg->n_err == errs) /* not when its urls were wrong */
				kaconf_warn(cx, n, "%s: no url: keepalived drops this check, so does this file (the real server counts as up)",
					    n->kw);
			goto drop;
		}
		kv_add(g, st.urls);
		/* keepalived: the url's virtualhost, else the check's, the real
		 * server's, the virtual server's. */
		if (st.vhost_mixed)
			kaconf_unsup(cx, st.url_vhost, "virtualhost", "urls with different virtualhost: vipd has one per check, the first is kept");
		host = st.url_vhost ? st.url_vhost : rsdef->virtualhost ? rsdef->virtualhost
			: vsdef->virtualhost;
		if (host && (st.url_vhost || !kv_find(g, "virtualhost")))
			kv_set(g, "virtualhost", kv_quote(host->args[0]), host);
	}
	if (bit & KACONF_CK_MISC && !kv_find(g, "misc_path")) {
		kaconf_warn(cx, n, "MISC_CHECK: no misc_path: keepalived drops this check, so does this file (the real server counts as up)");
		goto drop;
	}
	if (st.sni) {
		vh = kv_find(g, "virtualhost");
		if (vh) {
			kv_set(g, "sni", kaconf_strdup(vh->text), st.sni);
		} else {
			kaconf_warn(cx, st.sni, "enable_sni: no virtualhost to send; keepalived sends no SNI then, nor does this file");
		}
	}
	if (connect_port && !kv_find(g, "connect_port") && (bit & CK_NET))
		kv_set(g, "connect_port", kaconf_fmt("%u", connect_port), n);
	inherit(g, bit, rsdef, vsdef);
	cx->cur = rs;
	if (cx->lg->n_err == errs) {
		kv_add(rs, g);
		return;
	}
drop:
	cx->cur = rs;
	for (unsigned i = 0; i < g->n_notes; i++) /* what was dropped inside */
		kv_note(rs, "%s", g->notes[i]);
	kv_free(g);
}
