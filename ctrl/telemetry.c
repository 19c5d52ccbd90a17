/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry: vipd's commands on DPDK's telemetry socket (/vipd/...).
 *
 * Answers are dicts keyed "port<N>", "svc<slot>", "rs<slot>" (telemetry keys
 * allow only [A-Za-z0-9_/] and arrays cannot hold dicts); each value carries
 * its human label. Callbacks run on DPDK's telemetry threads, one per client connection. They
 * read the published snapshot as an RCU reader (one QSBR thread id, shared
 * under a mutex: this is no packet path) and sum the per-lcore counters.
 */
#include "telemetry.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_telemetry.h>

#include "conf/conf.h"
#include "dataplane/port.h"
#include "dataplane/rs.h"
#include "dataplane/snap.h"
#include "dataplane/stats.h"
#include "dataplane/clock.h"
#include "dataplane/tcpstate.h"
#include "dataplane/worker.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned tel_qs_id;

static const struct snap *reader_enter(void)
{
	pthread_mutex_lock(&tel_lock);
	rte_rcu_qsbr_thread_online(dp_qs, tel_qs_id);
	return __atomic_load_n(&dp_snap, __ATOMIC_ACQUIRE);
}

static void reader_leave(void)
{
	rte_rcu_qsbr_thread_offline(dp_qs, tel_qs_id);
	pthread_mutex_unlock(&tel_lock);
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "TCP" : p == IPPROTO_UDP ? "UDP" : "?";
}

static void svc_label(const struct snap_svc *v, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &v->vip, a, sizeof(a));
	snprintf(buf, len, "%s:%u/%s", a, ntohs(v->vport), proto_name(v->proto));
}


static void add_ctr(struct rte_tel_data *d, const struct stats_ctr *c)
{
	rte_tel_data_add_dict_u64(d, "pkts", c->pkts);
	rte_tel_data_add_dict_u64(d, "bytes", c->bytes);
	rte_tel_data_add_dict_u64(d, "out_pkts", c->out_pkts);
	rte_tel_data_add_dict_u64(d, "out_bytes", c->out_bytes);
	rte_tel_data_add_dict_u64(d, "conns", c->conns);
	rte_tel_data_add_dict_u64(d, "drops", c->drops);
	rte_tel_data_add_dict_u64(d, "active", c->active > 0 ? (uint64_t)c->active : 0);
	rte_tel_data_add_dict_u64(d, "inactive", c->inactive > 0 ? (uint64_t)c->inactive : 0);
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	uint64_t rx = 0, tx = 0, tok = 0, fromk = 0, arp = 0, sess = 0, tmpl = 0, drops = 0;
	uint64_t loops = 0, busy = 0, sleeps = 0;
	uint64_t by[VIPD_DROP_MAX] = { 0 };
	for (unsigned i = 0; i < stats_n_lc; i++) {
		const struct stats_lcore *l = stats_lc[i];
		for (unsigned p = 0; p < port_n; p++) {
			rx += l->port[p].rx_pkts;
			tx += l->port[p].tx_pkts;
			tok += l->port[p].to_kernel;
			fromk += l->port[p].from_kernel;
			arp += l->port[p].arp_replies;
			for (unsigned r = 0; r < VIPD_DROP_MAX; r++)
				by[r] += l->port[p].drops[r];
		}
		sess += l->sessions;
		tmpl += l->templates;
		loops += l->loops;
		busy += l->busy_loops;
		sleeps += l->sleeps;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_pkts", rx);
	rte_tel_data_add_dict_u64(d, "tx_pkts", tx);
	rte_tel_data_add_dict_u64(d, "to_kernel", tok);
	rte_tel_data_add_dict_u64(d, "from_kernel", fromk);
	rte_tel_data_add_dict_u64(d, "arp_replies", arp);
	rte_tel_data_add_dict_u64(d, "sessions", sess);
	rte_tel_data_add_dict_u64(d, "templates", tmpl);
	rte_tel_data_add_dict_u64(d, "worker_loops", loops);
	rte_tel_data_add_dict_u64(d, "worker_busy_loops", busy);
	rte_tel_data_add_dict_u64(d, "worker_sleeps", sleeps);
	for (unsigned r = 0; r < VIPD_DROP_MAX; r++)
		drops += by[r];
	rte_tel_data_add_dict_u64(d, "drop_total", drops);
	for (unsigned r = 0; r < VIPD_DROP_MAX; r++) {
		char k[64];
		snprintf(k, sizeof(k), "drop_%s", vipd_drop_names[r]);
		rte_tel_data_add_dict_u64(d, k, by[r]);
	}
	return 0;
}

static int cmd_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned p = 0; p < port_n; p++) {
		struct rte_tel_data *e = rte_tel_data_alloc();
		struct stats_port t;
		struct rte_eth_stats es;
		memset(&t, 0, sizeof(t));
		for (unsigned i = 0; i < stats_n_lc; i++) {
			const struct stats_port *s = &stats_lc[i]->port[p];
			t.rx_pkts += s->rx_pkts;
			t.rx_bytes += s->rx_bytes;
			t.tx_pkts += s->tx_pkts;
			t.tx_bytes += s->tx_bytes;
			t.to_kernel += s->to_kernel;
			t.from_kernel += s->from_kernel;
			t.arp_replies += s->arp_replies;
			t.redirected += s->redirected;
			for (unsigned r = 0; r < VIPD_DROP_MAX; r++)
				t.drops[r] += s->drops[r];
		}
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "name", port_tab[p].name);
		rte_tel_data_add_dict_u64(e, "rx_pkts", t.rx_pkts);
		rte_tel_data_add_dict_u64(e, "rx_bytes", t.rx_bytes);
		rte_tel_data_add_dict_u64(e, "tx_pkts", t.tx_pkts);
		rte_tel_data_add_dict_u64(e, "tx_bytes", t.tx_bytes);
		rte_tel_data_add_dict_u64(e, "to_kernel", t.to_kernel);
		rte_tel_data_add_dict_u64(e, "from_kernel", t.from_kernel);
		rte_tel_data_add_dict_u64(e, "arp_replies", t.arp_replies);
		rte_tel_data_add_dict_u64(e, "redirected", t.redirected);
		if (rte_eth_stats_get(port_tab[p].id, &es) == 0) {
			rte_tel_data_add_dict_u64(e, "pmd_ipackets", es.ipackets);
			rte_tel_data_add_dict_u64(e, "pmd_opackets", es.opackets);
			rte_tel_data_add_dict_u64(e, "pmd_imissed", es.imissed);
			rte_tel_data_add_dict_u64(e, "pmd_oerrors", es.oerrors);
		}
		uint64_t tot = 0;
		for (unsigned r = 0; r < VIPD_DROP_MAX; r++)
			tot += t.drops[r];
		rte_tel_data_add_dict_u64(e, "drop_total", tot);
		for (unsigned r = 0; r < VIPD_DROP_MAX; r++) {
			char k[64];
			snprintf(k, sizeof(k), "drop_%s", vipd_drop_names[r]);
			rte_tel_data_add_dict_u64(e, k, t.drops[r]);
		}
		char key[32];
		snprintf(key, sizeof(key), "port%u", p);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	return 0;
}

static int cmd_services(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	const struct snap *s = reader_enter();
	struct stats_ctr *tr = calloc(SVC_MAX, sizeof(*tr));
	if (tr == NULL) {
		reader_leave();
		return -ENOMEM;
	}
	rs_svc_traffic(tr);
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; s && i < s->n_svc; i++) {
		const struct snap_svc *v = &s->svc[i];
		struct rte_tel_data *e = rte_tel_data_alloc();
		char label[64];
		svc_label(v, label, sizeof(label));
		struct stats_ctr c = stats_svc_ctr(tr, v->slot);
		/* Live sessions are tracked per real server; a service has theirs. */
		for (unsigned j = 0; j < v->n_rs; j++) {
			struct stats_ctr r = stats_sum_ctr(true, rs_handle_idx(v->rs[j].handle));
			c.active += r.active;
			c.inactive += r.inactive;
		}
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_string(e, "service", label);
		rte_tel_data_add_dict_string(e, "scheduler", v->sched->name);
		rte_tel_data_add_dict_string(e, "forwarding", conf_fwd_name(v->fwd));
		rte_tel_data_add_dict_u64(e, "persistence", v->persist_ticks / VIPD_TICK_HZ);
		char mask[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &v->persist_mask, mask, sizeof(mask));
		rte_tel_data_add_dict_string(e, "netmask", mask);
		rte_tel_data_add_dict_u64(e, "real_servers", v->n_rs);
		add_ctr(e, &c);
		char key[32];
		snprintf(key, sizeof(key), "svc%u", v->slot);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	free(tr);
	reader_leave();
	return 0;
}

/* params: optional service label ("10.99.0.100:80/TCP") to list one service. */
static int cmd_realservers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	const struct snap *s = reader_enter();
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; s && i < s->n_svc; i++) {
		const struct snap_svc *v = &s->svc[i];
		char label[64];
		svc_label(v, label, sizeof(label));
		if (params && *params && strcmp(params, label) != 0)
			continue;
		for (unsigned j = 0; j < v->n_rs; j++) {
			const struct rs_slot *r = rs_get(v->rs[j].handle);
			if (r == NULL)
				continue;
			struct rte_tel_data *e = rte_tel_data_alloc();
			char a[INET_ADDRSTRLEN], mac[32] = "unresolved";
			uint8_t mb[6];
			inet_ntop(AF_INET, &r->addr, a, sizeof(a));
			if (rs_mac_bytes(r, mb))
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", mb[0],
					 mb[1], mb[2], mb[3], mb[4], mb[5]);
			struct stats_ctr c = stats_sum_ctr(true, rs_handle_idx(v->rs[j].handle));
			rte_tel_data_start_dict(e);
			rte_tel_data_add_dict_string(e, "service", label);
			rte_tel_data_add_dict_string(e, "address", a);
			rte_tel_data_add_dict_u64(e, "port", ntohs(r->port));
			rte_tel_data_add_dict_string(e, "forwarding", conf_fwd_name(r->fwd));
			rte_tel_data_add_dict_u64(e, "weight", v->rs[j].weight);
			rte_tel_data_add_dict_string(e, "state", v->rs[j].up ? "up" : "down");
			rte_tel_data_add_dict_string(e, "mac", mac);
			add_ctr(e, &c);
			char key[32];
			snprintf(key, sizeof(key), "rs%u", rs_handle_idx(v->rs[j].handle));
			rte_tel_data_add_dict_container(d, key, e, 0);
		}
	}
	reader_leave();
	return 0;
}

static void ep(char *buf, size_t len, uint32_t a, uint16_t p)
{
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, len, "%s:%u", s, ntohs(p));
}

/*
 * "N", "vip=ADDR", "client=ADDR", "from=W.I" in any order, separated by
 * spaces or commas. from= resumes a listing at worker W, session index I
 * (the part after "s" of the last key received, with I + 1): an answer
 * holds at most 100 sessions, so vipctl -lnc pages through a table.
 */
static void session_filter(const char *params, unsigned *limit, uint32_t *vip, uint32_t *client,
			   unsigned *from_w, uint32_t *from_i)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", params ? params : "");
	for (char *save = NULL, *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		if (strncmp(t, "vip=", 4) == 0)
			inet_pton(AF_INET, t + 4, vip);
		else if (strncmp(t, "client=", 7) == 0)
			inet_pton(AF_INET, t + 7, client);
		else if (strncmp(t, "from=", 5) == 0) {
			if (sscanf(t + 5, "%u.%u", from_w, from_i) != 2)
				*from_w = *from_i = 0;
		} else
			*limit = (unsigned)strtoul(t, NULL, 10);
	}
}

/*
 * params: a limit N (default 50, at most 100), vip=ADDR, client=ADDR. The
 * tables are read while their workers write them: an answer is a sample,
 * never a stall.
 */
static int cmd_sessions(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	unsigned limit = 50;
	uint32_t want_vip = 0, want_client = 0, from_i = 0;
	unsigned from_w = 0;
	session_filter(params, &limit, &want_vip, &want_client, &from_w, &from_i);
	unsigned n = 0;
	uint32_t now = clock_now();
	if (limit == 0 || limit > 100)
		limit = limit ? 100 : 50; /* the telemetry answer holds about 16 KB */
	rte_tel_data_start_dict(d);
	for (unsigned w = from_w; w < dp_n_workers && n < limit; w++) {
		const struct sess_table *t = dp_workers[w]->sess;
		for (uint32_t i = w == from_w && from_i > 1 ? from_i : 1; i < t->idx_end && n < limit;
		     i++) {
			const struct sess *live = sess_live_at(t, i);
			if (live == NULL)
				continue;
			struct sess s = *live; /* one read of a slot its worker writes */
			if (s.key.kflags & SESS_KEY_TEMPLATE)
				continue;
			if ((want_vip && s.key.daddr != want_vip) ||
			    (want_client && s.key.saddr != want_client))
				continue;
			struct rte_tel_data *e = rte_tel_data_alloc();
			char src[32], vip[32], dst[32] = "?", key[32];
			const struct rs_slot *r = &rs_slots[rs_handle_idx(s.rs)];
			ep(src, sizeof(src), s.key.saddr, s.key.sport);
			ep(vip, sizeof(vip), s.key.daddr, s.key.dport);
			if (rs_handle_gen(s.rs) == r->gen)
				ep(dst, sizeof(dst), r->addr, r->port);
			rte_tel_data_start_dict(e);
			rte_tel_data_add_dict_string(e, "proto", proto_name(s.key.proto));
			rte_tel_data_add_dict_u64(e, "expire",
						  (int32_t)(s.expire - now) > 0
							  ? (s.expire - now) / VIPD_TICK_HZ : 0);
			rte_tel_data_add_dict_string(e, "state", tcpstate_name(s.state));
			rte_tel_data_add_dict_string(e, "source", src);
			rte_tel_data_add_dict_string(e, "virtual", vip);
			rte_tel_data_add_dict_string(e, "destination", dst);
			rte_tel_data_add_dict_u64(e, "worker", w);
			snprintf(key, sizeof(key), "s%u_%u", w, i);
			rte_tel_data_add_dict_container(d, key, e, 0);
			n++;
		}
	}
	return 0;
}

/* Per worker lcore: how busy it is and what it holds. */
static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned w = 0; w < dp_n_workers; w++) {
		const struct stats_lcore *l = stats_lc[w];
		struct rte_tel_data *e = rte_tel_data_alloc();
		char key[16], ratio[32];
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_u64(e, "lcore", dp_workers[w]->lcore);
		rte_tel_data_add_dict_u64(e, "rx_queues", dp_workers[w]->n_rxq);
		rte_tel_data_add_dict_u64(e, "loops", l->loops);
		rte_tel_data_add_dict_u64(e, "busy_loops", l->busy_loops);
		rte_tel_data_add_dict_u64(e, "idle_sleeps", l->sleeps);
		snprintf(ratio, sizeof(ratio), "%.4f",
			 l->loops ? (double)l->busy_loops / (double)l->loops : 0.0);
		rte_tel_data_add_dict_string(e, "busy_ratio", ratio);
		snprintf(ratio, sizeof(ratio), "%.4f",
			 l->loops ? (double)l->sleeps / (double)l->loops : 0.0);
		rte_tel_data_add_dict_string(e, "idle_ratio", ratio);
		rte_tel_data_add_dict_u64(e, "busy_cycles", l->busy_cycles);
		rte_tel_data_add_dict_u64(e, "busy_packets", l->busy_pkts);
		snprintf(ratio, sizeof(ratio), "%.1f",
			 l->busy_pkts ? (double)l->busy_cycles / (double)l->busy_pkts : 0.0);
		rte_tel_data_add_dict_string(e, "cycles_per_packet", ratio);
		rte_tel_data_add_dict_u64(e, "tsc_hz", rte_get_tsc_hz());
		rte_tel_data_add_dict_u64(e, "sessions", l->sessions);
		rte_tel_data_add_dict_u64(e, "templates", l->templates);
		rte_tel_data_add_dict_u64(e, "session_capacity", dp_workers[w]->sess->cap);
		snprintf(key, sizeof(key), "w%u", w);
		rte_tel_data_add_dict_container(d, key, e, 0);
	}
	return 0;
}

int telemetry_init(unsigned qs_thread_id)
{
	tel_qs_id = qs_thread_id;
	int rc = rte_rcu_qsbr_thread_register(dp_qs, tel_qs_id);
	if (rc)
		return rc;
	rc |= rte_telemetry_register_cmd("/vipd/stats", cmd_stats,
					 "Totals: packets, sessions, drops by reason");
	rc |= rte_telemetry_register_cmd("/vipd/ports", cmd_ports,
					 "Per port counters and drops by reason");
	rc |= rte_telemetry_register_cmd("/vipd/services", cmd_services,
					 "Virtual services and their counters");
	rc |= rte_telemetry_register_cmd("/vipd/sessions", cmd_sessions,
					 "Live sessions, at most 100. Params: N, vip=A, client=A, from=W.I (start at worker W, index I)");
	rc |= rte_telemetry_register_cmd("/vipd/workers", cmd_workers,
					 "Worker lcores: loops, busy and idle ratios, sessions");
	rc |= rte_telemetry_register_cmd("/vipd/realservers", cmd_realservers,
					 "Real servers and their counters. Param: vip:port/proto");
	return rc;
}
