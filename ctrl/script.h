/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * script: notify scripts and MISC_CHECK programs, run as child processes
 * with a timeout and reaped from the libevent loop; never waited for.
 *
 * Threading: control core only.
 */
#ifndef VIPD_SCRIPT_H
#define VIPD_SCRIPT_H

struct event_base;

/*
 * status: the exit code (0..255); 128 + signal when killed by a signal;
 * -ETIMEDOUT when it ran past its timeout (it is then killed with SIGKILL);
 * -errno when it could not be started.
 */
typedef void (*script_done_fn)(void *arg, int status);

int script_init(struct event_base *base);
/*
 * Run cmdline, split into words as keepalived does (spaces; "..." and '...'
 * quote), with extra arguments appended, no shell. cb may be NULL. Returns
 * 0 once started, -errno otherwise (cb is then not called).
 */
int script_run(const char *cmdline, const char *const *extra, unsigned n_extra,
	       double timeout_s, script_done_fn cb, void *arg);
/* Children still running (for shutdown: wait for omega notifiers a little). */
unsigned script_running(void);
void script_stop(void);

#endif
