/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf, good files: the reference scenario, every documented default and
 * the keepalived aliases, from fixtures in tests/unit/conf/ (found through
 * VIPD_TEST_DATA); vrrp_scripts, track_script and vrrp_sync_groups: values,
 * defaults, resolved indexes and what a reload sees changed
 * (vrrp_track*.conf). Each class of error: test_conf_bad.c.
 */
#include "tests/unit/conf_testlib.h"

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
		cmocka_unit_test(test_vrrp_track),
		cmocka_unit_test(test_vrrp_track_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
