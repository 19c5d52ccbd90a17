/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_tel: the health checks on the telemetry socket.
 *
 *   /vipd/checks[,FROM]       one dict per check, keyed "rs<slot>" like
 *                             /vipd/realservers; at most HC_TEL_PAGE per
 *                             answer (DPDK caps an answer at 16 KB), with
 *                             "next" = the FROM of the following page
 *   /vipd/checks_summary[,reset]
 *                             totals, counters by result and by event, and
 *                             the start drift of the checks (p50/p99/max,
 *                             us); ",reset" restarts the drift window
 *
 * Threading: the control core writes a copy of each check's state here
 * after every run; DPDK's telemetry threads read it. Both sides take hc_mu
 * (held for microseconds: a few stores, or formatting one page).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "ctrl/log.h"
#include "ctrl/model.h"
#include "dataplane/rs.h"
#include "hc/hc_drift.h"
#include "hc/hc_pvt.h"

#define HC_TEL_PAGE 24

struct hc_tel_row {
	char key[16];        /* "rs<slot>" */
	char service[48];
	char address[16];
	uint16_t port;
	char target[24];     /* where the check connects: connect_ip:connect_port */
	const char *check;
	bool up;
	int weight;
	unsigned fails;      /* consecutive failures */
	uint64_t runs, failures, n_up, n_down;
	uint64_t latency_us;
	char last[112];
	char last_failure[112];
};

static const char *const hc_ctr_keys[HC_TEL_CTR_MAX] = {
	[HC_TEL_UP] = "transitions_up",
	[HC_TEL_DOWN] = "transitions_down",
	[HC_TEL_QUORUM_LOST] = "quorum_lost",
	[HC_TEL_QUORUM_GAINED] = "quorum_gained",
	[HC_TEL_MODEL_ERROR] = "model_errors",
	[HC_TEL_WEIGHT_SET] = "weight_changes",
	[HC_TEL_WEIGHT_UNSUPPORTED] = "weight_changes_not_applied",
	[HC_TEL_SCRIPT_STARTED] = "scripts_started",
	[HC_TEL_SCRIPT_FAILED] = "scripts_failed",
	[HC_TEL_ALERTS] = "alerts",
	[HC_TEL_LATE_CALLBACK] = "late_script_results",
};

static pthread_mutex_t hc_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hc_tel_row *hc_rows;
static unsigned hc_n_rows;
static struct {
	uint64_t results[HC_R_MAX];
	uint64_t ctr[HC_TEL_CTR_MAX];
	uint64_t runs;
	unsigned inflight, max_inflight;
	struct hc_drift drift;
} hc_tot;
static bool hc_registered;

/* What a row says about where the check is: refreshed when the table changes. */
static void hc_tel_row_static(struct hc_tel_row *r, const struct hc_check *ck)
{
	char a[INET_ADDRSTRLEN];
	uint32_t slot = ck->idx;

	if (model.svc && ck->vs < model.conf->n_vs && ck->rs < model.svc[ck->vs].n_rs)
		slot = rs_handle_idx(model.svc[ck->vs].rs[ck->rs]);
	snprintf(r->key, sizeof(r->key), "rs%u", slot);
	snprintf(r->service, sizeof(r->service), "%s", ck->svc_label);
	struct in_addr ra = { ck->crs->addr };
	inet_ntop(AF_INET, &ra, r->address, sizeof(r->address));
	r->port = ck->crs->port;
	if (ck->cc->type == CONF_CHECK_MISC) {
		snprintf(r->target, sizeof(r->target), "-");
	} else {
		inet_ntop(AF_INET, &ck->dst.sin_addr, a, sizeof(a));
		snprintf(r->target, sizeof(r->target), "%s:%u", a, ntohs(ck->dst.sin_port));
	}
	r->check = conf_check_name(ck->cc->type);
}

static void hc_tel_row_fresh(struct hc_tel_row *r, const struct hc_check *ck)
{
	memset(r, 0, sizeof(*r));
	hc_tel_row_static(r, ck);
	r->up = ck->fsm.up;
	r->weight = ck->weight;
	snprintf(r->last, sizeof(r->last), "not run yet");
}

void hc_tel_row_init(const struct hc_check *ck)
{
	pthread_mutex_lock(&hc_mu);
	if (ck->idx < hc_n_rows)
		hc_tel_row_fresh(&hc_rows[ck->idx], ck);
	pthread_mutex_unlock(&hc_mu);
}

void *hc_tel_rows_alloc(unsigned n)
{
	return calloc(n + 1, sizeof(struct hc_tel_row));
}

void hc_tel_remap(void *mem, struct hc_check **cks, unsigned n, const int *from)
{
	struct hc_tel_row *rows = mem;
	pthread_mutex_lock(&hc_mu);
	for (unsigned i = 0; i < n; i++) {
		if (from[i] >= 0 && (unsigned)from[i] < hc_n_rows) {
			rows[i] = hc_rows[from[i]];
			hc_tel_row_static(&rows[i], cks[i]);
		} else {
			hc_tel_row_fresh(&rows[i], cks[i]);
		}
	}
	free(hc_rows);
	hc_rows = rows;
	hc_n_rows = n;
	pthread_mutex_unlock(&hc_mu);
}

void hc_tel_run_start(uint64_t drift_us, unsigned inflight)
{
	pthread_mutex_lock(&hc_mu);
	hc_drift_add(&hc_tot.drift, drift_us);
	hc_tot.inflight = inflight;
	if (inflight > hc_tot.max_inflight)
		hc_tot.max_inflight = inflight;
	pthread_mutex_unlock(&hc_mu);
}

void hc_tel_run_end(const struct hc_check *ck, const char *reason, uint64_t latency_us,
		    unsigned inflight)
{
	pthread_mutex_lock(&hc_mu);
	if (ck->idx < hc_n_rows) {
		struct hc_tel_row *r = &hc_rows[ck->idx];
		r->up = ck->fsm.up;
		r->fails = ck->fsm.fails;
		r->runs = ck->fsm.runs;
		r->failures = ck->fsm.failures;
		r->n_up = ck->fsm.n_up;
		r->n_down = ck->fsm.n_down;
		r->latency_us = latency_us;
		snprintf(r->last, sizeof(r->last), "%s", reason);
		if (ck->out.r != HC_R_OK)
			snprintf(r->last_failure, sizeof(r->last_failure), "%s", reason);
	}
	if ((unsigned)ck->out.r < HC_R_MAX)
		hc_tot.results[ck->out.r]++;
	hc_tot.runs++;
	hc_tot.inflight = inflight;
	pthread_mutex_unlock(&hc_mu);
}

void hc_tel_weight(const struct hc_check *ck, int weight)
{
	pthread_mutex_lock(&hc_mu);
	if (ck->idx < hc_n_rows)
		hc_rows[ck->idx].weight = weight;
	pthread_mutex_unlock(&hc_mu);
}

void hc_tel_count(enum hc_tel_ctr c)
{
	pthread_mutex_lock(&hc_mu);
	hc_tot.ctr[c]++;
	pthread_mutex_unlock(&hc_mu);
}

static int hc_tel_checks(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned from = 0;
	(void)cmd;

	if (params && *params) {
		char *end;
		unsigned long v = strtoul(params, &end, 10);
		if (*end)
			return -EINVAL;
		from = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
	}
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&hc_mu);
	unsigned i;
	for (i = from; i < hc_n_rows && i - from < HC_TEL_PAGE; i++) {
		const struct hc_tel_row *r = &hc_rows[i];
		struct rte_tel_data *e = rte_tel_data_alloc();
		if (e == NULL)
			break;
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "service", r->service);
		rte_tel_data_add_dict_string(e, "address", r->address);
		rte_tel_data_add_dict_u64(e, "port", r->port);
		rte_tel_data_add_dict_string(e, "target", r->target);
		rte_tel_data_add_dict_string(e, "check", r->check);
		rte_tel_data_add_dict_string(e, "state", r->up ? "up" : "down");
		rte_tel_data_add_dict_int(e, "weight", r->weight);
		rte_tel_data_add_dict_string(e, "last", r->last);
		rte_tel_data_add_dict_string(e, "last_failure", r->last_failure);
		rte_tel_data_add_dict_u64(e, "latency_ms", (r->latency_us + 500) / 1000);
		rte_tel_data_add_dict_u64(e, "latency_us", r->latency_us);
		rte_tel_data_add_dict_u64(e, "consecutive_failures", r->fails);
		rte_tel_data_add_dict_u64(e, "checks", r->runs);
		rte_tel_data_add_dict_u64(e, "failures", r->failures);
		rte_tel_data_add_dict_u64(e, "transitions_up", r->n_up);
		rte_tel_data_add_dict_u64(e, "transitions_down", r->n_down);
		rte_tel_data_add_dict_container(d, r->key, e, 0);
	}
	if (i < hc_n_rows)
		rte_tel_data_add_dict_u64(d, "next", i);
	pthread_mutex_unlock(&hc_mu);
	return 0;
}

static int hc_tel_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char k[48];
	unsigned up = 0;
	(void)cmd;

	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&hc_mu);
	for (unsigned i = 0; i < hc_n_rows; i++)
		up += hc_rows[i].up;
	rte_tel_data_add_dict_u64(d, "checks", hc_n_rows);
	rte_tel_data_add_dict_u64(d, "up", up);
	rte_tel_data_add_dict_u64(d, "down", hc_n_rows - up);
	rte_tel_data_add_dict_u64(d, "runs", hc_tot.runs);
	rte_tel_data_add_dict_u64(d, "inflight", hc_tot.inflight);
	rte_tel_data_add_dict_u64(d, "max_inflight", hc_tot.max_inflight);
	rte_tel_data_add_dict_u64(d, "drift_samples", hc_tot.drift.n);
	rte_tel_data_add_dict_u64(d, "drift_mean_us",
				  hc_tot.drift.n ? hc_tot.drift.sum_us / hc_tot.drift.n : 0);
	rte_tel_data_add_dict_u64(d, "drift_p50_us", hc_drift_quantile(&hc_tot.drift, 0.50));
	rte_tel_data_add_dict_u64(d, "drift_p99_us", hc_drift_quantile(&hc_tot.drift, 0.99));
	rte_tel_data_add_dict_u64(d, "drift_p999_us", hc_drift_quantile(&hc_tot.drift, 0.999));
	rte_tel_data_add_dict_u64(d, "drift_max_us", hc_tot.drift.max_us);
	for (unsigned r = 0; r < HC_R_MAX; r++) {
		snprintf(k, sizeof(k), "result_%s", hc_result_key(r));
		rte_tel_data_add_dict_u64(d, k, hc_tot.results[r]);
	}
	for (unsigned c = 0; c < HC_TEL_CTR_MAX; c++)
		rte_tel_data_add_dict_u64(d, hc_ctr_keys[c], hc_tot.ctr[c]);
	if (params && strcmp(params, "reset") == 0) {
		/* What was read is the old window; the next read starts from here. */
		hc_drift_reset(&hc_tot.drift);
		hc_tot.max_inflight = hc_tot.inflight;
	}
	pthread_mutex_unlock(&hc_mu);
	return 0;
}

int hc_tel_start(unsigned n)
{
	struct hc_tel_row *rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&hc_mu);
	free(hc_rows);
	hc_rows = rows;
	hc_n_rows = n;
	memset(&hc_tot, 0, sizeof(hc_tot));
	pthread_mutex_unlock(&hc_mu);
	if (!hc_registered) {
		/* Commands cannot be unregistered: once is for the life of the process. */
		int rc = rte_telemetry_register_cmd("/vipd/checks", hc_tel_checks,
						    "Health checks per real server. Param: first index");
		rc |= rte_telemetry_register_cmd("/vipd/checks_summary", hc_tel_summary,
						 "Health check totals and start drift. Param: reset");
		if (rc)
			VLOG_WARN("health checks: telemetry commands not registered");
		hc_registered = true;
	}
	return 0;
}

void hc_tel_stop(void)
{
	pthread_mutex_lock(&hc_mu);
	free(hc_rows);
	hc_rows = NULL;
	hc_n_rows = 0;
	pthread_mutex_unlock(&hc_mu);
}
