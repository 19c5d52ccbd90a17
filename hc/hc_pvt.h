/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_pvt: what the health-check files share: the per-check record, the
 * checker operations, and the calls between scheduler, connection helper,
 * checkers, apply glue and telemetry.
 *
 * A check is either idle (its timer is the next run) or running (its timer
 * is the deadline of the current phase). A checker starts a run with
 * ops->start() and ends it exactly once with hc_ok()/hc_fail(); the
 * scheduler then calls ops->cleanup() and hc_conn_close(), so a checker
 * never frees its sockets itself. On a deadline the scheduler ends the run
 * with the phase's timeout reason.
 *
 * Threading: control core only.
 */
#ifndef VIPD_HC_PVT_H
#define VIPD_HC_PVT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "conf/conf.h"
#include "hc/hc_fsm.h"
#include "hc/hc_result.h"

struct event;
struct event_base;
struct bufferevent;

enum hc_phase {
	HC_PH_IDLE = 0,
	HC_PH_CONNECT,  /* TCP connect in progress: deadline = connect_timeout */
	HC_PH_TLS,      /* TLS handshake: deadline = connect_timeout */
	HC_PH_EXCHANGE, /* request sent, reading the answer: deadline = connect_timeout */
	HC_PH_SCRIPT,   /* MISC_CHECK child running: the script module times it out */
};

struct hc_check;

struct hc_ops {
	enum conf_check_type type;
	void (*start)(struct hc_check *ck);
	/* Free the checker's per-run state (ck->run); may be called twice. */
	void (*cleanup)(struct hc_check *ck);
};

typedef void (*hc_connected_fn)(struct hc_check *ck);

struct hc_check {
	unsigned idx;                  /* in the module's table = telemetry row */
	unsigned vs, rs;               /* config indexes, as model_set_rs_health() takes them */
	const struct conf_vs *cvs;
	const struct conf_rs *crs;
	const struct conf_check *cc;
	const struct hc_ops *ops;
	struct sockaddr_in dst;        /* connect_ip:connect_port or the real server */
	struct sockaddr_in src;        /* bindto or the port's address; 0 = kernel's choice */
	struct hc_fsm fsm;
	struct hc_fsm_cfg fcfg;
	struct event *timer;           /* idle: next run; running: phase deadline */
	enum hc_phase phase;
	uint64_t planned_ns;           /* when the next/current run was due */
	uint64_t started_ns;           /* when the current run began */
	uint64_t runs_started;
	int fd;                        /* socket before a bufferevent owns it, else -1 */
	struct event *io;              /* fd's event while connecting / DNS */
	struct bufferevent *bev;
	hc_connected_fn on_connected;
	void *run;                     /* the checker's per-run state */
	unsigned url;                  /* HTTP: the url being fetched */
	bool running;
	int weight;                    /* weight in force (misc_dynamic changes it) */
	int new_weight;                /* set by the run: -1 = configured, -2 = unchanged */
	struct hc_outcome out;
	char rs_label[32];             /* "10.99.0.11:80" */
	char svc_label[48];            /* "10.99.0.100:80/TCP" */
};

/* hc_sched.c */
extern struct event_base *hc_base;
uint64_t hc_now_ns(void);
/* (Re)arm the running check's deadline secs from now, for phase ph. */
void hc_deadline(struct hc_check *ck, enum hc_phase ph, double secs);
uint32_t hc_rand32(void);
/* End the running check: up, or down for reason r (detail, text may be NULL). */
void hc_ok(struct hc_check *ck);
void hc_fail(struct hc_check *ck, enum hc_result r, int detail, const char *text);

/* The module's table of checks (hc_sched.c), for hc_reload.c. */
bool hc_check_wanted(const struct conf_rs *rs);
/* A new idle check of real server rs of service vs of c (not armed), or NULL. */
struct hc_check *hc_check_new(const struct vipd_conf *c, unsigned vs, unsigned rs);
/* Point a kept check at its place in a new configuration. */
void hc_check_bind(struct hc_check *ck, const struct vipd_conf *c, unsigned vs, unsigned rs);
void hc_check_free(struct hc_check *ck);
/* First runs of new checks: spread over each one's warmup window. */
void hc_check_arm_first(struct hc_check **cks, unsigned n);
/* An empty table for c's checked real servers (*n of them), or NULL. */
struct hc_check **hc_table_alloc(const struct vipd_conf *c, unsigned *n);
void hc_table_get(struct hc_check ***cks, unsigned *n);
/* Install cks (renumbered) for c; returns the previous table for the caller to free. */
void hc_table_swap(struct hc_check **cks, unsigned n, const struct vipd_conf *c,
		   struct hc_check ***old, unsigned *n_old);

/* hc_conn.c */
int hc_tls_init(void);
void hc_tls_fini(void);
/*
 * Non-blocking socket of type (SOCK_STREAM/SOCK_DGRAM) from ck->src
 * connected to ck->dst; a stream's connect completes later. Returns the fd,
 * or -1 after ending the run with the reason.
 */
int hc_sock_open(struct hc_check *ck, int type);
/* TCP connect within connect_timeout, then cb(ck) with ck->fd connected. */
void hc_conn_start(struct hc_check *ck, hc_connected_fn cb);
/*
 * Wrap the connected ck->fd in a bufferevent (TLS with SNI sni when tls;
 * "" = no SNI). The bufferevent owns the fd from then on. 0 or -1 after
 * ending the run.
 */
int hc_conn_bev(struct hc_check *ck, bool tls, const char *sni, void (*readcb)(struct bufferevent *, void *),
		void (*eventcb)(struct bufferevent *, short, void *));
/* End of a bufferevent-level error: the reason for what (events) happened in phase. */
void hc_conn_bev_error(struct hc_check *ck, short events);
/* Close whatever socket/bufferevent/event the run holds. */
void hc_conn_close(struct hc_check *ck);

/* Checkers */
extern const struct hc_ops hc_tcp_ops, hc_http_ops, hc_ssl_ops, hc_misc_ops, hc_smtp_ops,
	hc_dns_ops;
/* MISC_CHECK: forget a check whose script is still running (shutdown). */
void hc_misc_detach(struct hc_check *ck);

/* hc_apply.c: what a verdict changes, and omega. */
void hc_apply_verdict(struct hc_check *ck, bool up, const char *reason);
void hc_apply_weight(struct hc_check *ck, int weight);
void hc_apply_omega(const struct vipd_conf *c);

/* hc_tel.c: the telemetry copy of the checks (under its mutex). */
enum hc_tel_ctr {
	HC_TEL_UP,             /* transitions to up */
	HC_TEL_DOWN,           /* transitions to down */
	HC_TEL_QUORUM_LOST,
	HC_TEL_QUORUM_GAINED,
	HC_TEL_MODEL_ERROR,    /* model_set_rs_health() refused a verdict */
	HC_TEL_WEIGHT_SET,     /* misc_dynamic weight changes applied */
	HC_TEL_WEIGHT_UNSUPPORTED, /* ... not applied: the model cannot set weights */
	HC_TEL_SCRIPT_STARTED, /* notify/quorum scripts */
	HC_TEL_SCRIPT_FAILED,  /* ... that could not be started */
	HC_TEL_ALERTS,         /* emails queued through alert_send() */
	HC_TEL_LATE_CALLBACK,  /* script results of runs that had ended (timeouts, shutdown) */
	HC_TEL_CTR_MAX
};
int hc_tel_start(unsigned n);
/* Rows for a new table of n checks (reload), or NULL. */
void *hc_tel_rows_alloc(unsigned n);
/*
 * The table changed to cks (renumbered): rows (from hc_tel_rows_alloc)
 * replace the old ones; cks[i] keeps old row from[i] when from[i] >= 0, the
 * others start afresh. Totals stay.
 */
void hc_tel_remap(void *rows, struct hc_check **cks, unsigned n, const int *from);
void hc_tel_row_init(const struct hc_check *ck);
void hc_tel_run_start(uint64_t drift_us, unsigned inflight);
void hc_tel_run_end(const struct hc_check *ck, const char *reason, uint64_t latency_us,
		    unsigned inflight);
void hc_tel_weight(const struct hc_check *ck, int weight);
void hc_tel_count(enum hc_tel_ctr c);
void hc_tel_stop(void);

#endif
