/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_notify.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctrl/alert.h"
#include "ctrl/log.h"
#include "ctrl/script.h"

struct job {
	const char *cmd;       /* points into the config */
	bool args;             /* the generic notify: INSTANCE|GROUP name STATE prio */
	char state[8];
	char prio[4];
};

/* What an instance and a group have in common; strings point into the config. */
struct notify_cfg {
	bool group;
	const char *name;
	uint8_t vrid;          /* 0 for a group */
	const char *master, *backup, *fault, *stop, *notify;
	bool smtp_alert;
};

struct vrrp_notifier {
	struct notify_cfg v;
	char router_id[CONF_NAME_MAX];
	struct job q[VRRP_NOTIFY_QUEUE];
	unsigned head, n;
	bool busy;     /* a script of this instance runs */
	bool orphan;   /* the instance is gone: free when the script ends */
};

static struct vrrp_notifier *notifier(const struct notify_cfg *v, const char *router_id)
{
	struct vrrp_notifier *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->v = *v;
	snprintf(n->router_id, sizeof(n->router_id), "%s", router_id);
	return n;
}

struct vrrp_notifier *vrrp_notify_new(const struct conf_vrrp *v, const char *router_id)
{
	struct notify_cfg c = { false, v->name, v->vrid, v->notify_master, v->notify_backup,
				v->notify_fault, v->notify_stop, v->notify, v->smtp_alert };
	return notifier(&c, router_id);
}

struct vrrp_notifier *vrrp_notify_new_group(const struct conf_vrrp_group *g,
					    const char *router_id)
{
	struct notify_cfg c = { true, g->name, 0, g->notify_master, g->notify_backup,
				g->notify_fault, g->notify_stop, g->notify, g->smtp_alert };
	return notifier(&c, router_id);
}

static const char *what(const struct vrrp_notifier *n)
{
	return n->v.group ? "VRRP group" : "VRRP";
}

static void run_next(struct vrrp_notifier *n);

static void done(void *arg, int status)
{
	struct vrrp_notifier *n = arg;
	n->busy = false;
	if (status != 0 && !n->orphan)
		VLOG_WARN("%s %s: notify script ended with %d", what(n), n->v.name, status);
	if (n->orphan) {
		free(n);
		return;
	}
	run_next(n);
}

static int start(struct vrrp_notifier *n, const struct job *j, script_done_fn cb)
{
	const char *extra[4] = { n->v.group ? "GROUP" : "INSTANCE", n->v.name, j->state, j->prio };
	int rc = script_run(j->cmd, j->args ? extra : NULL, j->args ? 4 : 0,
			    VRRP_NOTIFY_TIMEOUT_S, cb, cb ? n : NULL);
	if (rc)
		VLOG_WARN("%s %s: cannot run '%s': %s", what(n), n->v.name, j->cmd, strerror(-rc));
	return rc;
}

static void run_next(struct vrrp_notifier *n)
{
	while (!n->busy && n->n) {
		struct job j = n->q[n->head];
		n->head = (n->head + 1) % VRRP_NOTIFY_QUEUE;
		n->n--;
		if (start(n, &j, done) == 0)
			n->busy = true;
	}
}

static void push(struct vrrp_notifier *n, const char *cmd, bool args, const char *state,
		 uint8_t prio)
{
	if (cmd[0] == '\0')
		return;
	if (n->n == VRRP_NOTIFY_QUEUE) {
		VLOG_WARN("%s %s: %u notify scripts pending; '%s' for %s not run", what(n),
			  n->v.name, n->n, cmd, state);
		return;
	}
	struct job *j = &n->q[(n->head + n->n) % VRRP_NOTIFY_QUEUE];
	j->cmd = cmd;
	j->args = args;
	snprintf(j->state, sizeof(j->state), "%s", state);
	snprintf(j->prio, sizeof(j->prio), "%u", prio);
	n->n++;
}

static void email(struct vrrp_notifier *n, const char *state, uint8_t prio, const char *reason)
{
	char subject[CONF_NAME_MAX * 2 + 64], body[512];
	const char *owning = strcmp(state, "MASTER") == 0 ? "now" : "no longer";
	if (n->v.group) {
		/* keepalived's group alert */
		snprintf(subject, sizeof(subject), "[%s] VRRP Group %s - Entering %s state",
			 n->router_id, n->v.name, state);
		snprintf(body, sizeof(body),
			 "=> All VRRP group instances are now in %s state <=\n\n"
			 "group: %s\nstate: %s\nreason: %s\n",
			 state, n->v.name, state, reason);
	} else {
		snprintf(subject, sizeof(subject), "[%s] VRRP Instance %s - Entering %s state",
			 n->router_id, n->v.name, state);
		snprintf(body, sizeof(body),
			 "=> VRRP Instance is %s owning VRRP VIPs <=\n\n"
			 "instance: %s\nvirtual_router_id: %u\nstate: %s\npriority: %u\nreason: %s\n",
			 owning, n->v.name, n->v.vrid, state, prio, reason);
	}
	alert_send(subject, body);
}

void vrrp_notify_state(struct vrrp_notifier *n, const char *state, uint8_t prio,
		       const char *reason)
{
	const struct notify_cfg *v = &n->v;
	const char *specific = strcmp(state, "MASTER") == 0   ? v->master
			       : strcmp(state, "BACKUP") == 0 ? v->backup
			       : strcmp(state, "FAULT") == 0  ? v->fault
							      : v->stop;
	if (v->smtp_alert)
		email(n, state, prio, reason);
	if (strcmp(state, "STOP") == 0) {
		/* vipd exits right after: start them now, unordered, unwatched. */
		struct job j = { .cmd = specific, .args = false };
		snprintf(j.state, sizeof(j.state), "%s", state);
		snprintf(j.prio, sizeof(j.prio), "%u", prio);
		if (specific[0])
			start(n, &j, NULL);
		j.cmd = v->notify;
		j.args = true;
		if (v->notify[0])
			start(n, &j, NULL);
		return;
	}
	push(n, specific, false, state, prio);
	push(n, v->notify, true, state, prio);
	run_next(n);
}

void vrrp_notify_free(struct vrrp_notifier *n)
{
	if (n == NULL)
		return;
	if (n->busy)
		n->orphan = true;
	else
		free(n);
}
