/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_apply: what a checker's verdict changes.
 *
 * A verdict change goes to the model (which withdraws the real server from
 * scheduling on every worker, or sets weight 0 with inhibit_on_failure, and
 * handles quorum and sorry_server), then: one log line with the reason,
 * counters, notify_up/notify_down, and an email as keepalived words it. A
 * quorum change the model reports runs quorum_up/quorum_down, is logged and
 * mailed too. Scripts and mail are asynchronous (ctrl/script, ctrl/alert):
 * nothing here waits. omega: the down notifiers run at shutdown.
 *
 * Threading: control core only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctrl/alert.h"
#include "ctrl/log.h"
#include "ctrl/model.h"
#include "ctrl/script.h"
#include "hc/hc_pvt.h"

/* Long enough for a notifier's work, short enough that hung ones cannot pile up. */
#define HC_NOTIFY_TIMEOUT_S 30.0


static const char *hc_router_id(void)
{
	return model.conf && model.conf->global.router_id[0] ? model.conf->global.router_id : "vipd";
}

static void hc_script(const char *what, const char *cmd, const char *who)
{
	int rc = script_run(cmd, NULL, 0, HC_NOTIFY_TIMEOUT_S, NULL, NULL);
	if (rc < 0) {
		VLOG_ERR("%s of %s: cannot run '%s': %s", what, who, cmd, strerror(-rc));
		hc_tel_count(HC_TEL_SCRIPT_FAILED);
		return;
	}
	hc_tel_count(HC_TEL_SCRIPT_STARTED);
}

static void hc_alert(const char *subject, const char *body)
{
	alert_send(subject, body);
	hc_tel_count(HC_TEL_ALERTS);
}

/* keepalived's "[10.99.0.100]:80" */
static void hc_bracket(char *buf, size_t len, uint32_t addr, uint16_t port)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = { addr };
	inet_ntop(AF_INET, &in, a, sizeof(a));
	snprintf(buf, len, "[%s]:%u", a, port);
}

static void hc_quorum(const struct hc_check *ck, bool gained)
{
	const struct conf_vs *vs = ck->cvs;
	char vsb[40], sorry[48] = "", subject[192], body[256];

	if (vs->has_sorry) {
		char sb[40];
		hc_bracket(sb, sizeof(sb), vs->sorry_addr, vs->sorry_port);
		snprintf(sorry, sizeof(sorry), gained ? ", sorry server %s released" :
							", sorry server %s takes over", sb);
	}
	unsigned long long live = (unsigned long long)model_live_weight(ck->vs);
	VLOG_NOTICE("virtual server %s quorum %s: live weight %llu, quorum %u, hysteresis %u%s",
		    ck->svc_label, gained ? "GAINED" : "LOST", live, vs->quorum, vs->hysteresis,
		    sorry);
	hc_tel_count(gained ? HC_TEL_QUORUM_GAINED : HC_TEL_QUORUM_LOST);
	const char *cmd = gained ? vs->quorum_up : vs->quorum_down;
	if (*cmd)
		hc_script(gained ? "quorum_up" : "quorum_down", cmd, ck->svc_label);
	hc_bracket(vsb, sizeof(vsb), vs->addr, vs->port);
	snprintf(subject, sizeof(subject), "[%s] Virtualserver %s - %s", hc_router_id(), vsb,
		 gained ? "UP" : "DOWN");
	snprintf(body, sizeof(body), "=> %s quorum: live weight %llu, quorum %u, hysteresis %u%s <=\n",
		 gained ? "Gained" : "Lost", live, vs->quorum, vs->hysteresis, sorry);
	hc_alert(subject, body);
}

static void hc_model_result(const struct hc_check *ck, int rc, const char *what)
{
	if (rc < 0) {
		VLOG_ERR("realserver %s of %s: the model refused %s: %s", ck->rs_label,
			 ck->svc_label, what, strerror(-rc));
		hc_tel_count(HC_TEL_MODEL_ERROR);
	} else if (rc == MODEL_EV_QUORUM_LOST || rc == MODEL_EV_QUORUM_GAINED) {
		hc_quorum(ck, rc == MODEL_EV_QUORUM_GAINED);
	}
}

void hc_apply_verdict(struct hc_check *ck, bool up, const char *reason)
{
	char rsb[40], vsb[40], subject[192], body[256], ok[48];
	int rc = model_set_rs_health(ck->vs, ck->rs, up);

	if (up) {
		snprintf(ok, sizeof(ok), "%s succeeded", conf_check_name(ck->cc->type));
		reason = ok;
	}
	VLOG_NOTICE("realserver %s of %s %s: %s", ck->rs_label, ck->svc_label, up ? "UP" : "DOWN",
		    reason);
	hc_tel_count(up ? HC_TEL_UP : HC_TEL_DOWN);
	const char *cmd = up ? ck->crs->notify_up : ck->crs->notify_down;
	if (*cmd)
		hc_script(up ? "notify_up" : "notify_down", cmd, ck->rs_label);
	hc_bracket(rsb, sizeof(rsb), ck->crs->addr, ck->crs->port);
	hc_bracket(vsb, sizeof(vsb), ck->cvs->addr, ck->cvs->port);
	snprintf(subject, sizeof(subject), "[%s] Realserver %s of virtual server %s - %s",
		 hc_router_id(), rsb, vsb, up ? "UP" : "DOWN");
	if (up)
		snprintf(body, sizeof(body), "=> %s CHECK succeed on service <=\n",
			 conf_check_name(ck->cc->type));
	else
		snprintf(body, sizeof(body), "=> %s CHECK failed on service : %s <=\n",
			 conf_check_name(ck->cc->type), reason);
	hc_alert(subject, body);
	hc_model_result(ck, rc, up ? "an up verdict" : "a down verdict");
}

void hc_apply_weight(struct hc_check *ck, int weight)
{
	int w = weight < 0 ? (int)ck->crs->weight : weight;

	if (w == ck->weight)
		return;
	int rc = model_set_rs_weight(ck->vs, ck->rs, (uint32_t)w);
	VLOG_NOTICE("realserver %s of %s weight %d (was %d; MISC_CHECK misc_dynamic)",
		    ck->rs_label, ck->svc_label, w, ck->weight);
	if (rc >= 0) {
		ck->weight = w;
		hc_tel_weight(ck, w);
		hc_tel_count(HC_TEL_WEIGHT_SET);
	}
	hc_model_result(ck, rc, "a weight");
}

void hc_apply_omega(const struct vipd_conf *c)
{
	if (model.conf == NULL || model.svc == NULL)
		return;
	for (unsigned i = 0; i < c->n_vs; i++) {
		const struct conf_vs *vs = &c->vs[i];
		if (!vs->omega)
			continue;
		char label[48], a[INET_ADDRSTRLEN];
		struct in_addr va = { vs->addr };
		inet_ntop(AF_INET, &va, a, sizeof(a));
		snprintf(label, sizeof(label), "%s:%u/%s", a, vs->port,
			 vs->proto == IPPROTO_TCP ? "TCP" : "UDP");
		VLOG_NOTICE("virtual server %s: omega: running the down notifiers", label);
		for (unsigned j = 0; j < vs->n_rs && j < model.svc[i].n_rs; j++) {
			if (!model.svc[i].up[j] || !vs->rs[j].notify_down[0])
				continue;
			char who[32];
			struct in_addr ra = { vs->rs[j].addr };
			inet_ntop(AF_INET, &ra, a, sizeof(a));
			snprintf(who, sizeof(who), "%s:%u", a, vs->rs[j].port);
			hc_script("notify_down (omega)", vs->rs[j].notify_down, who);
		}
		if (model.svc[i].quorum_ok && vs->quorum_down[0])
			hc_script("quorum_down (omega)", vs->quorum_down, label);
	}
}
