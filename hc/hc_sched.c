/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_sched: the health-check module: one record and one libevent timer per
 * checked real server, the warmup spread, running a check and feeding its
 * outcome to the state machine, and scheduling the next run.
 *
 * The next run is planned from the end of the previous one (keepalived's
 * semantics: delay_loop or delay_before_retry after the run ended), and the
 * lateness of every start against its plan is recorded (drift): it is the
 * measure of whether the one control core keeps up.
 */
#include "hc/hc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "ctrl/log.h"
#include "hc/hc_pvt.h"

struct event_base *hc_base;
static const struct vipd_conf *hc_conf;
static struct hc_check **hc_checks; /* one allocation each: callbacks hold the pointer */
static unsigned hc_n;
static unsigned hc_inflight;
static uint64_t hc_rng_state;

uint64_t hc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * HC_NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint32_t hc_rand32(void)
{
	uint64_t x = hc_rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	hc_rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static const struct hc_ops *hc_ops_for(enum conf_check_type t)
{
	switch (t) {
	case CONF_CHECK_HTTP_GET:
		return &hc_http_ops;
	case CONF_CHECK_SSL_GET:
		return &hc_ssl_ops;
	case CONF_CHECK_TCP:
		return &hc_tcp_ops;
	case CONF_CHECK_MISC:
		return &hc_misc_ops;
	case CONF_CHECK_SMTP:
		return &hc_smtp_ops;
	case CONF_CHECK_DNS:
		return &hc_dns_ops;
	default:
		return NULL;
	}
}

static struct timeval hc_tv(uint64_t ns)
{
	struct timeval tv = { (time_t)(ns / HC_NS_PER_S), (suseconds_t)(ns % HC_NS_PER_S / 1000) };
	return tv;
}

static void hc_arm_at(struct hc_check *ck, uint64_t due_ns)
{
	uint64_t now = hc_now_ns();
	struct timeval tv = hc_tv(due_ns > now ? due_ns - now : 0);
	evtimer_add(ck->timer, &tv);
}

void hc_deadline(struct hc_check *ck, enum hc_phase ph, double secs)
{
	ck->phase = ph;
	struct timeval tv = hc_tv(hc_fsm_ns(secs));
	evtimer_add(ck->timer, &tv);
}

static double hc_phase_timeout(const struct hc_check *ck)
{
	return ck->phase == HC_PH_SCRIPT ? ck->cc->misc_timeout : ck->cc->connect_timeout;
}

/* The run is over (ck->out says how): clean up, decide, plan the next one. */
static void hc_finish(struct hc_check *ck)
{
	char reason[160];
	uint64_t now = hc_now_ns();
	uint64_t next;

	if (!ck->running)
		return; /* a second end of the same run: the first one counted */
	ck->running = false;
	evtimer_del(ck->timer);
	ck->ops->cleanup(ck);
	hc_conn_close(ck);
	double timeout = hc_phase_timeout(ck);
	ck->phase = HC_PH_IDLE;
	hc_inflight--;

	bool ok = ck->out.r == HC_R_OK;
	hc_outcome_format(&ck->out, timeout, reason, sizeof(reason));
	enum hc_fsm_ev ev = hc_fsm_feed(&ck->fsm, &ck->fcfg, ok, now, &next);
	hc_tel_run_end(ck, reason, (now - ck->started_ns) / 1000, hc_inflight);
	if (!ok)
		VLOG_DEBUG("check %s of realserver %s of %s failed (%u in a row): %s",
			   conf_check_name(ck->cc->type), ck->rs_label, ck->svc_label,
			   ck->fsm.fails, reason);
	if (ev != HC_FSM_NONE)
		hc_apply_verdict(ck, ev == HC_FSM_UP, reason);
	if (ok && ck->new_weight != -2)
		hc_apply_weight(ck, ck->new_weight);
	ck->planned_ns = next;
	hc_arm_at(ck, next);
}

void hc_ok(struct hc_check *ck)
{
	ck->out.r = HC_R_OK;
	hc_finish(ck);
}

void hc_fail(struct hc_check *ck, enum hc_result r, int detail, const char *text)
{
	ck->out.r = r == HC_R_OK ? HC_R_IO_ERROR : r;
	ck->out.detail = detail;
	snprintf(ck->out.text, sizeof(ck->out.text), "%s", text ? text : "");
	hc_finish(ck);
}

static void hc_run(struct hc_check *ck)
{
	uint64_t now = hc_now_ns();
	/* libevent's clock may be coarser than ours: an early firing is no drift */
	uint64_t drift_us = now > ck->planned_ns ? (now - ck->planned_ns) / 1000 : 0;

	ck->running = true;
	ck->started_ns = now;
	ck->runs_started++;
	ck->url = 0;
	ck->new_weight = -2;
	memset(&ck->out, 0, sizeof(ck->out));
	hc_inflight++;
	hc_tel_run_start(drift_us, hc_inflight);
	ck->ops->start(ck);
}

static void hc_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hc_check *ck = arg;
	(void)fd;
	(void)what;

	if (!ck->running) {
		hc_run(ck);
		return;
	}
	switch (ck->phase) {
	case HC_PH_CONNECT:
		hc_fail(ck, HC_R_CONNECT_TIMEOUT, 0, NULL);
		break;
	case HC_PH_TLS:
		hc_fail(ck, HC_R_TLS_TIMEOUT, 0, NULL);
		break;
	case HC_PH_SCRIPT:
		hc_fail(ck, HC_R_SCRIPT_TIMEOUT, 0, "no result from the script module");
		break;
	default:
		hc_fail(ck, HC_R_READ_TIMEOUT, 0, NULL);
		break;
	}
}

static void hc_labels(struct hc_check *ck)
{
	char a[INET_ADDRSTRLEN], v[INET_ADDRSTRLEN];
	struct in_addr ra = { ck->crs->addr }, va = { ck->cvs->addr };

	inet_ntop(AF_INET, &ra, a, sizeof(a));
	inet_ntop(AF_INET, &va, v, sizeof(v));
	snprintf(ck->rs_label, sizeof(ck->rs_label), "%s:%u", a, ck->crs->port);
	snprintf(ck->svc_label, sizeof(ck->svc_label), "%s:%u/%s", v, ck->cvs->port,
		 ck->cvs->proto == IPPROTO_TCP ? "TCP" : "UDP");
}

void hc_check_bind(struct hc_check *ck, const struct vipd_conf *c, unsigned vs, unsigned rs)
{
	ck->vs = vs;
	ck->rs = rs;
	ck->cvs = &c->vs[vs];
	ck->crs = &c->vs[vs].rs[rs];
	ck->cc = &ck->crs->check;
}

struct hc_check *hc_check_new(const struct vipd_conf *c, unsigned vs, unsigned rs)
{
	struct hc_check *ck = calloc(1, sizeof(*ck));
	if (ck == NULL)
		return NULL;
	hc_check_bind(ck, c, vs, rs);
	ck->timer = evtimer_new(hc_base, hc_on_timer, ck);
	if (ck->timer == NULL) {
		free(ck);
		return NULL;
	}
	const struct conf_check *cc = ck->cc;
	uint32_t dst = cc->connect_ip ? cc->connect_ip : ck->crs->addr;
	uint16_t port = cc->connect_port ? cc->connect_port : ck->crs->port;

	ck->ops = hc_ops_for(cc->type);
	ck->fd = -1;
	ck->weight = (int)ck->crs->weight;
	ck->dst.sin_family = AF_INET;
	ck->dst.sin_addr.s_addr = dst;
	ck->dst.sin_port = htons(port);
	ck->src.sin_family = AF_INET;
	if (cc->bindto) {
		ck->src.sin_addr.s_addr = cc->bindto;
	} else {
		/* The director's address on the port that reaches the target: through its TAP twin. */
		int pi = conf_port_for_addr(c, dst);
		ck->src.sin_addr.s_addr = pi >= 0 ? c->ports[pi].addr : 0;
	}
	ck->fcfg.delay_loop_ns = hc_fsm_ns(cc->delay_loop);
	ck->fcfg.delay_before_retry_ns = hc_fsm_ns(cc->delay_before_retry);
	ck->fcfg.retry = cc->retry;
	hc_fsm_init(&ck->fsm, ck->cvs->alpha);
	hc_labels(ck);
	return ck;
}

void hc_check_free(struct hc_check *ck)
{
	if (ck->running) {
		ck->ops->cleanup(ck);
		hc_conn_close(ck);
		ck->running = false;
		hc_inflight--;
	}
	event_free(ck->timer);
	free(ck);
}

void hc_check_arm_first(struct hc_check **cks, unsigned n)
{
	double *win = calloc(n + 1, sizeof(double));
	double *off = calloc(n + 1, sizeof(double));
	uint64_t now = hc_now_ns();

	for (unsigned i = 0; win && i < n; i++)
		win[i] = cks[i]->cc->warmup >= 0 ? cks[i]->cc->warmup : cks[i]->cc->delay_loop;
	if (win && off)
		hc_fsm_spread(win, off, n, hc_rng_state ^ now);
	for (unsigned i = 0; i < n; i++) {
		/* Without memory for the spread: keepalived's plain random draw. */
		double o = off ? off[i] : cks[i]->cc->delay_loop * (hc_rand32() / 4294967296.0);
		cks[i]->planned_ns = now + hc_fsm_ns(o);
		hc_arm_at(cks[i], cks[i]->planned_ns);
	}
	free(win);
	free(off);
}

void hc_table_swap(struct hc_check **cks, unsigned n, const struct vipd_conf *c,
		   struct hc_check ***old, unsigned *n_old)
{
	*old = hc_checks;
	*n_old = hc_n;
	hc_checks = cks;
	hc_n = n;
	hc_conf = c;
	for (unsigned i = 0; i < n; i++)
		cks[i]->idx = i;
}

void hc_table_get(struct hc_check ***cks, unsigned *n)
{
	*cks = hc_checks;
	*n = hc_n;
}

static void hc_free_all(void)
{
	for (unsigned i = 0; i < hc_n; i++)
		hc_check_free(hc_checks[i]);
	free(hc_checks);
	hc_checks = NULL;
	hc_n = 0;
	hc_inflight = 0;
}

bool hc_check_wanted(const struct conf_rs *rs)
{
	return hc_ops_for(rs->check.type) != NULL;
}

struct hc_check **hc_table_alloc(const struct vipd_conf *c, unsigned *n_out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_vs; i++)
		for (unsigned j = 0; j < c->vs[i].n_rs; j++)
			n += hc_check_wanted(&c->vs[i].rs[j]);
	*n_out = n;
	return calloc(n + 1, sizeof(struct hc_check *));
}

static void hc_log_started(const char *what, struct hc_check **cks, unsigned n)
{
	unsigned by_type[CONF_CHECK_DNS + 1] = { 0 };
	for (unsigned i = 0; i < n; i++)
		by_type[cks[i]->cc->type]++;
	VLOG_NOTICE("health checks %s: %u real servers (HTTP_GET %u, SSL_GET %u, TCP_CHECK %u, "
		    "MISC_CHECK %u, SMTP_CHECK %u, DNS_CHECK %u)", what, n,
		    by_type[CONF_CHECK_HTTP_GET], by_type[CONF_CHECK_SSL_GET],
		    by_type[CONF_CHECK_TCP], by_type[CONF_CHECK_MISC], by_type[CONF_CHECK_SMTP],
		    by_type[CONF_CHECK_DNS]);
}

int hc_module_start(struct event_base *base, const struct vipd_conf *c)
{
	unsigned n = 0, k = 0;
	bool tls = false;
	int rc = 0;

	hc_base = base;
	hc_rng_state = hc_now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
	struct hc_check **cks = hc_table_alloc(c, &n);
	if (cks == NULL)
		return -ENOMEM;
	for (unsigned i = 0; rc == 0 && i < c->n_vs; i++) {
		for (unsigned j = 0; rc == 0 && j < c->vs[i].n_rs; j++) {
			if (!hc_check_wanted(&c->vs[i].rs[j]))
				continue;
			if ((cks[k] = hc_check_new(c, i, j)) == NULL)
				rc = -ENOMEM;
			else
				tls |= cks[k++]->cc->type == CONF_CHECK_SSL_GET;
		}
	}
	if (rc == 0 && tls)
		rc = hc_tls_init();
	if (rc == 0)
		rc = hc_tel_start(n);
	if (rc) {
		for (unsigned i = 0; i < k; i++)
			hc_check_free(cks[i]);
		free(cks);
		hc_tls_fini();
		return rc;
	}
	struct hc_check **none;
	unsigned n_none;
	hc_table_swap(cks, n, c, &none, &n_none);
	for (unsigned i = 0; i < n; i++)
		hc_tel_row_init(cks[i]);
	hc_check_arm_first(cks, n);
	if (n)
		hc_log_started("started, first runs spread over their warmup", cks, n);
	else
		VLOG_INFO("health checks: none configured");
	return 0;
}

void hc_module_stop(void)
{
	if (hc_conf == NULL)
		return;
	/* Before the checks go: omega notifiers describe the state they leave behind. */
	hc_apply_omega(hc_conf);
	hc_free_all();
	hc_tel_stop();
	hc_tls_fini();
	hc_conf = NULL;
	hc_base = NULL;
}
