/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc: health checks of the real servers (keepalived's checkers), run on the
 * control core's libevent loop.
 *
 * Owns: one checker per real server that has a check group (HTTP_GET,
 * SSL_GET, TCP_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK), their schedule and
 * verdicts, the notify/quorum scripts and email alerts those verdicts
 * trigger, and the /vipd/checks and /vipd/checks_summary telemetry commands.
 * Verdicts go to the model (model_set_rs_health), which owns what the
 * workers see.
 *
 * Threading: control core only (never blocks: every socket is non-blocking
 * and every wait a libevent event). Telemetry callbacks on DPDK's threads
 * read a copy of the check state under a mutex (hc_tel.c).
 */
#ifndef VIPD_HC_H
#define VIPD_HC_H

struct event_base;
struct vipd_conf;

/*
 * Start a checker for every checked real server of c (the running
 * configuration, owned by the model; it must outlive hc_module_stop()).
 * Needs script_init() and alert_init() done. Returns 0 or -errno.
 */
int hc_module_start(struct event_base *base, const struct vipd_conf *c);
/* Stop every checker; with omega, run the down notifiers of what is up. */
void hc_module_stop(void);
/*
 * The model moved from old to new (reload, vipctl edit; ctrl/vipd.c): a real
 * server that keeps its service, address, port and check keeps its checker
 * with its state, counters and schedule; other checkers stop or start (new
 * ones spread over their warmup, starting from the model's verdict). A real
 * server that lost its check is up again. old stays valid until shutdown.
 * 0 or -errno (then the old checks keep running against old).
 */
int hc_module_reload(struct event_base *base, const struct vipd_conf *old,
		     const struct vipd_conf *new);

#endif
