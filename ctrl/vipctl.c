/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vipctl: the operator's command line. It speaks to a running vipd over the
 * DPDK telemetry socket (JSON), so it needs no DPDK and no hugepages.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctrl/kaconf.h"
#include "ctrl/vipctl.h"

#define REPLY_MAX (1 << 20)

static void usage(FILE *f);

static void usage_text(FILE *f)
{
	fprintf(f, "SOCKET defaults to /var/run/dpdk/rte/dpdk_telemetry.v2; -p P uses\n"
		   "/var/run/dpdk/P/dpdk_telemetry.v2 (vipd started with --file-prefix=P).\n");
}

int tel_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	char *greet = malloc(REPLY_MAX);
	if (greet == NULL || read(fd, greet, REPLY_MAX) < 0) {
		free(greet);
		close(fd);
		return -EIO;
	}
	free(greet);
	return fd;
}

/* Send cmd, return the value under its key (new reference) or NULL. */
json_t *tel_query(int fd, const char *cmd)
{
	char *buf = malloc(REPLY_MAX);
	if (buf == NULL)
		return NULL;
	if (write(fd, cmd, strlen(cmd)) < 0) {
		free(buf);
		return NULL;
	}
	ssize_t n = read(fd, buf, REPLY_MAX - 1);
	if (n <= 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	json_error_t err;
	json_t *root = json_loads(buf, 0, &err);
	free(buf);
	if (root == NULL) {
		fprintf(stderr, "vipctl: bad reply to %s: %s\n", cmd, err.text);
		return NULL;
	}
	char key[256];
	snprintf(key, sizeof(key), "%s", cmd);
	char *comma = strchr(key, ',');
	if (comma)
		*comma = '\0';
	json_t *v = json_incref(json_object_get(root, key));
	json_decref(root);
	if (v == NULL || json_is_null(v)) {
		fprintf(stderr, "vipctl: %s: no such command (is this a vipd socket?)\n", key);
		json_decref(v);
		return NULL;
	}
	return v;
}

json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static void print_drops(json_t *o, const char *indent)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (strncmp(k, "drop_", 5) == 0 && strcmp(k, "drop_total") != 0 &&
		    json_integer_value(v) > 0)
			printf("%s%-28s %12lld\n", indent, k + 5, (long long)json_integer_value(v));
	}
}

static int cmd_stats(int fd, int argc, char **argv, bool as_json)
{
	(void)argc;
	(void)argv;
	json_t *st = tel_query(fd, "/vipd/stats");
	json_t *ports = tel_query(fd, "/vipd/ports");
	json_t *svcs = tel_query(fd, "/vipd/services");
	json_t *rss = tel_query(fd, "/vipd/realservers");
	if (!st || !ports || !svcs || !rss)
		return 1;
	if (as_json) {
		json_t *all = json_pack("{s:O,s:O,s:O,s:O}", "stats", st, "ports", ports,
					"services", svcs, "realservers", rss);
		char *s = json_dumps(all, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s);
		free(s);
		json_decref(all);
		return 0;
	}
	printf("Totals: rx %lld  tx %lld  to-kernel %lld  from-kernel %lld  sessions %lld  "
	       "drops %lld\n",
	       (long long)num(st, "rx_pkts"), (long long)num(st, "tx_pkts"),
	       (long long)num(st, "to_kernel"), (long long)num(st, "from_kernel"),
	       (long long)num(st, "sessions"), (long long)num(st, "drop_total"));
	const char *i;
	json_t *e;
	printf("\n%-12s %12s %12s %12s %12s %10s %10s %10s\n", "Port", "RxPkts", "RxBytes",
	       "TxPkts", "TxBytes", "ToKernel", "FromKern", "Drops");
	json_object_foreach(ports, i, e) {
		printf("%-12s %12lld %12lld %12lld %12lld %10lld %10lld %10lld\n", str(e, "name"),
		       (long long)num(e, "rx_pkts"), (long long)num(e, "rx_bytes"),
		       (long long)num(e, "tx_pkts"), (long long)num(e, "tx_bytes"),
		       (long long)num(e, "to_kernel"), (long long)num(e, "from_kernel"),
		       (long long)num(e, "drop_total"));
		print_drops(e, "  drop ");
	}
	printf("\n%-26s %-5s %-4s %12s %14s %10s %8s %8s %8s\n", "Service", "Sched", "Fwd",
	       "Pkts", "Bytes", "Conns", "Active", "Inact", "Drops");
	json_object_foreach(svcs, i, e) {
		printf("%-26s %-5s %-4s %12lld %14lld %10lld %8lld %8lld %8lld\n",
		       str(e, "service"), str(e, "scheduler"), str(e, "forwarding"),
		       (long long)num(e, "pkts"), (long long)num(e, "bytes"),
		       (long long)num(e, "conns"), (long long)num(e, "active"),
		       (long long)num(e, "inactive"), (long long)num(e, "drops"));
		const char *j;
		json_t *r;
		json_object_foreach(rss, j, r) {
			if (strcmp(str(r, "service"), str(e, "service")) != 0)
				continue;
			char who[64];
			snprintf(who, sizeof(who), "  -> %s:%lld", str(r, "address"),
				 (long long)num(r, "port"));
			printf("%-26s %-5s %-4s %12lld %14lld %10lld %8lld %8lld %8lld  w=%lld %s\n",
			       who, str(r, "state"), str(r, "forwarding"),
			       (long long)num(r, "pkts"), (long long)num(r, "bytes"),
			       (long long)num(r, "conns"), (long long)num(r, "active"),
			       (long long)num(r, "inactive"), (long long)num(r, "drops"),
			       (long long)num(r, "weight"), str(r, "mac"));
		}
	}
	json_decref(st);
	json_decref(ports);
	json_decref(svcs);
	json_decref(rss);
	return 0;
}

static int cmd_raw(int fd, int argc, char **argv, bool as_json)
{
	(void)argc;
	(void)as_json;
	json_t *v = tel_query(fd, argv[0]);
	if (v == NULL)
		return 1;
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
	puts(s);
	free(s);
	json_decref(v);
	return 0;
}

/* VRRP instances (vrrp/vrrp_tel.h): one row each, refused adverts by reason. */
static int cmd_vrrp(int fd, int argc, char **argv, bool as_json)
{
	(void)argc;
	(void)argv;
	json_t *v = tel_query(fd, "/vipd/vrrp");
	if (v == NULL)
		return 1;
	if (as_json) {
		char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s);
		free(s);
		json_decref(v);
		return 0;
	}
	printf("%-16s %-8s %4s %4s %3s %-15s %-20s %-18s %9s %9s %6s\n", "Instance", "State",
	       "Prio", "VRID", "Ver", "Master", "Since", "Reason", "AdvIn", "AdvOut", "Bad");
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) {
		if (strncmp(k, "vi", 2) != 0)
			continue;
		char since[32] = "-";
		time_t t = (time_t)num(e, "last_transition");
		struct tm tm;
		if (t > 0 && localtime_r(&t, &tm))
			strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S", &tm);
		char prio[16];
		if (num(e, "priority") != num(e, "base_priority"))
			snprintf(prio, sizeof(prio), "%lld/%lld", (long long)num(e, "priority"),
				 (long long)num(e, "base_priority"));
		else
			snprintf(prio, sizeof(prio), "%lld", (long long)num(e, "priority"));
		printf("%-16s %-8s %4s %4lld %3lld %-15s %-20s %-18s %9lld %9lld %6lld\n",
		       str(e, "name"), str(e, "state"), prio, (long long)num(e, "vrid"),
		       (long long)num(e, "version"),
		       *str(e, "master") ? str(e, "master") : "-", since, str(e, "last_reason"),
		       (long long)num(e, "adverts_in"), (long long)num(e, "adverts_out"),
		       (long long)num(e, "bad_total"));
		const char *r;
		json_t *c;
		json_object_foreach(e, r, c) {
			if (strncmp(r, "bad_", 4) == 0 && strcmp(r, "bad_total") != 0 &&
			    json_integer_value(c) > 0)
				printf("  bad %-24s %12lld\n", r + 4, (long long)json_integer_value(c));
		}
	}
	json_t *u = json_object_get(v, "unmatched");
	if (u && num(u, "bad_total") > 0) {
		printf("adverts no instance takes:\n");
		const char *r;
		json_t *c;
		json_object_foreach(u, r, c) {
			if (strncmp(r, "bad_", 4) == 0 && strcmp(r, "bad_total") != 0 &&
			    json_integer_value(c) > 0)
				printf("  bad %-24s %12lld\n", r + 4, (long long)json_integer_value(c));
		}
	}
	json_decref(v);
	return 0;
}

/* Health checks (hc/hc_tel.c): every checker, fetched page by page, and the totals. */
static int cmd_checks(int fd, int argc, char **argv, bool as_json)
{
	(void)argc;
	(void)argv;
	json_t *all = json_object();
	long long from = 0;
	for (;;) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "/vipd/checks,%lld", from);
		json_t *page = tel_query(fd, cmd);
		if (page == NULL) {
			json_decref(all);
			return 1;
		}
		json_t *next = json_object_get(page, "next");
		long long nx = json_is_integer(next) ? (long long)json_integer_value(next) : -1;
		json_object_del(page, "next");
		json_object_update(all, page);
		json_decref(page);
		if (nx <= from)
			break;
		from = nx;
	}
	json_t *sum = tel_query(fd, "/vipd/checks_summary");
	if (sum == NULL) {
		json_decref(all);
		return 1;
	}
	if (as_json) {
		json_t *o = json_pack("{s:o,s:o}", "checks", all, "summary", sum);
		char *s = json_dumps(o, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(o);
		return 0;
	}
	printf("%-21s %-20s %-9s %-5s %6s %9s %6s %9s %9s  %s\n", "RealServer", "Service", "Check",
	       "State", "Weight", "Latency", "Fails", "Checks", "Failures", "Last result");
	const char *k;
	json_t *e;
	json_object_foreach(all, k, e) {
		char who[40], lat[24];
		snprintf(who, sizeof(who), "%s:%lld", str(e, "address"), (long long)num(e, "port"));
		snprintf(lat, sizeof(lat), "%.1fms", (double)num(e, "latency_us") / 1000.0);
		printf("%-21s %-20s %-9s %-5s %6lld %9s %6lld %9lld %9lld  %s\n", who,
		       str(e, "service"), str(e, "check"), str(e, "state"), (long long)num(e, "weight"),
		       lat, (long long)num(e, "consecutive_failures"), (long long)num(e, "checks"),
		       (long long)num(e, "failures"), str(e, "last"));
	}
	printf("\n%lld checks: %lld up, %lld down; %lld runs, %lld in flight; start drift p50 %.1f ms, "
	       "p99 %.1f ms, max %.1f ms\n",
	       (long long)num(sum, "checks"), (long long)num(sum, "up"), (long long)num(sum, "down"),
	       (long long)num(sum, "runs"), (long long)num(sum, "inflight"),
	       (double)num(sum, "drift_p50_us") / 1000.0, (double)num(sum, "drift_p99_us") / 1000.0,
	       (double)num(sum, "drift_max_us") / 1000.0);
	json_decref(sum);
	json_decref(all);
	return 0;
}

/*
 * One screen for "is this director healthy": forwarding totals, workers,
 * services with their live real servers, VRRP instances.
 */
static int cmd_status(int fd, int argc, char **argv, bool as_json)
{
	(void)argc;
	(void)argv;
	json_t *st = tel_query(fd, "/vipd/stats");
	json_t *wk = tel_query(fd, "/vipd/workers");
	json_t *svcs = tel_query(fd, "/vipd/services");
	json_t *rss = tel_query(fd, "/vipd/realservers");
	json_t *vr = tel_query(fd, "/vipd/vrrp");
	int rc = 0;
	if (!st || !wk || !svcs || !rss) {
		rc = 1;
		goto out;
	}
	if (as_json) {
		json_t *all = json_pack("{s:O,s:O,s:O,s:O,s:O}", "stats", st, "workers", wk,
					"services", svcs, "realservers", rss, "vrrp",
					vr ? vr : json_null());
		char *txt = json_dumps(all, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(txt);
		free(txt);
		json_decref(all);
		goto out;
	}
	printf("forwarding: rx %lld  tx %lld  sessions %lld  drops %lld\n",
	       (long long)num(st, "rx_pkts"), (long long)num(st, "tx_pkts"),
	       (long long)num(st, "sessions"), (long long)num(st, "drop_total"));
	const char *k;
	json_t *e;
	json_object_foreach(wk, k, e)
		printf("worker %s: lcore %lld, busy %s, idle %s, %s cycles/packet, sessions %lld of %lld\n",
		       k + 1, (long long)num(e, "lcore"), str(e, "busy_ratio"), str(e, "idle_ratio"),
		       str(e, "cycles_per_packet"), (long long)num(e, "sessions"),
		       (long long)num(e, "session_capacity"));
	json_object_foreach(svcs, k, e) {
		unsigned up = 0, all = 0;
		const char *rk;
		json_t *r;
		json_object_foreach(rss, rk, r) {
			if (strcmp(str(r, "service"), str(e, "service")) != 0)
				continue;
			all++;
			up += strcmp(str(r, "state"), "up") == 0;
		}
		printf("service %s %s %s: %u of %u real servers up%s\n", str(e, "service"),
		       str(e, "scheduler"), str(e, "forwarding"), up, all,
		       up == 0 ? "  <-- NO REAL SERVER" : "");
	}
	json_object_foreach(vr, k, e)
		if (json_is_object(e) && json_is_string(json_object_get(e, "name")))
			printf("vrrp %s: %s, priority %lld\n", str(e, "name"), str(e, "state"),
			       (long long)num(e, "priority"));
out:
	json_decref(st);
	json_decref(wk);
	json_decref(svcs);
	json_decref(rss);
	json_decref(vr);
	return rc;
}

/* One row per subcommand; modules add theirs here. */
struct vipctl_cmd {
	const char *name;
	int min_args;
	int (*fn)(int fd, int argc, char **argv, bool as_json);
	const char *help;
};

static const struct vipctl_cmd cmds[] = {
	{ "status", 0, cmd_status, "one screen: forwarding, workers, services up, VRRP state" },
	{ "stats", 0, cmd_stats, "totals, ports, services and real servers with their counters" },
	{ "raw", 1, cmd_raw, "CMD: send a telemetry command (e.g. /vipd/stats), print its JSON" },
	{ "vrrp", 0, cmd_vrrp, "VRRP instances: state, priority, master, adverts, refused adverts" },
	{ "checks", 0, cmd_checks, "health checks: state, last result, latency, failures, drift" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vipctl [-s SOCKET | -p FILE-PREFIX] [--json] COMMAND [ARGS]\n"
		   "commands:\n");
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "changes (control socket, -c PATH or -p PREFIX):\n"
		   "  reload | add-service SVC [scheduler=S forwarding=F persistence_timeout=N]\n"
		   "  edit-service SVC key=value.. | del-service SVC\n"
		   "  add-rs SVC RS:PORT [weight=N forwarding=F] | edit-rs SVC RS:PORT key=value..\n"
		   "  del-rs SVC RS:PORT | weight SVC RS:PORT W | quiesce SVC RS:PORT\n"
		   "  drain SVC RS:PORT | timeout TCP TCPFIN UDP | flush\n"
		   "  (SVC = VIP:PORT[/TCP|/UDP])\n"
		   "ipvsadm syntax: vipctl [-p PREFIX] -L -n [--stats|--rate] | -lnc | -A -t|-u SVC\n"
		   "  [-s SCHED] [-p SECS] | -E ... | -D -t|-u SVC | -a|-e -t|-u SVC -r RS:PORT\n"
		   "  [-g|-m|-i] [-w W] | -d -t|-u SVC -r RS:PORT\n"
		   "import (no vipd needed): import-keepalived KEEPALIVED.CONF [-o VIPD.CONF]\n"
		   "  [-a IFNAME=A.B.C.D/LEN]...\n");
	usage_text(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "file-prefix", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[512] = "/var/run/dpdk/rte/dpdk_telemetry.v2";
	char ctl[512] = "/var/run/dpdk/rte/vipd.ctl";
	bool as_json = false;
	int o;

	/* Needs no running vipd, and has its own options (-o): before getopt. */
	if (argc > 1 && strcmp(argv[1], "import-keepalived") == 0)
		return import_keepalived_main(argc - 2, argv + 2);

	/*
	 * ipvsadm's own syntax (-A, -a, -L -n, ...) after the socket options:
	 * those letters mean other things to ipvsadm (-p is persistence), so the
	 * socket options must come first.
	 */
	int k = 1;
	while (k + 1 < argc && (strcmp(argv[k], "-s") == 0 || strcmp(argv[k], "-p") == 0)) {
		if (argv[k][1] == 's')
			snprintf(path, sizeof(path), "%s", argv[k + 1]);
		else
			vipctl_prefix_paths(argv[k + 1], path, sizeof(path), ctl, sizeof(ctl));
		k += 2;
	}
	if (k < argc && vipctl_ipvs_verb(argv[k]))
		return vipctl_ipvs_main(path, ctl, argc - k, argv + k);

	while ((o = getopt_long(argc, argv, "s:p:c:jh", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'p':
			vipctl_prefix_paths(optarg, path, sizeof(path), ctl, sizeof(ctl));
			break;
		case 'c':
			snprintf(ctl, sizeof(ctl), "%s", optarg);
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	/* Changes go to the control socket, as one line. */
	if (vipctl_ctl_verb(name))
		return vipctl_ctl(ctl, argc - optind, argv + optind);
	const struct vipctl_cmd *cmd = NULL;
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			cmd = &cmds[i];
	if (cmd == NULL) {
		fprintf(stderr, "vipctl: unknown command '%s'\n", name);
		usage(stderr);
		return 2;
	}
	if (argc - optind - 1 < cmd->min_args) {
		fprintf(stderr, "vipctl: %s needs %d argument(s): %s\n", name, cmd->min_args,
			cmd->help);
		return 2;
	}
	int fd = tel_connect(path);
	if (fd < 0) {
		fprintf(stderr, "vipctl: %s: %s (is vipd running?)\n", path, strerror(-fd));
		return 1;
	}
	int rc = cmd->fn(fd, argc - optind - 1, argv + optind + 1, as_json);
	close(fd);
	return rc;
}
