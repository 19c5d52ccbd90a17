/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_script: keepalived's vrrp_script, run on the control core's loop.
 *
 * One runner per configured script that an instance tracks (an unused one
 * is not run). A persistent libevent timer ticks every `interval`; each tick
 * starts the command through script_run() (no shell, the script's timeout;
 * the first run at once), unless the previous run is still going: one run
 * at a time, a tick that finds it busy is skipped (keepalived: "skipping
 * run"), never queued. Nothing here waits: script_run() calls back from the
 * loop when the child has exited or was killed at its timeout.
 *
 * A result is the exit status: 0 is a success; any other status, a signal,
 * a timeout, or a program that cannot be executed is a failure. Results go
 * through rise/fall (vrrp_script_result() in vrrp_fsm.h: the first result
 * decides, then `rise` successes / `fall` failures in a row); a change of
 * OK/KO is logged and reported through the owner's callback.
 *
 * Threading: control core only.
 */
#ifndef VIPD_VRRP_SCRIPT_H
#define VIPD_VRRP_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vrrp/vrrp_fsm.h"

struct event;
struct event_base;
struct conf_vrrp_script;
struct vrrp_script_run;

typedef void (*vrrp_script_changed_fn)(void *arg, struct vrrp_script_run *r);

struct vrrp_script_run {
	const struct conf_vrrp_script *cs; /* in the configuration VRRP runs */
	unsigned idx;                      /* index in vipd_conf.vrrp_scripts */
	struct vrrp_script_state st;
	struct event *timer;
	vrrp_script_changed_fn changed;
	void *arg;
	bool busy;                 /* a run is going */
	bool orphan;               /* freed while busy: free when it ends */
	int last_status;           /* as script_done_fn reports it; 0 before any */
	uint64_t runs, failures, timeouts, skipped;
	time_t last_change;        /* wall clock of the last OK/KO change, 0 = none */
};

struct vrrp_script_run *vrrp_script_new(struct event_base *base,
					const struct conf_vrrp_script *cs, unsigned idx,
					vrrp_script_changed_fn changed, void *arg);
/* First run now, then every interval; -errno if the timer cannot be armed. */
int vrrp_script_start(struct vrrp_script_run *r);
/* Stop the timer; freed now, or when its running child ends (no callback). */
void vrrp_script_free(struct vrrp_script_run *r);
/* "exit status 1", "timed out", "cannot run: ..." for logs. */
const char *vrrp_script_status_text(int status, char *buf, unsigned len);

#endif
