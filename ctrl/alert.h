/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * alert: email alerts to global.notification_email through global.smtp_server,
 * as keepalived sends them. SMTP is spoken asynchronously on the libevent
 * loop with smtp_connect_timeout; a down SMTP server costs a log line and a
 * counter, nothing else, and never delays a check or VRRP.
 *
 * Threading: control core only.
 */
#ifndef VIPD_ALERT_H
#define VIPD_ALERT_H

#include <stdint.h>

struct event_base;
struct conf_global;
struct vipd_conf;

/* Emails waiting for a connection; beyond it the oldest waiting one is dropped. */
#define ALERT_QUEUE_MAX 64
/* Connections at once (one per email). */
#define ALERT_MAX_INFLIGHT 4
/* Shutdown: how long alert_module_stop lets the last emails go out. */
#define ALERT_STOP_WAIT_S 3

int alert_init(struct event_base *base, const struct conf_global *g);
/* Queue one email to every notification_email address; no-op without smtp_server. */
void alert_send(const char *subject, const char *body);
/* Sent, failed (for telemetry and tests). */
void alert_counters(uint64_t *sent, uint64_t *failed);
/* Abort connections, drop what is waiting (counted as failed and dropped). */
void alert_stop(void);

struct alert_stats {
	uint64_t sent;
	uint64_t failed;         /* every email not sent, whatever the reason below */
	uint64_t dropped;        /* queue full, or still waiting at alert_stop */
	uint64_t connect_errors; /* refused, unreachable, no socket */
	uint64_t timeouts;       /* connect or a reply took over smtp_connect_timeout */
	uint64_t bad_replies;    /* unexpected reply code or not SMTP */
	uint64_t closed;         /* the server closed or reset the connection */
	uint64_t no_memory;
	uint64_t rcpt_rejected;  /* recipients refused (the email still goes to the others) */
	uint64_t queued;         /* now: waiting */
	uint64_t inflight;       /* now: connections */
};
void alert_get_stats(struct alert_stats *out);
/* Emails waiting or being sent. */
unsigned alert_pending(void);
/*
 * Run the loop until every email is sent or has failed, or max_s has passed
 * (shutdown, tests, tools). 0 or -ETIMEDOUT. Not from inside the loop.
 */
int alert_drain(double max_s);

/* vipd module (ctrl/vipd.c): alert_init(global); stop = alert_drain + alert_stop. */
int alert_module_start(struct event_base *base, const struct vipd_conf *c);
void alert_module_stop(void);

#endif
