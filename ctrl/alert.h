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

int alert_init(struct event_base *base, const struct conf_global *g);
/* Queue one email to every notification_email address; no-op without smtp_server. */
void alert_send(const char *subject, const char *body);
/* Sent, failed (for telemetry and tests). */
void alert_counters(uint64_t *sent, uint64_t *failed);
void alert_stop(void);

#endif
