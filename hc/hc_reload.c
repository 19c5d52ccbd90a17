/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_reload: follow a configuration change by difference.
 *
 * A checker is kept when its real server keeps its service (VIP, port,
 * protocol), its address and port, and its check group is unchanged (line
 * numbers aside): it keeps its verdict, retry streak, counters, running run
 * and next start, and from then on reads the new configuration. Everything
 * else stops or starts; a new checker starts from the verdict the model
 * kept for its real server (a real server whose check changed is not reset
 * to up), spread over its warmup like at start-up. A real server left
 * without a check is always up, as in keepalived.
 *
 * The plan is made first and can fail (memory) without touching anything;
 * committing it cannot fail.
 *
 * Threading: control core only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/log.h"
#include "ctrl/model.h"
#include "hc/hc.h"
#include "hc/hc_pvt.h"

struct hc_key {
	uint32_t vaddr, raddr;
	uint16_t vport, rport;
	uint8_t proto;
	unsigned idx;
};

static int hc_key_cmp(const void *pa, const void *pb)
{
	const struct hc_key *a = pa, *b = pb;
#define HC_CMP(f)                     \
	if (a->f != b->f)             \
		return a->f < b->f ? -1 : 1
	HC_CMP(vaddr);
	HC_CMP(vport);
	HC_CMP(proto);
	HC_CMP(raddr);
	HC_CMP(rport);
#undef HC_CMP
	return 0;
}

static struct hc_key hc_key_of(const struct conf_vs *vs, const struct conf_rs *rs, unsigned idx)
{
	return (struct hc_key){ .vaddr = vs->addr, .vport = vs->port, .proto = vs->proto,
				.raddr = rs->addr, .rport = rs->port, .idx = idx };
}

/* The same check, wherever it stands in the file. */
static bool hc_same_check(const struct conf_check *a, const struct conf_check *b)
{
	struct conf_check x, y;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x.line = y.line = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Real servers that lost their check: up, whatever the old checker said. */
static void hc_unchecked_up(const struct vipd_conf *c)
{
	for (unsigned i = 0; i < c->n_vs && model.svc; i++) {
		for (unsigned j = 0; j < c->vs[i].n_rs && j < model.svc[i].n_rs; j++) {
			if (hc_check_wanted(&c->vs[i].rs[j]) || model.svc[i].up[j])
				continue;
			int rc = model_set_rs_health(i, j, true);
			char a[INET_ADDRSTRLEN], v[INET_ADDRSTRLEN];
			struct in_addr ra = { c->vs[i].rs[j].addr }, va = { c->vs[i].addr };
			inet_ntop(AF_INET, &ra, a, sizeof(a));
			inet_ntop(AF_INET, &va, v, sizeof(v));
			VLOG_NOTICE("realserver %s:%u of %s:%u UP: no health check any more%s", a,
				    c->vs[i].rs[j].port, v, c->vs[i].port,
				    rc < 0 ? " (refused by the model)" : "");
		}
	}
}

int hc_module_reload(struct event_base *base, const struct vipd_conf *old,
		     const struct vipd_conf *c)
{
	struct hc_check **cur, **cks = NULL, **dropped = NULL;
	struct hc_key *keys = NULL;
	unsigned n_cur, n = 0, k = 0, n_fresh = 0, n_kept = 0, n_dropped;
	int *from = NULL;
	void *rows = NULL;
	bool *kept = NULL, tls = false;
	int rc = -ENOMEM;
	(void)base;
	(void)old;

	hc_table_get(&cur, &n_cur);
	cks = hc_table_alloc(c, &n);
	keys = calloc(n_cur + 1, sizeof(*keys));
	from = calloc(n + 1, sizeof(*from));
	kept = calloc(n_cur + 1, sizeof(*kept));
	if (cks == NULL || keys == NULL || from == NULL || kept == NULL)
		goto fail;
	for (unsigned i = 0; i < n_cur; i++)
		keys[i] = hc_key_of(cur[i]->cvs, cur[i]->crs, i);
	qsort(keys, n_cur, sizeof(*keys), hc_key_cmp);

	/* Plan: keep or create, nothing changed yet. */
	for (unsigned i = 0; i < c->n_vs; i++) {
		for (unsigned j = 0; j < c->vs[i].n_rs; j++) {
			const struct conf_rs *rs = &c->vs[i].rs[j];
			if (!hc_check_wanted(rs))
				continue;
			struct hc_key want = hc_key_of(&c->vs[i], rs, 0);
			const struct hc_key *f = bsearch(&want, keys, n_cur, sizeof(*keys), hc_key_cmp);
			tls |= rs->check.type == CONF_CHECK_SSL_GET;
			if (f && !kept[f->idx] && hc_same_check(cur[f->idx]->cc, &rs->check)) {
				kept[f->idx] = true;
				from[k] = (int)f->idx;
				cks[k++] = cur[f->idx];
				continue;
			}
			struct hc_check *ck = hc_check_new(c, i, j);
			if (ck == NULL)
				goto fail;
			/* The model kept (or, for a new real server, chose) its verdict. */
			if (model.svc && i < c->n_vs && j < model.svc[i].n_rs)
				ck->fsm.up = model.svc[i].up[j];
			from[k] = -1;
			cks[k++] = ck;
			n_fresh++;
		}
	}
	if (tls && (rc = hc_tls_init()) != 0)
		goto fail;
	rows = hc_tel_rows_alloc(n);
	if (rows == NULL) {
		rc = -ENOMEM;
		goto fail;
	}

	/* Commit: kept checks read c from now on, at their places in it. */
	k = 0;
	for (unsigned i = 0; i < c->n_vs; i++) {
		for (unsigned j = 0; j < c->vs[i].n_rs; j++) {
			if (!hc_check_wanted(&c->vs[i].rs[j]))
				continue;
			if (from[k] >= 0) {
				hc_check_bind(cks[k], c, i, j);
				n_kept++;
			}
			k++;
		}
	}
	hc_table_swap(cks, n, c, &dropped, &n_dropped);
	hc_tel_remap(rows, cks, n, from);
	n_dropped = 0;
	for (unsigned i = 0; i < n_cur; i++) {
		if (!kept[i]) {
			hc_check_free(cur[i]);
			n_dropped++;
		}
	}
	free(dropped);
	struct hc_check **fresh = calloc(n_fresh + 1, sizeof(*fresh));
	unsigned f = 0;
	for (unsigned i = 0; i < n; i++)
		if (from[i] < 0) {
			if (fresh)
				fresh[f++] = cks[i];
			else
				hc_check_arm_first(&cks[i], 1);
		}
	if (fresh)
		hc_check_arm_first(fresh, f);
	free(fresh);
	hc_unchecked_up(c);
	VLOG_NOTICE("health checks follow the new configuration: %u kept, %u started, %u stopped",
		    n_kept, n_fresh, n_dropped);
	free(keys);
	free(from);
	free(kept);
	return 0;

fail:
	for (unsigned i = 0; cks && i < k; i++)
		if (from[i] < 0)
			hc_check_free(cks[i]);
	free(cks);
	free(keys);
	free(from);
	free(kept);
	return rc;
}
