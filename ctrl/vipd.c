/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vipd: start-up, the control core's event loop, shutdown.
 *
 * The main lcore is the control core: one libevent loop that also moves the
 * kernel path's frames and backs off when there is nothing to do. Worker
 * lcores run worker_main().
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_rcu_qsbr.h>

#include "conf/conf.h"
#include "ctrl/alert.h"
#include "ctrl/ctl.h"
#include "ctrl/kpath.h"
#include "ctrl/log.h"
#include "ctrl/metrics.h"
#include "ctrl/model.h"
#include "ctrl/script.h"
#include "ctrl/telemetry.h"
#include "dataplane/clock.h"
#include "dataplane/neigh.h"
#include "dataplane/port.h"
#include "dataplane/rs.h"
#include "dataplane/stats.h"
#include "dataplane/worker.h"
#include "hc/hc.h"
#include "vrrp/vrrp.h"

uint64_t clock_tsc_per_tick;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vipd [-f FILE] [--check] [-v] [-- EAL-ARGS...]\n"
		"  -f, --config FILE  configuration (default /etc/vipd/vipd.conf)\n"
		"  -c, --check        validate FILE, print FILE:LINE: errors, exit\n"
		"  -v, --verbose      debug logging\n"
		"EAL arguments after -- are passed to DPDK; vipd adds --vdev/-a for the\n"
		"configured ports and --no-pci when none is a PCI device.\n");
}

static struct vipd_conf *load(const char *path)
{
	struct vipd_conf *c = NULL;
	struct conf_errors errs = { 0 };
	int rc = conf_load(path, &c, &errs);
	if (rc != 0 || errs.n) {
		if (rc == -ENOENT && errs.n == 0)
			fprintf(stderr, "%s: cannot read: %s\n", path, strerror(ENOENT));
		conf_errors_print(&errs, stderr);
		conf_errors_clear(&errs);
		if (c)
			conf_free(c);
		return NULL;
	}
	return c;
}

static struct event_base *base;
static bool quit;

/*
 * Control-core modules, started in this order once the dataplane runs and
 * stopped in reverse. Each adds its row here (and its include above).
 * start: -errno stops vipd. stop: may run notifiers (omega), must not block.
 */
struct ctl_module {
	const char *name;
	int (*start)(struct event_base *base, const struct vipd_conf *c);
	void (*stop)(void);
	/*
	 * A configuration change (reload, vipctl edit) that the model accepted:
	 * follow it without losing state; NULL = the module does not care.
	 * Called after the model moved to new; old stays valid until shutdown.
	 */
	int (*reload)(struct event_base *base, const struct vipd_conf *old,
		      const struct vipd_conf *new);
};

/*
 * Configs modules keep pointers into: the first one (alert's global settings)
 * and the one VRRP last started with. Every other replaced config is freed.
 */
static const struct vipd_conf *first_conf, *vrrp_conf;

/* VRRP is left alone unless its instances changed: no state flap on reload. */
static int vrrp_module_reload(struct event_base *b, const struct vipd_conf *old,
			      const struct vipd_conf *new)
{
	if (conf_vrrp_equal(old, new))
		return 0;
	vrrp_module_stop();
	vrrp_conf = new;
	return vrrp_module_start(b, new);
}

static const struct ctl_module modules[] = {
	/* MODULES: one row per module, e.g. { "hc", hc_start, hc_stop }, */
	{ "script", script_module_start, script_module_stop, NULL }, /* first: others use it */
	{ "alert", alert_module_start, alert_module_stop, NULL },
	{ "hc", hc_module_start, hc_module_stop, hc_module_reload }, /* uses script, alert */
	{ "vrrp", vrrp_module_start, vrrp_module_stop, vrrp_module_reload }, /* last */
	{ "ctl", ctl_module_start, ctl_module_stop, NULL },
	{ "metrics", metrics_module_start, metrics_module_stop, metrics_module_reload },
	{ NULL, NULL, NULL, NULL },
};

static int modules_start(const struct vipd_conf *c)
{
	for (unsigned i = 0; modules[i].name; i++) {
		int rc = modules[i].start(base, c);
		if (rc) {
			VLOG_ERR("%s: start failed: %s", modules[i].name, strerror(-rc));
			while (i-- > 0)
				modules[i].stop();
			return rc;
		}
	}
	return 0;
}

static void modules_stop(void)
{
	unsigned n = 0;
	while (modules[n].name)
		n++;
	while (n-- > 0)
		modules[n].stop();
}

static const char *conf_path;

/*
 * Every configuration change goes through here: reload and vipctl's edits.
 * Ports and dpdk settings cannot change without a restart; the rest is
 * applied by difference, then each module follows. On error nothing changed
 * and c is freed.
 */
static int apply_config(struct vipd_conf *c, char *msg, size_t len)
{
	const struct vipd_conf *old = model.conf;
	if (!conf_ports_equal(old, c)) {
		snprintf(msg, len, "ports or dpdk settings changed: they need a restart");
		conf_free(c);
		return -EPERM;
	}
	int rc = model_apply(c);
	if (rc) {
		snprintf(msg, len, "not applied: %s", strerror(-rc));
		conf_free(c);
		return rc;
	}
	bool all_followed = true;
	for (unsigned i = 0; modules[i].name; i++)
		if (modules[i].reload && (rc = modules[i].reload(base, old, c)) != 0) {
			VLOG_ERR("%s: following the new configuration: %s", modules[i].name,
				 strerror(-rc));
			all_followed = false;
		}
	/* A module that could not follow may still point into the old ones. */
	if (all_followed)
		model_apply_release(first_conf, vrrp_conf);
	snprintf(msg, len, "applied: %u services", c->n_vs);
	return 0;
}

static int reload(char *msg, size_t len)
{
	struct vipd_conf *c = NULL;
	struct conf_errors errs = { 0 };
	int rc = conf_load(conf_path, &c, &errs);
	if (rc) {
		for (unsigned i = 0; i < errs.n; i++)
			VLOG_ERR("reload: %s", errs.msg[i]);
		snprintf(msg, len, "%s: %u error(s), running configuration kept%s%s", conf_path,
			 errs.n, errs.n ? "; first: " : "", errs.n ? errs.msg[0] : "");
		conf_errors_clear(&errs);
		return rc;
	}
	rc = apply_config(c, msg, len);
	VLOG_NOTICE("reload of %s: %s", conf_path, msg);
	return rc;
}

static void on_signal(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	if (sig == SIGHUP) {
		char msg[512];
		reload(msg, sizeof(msg));
		return;
	}
	if (quit) {
		VLOG_NOTICE("signal %d: already shutting down", (int)sig);
		return;
	}
	VLOG_NOTICE("signal %d: shutting down", (int)sig);
	quit = true;
	event_base_loopbreak(base);
}

static void on_neigh(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	neigh_tick(model.live, model.n_live, rte_rdtsc() / (rte_get_tsc_hz() / 1000));
}

static void on_reclaim(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	model_reclaim();
}

static struct event *every(double secs, event_callback_fn cb)
{
	struct timeval tv = { (time_t)secs, (suseconds_t)((secs - (time_t)secs) * 1e6) };
	struct event *e = event_new(base, -1, EV_PERSIST, cb, NULL);
	event_add(e, &tv);
	return e;
}

static void on_kpath(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	kpath_poll();
}

/*
 * Runs until a signal asks to stop, then stops the modules while the signal
 * handlers, timers and the kernel path still run: notifiers' emails and
 * VRRP's goodbye adverts still reach the wire, and a second SIGTERM does not
 * kill vipd halfway.
 */
static void control_loop(uint32_t idle_max_us)
{
	struct event *sig[3];
	int signals[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 3; i++) {
		sig[i] = evsignal_new(base, signals[i], on_signal, NULL);
		event_add(sig[i], NULL);
	}
	struct event *t1 = every(0.1, on_neigh);
	struct event *t2 = every(0.01, on_reclaim);
	uint32_t idle_us = 1;

	while (!quit) {
		if (kpath_poll()) {
			idle_us = 1;
			event_base_loop(base, EVLOOP_NONBLOCK);
			continue;
		}
		/* Nothing moved: wait in libevent (serving its events) a little longer. */
		struct timeval tv = { 0, idle_us };
		event_base_loopexit(base, &tv);
		event_base_loop(base, 0);
		if (idle_us < (idle_max_us ? idle_max_us : 1))
			idle_us = idle_us * 2 > idle_max_us ? idle_max_us : idle_us * 2;
	}
	/* The modules' stop runs the loop while it waits: keep the kernel path moving. */
	struct event *t3 = every(0.001, on_kpath);
	modules_stop();
	event_free(t3);
	for (int i = 0; i < 3; i++)
		event_free(sig[i]);
	event_free(t1);
	event_free(t2);
}

static int start_dataplane(struct vipd_conf *c, struct rte_mempool **mpp)
{
	unsigned nw = c->dpdk.workers;
	int rc;

	if (rte_lcore_count() < nw + 1) {
		VLOG_ERR("%u workers need %u lcores, EAL has %u", nw, nw + 1, rte_lcore_count());
		return -EINVAL;
	}
	clock_init();
	if ((rc = stats_init(nw)) || (rc = rs_init()))
		return rc;
	struct rte_mempool *mp = rte_pktmbuf_pool_create("vipd_mbufs", c->dpdk.mbufs, 256, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (mp == NULL) {
		VLOG_ERR("mbuf pool of %u: %s", c->dpdk.mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	*mpp = mp;
	if ((rc = port_setup(c, nw, mp)))
		return rc;
	size_t qsz = rte_rcu_qsbr_get_memsize(nw + 1);
	dp_qs = rte_zmalloc("vipd_qsbr", qsz, 64);
	if (dp_qs == NULL || rte_rcu_qsbr_init(dp_qs, nw + 1))
		return -ENOMEM;
	dp_n_workers = nw;
	for (unsigned w = 0; w < nw; w++)
		if ((rc = worker_init(w, c->dpdk.sessions, c->dpdk.idle_sleep_max_us))) {
			VLOG_ERR("worker %u: %s (sessions %u)", w, strerror(-rc), c->dpdk.sessions);
			return rc;
		}
	neigh_init(mp);
	if ((rc = model_start(c)))
		return rc;
	if (telemetry_init(nw))
		VLOG_WARN("telemetry commands not registered");
	unsigned w = 0, lc;
	RTE_LCORE_FOREACH_WORKER(lc) {
		if (w == nw)
			break;
		rte_eal_remote_launch(worker_main, dp_workers[w++], lc);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = "/etc/vipd/vipd.conf";
	bool check = false;
	int o;

	while ((o = getopt_long(argc, argv, "+f:cvh", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			path = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'v':
			vlog_level = VLOG_L_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	struct vipd_conf *c = load(path);
	if (c == NULL)
		return 1;
	conf_path = path;
	ctl_set_hooks(apply_config, reload);
	if (check) {
		printf("%s: OK\n", path);
		conf_free(c);
		return 0;
	}

	char **eal_argv;
	int eal_argc = port_eal_args(c, argv[0], argc - optind, argv + optind, &eal_argv);
	for (int i = 1; i < eal_argc; i++)
		VLOG_DEBUG("EAL argument: %s", eal_argv[i]);
	if (eal_argc < 0 || rte_eal_init(eal_argc, eal_argv) < 0) {
		VLOG_ERR("EAL initialisation failed: %s", rte_strerror(rte_errno));
		conf_free(c);
		return 1;
	}
	/*
	 * dpdk-dumpcap attaches as a secondary process and asks for copies of
	 * our ports' packets: that needs shared hugepage memory (not --in-memory,
	 * not --no-huge), so a failure here only costs the capture.
	 */
	if (rte_pdump_init() != 0)
		VLOG_WARN("packet capture (pdump) not available: %s", rte_strerror(rte_errno));
	base = event_base_new();
	struct rte_mempool *mp = NULL;
	uint32_t idle = c->dpdk.idle_sleep_max_us;
	int rc = start_dataplane(c, &mp);
	first_conf = vrrp_conf = c;
	if (rc == 0)
		rc = modules_start(c);
	if (rc == 0) {
		fprintf(stderr, "vipd: ready\n");
		control_loop(idle);
	} else {
		VLOG_ERR("start-up failed: %s", strerror(-rc));
	}
	dp_quit = true;
	rte_eal_mp_wait_lcore();
	port_teardown();
	if (rc == 0)
		model_stop();
	else
		conf_free(c);
	event_base_free(base);
	rte_pdump_uninit();
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
