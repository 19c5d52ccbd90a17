/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf_track: keepalived's vrrp_script, track_script and vrrp_sync_group,
 * converted once every block has been read (their order in the file does not
 * matter), with keepalived's silent fixes warned by line.
 */
#include "kaconf.h"
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- vrrp_script ---------------------------------------------------------- */

static const char *const kaconf_vscript_order[] = {
	"name", "script", "interval", "timeout", "weight", "rise", "fall", NULL,
};

/*
 * script "CMD ARGS" or script CMD ARGS...: keepalived splits a single word
 * again, and takes several words as the program and its arguments; vipd
 * splits one string, so a word with a space or a quote keeps its quotes.
 */
static void s_script(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	size_t len = 0;
	char *s;

	(void)m;
	(void)obj;
	if (!kaconf_arg(cx, n, 0, "script"))
		return;
	for (unsigned i = 0; i < n->n_args; i++)
		len += strlen(n->args[i]) + 3;
	s = kaconf_alloc(len + 1);
	s[0] = '\0';
	for (unsigned i = 0, o = 0; i < n->n_args; i++) {
		const char *w = n->args[i];
		bool wrap = n->n_args > 1 && (!*w || strpbrk(w, " \t\"'"));
		const char *q = !wrap ? "" : strchr(w, '"') ? "'" : "\"";

		o += (unsigned)sprintf(s + o, "%s%s%s%s", i ? " " : "", q, w, q);
	}
	if (strlen(s) > 255) {
		kaconf_err(cx, n, "script: the script is longer than 255 characters");
		free(s);
		return;
	}
	if (s[strspn(s, " \t")] == '\0') {
		kaconf_err(cx, n, "script: the script is empty");
		free(s);
		return;
	}
	kaconf_set(cx, g, "script", kv_quote(s), n);
	free(s);
}

/* A whole number with a sign, in min..max. */
static bool s_int(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
		  long min, long max, long *out)
{
	const char *s = kaconf_arg(cx, n, i, "number");
	unsigned long u;
	bool neg;

	if (!s)
		return false;
	neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) {
		kaconf_err(cx, n, "%s: '%s' is not a whole number", n->kw, n->args[i]);
		return false;
	}
	u = strtoul(s, NULL, 10);
	*out = neg ? -(long)u : (long)u;
	if (*out < min || *out > max) {
		kaconf_err(cx, n, "%s: %s out of range %ld..%ld", n->kw, n->args[i], min, max);
		return false;
	}
	return true;
}

/* weight N [reverse|noreverse] */
static void s_weight(struct kaconf_cx *cx, const struct kaconf_node *n,
		     const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	long w;

	(void)m;
	(void)obj;
	if (!s_int(cx, n, 0, -253, 253, &w))
		return;
	if (n->n_args > 1 && strcmp(n->args[1], "reverse") == 0)
		kaconf_unsup(cx, n, "weight reverse", "vipd applies the weight as written: a positive one while OK, a negative one while KO");
	else if (n->n_args > 1 && strcmp(n->args[1], "noreverse") != 0)
		kaconf_extra(cx, n, 1);
	kaconf_extra(cx, n, 2);
	kaconf_set(cx, g, "weight", kaconf_fmt("%ld", w), n);
}

static const struct kaconf_map kaconf_vscript_tab[] = {
	{ .kw = "script", .act = KA_FN, .fn = s_script },
	/* keepalived reads whole seconds here. */
	{ .kw = "interval", .act = KA_UINT, .key = "interval", .min = 1, .max = 3600 },
	{ .kw = "timeout", .act = KA_UINT, .key = "timeout", .min = 1, .max = 3600 },
	{ .kw = "weight", .act = KA_FN, .fn = s_weight },
	{ .kw = "rise", .act = KA_UINT, .key = "rise", .min = 1, .max = 1000 },
	{ .kw = "fall", .act = KA_UINT, .key = "fall", .min = 1, .max = 1000 },
	KA_ROW_UNSUP("user", "vipd runs scripts as the user it runs as"),
	KA_ROW_UNSUP("init_fail", "a vipd script starts neither OK nor KO: its first result decides"),
};

static struct kaconf_val *list_named(const struct kaconf_val *list, const char *quoted)
{
	for (struct kaconf_val *e = list->first; e; e = e->next) {
		struct kaconf_val *nm = kv_find(e, "name");

		if (nm && strcmp(nm->text, quoted) == 0)
			return e;
	}
	return NULL;
}

void kaconf_vscript(struct kaconf_cx *cx, const struct kaconf_node *n)
{
	struct kaconf_val *g = kv_group(NULL, kaconf_vscript_order, n), *was;
	struct kaconf_val *saved = cx->cur;
	unsigned errs = cx->lg->n_err;
	const char *name = kaconf_arg(cx, n, 0, "script name");
	char *q;

	if (!name)
		goto drop;
	if (strlen(name) > 63) {
		kaconf_err(cx, n, "vrrp_script: the name '%s' is longer than 63 characters", name);
		goto drop;
	}
	kaconf_extra(cx, n, 1);
	q = kv_quote(name);
	was = list_named(cx->scripts, q);
	if (was) {
		free(q);
		kaconf_warn(cx, n, "vrrp_script %s: already defined at %s:%u; keepalived keeps the first one, so does this file",
			    name, was->src->file->path, was->src->line);
		goto drop;
	}
	kv_note(g, "%s:%u vrrp_script %s", n->file->show, n->line, name);
	kv_set(g, "name", q, n);
	cx->cur = g;
	kaconf_walk(cx, n, kaconf_vscript_tab,
		    sizeof(kaconf_vscript_tab) / sizeof(kaconf_vscript_tab[0]), 0, g, NULL);
	cx->cur = saved;
	if (cx->lg->n_err != errs)
		goto drop;
	if (!kv_find(g, "script")) {
		kaconf_warn(cx, n, "vrrp_script %s: no script; keepalived drops this vrrp_script, so does this file",
			    name);
		goto drop;
	}
	/* keepalived's defaults, written out; a run may last one interval. */
	if (!kv_find(g, "interval"))
		kv_set(g, "interval", kaconf_strdup("1"), n);
	if (!kv_find(g, "timeout"))
		kv_set(g, "timeout", kaconf_strdup(kv_find(g, "interval")->text), n);
	if (!kv_find(g, "weight"))
		kv_set(g, "weight", kaconf_strdup("0"), n);
	if (!kv_find(g, "rise"))
		kv_set(g, "rise", kaconf_strdup("1"), n);
	if (!kv_find(g, "fall"))
		kv_set(g, "fall", kaconf_strdup("1"), n);
	if (!cx->scripts->src) /* where vipd's messages about the list point */
		cx->scripts->src = n;
	kv_add(cx->scripts, g);
	return;
drop:
	cx->cur = saved;
	kv_free(g);
}

/* ---- vrrp_sync_group ------------------------------------------------------ */

static const char *const kaconf_group_order[] = {
	"name", "group", "notify_master", "notify_backup", "notify_fault", "notify_stop",
	"notify", "smtp_alert", NULL,
};

/* The sync group that already lists instance quoted, or NULL. */
static struct kaconf_val *group_of(const struct kaconf_cx *cx, const char *quoted)
{
	for (struct kaconf_val *sg = cx->groups->first; sg; sg = sg->next) {
		struct kaconf_val *arr = kv_find(sg, "group");

		for (struct kaconf_val *e = arr ? arr->first : NULL; e; e = e->next)
			if (strcmp(e->text, quoted) == 0)
				return sg;
	}
	return NULL;
}

/* group { VI_1 VI_2 ... }: every word an instance name. */
static void sg_members(struct kaconf_cx *cx, const struct kaconf_node *n,
		       const struct kaconf_map *m, struct kaconf_val *g, void *obj)
{
	struct kaconf_val *arr;
	unsigned count = 0;

	(void)m;
	(void)obj;
	if (kv_find(g, "group")) {
		kaconf_warn(cx, n, "group: already given in this vrrp_sync_group; keepalived ignores this one, so does this file");
		return;
	}
	arr = kv_new(KV_ARRAY, "group", n);
	for (const struct kaconf_node *e = n->child; e; e = e->next) {
		for (unsigned i = 0; i <= e->n_args; i++) {
			const char *w = i ? e->args[i - 1] : e->kw;
			char *q = kv_quote(w);
			struct kaconf_val *other = group_of(cx, q), *v;
			bool twice = false;

			for (v = arr->first; v; v = v->next)
				twice |= strcmp(v->text, q) == 0;
			if (twice) {
				kaconf_warn(cx, e, "group: %s is listed twice; once is kept", w);
			} else if (!list_named(cx->vrrps, q)) {
				kaconf_warn(cx, e, "group: '%s' names no vrrp_instance; keepalived ignores it, so does this file",
					    w);
			} else if (other) {
				kaconf_warn(cx, e, "group: vrrp_instance %s is already in sync group %s (%s:%u); an instance belongs to one group: keepalived ignores this one, so does this file",
					    w, other->src->args[0], other->src->file->path,
					    other->src->line);
			} else if (count == 16) {
				kaconf_err(cx, e, "group: more than 16 instances in one sync group");
			} else {
				v = kv_new(KV_SCALAR, NULL, e);
				v->text = q;
				q = NULL;
				kv_add(arr, v);
				count++;
			}
			free(q);
		}
	}
	kv_add(g, arr);
}

#define KA_SGTRACK "vipd's sync groups track nothing themselves: track it in each member instance (weight 0)"

static const struct kaconf_map kaconf_group_tab[] = {
	{ .kw = "group", .act = KA_FN, .fn = sg_members, .block = true },
	{ .kw = "notify_master", .act = KA_SCRIPT, .key = "notify_master" },
	{ .kw = "notify_backup", .act = KA_SCRIPT, .key = "notify_backup" },
	{ .kw = "notify_fault", .act = KA_SCRIPT, .key = "notify_fault" },
	{ .kw = "notify_stop", .act = KA_SCRIPT, .key = "notify_stop" },
	{ .kw = "notify", .act = KA_SCRIPT, .key = "notify" },
	{ .kw = "smtp_alert", .act = KA_FLAG, .key = "smtp_alert" },
	KA_ROW_UNSUPB("track_interface", KA_SGTRACK),
	KA_ROW_UNSUPB("track_script", KA_SGTRACK),
	KA_ROW_UNSUPB("track_file", KA_SGTRACK),
	KA_ROW_UNSUPB("track_process", KA_SGTRACK),
	KA_ROW_UNSUPB("track_bfd", KA_SGTRACK),
	KA_ROW_UNSUP("sync_group_tracking_weight", "the members' tracked scripts get weight 0 in vipd, as keepalived does without this option"),
	KA_ROW_UNSUP("global_tracking", "the members' tracked scripts get weight 0 in vipd, as keepalived does without this option"),
	KA_ROW_UNSUP("notify_priority_changes", KA_VNOEQ),
};

static void kaconf_sync_group(struct kaconf_cx *cx, const struct kaconf_node *n)
{
	struct kaconf_val *g = kv_group(NULL, kaconf_group_order, n), *was, *arr;
	struct kaconf_val *saved = cx->cur;
	unsigned errs = cx->lg->n_err, count = 0;
	const char *name = kaconf_arg(cx, n, 0, "sync group name");
	char *q;

	if (!name)
		goto drop;
	if (strlen(name) > 63) {
		kaconf_err(cx, n, "vrrp_sync_group: the name '%s' is longer than 63 characters", name);
		goto drop;
	}
	kaconf_extra(cx, n, 1);
	q = kv_quote(name);
	was = list_named(cx->groups, q);
	if (was) {
		free(q);
		kaconf_warn(cx, n, "vrrp_sync_group %s: already defined at %s:%u; keepalived keeps the first one, so does this file",
			    name, was->src->file->path, was->src->line);
		goto drop;
	}
	kv_note(g, "%s:%u vrrp_sync_group %s", n->file->show, n->line, name);
	kv_set(g, "name", q, n);
	cx->cur = g;
	kaconf_walk(cx, n, kaconf_group_tab,
		    sizeof(kaconf_group_tab) / sizeof(kaconf_group_tab[0]), 0, g, NULL);
	cx->cur = saved;
	if (cx->lg->n_err != errs)
		goto drop;
	arr = kv_find(g, "group");
	for (struct kaconf_val *e = arr ? arr->first : NULL; e; e = e->next)
		count++;
	if (!count) {
		kaconf_warn(cx, n, "vrrp_sync_group %s: no vrrp_instance in it; keepalived drops it, so does this file",
			    name);
		goto drop;
	}
	if (count == 1)
		kaconf_warn(cx, n, "vrrp_sync_group %s: only one vrrp_instance in it; keepalived keeps it (and says it probably isn't what you want), so does this file",
			    name);
	if (!cx->groups->src)
		cx->groups->src = n;
	kv_add(cx->groups, g);
	return;
drop:
	cx->cur = saved;
	kv_free(g);
}

/* ---- track_script, once everything is read --------------------------------- */

static long val_int(const struct kaconf_val *g, const char *key)
{
	const struct kaconf_val *v = kv_find(g, key);

	return v ? strtol(v->text, NULL, 10) : 0;
}

/*
 * A track_script entry: NAME [weight N [reverse|noreverse]]. Sets *w to the
 * weight written there; false when the words are unusable (reported).
 */
static bool entry_weight(struct kaconf_cx *cx, const struct kaconf_node *c, bool *has,
			 long *w)
{
	*has = false;
	if (!c->n_args)
		return true;
	if (strcmp(c->args[0], "weight") != 0) {
		kaconf_warn(cx, c, "track_script: '%s' after %s ignored (keepalived reads NAME [weight N])",
			    c->args[0], c->kw);
		return true;
	}
	if (c->n_args < 2) {
		kaconf_err(cx, c, "track_script: %s weight: missing number", c->kw);
		return false;
	}
	if (!s_int(cx, c, 1, -253, 253, w)) /* says "NAME: ..." */
		return false;
	*has = true;
	if (c->n_args > 2 && strcmp(c->args[2], "reverse") == 0)
		kaconf_unsup(cx, c, "weight reverse", "vipd applies the weight as written: a positive one while OK, a negative one while KO");
	else if (c->n_args > 2 && strcmp(c->args[2], "noreverse") != 0)
		kaconf_extra(cx, c, 2);
	else
		kaconf_extra(cx, c, 3);
	return true;
}

/* Unlink e from array arr (prev before it) and free it; returns what follows. */
static struct kaconf_val *arr_drop(struct kaconf_val *arr, struct kaconf_val *prev,
				   struct kaconf_val *e)
{
	struct kaconf_val *next = e->next;

	if (prev)
		prev->next = next;
	else
		arr->first = next;
	if (arr->last == e)
		arr->last = prev;
	e->next = NULL;
	kv_free(e);
	return next;
}

/* Per vrrp_script: who tracks it with what keepalived makes of the weight. */
struct track_use {
	bool by_member;    /* a sync group member, whose weight keepalived zeroes */
	bool by_other;     /* an instance outside sync groups */
	const struct kaconf_node *member_at;
};

static void track_entries(struct kaconf_cx *cx, struct kaconf_val *g, struct track_use *use)
{
	struct kaconf_val *arr = kv_find(g, "track_script"), *prev = NULL, *e;
	struct kaconf_val *sg = group_of(cx, kv_find(g, "name")->text);
	struct kaconf_val *saved = cx->cur;

	if (!arr)
		return;
	cx->cur = g;
	for (e = arr->first; e;) {
		const struct kaconf_node *c = e->src;
		struct kaconf_val *sc = list_named(cx->scripts, e->text), *o;
		unsigned idx = 0;
		long w = 0, sw;
		bool has, twice = false;

		for (o = arr->first; o != e; o = o->next)
			twice |= strcmp(o->text, e->text) == 0;
		if (twice) {
			kaconf_warn(cx, c, "track_script: %s is listed twice; once is kept", c->kw);
			e = arr_drop(arr, prev, e);
			continue;
		}
		if (!sc) {
			kaconf_warn(cx, c, "track_script: '%s' names no vrrp_script; keepalived ignores it, so does this file",
				    c->kw);
			e = arr_drop(arr, prev, e);
			continue;
		}
		if (!entry_weight(cx, c, &has, &w)) {
			e = arr_drop(arr, prev, e);
			continue;
		}
		for (o = cx->scripts->first; o != sc; o = o->next)
			idx++;
		sw = val_int(sc, "weight");
		if (sg) {
			if (has ? w : sw)
				kaconf_warn(cx, c, "track_script: %s has weight %ld, but vrrp_instance %s is in sync group %s; keepalived sets the weight to 0 there (the group goes to FAULT when the script fails), so does this file",
					    c->kw, has ? w : sw, g->src->args[0], sg->src->args[0]);
			use[idx].by_member = true;
			if (!use[idx].member_at)
				use[idx].member_at = c;
		} else {
			use[idx].by_other = true;
			if (has && w != sw) {
				char what[96], why[160];

				snprintf(what, sizeof(what), "track_script %.40s weight %ld", c->kw, w);
				snprintf(why, sizeof(why), "a weight per track_script entry: vipd applies the vrrp_script's weight, %ld",
					 sw);
				kaconf_unsup(cx, c, what, why);
			}
		}
		prev = e;
		e = e->next;
	}
	if (!arr->first)
		kv_del(g, "track_script");
	cx->cur = saved;
}

/*
 * keepalived zeroes the weight of a script tracked by a sync group member for
 * that member only. A weighted script tracked by members alone gets weight 0;
 * one tracked by other instances as well is written twice, the members
 * tracking a weight 0 copy.
 */
static void track_zero(struct kaconf_cx *cx, struct kaconf_val *sc, const struct track_use *u)
{
	struct kaconf_val *cp, *nm = kv_find(sc, "name");
	char base[64], *name = NULL, *q = NULL;

	if (!u->by_member || !val_int(sc, "weight"))
		return;
	if (!u->by_other) {
		kv_set(sc, "weight", kaconf_strdup("0"), kv_find(sc, "weight")->src);
		kv_note(sc, "CHECK: weight 0: only members of sync groups track it (keepalived sets their weight to 0)");
		return;
	}
	snprintf(base, sizeof(base), "%s", sc->src->args[0]);
	for (unsigned i = 0; !q || list_named(cx->scripts, q); i++) {
		free(name);
		free(q);
		name = i ? kaconf_fmt("%.50s_sync%u", base, i) : kaconf_fmt("%.55s_sync", base);
		q = kv_quote(name);
	}
	kaconf_warn(cx, u->member_at, "track_script: vrrp_script %s is tracked by sync group members (weight 0, as keepalived makes it) and by other instances (weight %ld): the members track a copy with weight 0, %s; both run",
		    base, val_int(sc, "weight"), name);
	cp = kv_group(NULL, kaconf_vscript_order, sc->src);
	kv_note(cp, "%s:%u vrrp_script %s", sc->src->file->show, sc->src->line, base);
	kv_note(cp, "CHECK: %s with weight 0, for the members of sync groups that track it (keepalived sets their weight to 0)",
		base);
	for (struct kaconf_val *e = sc->first; e; e = e->next)
		kv_set(cp, e->key, kaconf_strdup(strcmp(e->key, "name") == 0 ? q :
				   strcmp(e->key, "weight") == 0 ? "0" : e->text), e->src);
	/* Every member's entry names the copy. */
	for (struct kaconf_val *g = cx->vrrps->first; g; g = g->next) {
		struct kaconf_val *arr = kv_find(g, "track_script");

		if (!arr || !group_of(cx, kv_find(g, "name")->text))
			continue;
		for (struct kaconf_val *e = arr->first; e; e = e->next) {
			if (strcmp(e->text, nm->text) == 0) {
				free(e->text);
				e->text = kaconf_strdup(q);
			}
		}
	}
	/* Right after the original. */
	cp->next = sc->next;
	sc->next = cp;
	if (cx->scripts->last == sc)
		cx->scripts->last = cp;
	free(name);
	free(q);
}

void kaconf_vrrp_finish(struct kaconf_cx *cx)
{
	struct track_use *use;
	unsigned n = 0, i = 0;

	for (const struct kaconf_node *t = cx->tree->root.child; t; t = t->next)
		if (strcmp(t->kw, "vrrp_sync_group") == 0 && t->block)
			kaconf_sync_group(cx, t);
	for (struct kaconf_val *sc = cx->scripts->first; sc; sc = sc->next)
		n++;
	use = kaconf_alloc(sizeof(*use) * (n + 1));
	memset(use, 0, sizeof(*use) * (n + 1));
	for (struct kaconf_val *g = cx->vrrps->first; g; g = g->next)
		track_entries(cx, g, use);
	/* track_zero inserts copies: walk the originals by their count. */
	for (struct kaconf_val *sc = cx->scripts->first; sc && i < n; sc = sc->next, i++) {
		struct kaconf_val *next = sc->next;

		track_zero(cx, sc, &use[i]);
		if (sc->next != next)
			sc = sc->next; /* skip the copy */
	}
	free(use);
}
