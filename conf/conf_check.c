/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health check group of a real server: HTTP_GET, SSL_GET, TCP_CHECK,
 * MISC_CHECK, SMTP_CHECK or DNS_CHECK, with keepalived's keywords and
 * defaults. One table covers all six; each key says which types take it,
 * as keepalived installs the connection keywords only for network checks.
 */
#include "conf_pvt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define CK_BIT(t) (1u << (t))
#define CK_HTTP (CK_BIT(CONF_CHECK_HTTP_GET) | CK_BIT(CONF_CHECK_SSL_GET))
#define CK_NET (CK_HTTP | CK_BIT(CONF_CHECK_TCP) | CK_BIT(CONF_CHECK_SMTP) | \
		CK_BIT(CONF_CHECK_DNS))

/* keepalived's HTTP status codes are 100..599 too. */
static bool conf_status_one(struct conf_ctx *cx, const config_setting_t *e,
			    const char *where, struct conf_url *u)
{
	struct conf_status_range r;
	const char *str;
	char *end;
	long lo, hi;

	if (config_setting_type(e) == CONFIG_TYPE_INT) {
		lo = hi = config_setting_get_int(e);
	} else if (config_setting_type(e) == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(e);
		lo = hi = isdigit((unsigned char)*str) ? strtol(str, &end, 10) : -1;
		if (lo >= 0 && *end == '-' && isdigit((unsigned char)end[1]))
			hi = strtol(end + 1, &end, 10);
		if (lo < 0 || *end) {
			conf_err(cx, e, where, "status_code '%s' must be a code or a range like \"200-299\"",
				 str);
			return false;
		}
	} else {
		conf_err(cx, e, where, "status_code must be an integer, a \"lo-hi\" string or a list of them");
		return false;
	}
	if (lo == hi && (lo < 100 || lo > 599)) {
		conf_err(cx, e, where, "status_code %ld out of range 100..599", lo);
		return false;
	}
	if (lo < 100 || hi > 599 || lo > hi) {
		conf_err(cx, e, where, "status_code %ld-%ld is not a range within 100..599",
			 lo, hi);
		return false;
	}
	if (u->n_status >= CONF_MAX_STATUS) {
		conf_err(cx, e, where, "status_code has more than %d entries",
			 CONF_MAX_STATUS);
		return false;
	}
	r.lo = (uint16_t)lo;
	r.hi = (uint16_t)hi;
	u->status[u->n_status++] = r;
	return true;
}

/* 200, "200-299", or a list or array of those. */
static void conf_url_status(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, void *obj)
{
	struct conf_url *u = obj;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_status_one(cx, s, where, u);
		return;
	}
	if (config_setting_length(s) == 0)
		conf_err(cx, s, where, "status_code is an empty list");
	for (int i = 0; i < config_setting_length(s); i++)
		if (!conf_status_one(cx, config_setting_get_elem(s, i), where, u))
			return;
}

static void conf_url_digest(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, void *obj)
{
	struct conf_url *u = obj;
	const char *str;
	size_t len;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	len = strlen(str);
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)str[i]))
			len = 0;
	}
	if (len != 32) {
		conf_err(cx, s, where, "digest '%s' must be an MD5 sum: 32 hex digits", str);
		return;
	}
	/* Compared with the hex of the body's MD5, which the checker prints lower case. */
	for (size_t i = 0; i <= len; i++)
		u->digest[i] = (char)tolower((unsigned char)str[i]);
}

static void conf_url_path(struct conf_ctx *cx, const config_setting_t *s,
			  const char *where, void *obj)
{
	struct conf_url *u = obj;

	if (!conf_dec_str(cx, s, where, u->path, sizeof(u->path)))
		return;
	if (u->path[0] != '/')
		conf_err(cx, s, where, "path '%s' must start with '/'", u->path);
}

static const struct conf_key conf_url_keys[] = {
	{ K_FN("path", conf_url_path), .required = true },
	{ K_FN("digest", conf_url_digest) },
	{ K_FN("status_code", conf_url_status) },
};
CONF_KEYS_FIT(conf_url_keys);

/* url = { ... } for one, url = ( { ... }, ... ) for several. */
static void conf_check_urls(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, void *obj)
{
	struct conf_check *ck = obj;
	bool one = config_setting_is_group(s);
	int n = one ? 1 : conf_group_list(cx, s, where);
	char w[CONF_WHERE_MAX];

	if (n < 0)
		return;
	if (n == 0 || n > CONF_MAX_URLS) {
		conf_err(cx, s, where, "url has %d entries; give 1..%d", n, CONF_MAX_URLS);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (one)
			conf_wheref(w, "%s.url", where);
		else
			conf_wheref(w, "%s.url[%d]", where, i);
		conf_walk(cx, one ? s : config_setting_get_elem(s, i), w, "url",
			  conf_url_keys, CONF_ARRAY_SIZE(conf_url_keys), 0,
			  &ck->urls[ck->n_urls++]);
	}
}

/* One of the listed words, copied; set is "A|B|C" for the message too. */
static void conf_check_word(struct conf_ctx *cx, const config_setting_t *s,
			    const char *where, const char *set, char *dst,
			    size_t size)
{
	const char *str, *p;
	size_t len;

	if (!conf_dec_strp(cx, s, where, &str))
		return;
	len = strlen(str);
	for (p = set; len && (p = strstr(p, str)); p += len) {
		if ((p == set || p[-1] == '|') && (p[len] == '|' || !p[len]) &&
		    len < size) {
			memcpy(dst, str, len + 1);
			return;
		}
	}
	conf_err(cx, s, where, "%s '%s' must be one of %s", conf_sname(s), str, set);
}

static void conf_check_http_proto(struct conf_ctx *cx, const config_setting_t *s,
				  const char *where, void *obj)
{
	struct conf_check *ck = obj;

	conf_check_word(cx, s, where, "1.0|1.0C|1.1", ck->http_protocol,
			sizeof(ck->http_protocol));
}

static void conf_check_dns_type(struct conf_ctx *cx, const config_setting_t *s,
				const char *where, void *obj)
{
	struct conf_check *ck = obj;

	conf_check_word(cx, s, where, "A|NS|CNAME|SOA|MX|TXT|AAAA", ck->dns_type,
			sizeof(ck->dns_type));
}

#define KT struct conf_check
static const struct conf_key conf_check_keys[] = {
	{ K_SECS("connect_timeout", connect_timeout, 0.01, 3600), .only = CK_NET },
	{ K_ADDR("connect_ip", connect_ip), .only = CK_NET },
	{ K_UINT("connect_port", connect_port, 1, 65535), .only = CK_NET },
	{ K_ADDR("bindto", bindto), .only = CK_NET },
	{ K_UINT("retry", retry, 0, 1000) },
	{ K_ALIAS("nb_get_retry", "retry") },
	{ K_SECS("delay_before_retry", delay_before_retry, 0, 3600) },
	{ K_SECS("warmup", warmup, 0, 86400) },
	{ K_SECS("delay_loop", delay_loop, 0.01, 86400) },
	{ K_FN("url", conf_check_urls), .only = CK_HTTP, .required = true },
	{ K_STR("virtualhost", virtualhost), .only = CK_HTTP },
	{ K_FN("http_protocol", conf_check_http_proto), .only = CK_HTTP },
	{ K_STR("sni", sni), .only = CK_BIT(CONF_CHECK_SSL_GET) },
	{ K_STR("misc_path", misc_path), .only = CK_BIT(CONF_CHECK_MISC),
	  .required = true },
	{ K_SECS("misc_timeout", misc_timeout, 0.01, 3600),
	  .only = CK_BIT(CONF_CHECK_MISC) },
	{ K_BOOL("misc_dynamic", misc_dynamic), .only = CK_BIT(CONF_CHECK_MISC) },
	{ K_STR("helo_name", helo_name), .only = CK_BIT(CONF_CHECK_SMTP) },
	{ K_FN("type", conf_check_dns_type), .only = CK_BIT(CONF_CHECK_DNS) },
	{ K_STR("name", dns_name), .only = CK_BIT(CONF_CHECK_DNS) },
};
CONF_KEYS_FIT(conf_check_keys);
#undef KT

static void conf_check_init(struct conf_check *ck, enum conf_check_type t,
			    int line)
{
	memset(ck, 0, sizeof(*ck));
	ck->type = t;
	ck->line = line;
	ck->connect_timeout = 5;
	/* keepalived's MISC_CHECK alone defaults to no retry. */
	ck->retry = t == CONF_CHECK_MISC ? 0 : 1;
	ck->delay_before_retry = t == CONF_CHECK_HTTP_GET ||
				 t == CONF_CHECK_SSL_GET ? 3 : 1;
	ck->delay_loop = -1;   /* the virtual server's, once it is known */
	ck->warmup = -1;       /* random up to delay_loop, as keepalived */
	ck->misc_timeout = -1; /* delay_loop */
	strcpy(ck->http_protocol, "1.0");
	strcpy(ck->dns_type, "SOA");
	strcpy(ck->dns_name, ".");
	strcpy(ck->helo_name, "smtpchecker.keepalived.org");
}

void conf_check_group(struct conf_ctx *cx, const config_setting_t *s,
		      const char *where, void *obj)
{
	struct conf_check *ck = &((struct conf_rs *)obj)->check;
	const char *name = config_setting_name(s);
	char w[CONF_WHERE_MAX];
	enum conf_check_type t;

	if (ck->type != CONF_CHECK_NONE) {
		conf_err(cx, s, where, "%s after %s: a real server takes one health check",
			 name, conf_check_name(ck->type));
		return;
	}
	for (t = CONF_CHECK_HTTP_GET; t <= CONF_CHECK_DNS; t++)
		if (strcmp(name, conf_check_name(t)) == 0)
			break;
	if (!conf_is_group(cx, s, where))
		return;
	conf_check_init(ck, t, config_setting_source_line(s));
	conf_wheref(w, "%s.%s", where, name);
	conf_walk(cx, s, w, name, conf_check_keys,
		  CONF_ARRAY_SIZE(conf_check_keys), CK_BIT(t), ck);
}

void conf_check_finish(struct conf_check *ck, double vs_delay_loop)
{
	if (ck->type == CONF_CHECK_NONE)
		return;
	if (ck->delay_loop < 0)
		ck->delay_loop = vs_delay_loop;
	if (ck->misc_timeout < 0)
		ck->misc_timeout = ck->delay_loop;
}
