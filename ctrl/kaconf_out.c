/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf output: vipd's settings as a tree of values, printed as libconfig
 * text in a fixed key order (the order of docs/examples/reference.conf), so
 * the same keepalived.conf always gives the same file whatever order its
 * keywords stood in. Then the text is loaded with vipd's own loader: the
 * importer never hands out a file that `vipd --check` would refuse.
 */
#include "kaconf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

struct kaconf_val *kv_new(enum kaconf_vt t, const char *key,
			  const struct kaconf_node *src)
{
	struct kaconf_val *v = kaconf_alloc(sizeof(*v));

	v->t = t;
	v->key = key;
	v->src = src;
	return v;
}

struct kaconf_val *kv_group(const char *key, const char *const *order,
			    const struct kaconf_node *src)
{
	struct kaconf_val *v = kv_new(KV_GROUP, key, src);

	v->order = order;
	return v;
}

void kv_free(struct kaconf_val *v)
{
	while (v) {
		struct kaconf_val *next = v->next;

		kv_free(v->first);
		for (unsigned i = 0; i < v->n_notes; i++)
			free(v->notes[i]);
		free(v->notes);
		free(v->text);
		free(v);
		v = next;
	}
}

static unsigned kv_rank(const char *const *order, const char *key)
{
	unsigned i = 0;

	for (; order && order[i]; i++)
		if (key && strcmp(order[i], key) == 0)
			return i;
	return i + 1; /* unknown keys last, in the order they came */
}

struct kaconf_val *kv_find(const struct kaconf_val *g, const char *key)
{
	for (struct kaconf_val *v = g->first; v; v = v->next)
		if (v->key && strcmp(v->key, key) == 0)
			return v;
	return NULL;
}

/* Unlink key from g; the caller frees it. */
static struct kaconf_val *kv_unlink(struct kaconf_val *g, const char *key)
{
	struct kaconf_val *prev = NULL;

	for (struct kaconf_val *v = g->first; v; prev = v, v = v->next) {
		if (!v->key || strcmp(v->key, key) != 0)
			continue;
		if (prev)
			prev->next = v->next;
		else
			g->first = v->next;
		if (g->last == v)
			g->last = prev;
		v->next = NULL;
		return v;
	}
	return NULL;
}

void kv_del(struct kaconf_val *g, const char *key)
{
	kv_free(kv_unlink(g, key));
}

void kv_add(struct kaconf_val *parent, struct kaconf_val *v)
{
	struct kaconf_val *prev = NULL, *at;
	unsigned r;

	if (parent->t != KV_GROUP || !v->key) {
		if (parent->last)
			parent->last->next = v;
		else
			parent->first = v;
		parent->last = v;
		return;
	}
	kv_free(kv_unlink(parent, v->key));
	r = kv_rank(parent->order, v->key);
	for (at = parent->first; at && kv_rank(parent->order, at->key) <= r; at = at->next)
		prev = at;
	v->next = at;
	if (prev)
		prev->next = v;
	else
		parent->first = v;
	if (!at)
		parent->last = v;
}

const struct kaconf_node *kv_set(struct kaconf_val *g, const char *key,
				 char *text, const struct kaconf_node *src)
{
	struct kaconf_val *old = kv_find(g, key);
	const struct kaconf_node *was = old ? old->src : NULL;
	struct kaconf_val *v = kv_new(KV_SCALAR, key, src);

	v->text = text;
	kv_add(g, v);
	return was;
}

void kv_note(struct kaconf_val *v, const char *fmt, ...)
{
	char **notes;
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = kaconf_alloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	/* A note is one comment line: no line break may end it early. */
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	notes = kaconf_alloc(sizeof(char *) * (v->n_notes + 1));
	if (v->n_notes)
		memcpy(notes, v->notes, sizeof(char *) * v->n_notes);
	free(v->notes);
	v->notes = notes;
	v->notes[v->n_notes++] = s;
}

char *kv_quote(const char *s)
{
	/* Worst case every byte becomes \xNN. */
	char *out = kaconf_alloc(strlen(s) * 4 + 3), *o = out;

	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += sprintf(o, "\\x%02x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

char *kv_num(double v)
{
	char buf[64];
	size_t len;

	if (v == (double)(long long)v && v > -1e15 && v < 1e15)
		return kaconf_fmt("%lld", (long long)v);
	/* Seconds from keepalived have at most 6 decimals (microseconds). */
	snprintf(buf, sizeof(buf), "%.6f", v);
	len = strlen(buf);
	while (len > 1 && buf[len - 1] == '0')
		buf[--len] = '\0';
	return kaconf_strdup(buf);
}

/* ---- printing -------------------------------------------------------------- */

struct kaconf_pr {
	FILE *f;
	const struct kaconf_node **org;
	unsigned n, cap;
};

static void pr_line(struct kaconf_pr *p, int depth, const struct kaconf_node *src,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void pr_line(struct kaconf_pr *p, int depth, const struct kaconf_node *src,
		    const char *fmt, ...)
{
	va_list ap;

	for (int i = 0; i < depth; i++)
		fputc('\t', p->f);
	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
	fputc('\n', p->f);
	if (p->n == p->cap) {
		const struct kaconf_node **o;

		p->cap = p->cap ? p->cap * 2 : 256;
		o = kaconf_alloc(sizeof(*o) * p->cap);
		if (p->n)
			memcpy(o, p->org, sizeof(*o) * p->n);
		free(p->org);
		p->org = o;
	}
	p->org[p->n++] = src;
}

/* Text of a value that fits one line; NULL for a multi-line one. */
static char *pr_inline(const struct kaconf_val *v)
{
	size_t cap = 2, len = 0;
	char *s;

	if (v->t == KV_SCALAR)
		return kaconf_strdup(v->text);
	if (v->t != KV_ARRAY && !v->oneline && (v->first || v->n_notes))
		return NULL; /* an empty block still fits: TCP_CHECK = { }; */
	for (const struct kaconf_val *e = v->first; e; e = e->next) {
		char *t = pr_inline(e);

		cap += (t ? strlen(t) : 0) + (e->key ? strlen(e->key) : 0) + 8;
		free(t);
	}
	s = kaconf_alloc(cap + 4);
	s[len++] = v->t == KV_GROUP ? '{' : v->t == KV_LIST ? '(' : '[';
	for (const struct kaconf_val *e = v->first; e; e = e->next) {
		char *t = pr_inline(e);

		if (!t)
			continue;
		if (v->t == KV_GROUP)
			len += (size_t)sprintf(s + len, " %s = %s;", e->key, t);
		else
			len += (size_t)sprintf(s + len, " %s%s", t, e->next ? "," : "");
		free(t);
	}
	sprintf(s + len, " %c", v->t == KV_GROUP ? '}' : v->t == KV_LIST ? ')' : ']');
	return s;
}

static void pr_val(struct kaconf_pr *p, int depth, const struct kaconf_val *v,
		   bool in_list, bool last)
{
	const char *end = in_list ? (last ? "" : ",") : ";";
	char *t = pr_inline(v);

	/* Notes stand above a one-line value, inside a block's braces. */
	if (t) {
		for (unsigned i = 0; i < v->n_notes; i++)
			pr_line(p, depth, v->src, "# %s", v->notes[i]);
		if (in_list)
			pr_line(p, depth, v->src, "%s%s", t, end);
		else
			pr_line(p, depth, v->src, "%s = %s%s", v->key, t, end);
		free(t);
		return;
	}
	if (in_list)
		pr_line(p, depth, v->src, "%c", v->t == KV_GROUP ? '{' : '(');
	else
		pr_line(p, depth, v->src, "%s = %c", v->key, v->t == KV_GROUP ? '{' : '(');
	for (unsigned i = 0; i < v->n_notes; i++)
		pr_line(p, depth + 1, v->src, "# %s", v->notes[i]);
	for (const struct kaconf_val *e = v->first; e; e = e->next)
		pr_val(p, depth + 1, e, v->t != KV_GROUP, !e->next);
	pr_line(p, depth, v->src, "%c%s", v->t == KV_GROUP ? '}' : ')', end);
}

char *kv_print(const struct kaconf_val *root, const char *header,
	       const struct kaconf_node ***origin, unsigned *n_lines)
{
	struct kaconf_pr p = { 0 };
	char *text = NULL;
	size_t size = 0;

	p.f = open_memstream(&text, &size);
	if (!p.f) {
		fputs("vipctl import-keepalived: out of memory\n", stderr);
		abort();
	}
	for (const char *h = header; h && *h;) {
		const char *nl = strchr(h, '\n');
		int len = nl ? (int)(nl - h) : (int)strlen(h);

		pr_line(&p, 0, NULL, "#%s%.*s", len ? " " : "", len, h);
		h += len + (nl ? 1 : 0);
	}
	for (unsigned i = 0; i < root->n_notes; i++)
		pr_line(&p, 0, NULL, "# %s", root->notes[i]);
	for (const struct kaconf_val *v = root->first; v; v = v->next) {
		pr_line(&p, 0, NULL, "%s", "");
		pr_val(&p, 0, v, false, false);
	}
	fclose(p.f);
	*origin = p.org;
	*n_lines = p.n;
	return text;
}

/* ---- validation ------------------------------------------------------------ */

/* vipd's "line N" (of the converted text) as the keepalived line behind it. */
static char *map_lines(const char *rest, const struct kaconf_node *const *origin,
		       unsigned n_lines)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		return kaconf_strdup(rest);
	while (*rest) {
		unsigned long line = 0;
		char *end = (char *)rest;

		if (strncmp(rest, "line ", 5) == 0)
			line = strtoul(rest + 5, &end, 10);
		if (end == rest + 5 || line < 1 || line > n_lines || !origin[line - 1]) {
			fputc(*rest++, f);
			continue;
		}
		fprintf(f, "%s:%u", origin[line - 1]->file->path, origin[line - 1]->line);
		rest = end;
	}
	fclose(f);
	return out;
}

/*
 * vipd's message "TMP:LINE: rest" about the converted text becomes
 * "KAFILE:KALINE: error: vipd refuses the converted file: rest".
 */
static void map_error(const char *msg, const char *tmp,
		      const struct kaconf_node *const *origin, unsigned n_lines,
		      struct kaconf_log *lg)
{
	size_t tl = strlen(tmp);
	const struct kaconf_node *src = NULL;
	unsigned long line = 0;
	const char *rest = msg;
	char *text;

	if (strncmp(msg, tmp, tl) == 0 && msg[tl] == ':') {
		char *end;

		rest = msg + tl + 1;
		line = strtoul(rest, &end, 10);
		if (end != rest && *end == ':') {
			rest = end + 1;
			if (line >= 1 && line <= n_lines)
				src = origin[line - 1];
		}
		while (*rest == ' ')
			rest++;
	}
	text = map_lines(rest, origin, n_lines);
	if (src)
		kaconf_logf(lg, true, src->file->path, src->line,
			    "vipd refuses the converted file: %s", text);
	else
		kaconf_logf(lg, true, NULL, 0,
			    "vipd refuses the converted file, at its line %lu: %s", line, text);
	free(text);
}

int kaconf_validate(const char *text, const struct kaconf_node *const *origin,
		    unsigned n_lines, struct kaconf_log *lg)
{
	const char *dir = getenv("TMPDIR");
	struct conf_errors errs = { 0 };
	struct vipd_conf *c = NULL;
	size_t len = strlen(text);
	char *tmp;
	int fd, rc;

	tmp = kaconf_fmt("%s/vipd-import-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(tmp);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		kaconf_logf(lg, true, NULL, 0, "cannot write %s to check the result: %m",
			    tmp);
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	close(fd);
	rc = conf_load(tmp, &c, &errs);
	unlink(tmp);
	for (unsigned i = 0; i < errs.n; i++)
		map_error(errs.msg[i], tmp, origin, n_lines, lg);
	if (rc != 0 && errs.n == 0)
		kaconf_logf(lg, true, NULL, 0, "vipd refuses the converted file (%d)", rc);
	conf_errors_clear(&errs);
	conf_free(c);
	free(tmp);
	return rc == 0 ? 0 : -1;
}
