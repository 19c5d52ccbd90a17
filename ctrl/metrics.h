/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: the Prometheus text endpoint (GET /metrics) on
 * global.metrics_listen, served by libevent's evhttp on the control core.
 * Off when metrics_listen is empty.
 *
 * Threading: control core only; reads the snapshot it publishes and the
 * per-lcore counters (plain loads).
 */
#ifndef VIPD_METRICS_H
#define VIPD_METRICS_H

struct event_base;
struct vipd_conf;

int metrics_module_start(struct event_base *base, const struct vipd_conf *c);
void metrics_module_stop(void);
/* A changed metrics_listen moves the endpoint. */
int metrics_module_reload(struct event_base *base, const struct vipd_conf *old,
			  const struct vipd_conf *new);

#endif
