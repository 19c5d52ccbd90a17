/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_util: copies and comparisons of loaded configurations, for run-time
 * changes (a vipctl edit works on a copy) and reloads (what changed).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void *dup_mem(const void *src, size_t n, bool *ok)
{
	void *d = malloc(n ? n : 1);
	if (d == NULL)
		*ok = false;
	else if (n)
		memcpy(d, src, n);
	return d;
}

struct vipd_conf *conf_dup(const struct vipd_conf *c)
{
	bool ok = true;
	struct vipd_conf *d = dup_mem(c, sizeof(*c), &ok);
	if (d == NULL)
		return NULL;
	d->ports = dup_mem(c->ports, sizeof(*c->ports) * c->n_ports, &ok);
	d->vrrp = dup_mem(c->vrrp, sizeof(*c->vrrp) * c->n_vrrp, &ok);
	/* Room for one more service: runtime edits add them one at a time. */
	d->vs = calloc(c->n_vs + 1, sizeof(*c->vs));
	if (d->vs == NULL) {
		d->n_vs = 0;
		conf_free(d);
		return NULL;
	}
	for (unsigned i = 0; i < c->n_vs; i++) {
		d->vs[i] = c->vs[i];
		d->vs[i].rs = calloc(c->vs[i].n_rs + 1, sizeof(*c->vs[i].rs));
		if (d->vs[i].rs == NULL)
			ok = false;
		else
			memcpy(d->vs[i].rs, c->vs[i].rs, sizeof(*c->vs[i].rs) * c->vs[i].n_rs);
	}
	if (!ok) {
		conf_free(d);
		return NULL;
	}
	return d;
}

/* Field by field, ignoring where in the file they were written. */
bool conf_ports_equal(const struct vipd_conf *a, const struct vipd_conf *b)
{
	if (a->n_ports != b->n_ports || memcmp(&a->dpdk, &b->dpdk, sizeof(a->dpdk)) != 0)
		return false;
	for (unsigned i = 0; i < a->n_ports; i++) {
		struct conf_port x = a->ports[i], y = b->ports[i];
		x.line = y.line = 0;
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return false;
	}
	return true;
}

bool conf_vrrp_equal(const struct vipd_conf *a, const struct vipd_conf *b)
{
	if (a->n_vrrp != b->n_vrrp)
		return false;
	for (unsigned i = 0; i < a->n_vrrp; i++) {
		struct conf_vrrp x = a->vrrp[i], y = b->vrrp[i];
		x.line = y.line = 0;
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return false;
	}
	return true;
}

