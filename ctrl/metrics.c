/* SPDX-License-Identifier: BSD-3-Clause */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "conf/conf.h"
#include "ctrl/log.h"
#include "ctrl/model.h"
#include "dataplane/port.h"
#include "dataplane/rs.h"
#include "dataplane/snap.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"

static struct evhttp *http;
static struct event *tick;

/* New sessions per second per service, from a 1 s sample of the counters. */
static uint64_t last_conns[SVC_MAX];
static double cps[SVC_MAX];
/* Per worker busy ratio over the last second. */
static uint64_t last_loops[VIPD_MAX_WORKERS], last_busy[VIPD_MAX_WORKERS];
static double busy_ratio[VIPD_MAX_WORKERS];


static void on_tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	const struct snap *s = dp_snap;
	for (uint32_t i = 0; s && i < s->n_svc; i++) {
		uint16_t slot = s->svc[i].slot;
		uint64_t c = stats_sum_ctr(false, slot).conns;
		cps[slot] = c >= last_conns[slot] ? (double)(c - last_conns[slot]) : 0;
		last_conns[slot] = c;
	}
	for (unsigned w = 0; w < dp_n_workers; w++) {
		uint64_t l = stats_lc[w]->loops, b = stats_lc[w]->busy_loops;
		uint64_t dl = l - last_loops[w], db = b - last_busy[w];
		busy_ratio[w] = dl ? (double)db / (double)dl : 0;
		last_loops[w] = l;
		last_busy[w] = b;
	}
}

static void help(struct evbuffer *b, const char *name, const char *type, const char *text)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void svc_label(const struct snap_svc *v, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &v->vip, a, sizeof(a));
	snprintf(buf, len, "%s:%u/%s", a, ntohs(v->vport), v->proto == IPPROTO_TCP ? "TCP" : "UDP");
}

/* One counter family over services and one over their real servers. */
struct family {
	const char *name, *type, *help;
	uint64_t (*get)(const struct stats_ctr *c);
};

static uint64_t g_pkts(const struct stats_ctr *c) { return c->pkts; }
static uint64_t g_bytes(const struct stats_ctr *c) { return c->bytes; }
static uint64_t g_opkts(const struct stats_ctr *c) { return c->out_pkts; }
static uint64_t g_obytes(const struct stats_ctr *c) { return c->out_bytes; }
static uint64_t g_conns(const struct stats_ctr *c) { return c->conns; }
static uint64_t g_drops(const struct stats_ctr *c) { return c->drops; }
static uint64_t g_active(const struct stats_ctr *c) { return c->active > 0 ? (uint64_t)c->active : 0; }
static uint64_t g_inact(const struct stats_ctr *c) { return c->inactive > 0 ? (uint64_t)c->inactive : 0; }

static const struct family fams[] = {
	{ "packets_total", "counter", "Packets from clients forwarded to the real servers", g_pkts },
	{ "bytes_total", "counter", "Bytes from clients as forwarded (TUN: with the outer header)", g_bytes },
	{ "out_packets_total", "counter", "Reply packets through the director (NAT)", g_opkts },
	{ "out_bytes_total", "counter", "Reply bytes through the director (NAT)", g_obytes },
	{ "connections_total", "counter", "Sessions created", g_conns },
	{ "drops_total", "counter", "Packets dropped for this service", g_drops },
	{ "active_sessions", "gauge", "Live sessions in TCP ESTABLISHED", g_active },
	{ "inactive_sessions", "gauge", "Live sessions in other states", g_inact },
};

static void write_services(struct evbuffer *b, const struct snap *s)
{
	struct stats_ctr *tr = calloc(SVC_MAX, sizeof(*tr));
	if (tr == NULL)
		return;
	rs_svc_traffic(tr);
	for (unsigned f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		char name[96];
		snprintf(name, sizeof(name), "vipd_service_%s", fams[f].name);
		help(b, name, fams[f].type, fams[f].help);
		for (uint32_t i = 0; i < s->n_svc; i++) {
			char l[64];
			svc_label(&s->svc[i], l, sizeof(l));
			struct stats_ctr c = stats_svc_ctr(tr, s->svc[i].slot);
			if (fams[f].get == g_active || fams[f].get == g_inact) {
				/* Live sessions are counted per real server. */
				memset(&c, 0, sizeof(c));
				for (unsigned j = 0; j < s->svc[i].n_rs; j++) {
					struct stats_ctr r = stats_sum_ctr(true, rs_handle_idx(s->svc[i].rs[j].handle));
					c.active += r.active;
					c.inactive += r.inactive;
				}
			}
			evbuffer_add_printf(b, "%s{service=\"%s\"} %llu\n", name, l,
					    (unsigned long long)fams[f].get(&c));
		}
	}
	free(tr);
	help(b, "vipd_service_new_sessions_per_second", "gauge",
	     "Sessions created in the last second");
	for (uint32_t i = 0; i < s->n_svc; i++) {
		char l[64];
		svc_label(&s->svc[i], l, sizeof(l));
		evbuffer_add_printf(b, "vipd_service_new_sessions_per_second{service=\"%s\"} %.0f\n",
				    l, cps[s->svc[i].slot]);
	}
}

static void write_realservers(struct evbuffer *b, const struct snap *s)
{
	for (unsigned f = 0; f < sizeof(fams) / sizeof(fams[0]) + 2; f++) {
		bool up_f = f == sizeof(fams) / sizeof(fams[0]);
		bool w_f = f == sizeof(fams) / sizeof(fams[0]) + 1;
		char name[96];
		if (up_f)
			help(b, "vipd_realserver_up", "gauge", "1 when its health check passes");
		else if (w_f)
			help(b, "vipd_realserver_weight", "gauge", "Effective scheduling weight");
		else {
			snprintf(name, sizeof(name), "vipd_realserver_%s", fams[f].name);
			help(b, name, fams[f].type, fams[f].help);
		}
		for (uint32_t i = 0; i < s->n_svc; i++) {
			char l[64];
			svc_label(&s->svc[i], l, sizeof(l));
			for (unsigned j = 0; j < s->svc[i].n_rs; j++) {
				const struct rs_slot *r = rs_get(s->svc[i].rs[j].handle);
				if (r == NULL)
					continue;
				char a[INET_ADDRSTRLEN], rl[160];
				inet_ntop(AF_INET, &r->addr, a, sizeof(a));
				snprintf(rl, sizeof(rl), "service=\"%s\",realserver=\"%s:%u\"", l, a,
					 ntohs(r->port));
				if (up_f) {
					evbuffer_add_printf(b, "vipd_realserver_up{%s} %u\n", rl,
							    s->svc[i].rs[j].up ? 1u : 0u);
				} else if (w_f) {
					evbuffer_add_printf(b, "vipd_realserver_weight{%s} %u\n", rl,
							    s->svc[i].rs[j].weight);
				} else {
					struct stats_ctr c = stats_sum_ctr(true, rs_handle_idx(s->svc[i].rs[j].handle));
					evbuffer_add_printf(b, "%s{%s} %llu\n", name, rl,
							    (unsigned long long)fams[f].get(&c));
				}
			}
		}
	}
}

static void write_dataplane(struct evbuffer *b)
{
	help(b, "vipd_drops_total", "counter", "Packets dropped by the dataplane, by port and reason");
	for (unsigned p = 0; p < port_n; p++)
		for (unsigned r = 0; r < VIPD_DROP_MAX; r++)
			evbuffer_add_printf(b, "vipd_drops_total{port=\"%s\",reason=\"%s\"} %llu\n",
					    port_tab[p].name, vipd_drop_names[r],
					    (unsigned long long)stats_sum_drop((uint16_t)p, r));
	static const struct {
		const char *name, *help;
		size_t off;
	} pc[] = {
		{ "rx_packets_total", "Frames received", offsetof(struct stats_port, rx_pkts) },
		{ "rx_bytes_total", "Bytes received", offsetof(struct stats_port, rx_bytes) },
		{ "tx_packets_total", "Frames sent", offsetof(struct stats_port, tx_pkts) },
		{ "tx_bytes_total", "Bytes sent", offsetof(struct stats_port, tx_bytes) },
		{ "to_kernel_total", "Frames passed to the kernel", offsetof(struct stats_port, to_kernel) },
		{ "from_kernel_total", "Frames sent for the kernel", offsetof(struct stats_port, from_kernel) },
	};
	for (unsigned k = 0; k < sizeof(pc) / sizeof(pc[0]); k++) {
		char name[64];
		snprintf(name, sizeof(name), "vipd_port_%s", pc[k].name);
		help(b, name, "counter", pc[k].help);
		for (unsigned p = 0; p < port_n; p++) {
			uint64_t v = 0;
			for (unsigned i = 0; i < stats_n_lc; i++)
				v += *(const uint64_t *)((const uint8_t *)&stats_lc[i]->port[p] + pc[k].off);
			evbuffer_add_printf(b, "%s{port=\"%s\"} %llu\n", name, port_tab[p].name,
					    (unsigned long long)v);
		}
	}
	help(b, "vipd_worker_busy_ratio", "gauge", "Share of poll loops that found work, last second");
	for (unsigned w = 0; w < dp_n_workers; w++)
		evbuffer_add_printf(b, "vipd_worker_busy_ratio{worker=\"%u\"} %.4f\n", w, busy_ratio[w]);
	/* rate(cycles) / rate(packets): what a packet costs the worker, PMDs included. */
	help(b, "vipd_worker_busy_cycles_total", "counter",
	     "TSC cycles of the poll loops that found work");
	for (unsigned w = 0; w < dp_n_workers; w++)
		evbuffer_add_printf(b, "vipd_worker_busy_cycles_total{worker=\"%u\"} %llu\n", w,
				    (unsigned long long)stats_lc[w]->busy_cycles);
	help(b, "vipd_worker_busy_packets_total", "counter",
	     "Packets handled by the poll loops that found work");
	for (unsigned w = 0; w < dp_n_workers; w++)
		evbuffer_add_printf(b, "vipd_worker_busy_packets_total{worker=\"%u\"} %llu\n", w,
				    (unsigned long long)stats_lc[w]->busy_pkts);
	help(b, "vipd_worker_sessions", "gauge", "Live sessions held by the worker");
	for (unsigned w = 0; w < dp_n_workers; w++)
		evbuffer_add_printf(b, "vipd_worker_sessions{worker=\"%u\"} %llu\n", w,
				    (unsigned long long)stats_lc[w]->sessions);
}

static void write_vrrp(struct evbuffer *b)
{
	const struct vipd_conf *c = model.conf;
	help(b, "vipd_vrrp_master", "gauge", "1 when this director holds the instance's VIPs");
	for (unsigned i = 0; c && i < c->n_vrrp; i++)
		evbuffer_add_printf(b, "vipd_vrrp_master{instance=\"%s\",vrid=\"%u\"} %u\n",
				    c->vrrp[i].name, c->vrrp[i].vrid, model.vrrp_master[i] ? 1u : 0u);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	struct evbuffer *b = evbuffer_new();
	const struct snap *s = dp_snap; /* the control core publishes it: no race */
	if (s) {
		write_services(b, s);
		write_realservers(b, s);
	}
	write_dataplane(b);
	write_vrrp(b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int metrics_module_start(struct event_base *base, const struct vipd_conf *c)
{
	const char *l = c->global.metrics_listen;
	if (l[0] == '\0')
		return 0;
	char host[64];
	snprintf(host, sizeof(host), "%s", l);
	char *colon = strrchr(host, ':');
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;
	if (colon == NULL || port < 1 || port > 65535) {
		VLOG_ERR("metrics_listen '%s': want ADDR:PORT", l);
		return -EINVAL;
	}
	*colon = '\0';
	http = evhttp_new(base);
	if (http == NULL || evhttp_bind_socket(http, host, (uint16_t)port) != 0) {
		VLOG_ERR("metrics: cannot listen on %s", l);
		if (http)
			evhttp_free(http);
		http = NULL;
		return -EADDRNOTAVAIL;
	}
	evhttp_set_cb(http, "/metrics", on_request, NULL);
	tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = { 1, 0 };
	event_add(tick, &tv);
	VLOG_INFO("metrics on http://%s/metrics", l);
	return 0;
}

void metrics_module_stop(void)
{
	if (tick) {
		event_free(tick);
		tick = NULL;
	}
	if (http) {
		evhttp_free(http);
		http = NULL;
	}
}

int metrics_module_reload(struct event_base *base, const struct vipd_conf *old,
			  const struct vipd_conf *new)
{
	if (strcmp(old->global.metrics_listen, new->global.metrics_listen) == 0)
		return 0;
	metrics_module_stop();
	return metrics_module_start(base, new);
}
