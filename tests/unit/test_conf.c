/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf: the reference scenario, every documented default, the keepalived
 * aliases and each class of error, from fixtures in tests/unit/conf/ (found
 * through VIPD_TEST_DATA). A bad fixture lists every error it must produce:
 * the count has to match and each message must carry the file, the line and
 * the key, so a regression in either direction shows. vrrp_scripts,
 * track_script and vrrp_sync_groups: values, defaults, resolved indexes and
 * what a reload sees changed (vrrp_track*.conf), and their errors.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dataplane/sched.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *data_path(const char *rel)
{
	static char buf[4][1024];
	static unsigned next;
	const char *dir = getenv("VIPD_TEST_DATA");
	char *p = buf[next++ % N(buf)];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir ? dir : "tests/unit", rel);
	return p;
}

static const char *fixture(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "conf/%s", name);
	return data_path(rel);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct vipd_conf *load_good(const char *path)
{
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	int rc = conf_load(path, &c, &e);

	if (rc != 0 || e.n)
		conf_errors_print(&e, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(e.n, 0);
	assert_non_null(c);
	return c;
}

struct want {
	unsigned line;
	const char *text; /* a substring of the message, key included */
};

static bool has_error(const struct conf_errors *e, const char *path,
		      const struct want *w)
{
	char prefix[1200];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, w->line);
	for (unsigned i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(e->msg[i], w->text))
			return true;
	return false;
}

/* Load a bad fixture: exactly n errors, each of want[] among them. */
static void check_bad(const char *name, const struct want *want, unsigned n)
{
	const char *path = fixture(name);
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	int rc = conf_load(path, &c, &e);
	bool ok = rc == -EINVAL && e.n == n;

	for (unsigned i = 0; i < n; i++) {
		if (!has_error(&e, path, &want[i])) {
			fprintf(stderr, "missing: %s:%u: ...%s...\n", name,
				want[i].line, want[i].text);
			ok = false;
		}
	}
	if (!ok) {
		fprintf(stderr, "%s: rc %d, %u errors, want %u:\n", name, rc, e.n, n);
		conf_errors_print(&e, stderr);
	}
	assert_int_equal(rc, -EINVAL);
	assert_null(c);
	assert_int_equal(e.n, n);
	assert_true(ok);
	conf_errors_clear(&e);
}

#define BAD(name, ...) do { \
	static const struct want w_[] = { __VA_ARGS__ }; \
	check_bad(name, w_, N(w_)); \
} while (0)

/* ---- good files --------------------------------------------------------- */

static void check_reference_common(const struct vipd_conf *c)
{
	assert_int_equal(c->global.n_emails, 1);
	assert_string_equal(c->global.emails[0], "ops@lab.invalid");
	assert_int_equal(c->global.smtp_server, ip("10.99.0.20"));
	assert_int_equal(c->global.smtp_port, 25);
	assert_int_equal(c->dpdk.workers, 1);

	assert_int_equal(c->n_ports, 1);
	assert_string_equal(c->ports[0].name, "lan0");
	assert_string_equal(c->ports[0].device, "net_af_packet0,iface=lan0");
	assert_false(c->ports[0].is_pci);
	assert_int_equal(c->ports[0].prefixlen, 24);
	assert_true(c->ports[0].kernel);
	assert_string_equal(c->ports[0].kernel_name, "vipd-lan0");

	assert_int_equal(c->n_vrrp, 1);
	const struct conf_vrrp *v = &c->vrrp[0];
	assert_string_equal(v->name, "VI_1");
	assert_string_equal(v->interface, "lan0");
	assert_int_equal(v->vrid, 51);
	assert_true(v->auth_pass);
	assert_string_equal(v->auth_password, "vipd1234");
	assert_int_equal(v->n_vips, 1);
	assert_int_equal(v->vips[0], ip("10.99.0.100"));
	assert_true(v->preempt);

	assert_int_equal(c->n_vs, 1);
	const struct conf_vs *vs = &c->vs[0];
	assert_int_equal(vs->addr, ip("10.99.0.100"));
	assert_int_equal(vs->port, 80);
	assert_int_equal(vs->proto, IPPROTO_TCP);
	assert_string_equal(vs->scheduler, "rr");
	assert_int_equal(vs->fwd, CONF_FWD_DR);
	assert_int_equal(vs->persistence_timeout, 50);
	assert_true(vs->delay_loop == 6);
	assert_int_equal(vs->n_rs, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct conf_rs *rs = &vs->rs[i];

		assert_int_equal(rs->addr, ip(i ? "10.99.0.12" : "10.99.0.11"));
		assert_int_equal(rs->port, 80);
		assert_int_equal(rs->weight, 1);
		assert_int_equal(conf_rs_fwd(vs, rs), CONF_FWD_DR);
		assert_int_equal(rs->check.type, CONF_CHECK_HTTP_GET);
		assert_int_equal(rs->check.n_urls, 1);
		assert_string_equal(rs->check.urls[0].path, "/");
		assert_int_equal(rs->check.urls[0].n_status, 1);
		assert_int_equal(rs->check.urls[0].status[0].lo, 200);
		assert_int_equal(rs->check.urls[0].status[0].hi, 200);
		assert_true(rs->check.connect_timeout == 3);
		assert_int_equal(rs->check.retry, 3);
		assert_true(rs->check.delay_before_retry == 3);
		assert_true(rs->check.delay_loop == 6); /* from the virtual server */
		/* A DR real server sits on the director's LAN. */
		assert_int_equal(conf_port_for_addr(c, rs->addr), 0);
	}
}

static void test_reference(void **state)
{
	(void)state;
	struct vipd_conf *c = load_good(data_path("../../docs/examples/reference.conf"));

	check_reference_common(c);
	assert_string_equal(c->global.router_id, "director1");
	assert_int_equal(c->ports[0].addr, ip("10.99.0.2"));
	assert_true(c->vrrp[0].initial_master);
	assert_int_equal(c->vrrp[0].priority, 100);
	conf_free(c);
}

static void test_reference_backup(void **state)
{
	(void)state;
	struct vipd_conf *c = load_good(data_path("../../docs/examples/reference-backup.conf"));

	check_reference_common(c);
	assert_string_equal(c->global.router_id, "director2");
	assert_int_equal(c->ports[0].addr, ip("10.99.0.3"));
	assert_false(c->vrrp[0].initial_master);
	assert_int_equal(c->vrrp[0].priority, 99);
	conf_free(c);
}

static void check_default_globals(const struct vipd_conf *c)
{
	char host[CONF_NAME_MAX] = "", from[CONF_STR_MAX];

	gethostname(host, sizeof(host) - 1);
	snprintf(from, sizeof(from), "vipd@%s", host);
	assert_string_equal(c->global.router_id, host);
	assert_string_equal(c->global.email_from, from);
	assert_int_equal(c->global.n_emails, 0);
	assert_int_equal(c->global.smtp_server, 0);
	assert_int_equal(c->global.smtp_port, 25);
	assert_true(c->global.smtp_connect_timeout == 30);
	assert_false(c->global.sloppy_tcp);
	assert_false(c->global.expire_nodest_conn);
	assert_int_equal(c->global.tcp_timeout, 900);
	assert_int_equal(c->global.tcpfin_timeout, 120);
	assert_int_equal(c->global.udp_timeout, 300);
	assert_int_equal(c->dpdk.workers, 1);
	assert_int_equal(c->dpdk.n_eal_args, 0);
	assert_int_equal(c->dpdk.sessions, 1048576);
	assert_int_equal(c->dpdk.mbufs, 16384);
	assert_int_equal(c->dpdk.idle_sleep_max_us, 200);

	const struct conf_port *p = &c->ports[0];
	assert_int_equal(p->gateway, 0);
	assert_true(p->kernel);
	assert_string_equal(p->kernel_name, "vipd-lan0");

	const struct conf_vrrp *v = &c->vrrp[0];
	assert_false(v->initial_master); /* keepalived: BACKUP */
	assert_int_equal(v->priority, 100);
	assert_true(v->advert_int == 1);
	assert_int_equal(v->version, 2);
	assert_false(v->auth_pass);
	assert_int_equal(v->n_vips, 0);
	assert_true(v->preempt);
	assert_true(v->preempt_delay == 0);
	assert_false(v->use_vmac);
	assert_int_equal(v->unicast_src, 0);
	assert_int_equal(v->n_peers, 0);
	assert_true(v->garp_master_delay == 5);
	assert_int_equal(v->garp_master_repeat, 5);
	assert_true(v->garp_master_refresh == 0);
	assert_int_equal(v->n_track_if, 0);
	assert_string_equal(v->notify_master, "");
	assert_false(v->smtp_alert);
}

static void check_default_checks(const struct conf_vs *vs)
{
	static const enum conf_check_type types[] = {
		CONF_CHECK_NONE, CONF_CHECK_HTTP_GET, CONF_CHECK_SSL_GET, CONF_CHECK_TCP,
		CONF_CHECK_MISC, CONF_CHECK_SMTP, CONF_CHECK_DNS,
	};

	assert_int_equal(vs->n_rs, N(types));
	for (unsigned i = 0; i < N(types); i++) {
		const struct conf_check *ck = &vs->rs[i].check;
		bool http = types[i] == CONF_CHECK_HTTP_GET || types[i] == CONF_CHECK_SSL_GET;

		assert_int_equal(ck->type, types[i]);
		if (types[i] == CONF_CHECK_NONE)
			continue;
		assert_true(ck->connect_timeout == 5);
		assert_int_equal(ck->retry, types[i] == CONF_CHECK_MISC ? 0 : 1);
		assert_true(ck->delay_before_retry == (http ? 3 : 1));
		assert_true(ck->delay_loop == 60);
		assert_true(ck->warmup == -1);
		assert_int_equal(ck->connect_ip, 0);
		assert_int_equal(ck->connect_port, 0);
		assert_int_equal(ck->bindto, 0);
		assert_string_equal(ck->http_protocol, "1.0");
		assert_string_equal(ck->dns_type, "SOA");
		assert_string_equal(ck->dns_name, ".");
		assert_string_equal(ck->helo_name, "smtpchecker.keepalived.org");
		assert_true(ck->misc_timeout == 60);
		assert_false(ck->misc_dynamic);
		if (http) {
			assert_int_equal(ck->n_urls, 1);
			assert_int_equal(ck->urls[0].n_status, 0); /* 200-299 */
			assert_string_equal(ck->urls[0].digest, "");
		}
	}
}

static void test_defaults(void **state)
{
	(void)state;
	struct vipd_conf *c = load_good(fixture("minimal.conf"));

	check_default_globals(c);
	const struct conf_vs *vs = &c->vs[0];
	assert_int_equal(vs->proto, IPPROTO_UDP); /* keepalived's default */
	assert_string_equal(vs->scheduler, "wlc");
	assert_non_null(sched_find(vs->scheduler));
	assert_string_equal(vs->sched_flags, "");
	assert_int_equal(vs->fwd, CONF_FWD_NAT);
	assert_int_equal(vs->persistence_timeout, 0);
	assert_int_equal(vs->persistence_netmask, 0xffffffff);
	assert_true(vs->delay_loop == 60);
	assert_int_equal(vs->quorum, 1);
	assert_int_equal(vs->hysteresis, 0);
	assert_false(vs->alpha || vs->omega || vs->inhibit_on_failure);
	assert_false(vs->has_sorry);
	for (unsigned i = 0; i < vs->n_rs; i++) {
		const struct conf_rs *rs = &vs->rs[i];

		assert_int_equal(rs->port, 53); /* the virtual server's */
		assert_int_equal(rs->weight, 1);
		assert_false(rs->has_fwd);
		assert_int_equal(conf_rs_fwd(vs, rs), CONF_FWD_NAT);
		assert_false(rs->has_mac);
		assert_int_equal(rs->u_threshold, 0);
		assert_int_equal(rs->l_threshold, 0);
		assert_false(rs->inhibit_on_failure);
	}
	check_default_checks(vs);
	conf_free(c);
}

static void check_full_global(const struct vipd_conf *c)
{
	assert_string_equal(c->global.router_id, "lb-a");
	assert_int_equal(c->global.n_emails, 2);
	assert_string_equal(c->global.emails[1], "b@example.org");
	assert_string_equal(c->global.email_from, "lb@example.org");
	assert_int_equal(c->global.smtp_port, 2525);
	assert_true(c->global.smtp_connect_timeout == 2.5);
	assert_true(c->global.sloppy_tcp && c->global.expire_nodest_conn);
	assert_int_equal(c->global.tcp_timeout, 1000);
	assert_int_equal(c->global.udp_timeout, 30);
	assert_int_equal(c->dpdk.workers, 4);
	assert_int_equal(c->dpdk.n_eal_args, 4);
	assert_string_equal(c->dpdk.eal_args[3], "0-4");
	assert_int_equal(c->dpdk.sessions, 2048);
	assert_int_equal(c->dpdk.idle_sleep_max_us, 0);

	assert_int_equal(c->n_ports, 3);
	assert_true(c->ports[0].is_pci && c->ports[1].is_pci);
	assert_false(c->ports[2].is_pci);
	assert_false(c->ports[0].kernel);
	assert_string_equal(c->ports[0].kernel_name, "tap-wan");
	assert_int_equal(c->ports[0].gateway, ip("192.0.2.1"));

	const struct conf_vrrp *v = &c->vrrp[0];
	assert_int_equal(v->version, 3);
	assert_true(fabs(v->advert_int - 0.25) < 1e-9);
	assert_int_equal(v->priority, 254);
	assert_false(v->preempt);
	assert_true(v->preempt_delay == 30 && v->use_vmac);
	assert_int_equal(v->n_vips, 2);
	assert_int_equal(v->unicast_src, ip("192.0.2.2"));
	assert_int_equal(v->n_peers, 2);
	assert_int_equal(v->peers[1], ip("192.0.2.4"));
	assert_true(v->garp_master_delay == 0 && v->garp_master_refresh == 60);
	assert_int_equal(v->garp_master_repeat, 2);
	assert_int_equal(v->n_track_if, 2);
	assert_string_equal(v->track_if[1], "lan");
	assert_string_equal(v->notify_master, "/etc/vipd/master.sh VI_9");
	assert_string_equal(v->notify, "/etc/vipd/notify.sh");
}

static void check_full_urls(const struct conf_check *ck)
{
	const struct conf_url *u = ck->urls;

	assert_int_equal(ck->n_urls, 5);
	assert_string_equal(u[0].digest, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(u[0].n_status, 0);
	assert_int_equal(u[1].n_status, 1);
	assert_int_equal(u[1].status[0].lo, 204);
	assert_int_equal(u[1].status[0].hi, 204);
	assert_int_equal(u[2].status[0].lo, 200);
	assert_int_equal(u[2].status[0].hi, 299);
	assert_int_equal(u[3].n_status, 3);
	assert_int_equal(u[3].status[2].lo, 302);
	assert_int_equal(u[4].n_status, 3);
	assert_int_equal(u[4].status[1].lo, 300);
	assert_int_equal(u[4].status[1].hi, 399);
	assert_int_equal(u[4].status[2].lo, 404);
	assert_int_equal(u[4].status[2].hi, 404);
}

static void check_full_vs(const struct vipd_conf *c)
{
	const struct conf_vs *vs = &c->vs[0];

	assert_int_equal(vs->proto, IPPROTO_TCP); /* "tcp" */
	assert_string_equal(vs->scheduler, "wrr"); /* lb_algo */
	assert_string_equal(vs->sched_flags, "sh-port,sh-fallback");
	assert_int_equal(vs->fwd, CONF_FWD_NAT); /* lvs_method */
	assert_int_equal(vs->persistence_netmask, ip("255.255.255.0"));
	assert_true(vs->delay_loop == 12.5);
	assert_int_equal(vs->quorum, 2);
	assert_int_equal(vs->hysteresis, 1);
	assert_true(vs->alpha && vs->omega && vs->inhibit_on_failure);
	assert_true(vs->has_sorry);
	assert_int_equal(vs->sorry_addr, ip("10.1.0.30"));
	assert_int_equal(vs->sorry_port, 443);
	assert_string_equal(vs->quorum_down, "/q-down.sh");

	const struct conf_rs *rs = &vs->rs[0];
	assert_int_equal(rs->port, 8080);
	assert_int_equal(rs->weight, 0);
	assert_true(rs->has_fwd); /* lb_kind */
	assert_true(rs->has_mac);
	assert_int_equal(rs->mac[1], 0xab);
	assert_int_equal(rs->u_threshold, 100);
	assert_false(rs->inhibit_on_failure); /* its own false beats the vs */
	assert_true(vs->rs[1].inhibit_on_failure); /* inherited */

	const struct conf_check *ck = &rs->check;
	assert_int_equal(ck->type, CONF_CHECK_SSL_GET);
	check_full_urls(ck);
	assert_int_equal(ck->retry, 4); /* nb_get_retry */
	assert_true(ck->connect_timeout == 1.5 && ck->delay_before_retry == 0.5);
	assert_true(ck->warmup == 2 && ck->delay_loop == 12.5);
	assert_int_equal(ck->connect_ip, ip("10.1.0.99"));
	assert_int_equal(ck->connect_port, 8443);
	assert_string_equal(ck->http_protocol, "1.1");
	assert_string_equal(ck->sni, "sni.example.org");
	assert_string_equal(ck->virtualhost, "www.example.org");

	ck = &vs->rs[1].check;
	assert_int_equal(ck->type, CONF_CHECK_MISC);
	assert_string_equal(ck->misc_path, "/bin/check 1");
	assert_true(ck->misc_timeout == 9 && ck->misc_dynamic);
	assert_true(ck->delay_loop == 7);
	assert_int_equal(ck->retry, 2);
	assert_string_equal(vs->rs[2].check.helo_name, "me.example.org");
	assert_string_equal(vs->rs[3].check.dns_type, "A");
	assert_string_equal(vs->rs[3].check.dns_name, "example.org");

	vs = &c->vs[1];
	assert_int_equal(vs->proto, IPPROTO_UDP);
	assert_string_equal(vs->scheduler, "lc"); /* lvs_sched */
	assert_int_equal(vs->fwd, CONF_FWD_DR); /* lb_kind */
	assert_int_equal(conf_rs_fwd(vs, &vs->rs[0]), CONF_FWD_TUN);
	assert_int_equal(vs->rs[0].port, 443);
}

static void test_full_and_aliases(void **state)
{
	(void)state;
	struct vipd_conf *c = load_good(fixture("full.conf"));

	check_full_global(c);
	check_full_vs(c);
	conf_free(c);
}

static void test_helpers(void **state)
{
	(void)state;
	struct vipd_conf *c = load_good(fixture("full.conf"));

	/* wan 192.0.2.0/24, lan 10.1.0.0/16, host 10.1.5.9/32: longest wins. */
	assert_int_equal(conf_port_for_addr(c, ip("192.0.2.77")), 0);
	assert_int_equal(conf_port_for_addr(c, ip("10.1.200.1")), 1);
	assert_int_equal(conf_port_for_addr(c, ip("10.1.5.9")), 2);
	assert_int_equal(conf_port_for_addr(c, ip("10.2.0.1")), -1);
	assert_string_equal(conf_fwd_name(CONF_FWD_NAT), "NAT");
	assert_string_equal(conf_fwd_name(CONF_FWD_DR), "DR");
	assert_string_equal(conf_fwd_name(CONF_FWD_TUN), "TUN");
	assert_string_equal(conf_check_name(CONF_CHECK_NONE), "none");
	assert_string_equal(conf_check_name(CONF_CHECK_TCP), "TCP_CHECK");
	assert_string_equal(conf_check_name(CONF_CHECK_DNS), "DNS_CHECK");
	conf_free(c);
	conf_free(NULL);
}

/* Errors are appended, printed one per line, and cleared. */
static void test_errors_api(void **state)
{
	(void)state;
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(conf_load(fixture("bad_sched.conf"), &c, &e), -EINVAL);
	assert_int_equal(conf_load(fixture("bad_dup_port.conf"), &c, &e), -EINVAL);
	assert_int_equal(e.n, 2);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	conf_errors_print(&e, f);
	fclose(f);
	assert_non_null(strstr(buf, "maglev"));
	assert_non_null(strstr(buf, "\n"));
	assert_ptr_equal(strchr(strchr(buf, '\n') + 1, '\n'), buf + len - 1);
	free(buf);
	conf_errors_clear(&e);
	assert_int_equal(e.n, 0);
	assert_null(e.msg);
	/* No error list: still fails the same way. */
	assert_int_equal(conf_load(fixture("bad_sched.conf"), &c, NULL), -EINVAL);
	assert_null(c);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;

	assert_int_equal(conf_load(fixture("no-such.conf"), &c, &e), -ENOENT);
	assert_null(c);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "no-such.conf"));
	conf_errors_clear(&e);
}

/* ---- bad files, one per error class ------------------------------------- */

static void test_bad_syntax(void **state)
{
	(void)state;
	BAD("bad_syntax.conf", { 3, "syntax error" });
}

static void test_bad_unknown_keys(void **state)
{
	(void)state;
	BAD("bad_unknown_key.conf",
	    { 1, "unknown key 'colour' at top level" },
	    { 2, "global: unknown key 'routerid' in global" },
	    { 3, "ports[0]: unknown key 'speed' in port" },
	    { 8, "virtual_servers[0]: unknown key 'lb_algorithm' in virtual_server" },
	    { 12, "virtual_servers[0].real_servers[0]: unknown key 'wieght' in real_server" },
	    { 14, "HTTP_GET.url: unknown key 'status' in url" },
	    { 15, "real_servers[0].HTTP_GET: unknown key 'timeout' in HTTP_GET" },
	    { 16, "real_servers[0].HTTP_GET: unknown key 'sni' in HTTP_GET" });
}

static void test_bad_types(void **state)
{
	(void)state;
	BAD("bad_types.conf",
	    { 1, "global: smtp_port must be an integer" },
	    { 1, "global: sloppy_tcp must be true or false" },
	    { 1, "global: router_id must be a string" },
	    { 1, "global: notification_email must be a list of strings" },
	    { 2, "dpdk: workers must be an integer" },
	    { 2, "dpdk: eal_args[0] must be a string" },
	    { 2, "dpdk: eal_args[1] must be a string" },
	    { 3, "ports must be a list of groups" },
	    { 5, "vrrp_instances[0]: virtual_router_id must be an integer" },
	    { 5, "vrrp_instances[0]: advert_int must be a number" },
	    { 6, "vrrp_instances[0]: preempt must be true or false" },
	    { 6, "vrrp_instances[0]: authentication must be a group" },
	    { 9, "virtual_servers[0]: address must be a string" },
	    { 9, "virtual_servers[0]: delay_loop must be a number" },
	    { 9, "virtual_servers[0]: real_servers must be a list of groups" });
}

static void test_bad_ranges(void **state)
{
	(void)state;
	BAD("bad_ranges.conf",
	    { 1, "global: smtp_port 0 out of range 1..65535" },
	    { 1, "global: tcp_timeout 0 out of range 1..604800" },
	    { 3, "dpdk: workers 65 out of range 1..64" },
	    { 4, "dpdk: sessions 100 out of range 1024..268435456" },
	    { 5, "dpdk: mbufs 16777217 out of range 1024..16777216" },
	    { 6, "dpdk: idle_sleep_max_us 100001 out of range 0..100000" },
	    { 8, "ports[0]: address '10.0.0.2/33'" },
	    { 10, "vrrp_instances[0]: virtual_router_id 256 out of range 1..255" },
	    { 10, "vrrp_instances[0]: priority 0 out of range 1..255" },
	    { 11, "vrrp_instances[1]: advert_int 1.5 must be whole seconds 1..255 with version 2" },
	    { 12, "vrrp_instances[2]: advert_int 41 out of range 0.01..40.95 for version 3" },
	    { 13, "vrrp_instances[3]: version 4 out of range 2..3" },
	    { 13, "vrrp_instances[3]: preempt_delay 1001 out of range 0..1000" },
	    { 18, "virtual_servers[0]: port 65536 out of range 1..65535" },
	    { 20, "virtual_servers[0].real_servers[0]: port 0 out of range 1..65535" },
	    { 20, "virtual_servers[0].real_servers[0]: weight 70000 out of range 0..65535" },
	    { 21, "virtual_servers[0].real_servers[1]: weight -1 out of range 0..65535" },
	    { 22, "HTTP_GET.url: status_code 99 out of range 100..599" },
	    { 22, "real_servers[1].HTTP_GET: retry 1001 out of range 0..1000" },
	    { 22, "real_servers[1].HTTP_GET: connect_timeout 0 out of range 0.01..3600" });
}

static void test_bad_auth(void **state)
{
	(void)state;
	BAD("bad_auth.conf",
	    { 4, "vrrp_instances[0].authentication: auth_pass has 9 characters" },
	    { 6, "vrrp_instances[1].authentication: auth_type AH is not supported" },
	    { 8, "vrrp_instances[2]: authentication is not available with version 3" },
	    { 10, "vrrp_instances[3].authentication: missing required key 'auth_type'" });
}

static void test_bad_addresses(void **state)
{
	(void)state;
	BAD("bad_addresses.conf",
	    { 1, "global: smtp_server 'smtp.example.org' is not an IPv4 address" },
	    { 3, "ports[0]: address '10.0.0.2' must be the port's IPv4 address and prefix length" },
	    { 4, "ports[1]: gateway 10.0.2.1 is not in the port's subnet 10.0.1.0/24" },
	    { 8, "vrrp_instances[0]: virtual_ipaddress[1] '10.0.0.300' is not an IPv4 address" },
	    { 8, "vrrp_instances[0]: unicast_peer[1] 10.0.0.3 is listed twice" },
	    { 12, "virtual_servers[0]: address '10.0.0' is not an IPv4 address" },
	    { 14, "virtual_servers[0]: persistence_netmask '255.0.255.0' is not a netmask" },
	    { 15, "virtual_servers[0].sorry_server: address 'sorry' is not an IPv4 address" },
	    { 17, "real_servers[0]: mac '02:00:00:00:11' must be six hex bytes" },
	    { 18, "real_servers[1]: mac '01:00:5e:00:00:01' is a multicast address" },
	    { 19, "real_servers[2].TCP_CHECK: connect_ip '1.2.3' is not an IPv4 address" },
	    { 19, "real_servers[2].TCP_CHECK: bindto 'x' is not an IPv4 address" });
}

static void test_bad_ipv6(void **state)
{
	(void)state;
	BAD("bad_ipv6.conf",
	    { 1, "ports[0]: address '2001:db8::2/64': IPv6 is not supported yet" },
	    { 3, "vrrp_instances[0]: virtual_ipaddress[0] '2001:db8::100': IPv6 is not supported yet" },
	    { 6, "virtual_servers[0]: address '2001:db8::100': IPv6 is not supported yet" },
	    { 6, "real_servers[0]: address '2001:db8::11': IPv6 is not supported yet" });
}

static void test_bad_dup_vs(void **state)
{
	(void)state;
	/* Same address and port with the other protocol, or another port, is fine. */
	BAD("bad_dup_vs.conf",
	    { 6, "virtual_servers[3]: duplicate virtual service TCP 10.0.0.100:80 (also virtual_servers[0], line 3)" },
	    { 7, "virtual_servers[4]: duplicate virtual service UDP 10.0.0.100:80 (also virtual_servers[1], line 4)" });
}

static void test_bad_dup_rs(void **state)
{
	(void)state;
	/* The first real server's port is the virtual server's 80. */
	BAD("bad_dup_rs.conf",
	    { 9, "virtual_servers[0].real_servers[2]: duplicate real server 10.0.0.11:80 (also real_servers[0], line 7)" });
}

static void test_bad_dup_port(void **state)
{
	(void)state;
	BAD("bad_dup_port.conf",
	    { 4, "ports[2]: duplicate port name 'lan0' (also ports[0], line 2)" });
}

static void test_bad_vrrp_interface(void **state)
{
	(void)state;
	BAD("bad_vrrp_iface.conf",
	    { 5, "vrrp_instances[0]: interface 'eth0' names no port (ports: lan0)" },
	    { 8, "vrrp_instances[0]: track_interface 'eth1' names no port" });
}

static void test_bad_dup_vrid(void **state)
{
	(void)state;
	/* vrid 51 on lan1 is another router: only the second lan0 one clashes. */
	BAD("bad_dup_vrid.conf",
	    { 9, "vrrp_instances[2]: virtual_router_id 51 on interface 'lan0' is also used by vrrp_instances[0] (line 6)" });
}

static void test_bad_scheduler(void **state)
{
	(void)state;
	char text[256];
	struct want w;

	snprintf(text, sizeof(text), "virtual_servers[0]: unknown scheduler 'maglev' (known: %s)",
		 sched_names());
	w.line = 4;
	w.text = text;
	check_bad("bad_sched.conf", &w, 1);
}

static void test_bad_forwarding(void **state)
{
	(void)state;
	BAD("bad_fwd.conf",
	    { 6, "virtual_servers[0]: unknown forwarding method 'FULLNAT'" },
	    { 7, "virtual_servers[0].real_servers[0]: unknown forwarding method 'GRE'" },
	    { 13, "virtual_servers[1]: 'forwarding' and 'lb_kind' are the same setting" });
}

static void test_bad_checks(void **state)
{
	(void)state;
	BAD("bad_checks.conf",
	    { 8, "real_servers[0]: HTTP_GET after TCP_CHECK: a real server takes one health check" },
	    { 9, "real_servers[1].HTTP_GET: missing required key 'url' in HTTP_GET" },
	    { 10, "real_servers[2].MISC_CHECK: missing required key 'misc_path' in MISC_CHECK" },
	    { 11, "real_servers[3].TCP_CHECK: unknown key 'misc_path' in TCP_CHECK" },
	    { 12, "real_servers[4].HTTP_GET.url: digest 'xyz' must be an MD5 sum" },
	    { 12, "real_servers[4].HTTP_GET: http_protocol '2' must be one of 1.0|1.0C|1.1" },
	    { 13, "real_servers[5].DNS_CHECK: type 'PTR' must be one of" },
	    { 14, "real_servers[6]: port 8080 differs from the virtual server's 80, which DR forwarding cannot translate" });
}

static void test_bad_ports(void **state)
{
	(void)state;
	BAD("bad_ports.conf",
	    { 2, "ports[0]: device 'eth0' is neither a PCI address" },
	    { 3, "ports[1]: kernel_name is too long (18 characters, max 15)" },
	    { 4, "ports[2]: kernel_name defaults to 'vipd-a-very-long-port', longer than 15 characters" },
	    { 5, "ports[3]: gateway 10.0.4.1 is not in the port's subnet 10.0.3.0/24" },
	    { 6, "ports[4]: name 'lan 4' may only hold" });
}

static void test_bad_missing(void **state)
{
	(void)state;
	BAD("bad_missing.conf",
	    { 1, "missing required key 'ports' at top level" },
	    { 1, "vrrp_instances[0]: missing required key 'virtual_router_id' in vrrp_instance" },
	    { 3, "virtual_servers[0]: missing required key 'address' in virtual_server" },
	    { 3, "virtual_servers[0].real_servers[0]: missing required key 'address' in real_server" },
	    { 3, "virtual_servers[0].sorry_server: missing required key 'address' in sorry_server" });
	BAD("bad_empty.conf", { 1, "ports is empty" });
}

/* One error in each section: all of them come back, not just the first. */
static void test_bad_many(void **state)
{
	(void)state;
	BAD("bad_many.conf",
	    { 2, "global: smtp_port 99999 out of range 1..65535" },
	    { 3, "dpdk: workers 0 out of range 1..64" },
	    { 6, "vrrp_instances[0]: interface 'lan9' names no port" },
	    { 7, "vrrp_instances[0].authentication: auth_pass has 13 characters" },
	    { 13, "virtual_servers[0]: unknown scheduler 'fastest'" },
	    { 15, "virtual_servers[0].real_servers[0]: weight 70000 out of range 0..65535" },
	    { 16, "virtual_servers[0].real_servers[1]: unknown key 'colour' in real_server" },
	    { 16, "virtual_servers[0].real_servers[1]: duplicate real server 10.0.0.11:80" });
}

/* An error in an @include'd file names that file and its line. */
static void test_include(void **state)
{
	(void)state;
	struct conf_errors e = { 0 };
	struct vipd_conf *c = NULL;
	const char *inc = fixture("include_ports.inc");
	struct want w = { 3, "ports[0]: unknown key 'mtu' in port" };

	assert_int_equal(conf_load(fixture("include.conf"), &c, &e), -EINVAL);
	assert_int_equal(e.n, 1);
	assert_true(has_error(&e, inc, &w));
	conf_errors_clear(&e);
}

/* ---- vrrp_scripts, track_script, vrrp_sync_groups ------------------------- */

static void test_vrrp_track(void **state)
{
	(void)state;
	struct vipd_conf *c = load_good(fixture("vrrp_track.conf"));
	const struct conf_vrrp_script *s;

	assert_int_equal(c->n_vrrp_scripts, 4);
	s = &c->vrrp_scripts[0]; /* keepalived's defaults */
	assert_string_equal(s->name, "chk_default");
	assert_string_equal(s->script, "/bin/true");
	assert_true(s->interval == 1);
	assert_true(s->timeout == 1); /* the interval's */
	assert_int_equal(s->weight, 0);
	assert_int_equal(s->rise, 1);
	assert_int_equal(s->fall, 1);
	assert_int_equal(s->line, 6);
	s = &c->vrrp_scripts[1];
	assert_string_equal(s->script, "/usr/bin/pgrep nginx");
	assert_true(s->interval == 2);
	assert_true(s->timeout == 0.5);
	assert_int_equal(s->weight, -20);
	assert_int_equal(s->rise, 3);
	assert_int_equal(s->fall, 4);
	assert_int_equal(s->line, 7);
	assert_int_equal(c->vrrp_scripts[2].weight, 253);
	assert_string_equal(c->vrrp_scripts[2].script, "test -f '/tmp/x y'");
	assert_int_equal(c->vrrp_scripts[3].weight, -253);

	const struct conf_vrrp *v1 = &c->vrrp[0], *v2 = &c->vrrp[1];
	assert_int_equal(v1->n_track_script, 2);
	assert_string_equal(v1->track_script[0], "chk_nginx");
	assert_int_equal(v1->track_script_idx[0], 1);
	assert_int_equal(v1->track_script_idx[1], 2);
	assert_int_equal(v1->sync_group, -1);
	assert_int_equal(v2->n_track_script, 1);
	assert_int_equal(v2->track_script_idx[0], 0);
	assert_int_equal(v2->sync_group, 0);
	assert_int_equal(c->vrrp[2].sync_group, 0);
	assert_int_equal(c->vrrp[2].n_track_script, 0);
	assert_int_equal(c->vrrp[3].sync_group, 1);

	assert_int_equal(c->n_sync_groups, 2);
	const struct conf_vrrp_group *g = &c->sync_groups[0];
	assert_string_equal(g->name, "VG_1");
	assert_int_equal(g->line, 28);
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[1], "VI_3");
	assert_int_equal(g->member_idx[0], 1);
	assert_int_equal(g->member_idx[1], 2);
	assert_string_equal(g->notify_master, "/bin/echo master");
	assert_string_equal(g->notify_backup, "/bin/echo backup");
	assert_string_equal(g->notify_fault, "/bin/echo fault");
	assert_string_equal(g->notify_stop, "/bin/echo stop");
	assert_string_equal(g->notify, "/bin/echo any");
	assert_true(g->smtp_alert);
	g = &c->sync_groups[1];
	assert_int_equal(g->n_members, 1); /* ( ) lists work as [ ] arrays */
	assert_int_equal(g->member_idx[0], 3);
	assert_string_equal(g->notify, "");
	assert_false(g->smtp_alert);

	/* A copy carries them (runtime edits work on conf_dup copies). */
	struct vipd_conf *d = conf_dup(c);
	assert_non_null(d);
	assert_int_equal(d->n_vrrp_scripts, 4);
	assert_string_equal(d->vrrp_scripts[1].script, "/usr/bin/pgrep nginx");
	assert_string_equal(d->sync_groups[0].members[0], "VI_2");
	assert_true(conf_vrrp_equal(c, d));
	conf_free(d);
	conf_free(c);
}

/* A reload that changes a tracked script or a sync group restarts VRRP:
 * conf_vrrp_equal() compares the instances, which carry a fingerprint. */
static void test_vrrp_track_reload(void **state)
{
	(void)state;
	struct vipd_conf *a = load_good(fixture("vrrp_track.conf"));
	struct vipd_conf *b = load_good(fixture("vrrp_track.conf"));
	struct vipd_conf *sc = load_good(fixture("vrrp_track_changed.conf"));
	struct vipd_conf *gr = load_good(fixture("vrrp_track_group_changed.conf"));

	assert_true(conf_vrrp_equal(a, b));
	assert_false(conf_vrrp_equal(a, sc));
	assert_true(sc->vrrp_scripts[0].interval == 3);
	assert_int_equal(a->vrrp[0].track_sig, sc->vrrp[0].track_sig); /* VI_1 does not track it */
	assert_true(a->vrrp[1].track_sig != sc->vrrp[1].track_sig);
	assert_false(conf_vrrp_equal(a, gr));
	assert_true(a->vrrp[2].track_sig != gr->vrrp[2].track_sig);  /* a member */
	assert_int_equal(a->vrrp[3].track_sig, gr->vrrp[3].track_sig); /* another group */
	conf_free(a);
	conf_free(b);
	conf_free(sc);
	conf_free(gr);
}

static void test_bad_vrrp_script(void **state)
{
	(void)state;
	BAD("bad_vrrp_script.conf",
	    { 3, "vrrp_scripts[0]: weight 300 out of range -253..253" },
	    { 4, "vrrp_scripts[1]: interval 0 out of range 0.1..3600" },
	    { 4, "vrrp_scripts[1]: timeout 5000 out of range 0.1..3600" },
	    { 5, "vrrp_scripts[2]: rise 0 out of range 1..1000" },
	    { 5, "vrrp_scripts[2]: fall 1001 out of range 1..1000" },
	    { 5, "vrrp_scripts[2]: unknown key 'user' in vrrp_script" },
	    { 6, "vrrp_scripts[3]: script is empty" },
	    { 7, "vrrp_scripts[4]: weight -254 out of range -253..253" },
	    { 7, "vrrp_scripts[4]: missing required key 'script' in vrrp_script" },
	    { 8, "vrrp_scripts[5]: weight must be an integer" },
	    { 8, "vrrp_scripts[5]: duplicate vrrp_script name 'chk_a' (also vrrp_scripts[0], line 3)" },
	    { 12, "vrrp_instances[0]: track_script 'chk_nope' names no vrrp_script" },
	    { 12, "vrrp_instances[0]: track_script 'chk_b' is listed twice" });
}

static void test_bad_sync_group(void **state)
{
	(void)state;
	BAD("bad_sync_group.conf",
	    { 10, "vrrp_sync_groups[0]: group member 'VI_9' names no vrrp instance" },
	    { 12, "vrrp_sync_groups[1]: vrrp instance 'VI_1' is already in sync group 'VG_1' (line 10)" },
	    { 12, "vrrp_sync_groups[1]: vrrp instance 'VI_3' is listed twice" },
	    { 12, "vrrp_sync_groups[1]: unknown key 'global_tracking' in vrrp_sync_group" },
	    { 13, "vrrp_sync_groups[2]: group is empty" },
	    { 13, "vrrp_sync_groups[2]: duplicate vrrp_sync_group name 'VG_1' (also vrrp_sync_groups[0], line 10)" },
	    { 14, "vrrp_sync_groups[3]: missing required key 'group' in vrrp_sync_group" },
	    { 6, "vrrp_instances[1]: track_script 'chk_w' has weight -20, but 'VI_2' is in sync group 'VG_1': members of a sync group need weight 0" });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_reference_backup),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_and_aliases),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_errors_api),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_bad_unknown_keys),
		cmocka_unit_test(test_bad_types),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_bad_auth),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_bad_ipv6),
		cmocka_unit_test(test_bad_dup_vs),
		cmocka_unit_test(test_bad_dup_rs),
		cmocka_unit_test(test_bad_dup_port),
		cmocka_unit_test(test_bad_vrrp_interface),
		cmocka_unit_test(test_bad_dup_vrid),
		cmocka_unit_test(test_bad_scheduler),
		cmocka_unit_test(test_bad_forwarding),
		cmocka_unit_test(test_bad_checks),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_bad_missing),
		cmocka_unit_test(test_bad_many),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_vrrp_track),
		cmocka_unit_test(test_vrrp_track_reload),
		cmocka_unit_test(test_bad_vrrp_script),
		cmocka_unit_test(test_bad_sync_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
