/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf, bad files: each class of error, one fixture each (tests/unit/conf/).
 * A bad fixture lists every error it must produce: the count has to match
 * and each message must carry the file, the line and the key, so a
 * regression in either direction shows. Also errors in an @include'd file,
 * in vrrp_scripts and in vrrp_sync_groups.
 */
#include "tests/unit/conf_testlib.h"

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

/* ---- vrrp_scripts and vrrp_sync_groups ----------------------------------- */

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
		cmocka_unit_test(test_bad_vrrp_script),
		cmocka_unit_test(test_bad_sync_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
