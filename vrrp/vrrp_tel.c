/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_tel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vrrp_tel_inst *tel;
static unsigned tel_n;
static struct vrrp_tel_group *tel_g;
static unsigned tel_ng;
static struct vrrp_tel_script *tel_s; /* name "" = not run */
static unsigned tel_ns;
static uint64_t unmatched[VRRP_BAD_MAX];

static void add_bad(struct rte_tel_data *d, const uint64_t *bad)
{
	uint64_t tot = 0;
	for (unsigned r = 0; r < VRRP_BAD_MAX; r++)
		tot += bad[r];
	rte_tel_data_add_dict_u64(d, "bad_total", tot);
	for (unsigned r = 0; r < VRRP_BAD_MAX; r++) {
		char k[64];
		snprintf(k, sizeof(k), "bad_%s", vrrp_bad_names[r]);
		rte_tel_data_add_dict_u64(d, k, bad[r]);
	}
}

static int cmd_vrrp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	unsigned n = tel_n, ng = tel_ng, ns = tel_ns;
	struct vrrp_tel_inst *copy = n ? malloc(n * sizeof(*copy)) : NULL;
	struct vrrp_tel_group *gcopy = ng ? malloc(ng * sizeof(*gcopy)) : NULL;
	struct vrrp_tel_script *scopy = ns ? malloc(ns * sizeof(*scopy)) : NULL;
	uint64_t um[VRRP_BAD_MAX];
	if (copy)
		memcpy(copy, tel, n * sizeof(*copy));
	else
		n = 0;
	if (gcopy)
		memcpy(gcopy, tel_g, ng * sizeof(*gcopy));
	else
		ng = 0;
	if (scopy)
		memcpy(scopy, tel_s, ns * sizeof(*scopy));
	else
		ns = 0;
	memcpy(um, unmatched, sizeof(um));
	pthread_mutex_unlock(&tel_lock);

	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < n; i++) {
		const struct vrrp_tel_inst *s = &copy[i];
		struct rte_tel_data *e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		char a[INET_ADDRSTRLEN] = "";
		if (s->master)
			inet_ntop(AF_INET, &s->master, a, sizeof(a));
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "name", s->name);
		rte_tel_data_add_dict_string(e, "interface", s->interface);
		rte_tel_data_add_dict_u64(e, "vrid", s->vrid);
		rte_tel_data_add_dict_u64(e, "version", s->version);
		rte_tel_data_add_dict_string(e, "state", s->state ? s->state : "INIT");
		rte_tel_data_add_dict_u64(e, "priority", s->priority);
		rte_tel_data_add_dict_u64(e, "base_priority", s->base_priority);
		rte_tel_data_add_dict_string(e, "master", a);
		rte_tel_data_add_dict_u64(e, "last_transition", (uint64_t)s->last_transition);
		rte_tel_data_add_dict_string(e, "last_reason",
					     s->last_reason ? s->last_reason : "none");
		rte_tel_data_add_dict_u64(e, "transitions", s->transitions);
		rte_tel_data_add_dict_u64(e, "adverts_in", s->adverts_in);
		rte_tel_data_add_dict_u64(e, "adverts_out", s->adverts_out);
		rte_tel_data_add_dict_u64(e, "send_errors", s->send_errors);
		rte_tel_data_add_dict_string(e, "sync_group", s->sync_group);
		rte_tel_data_add_dict_string(e, "track_scripts", s->track_scripts);
		add_bad(e, s->bad);
		char key[32];
		snprintf(key, sizeof(key), "vi%u", i);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	for (unsigned i = 0; i < ng; i++) {
		const struct vrrp_tel_group *g = &gcopy[i];
		struct rte_tel_data *e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		/* "group", not "name": vipctl lists every entry with a name as an instance */
		rte_tel_data_add_dict_string(e, "group", g->name);
		rte_tel_data_add_dict_string(e, "state", g->state ? g->state : "INIT");
		rte_tel_data_add_dict_string(e, "members", g->members);
		rte_tel_data_add_dict_u64(e, "transitions", g->transitions);
		rte_tel_data_add_dict_u64(e, "last_transition", (uint64_t)g->last_transition);
		char key[32];
		snprintf(key, sizeof(key), "vg%u", i);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	for (unsigned i = 0; i < ns; i++) {
		const struct vrrp_tel_script *sc = &scopy[i];
		if (sc->name[0] == '\0')
			continue;
		struct rte_tel_data *e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		/* "script", not "name": vipctl lists every entry with a name as an instance */
		rte_tel_data_add_dict_string(e, "script", sc->name);
		rte_tel_data_add_dict_string(e, "status", sc->status ? sc->status : "INIT");
		rte_tel_data_add_dict_int(e, "weight", sc->weight);
		rte_tel_data_add_dict_u64(e, "rise", sc->rise);
		rte_tel_data_add_dict_u64(e, "fall", sc->fall);
		rte_tel_data_add_dict_u64(e, "runs", sc->runs);
		rte_tel_data_add_dict_u64(e, "failures", sc->failures);
		rte_tel_data_add_dict_u64(e, "timeouts", sc->timeouts);
		rte_tel_data_add_dict_u64(e, "skipped", sc->skipped);
		rte_tel_data_add_dict_int(e, "last_status", sc->last_status);
		rte_tel_data_add_dict_u64(e, "last_change", (uint64_t)sc->last_change);
		char key[32];
		snprintf(key, sizeof(key), "script%u", i);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	struct rte_tel_data *e = rte_tel_data_alloc();
	if (e) {
		rte_tel_data_start_dict(e);
		add_bad(e, um);
		rte_tel_data_add_dict_container(d, "unmatched", e, 0);
	}
	free(copy);
	free(gcopy);
	free(scopy);
	return 0;
}

int vrrp_tel_init(unsigned n, unsigned n_groups, unsigned n_scripts)
{
	static int registered;
	struct vrrp_tel_inst *t = calloc(n + 1, sizeof(*t));
	struct vrrp_tel_group *g = calloc(n_groups + 1, sizeof(*g));
	struct vrrp_tel_script *sc = calloc(n_scripts + 1, sizeof(*sc));
	if (t == NULL || g == NULL || sc == NULL) {
		free(t);
		free(g);
		free(sc);
		return -ENOMEM;
	}
	pthread_mutex_lock(&tel_lock);
	free(tel);
	free(tel_g);
	free(tel_s);
	tel = t;
	tel_n = n;
	tel_g = g;
	tel_ng = n_groups;
	tel_s = sc;
	tel_ns = n_scripts;
	memset(unmatched, 0, sizeof(unmatched));
	pthread_mutex_unlock(&tel_lock);
	if (!registered) {
		/* A command cannot be unregistered: register once per process. */
		int rc = rte_telemetry_register_cmd("/vipd/vrrp", cmd_vrrp,
						    "VRRP instances: state, priority, master, counters");
		if (rc)
			return rc;
		registered = 1;
	}
	return 0;
}

void vrrp_tel_put(unsigned i, const struct vrrp_tel_inst *s)
{
	pthread_mutex_lock(&tel_lock);
	if (i < tel_n)
		tel[i] = *s;
	pthread_mutex_unlock(&tel_lock);
}

void vrrp_tel_put_group(unsigned i, const struct vrrp_tel_group *g)
{
	pthread_mutex_lock(&tel_lock);
	if (i < tel_ng)
		tel_g[i] = *g;
	pthread_mutex_unlock(&tel_lock);
}

void vrrp_tel_put_script(unsigned i, const struct vrrp_tel_script *s)
{
	pthread_mutex_lock(&tel_lock);
	if (i < tel_ns)
		tel_s[i] = *s;
	pthread_mutex_unlock(&tel_lock);
}

void vrrp_tel_unmatched(enum vrrp_bad why)
{
	pthread_mutex_lock(&tel_lock);
	if (why < VRRP_BAD_MAX)
		unmatched[why]++;
	pthread_mutex_unlock(&tel_lock);
}

void vrrp_tel_fini(void)
{
	pthread_mutex_lock(&tel_lock);
	free(tel);
	free(tel_g);
	free(tel_s);
	tel = NULL;
	tel_g = NULL;
	tel_s = NULL;
	tel_n = tel_ng = tel_ns = 0;
	pthread_mutex_unlock(&tel_lock);
}
