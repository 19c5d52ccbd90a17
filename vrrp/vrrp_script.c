/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "ctrl/log.h"
#include "ctrl/script.h"

static void tick(evutil_socket_t fd, short ev, void *arg);

struct vrrp_script_run *vrrp_script_new(struct event_base *base,
					const struct conf_vrrp_script *cs, unsigned idx,
					vrrp_script_changed_fn changed, void *arg)
{
	struct vrrp_script_run *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->cs = cs;
	r->idx = idx;
	r->changed = changed;
	r->arg = arg;
	vrrp_script_state_init(&r->st, cs->rise, cs->fall);
	r->timer = event_new(base, -1, EV_PERSIST, tick, r);
	if (r->timer == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

const char *vrrp_script_status_text(int status, char *buf, unsigned len)
{
	if (status == -ETIMEDOUT)
		snprintf(buf, len, "timed out");
	else if (status < 0)
		snprintf(buf, len, "cannot run: %s", strerror(-status));
	else
		snprintf(buf, len, "exit status %d", status);
	return buf;
}

static void done(void *arg, int status)
{
	struct vrrp_script_run *r = arg;
	char txt[96];

	r->busy = false;
	if (r->orphan) {
		free(r);
		return;
	}
	r->last_status = status;
	if (status != 0)
		r->failures++;
	if (status == -ETIMEDOUT)
		r->timeouts++;
	enum vrrp_script_status was = r->st.status;
	if (!vrrp_script_result(&r->st, status == 0))
		return;
	r->last_change = time(NULL);
	if (r->st.status == VRRP_SCRIPT_OK)
		VLOG_NOTICE("VRRP script %s: %s -> OK (%s)", r->cs->name,
			    vrrp_script_status_name(was), vrrp_script_status_text(status, txt, sizeof(txt)));
	else
		VLOG_WARN("VRRP script %s: %s -> KO (%s)", r->cs->name, vrrp_script_status_name(was),
			  vrrp_script_status_text(status, txt, sizeof(txt)));
	if (r->changed)
		r->changed(r->arg, r);
}

static void tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	struct vrrp_script_run *r = arg;

	if (r->busy) {
		/* keepalived: "Track script %s is already running, expect idle - skipping run" */
		if (r->skipped++ == 0)
			VLOG_WARN("VRRP script %s: still running after %g s: this run is skipped "
				  "(and counted as skipped)", r->cs->name, r->cs->interval);
		return;
	}
	r->runs++;
	int rc = script_run(r->cs->script, NULL, 0, r->cs->timeout, done, r);
	if (rc == 0) {
		r->busy = true;
		return;
	}
	/* Not started (bad command line, no memory): a failed run, now. */
	if (r->failures == 0)
		VLOG_WARN("VRRP script %s: cannot run '%s': %s", r->cs->name, r->cs->script,
			  strerror(-rc));
	r->busy = true;
	done(r, rc);
}

int vrrp_script_start(struct vrrp_script_run *r)
{
	struct timeval tv = { (time_t)r->cs->interval,
			      (suseconds_t)((r->cs->interval - (double)(time_t)r->cs->interval) * 1e6) };
	if (event_add(r->timer, &tv))
		return -ENOMEM;
	tick(-1, 0, r);
	return 0;
}

void vrrp_script_free(struct vrrp_script_run *r)
{
	if (r == NULL)
		return;
	event_free(r->timer);
	r->timer = NULL;
	if (r->busy)
		r->orphan = true; /* done() frees it */
	else
		free(r);
}
