/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Error collection, value decoders and the table-driven group walker. Each
 * level of the schema is a table of keys; the walker decodes the simple ones
 * itself and hands the rest to the table's functions, so every level gets
 * the same strict treatment of unknown, repeated and missing keys.
 */
#include "conf_pvt.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void conf_err_add(struct conf_ctx *cx, char *msg)
{
	struct conf_errors *e = cx->errs;
	char **m;

	cx->n_err++;
	if (!msg) {
		cx->nomem = true;
		return;
	}
	m = realloc(e->msg, (e->n + 1) * sizeof(*m));
	if (!m) {
		free(msg);
		cx->nomem = true;
		return;
	}
	m[e->n++] = msg;
	e->msg = m;
}

void conf_err_at(struct conf_ctx *cx, const char *file, unsigned line,
		 const char *where, const char *fmt, ...)
{
	char text[512], inc[512], *msg;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* libconfig names an @include file as written: make it findable. */
	if (file && *file != '/' && cx->dir && strcmp(cx->dir, ".") != 0 &&
	    strcmp(file, cx->path) != 0) {
		snprintf(inc, sizeof(inc), "%s/%s", cx->dir, file);
		file = inc;
	}
	if (!line) /* about the file itself (cannot open it) */
		rc = asprintf(&msg, "%s: %s", file ? file : cx->path, text);
	else
		rc = asprintf(&msg, "%s:%u: %s%s%s", file ? file : cx->path,
			      line, where ? where : "",
			      where && *where ? ": " : "", text);
	conf_err_add(cx, rc < 0 ? NULL : msg);
}

void conf_err(struct conf_ctx *cx, const config_setting_t *s, const char *where,
	      const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!s) {
		conf_err_at(cx, NULL, 0, where, "%s", text);
		return;
	}
	/* The root group has line 0; a whole-file problem points at line 1. */
	conf_err_at(cx, config_setting_source_file(s),
		    config_setting_source_line(s) ? config_setting_source_line(s) : 1,
		    where, "%s", text);
}

void conf_wheref(char w[CONF_WHERE_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w, CONF_WHERE_MAX, fmt, ap);
	va_end(ap);
}

const char *conf_sname(const config_setting_t *s)
{
	static char buf[CONF_WHERE_MAX];
	const config_setting_t *p = config_setting_parent(s);

	if (config_setting_name(s) || !p)
		return config_setting_name(s) ? config_setting_name(s) : "value";
	snprintf(buf, sizeof(buf), "%s[%d]",
		 config_setting_name(p) ? config_setting_name(p) : "value",
		 config_setting_index(s));
	return buf;
}

int conf_parse_ip(const char *str, uint32_t *out)
{
	struct in6_addr a6;
	struct in_addr a;

	if (inet_pton(AF_INET, str, &a) == 1) {
		*out = a.s_addr;
		return 0;
	}
	return inet_pton(AF_INET6, str, &a6) == 1 ? -2 : -1;
}

uint32_t conf_prefix_mask(unsigned len)
{
	return len ? htonl(~0u << (32 - len)) : 0;
}

const char *conf_ip_str(uint32_t addr, char buf[16])
{
	struct in_addr a = { .s_addr = addr };

	return inet_ntop(AF_INET, &a, buf, 16) ? buf : "?";
}

bool conf_dec_strp(struct conf_ctx *cx, const config_setting_t *s,
		   const char *where, const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_err(cx, s, where, "%s must be a string", conf_sname(s));
		return false;
	}
	*out = config_setting_get_string(s);
	return true;
}

bool conf_dec_str(struct conf_ctx *cx, const config_setting_t *s,
		  const char *where, char *dst, size_t size)
{
	const char *str;
	size_t len;

	if (!conf_dec_strp(cx, s, where, &str))
		return false;
	len = strlen(str);
	if (len >= size) {
		conf_err(cx, s, where, "%s is too long (%zu characters, max %zu)",
			 conf_sname(s), len, size - 1);
		return false;
	}
	memcpy(dst, str, len + 1);
	return true;
}

/*
 * libconfig 1.5 reads integers that overflow int silently wrapped; nothing
 * can be done about that here, but every range below fits an int.
 */
bool conf_dec_num(struct conf_ctx *cx, const config_setting_t *s,
		  const char *where, bool integer, double min, double max,
		  double *out)
{
	double v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		if (!integer) {
			v = config_setting_get_float(s);
			break;
		}
		/* fall through */
	default:
		conf_err(cx, s, where, "%s must be %s", conf_sname(s),
			 integer ? "an integer" : "a number of seconds");
		return false;
	}
	if (isnan(v) || v < min || v > max) {
		if (integer)
			conf_err(cx, s, where, "%s %.0f out of range %.0f..%.0f",
				 conf_sname(s), v, min, max);
		else
			conf_err(cx, s, where, "%s %g out of range %g..%g",
				 conf_sname(s), v, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool conf_dec_addr(struct conf_ctx *cx, const config_setting_t *s,
		   const char *where, uint32_t *out)
{
	const char *str;
	int rc;

	if (!conf_dec_strp(cx, s, where, &str))
		return false;
	rc = conf_parse_ip(str, out);
	if (rc == -2)
		conf_err(cx, s, where, "%s '%s': IPv6 is not supported yet",
			 conf_sname(s), str);
	else if (rc < 0)
		conf_err(cx, s, where, "%s '%s' is not an IPv4 address",
			 conf_sname(s), str);
	return rc == 0;
}

static bool conf_dec_bool(struct conf_ctx *cx, const config_setting_t *s,
			  const char *where, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		conf_err(cx, s, where, "%s must be true or false", conf_sname(s));
		return false;
	}
	*out = config_setting_get_bool(s);
	return true;
}

static void conf_store_uint(void *dst, size_t size, double v)
{
	if (size == 1)
		*(uint8_t *)dst = (uint8_t)v;
	else if (size == 2)
		*(uint16_t *)dst = (uint16_t)v;
	else
		*(uint32_t *)dst = (uint32_t)v;
}

/* One element of a CK_STRS / CK_ADDRS list; false if it was not stored. */
static bool conf_dec_elem(struct conf_ctx *cx, const config_setting_t *e,
			  const char *where, const struct conf_key *k,
			  char *base, unsigned n)
{
	if (k->kind == CK_STRS)
		return conf_dec_str(cx, e, where, base + n * k->size, k->size);

	uint32_t *addrs = (uint32_t *)base;
	char ip[16];

	if (!conf_dec_addr(cx, e, where, &addrs[n]))
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (addrs[i] == addrs[n]) {
			conf_err(cx, e, where, "%s %s is listed twice",
				 conf_sname(e), conf_ip_str(addrs[n], ip));
			return false;
		}
	}
	return true;
}

static void conf_dec_list(struct conf_ctx *cx, const config_setting_t *s,
			  const char *where, const struct conf_key *k, void *obj)
{
	unsigned *cnt = (unsigned *)((char *)obj + k->cnt);
	char *base = (char *)obj + k->off;
	int n = config_setting_length(s);

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		conf_err(cx, s, where, "%s must be a list of strings: [ \"...\" ]",
			 conf_sname(s));
		return;
	}
	if (n > k->max) {
		conf_err(cx, s, where, "%s has %d entries, max %.0f",
			 conf_sname(s), n, k->max);
		return;
	}
	*cnt = 0;
	for (int i = 0; i < n; i++) {
		if (conf_dec_elem(cx, config_setting_get_elem(s, i), where, k,
				  base, *cnt))
			(*cnt)++;
	}
}

static void conf_key_apply(struct conf_ctx *cx, const config_setting_t *s,
			   const char *where, const struct conf_key *k,
			   void *obj)
{
	char *dst = (char *)obj + k->off;
	double v;

	switch (k->kind) {
	case CK_STR:
		conf_dec_str(cx, s, where, dst, k->size);
		break;
	case CK_BOOL:
		conf_dec_bool(cx, s, where, (bool *)dst);
		break;
	case CK_UINT:
		if (conf_dec_num(cx, s, where, true, k->min, k->max, &v))
			conf_store_uint(dst, k->size, v);
		break;
	case CK_SECS:
		conf_dec_num(cx, s, where, false, k->min, k->max, (double *)dst);
		break;
	case CK_ADDR:
		conf_dec_addr(cx, s, where, (uint32_t *)dst);
		break;
	case CK_STRS:
	case CK_ADDRS:
		conf_dec_list(cx, s, where, k, obj);
		break;
	case CK_FN:
		k->fn(cx, s, where, obj);
		break;
	}
}

/* Index of the canonical entry for name allowed under mask, or -1. */
static int conf_key_find(const struct conf_key *keys, unsigned n_keys,
			 const char *name, unsigned mask)
{
	for (unsigned i = 0; i < n_keys; i++) {
		if (strcmp(keys[i].name, name) != 0)
			continue;
		if (keys[i].alias)
			return conf_key_find(keys, n_keys, keys[i].alias, mask);
		if (keys[i].only && !(keys[i].only & mask))
			return -1;
		return (int)i;
	}
	return -1;
}

static void conf_walk_missing(struct conf_ctx *cx, const config_setting_t *g,
			      const char *where, const char *what,
			      const struct conf_key *keys, unsigned n_keys,
			      unsigned mask, uint64_t seen)
{
	for (unsigned i = 0; i < n_keys; i++) {
		const struct conf_key *k = &keys[i];

		if (!k->required || k->alias || (seen & (1ull << i)))
			continue;
		if (k->only && !(k->only & mask))
			continue;
		if (*where)
			conf_err(cx, g, where, "missing required key '%s' in %s",
				 k->name, what);
		else
			conf_err(cx, g, where, "missing required key '%s' at top level",
				 k->name);
	}
}

uint64_t conf_walk(struct conf_ctx *cx, const config_setting_t *g,
		   const char *where, const char *what,
		   const struct conf_key *keys, unsigned n_keys, unsigned mask,
		   void *obj)
{
	const char *first[64] = { 0 };
	uint64_t seen = 0;

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		int k = conf_key_find(keys, n_keys, name, mask);

		if (k < 0) {
			if (*where)
				conf_err(cx, s, where, "unknown key '%s' in %s",
					 name, what);
			else
				conf_err(cx, s, where, "unknown key '%s' at top level",
					 name);
			continue;
		}
		/* libconfig refuses a repeated name, but not name + alias. */
		if (seen & (1ull << k)) {
			conf_err(cx, s, where, "'%s' and '%s' are the same setting; give one",
				 first[k], name);
			continue;
		}
		seen |= 1ull << k;
		first[k] = name;
		conf_key_apply(cx, s, where, &keys[k], obj);
	}
	conf_walk_missing(cx, g, where, what, keys, n_keys, mask, seen);
	return seen;
}

bool conf_seen(const struct conf_key *keys, unsigned n_keys, uint64_t seen,
	       const char *name)
{
	int k = conf_key_find(keys, n_keys, name, ~0u);

	return k >= 0 && (seen & (1ull << k));
}

bool conf_is_group(struct conf_ctx *cx, const config_setting_t *s,
		   const char *where)
{
	if (config_setting_is_group(s))
		return true;
	conf_err(cx, s, where, "%s must be a group: { ... }", conf_sname(s));
	return false;
}

int conf_group_list(struct conf_ctx *cx, const config_setting_t *s,
		    const char *where)
{
	int n = config_setting_length(s);

	/* An empty [ ] is an array to libconfig; it is an empty list too. */
	if (!config_setting_is_list(s) && !(config_setting_is_array(s) && n == 0)) {
		conf_err(cx, s, where, "%s must be a list of groups: ( { ... }, ... )",
			 conf_sname(s));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!conf_is_group(cx, config_setting_get_elem(s, i), where))
			return -1;
	}
	return n;
}

const config_setting_t *conf_at(const config_setting_t *g, const char *name)
{
	const config_setting_t *m = g && config_setting_is_group(g) ?
		config_setting_get_member(g, name) : NULL;

	return m ? m : g;
}

const config_setting_t *conf_item(struct conf_ctx *cx, const char *list,
				  int idx, const char *key)
{
	const config_setting_t *l = config_setting_get_member(cx->root, list);
	const config_setting_t *e = l ? config_setting_get_elem(l, idx) : NULL;

	if (!e)
		return l ? l : cx->root;
	return key ? conf_at(e, key) : e;
}

void *conf_list_alloc(struct conf_ctx *cx, const config_setting_t *s, const char *where,
		      size_t elem, int *n)
{
	*n = conf_group_list(cx, s, where);
	if (*n <= 0)
		return NULL;
	void *arr = calloc((size_t)*n, elem);
	if (arr == NULL) {
		cx->nomem = true;
		*n = 0;
	}
	return arr;
}
