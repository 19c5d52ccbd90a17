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
#include <unistd.h>

#include <jansson.h>

#define REPLY_MAX (1 << 20)

static void usage(FILE *f);

static void usage_text(FILE *f)
{
	fprintf(f, "SOCKET defaults to /var/run/dpdk/rte/dpdk_telemetry.v2; -p P uses\n"
		   "/var/run/dpdk/P/dpdk_telemetry.v2 (vipd started with --file-prefix=P).\n");
}

static int tel_connect(const char *path)
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
static json_t *tel_query(int fd, const char *cmd)
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

static json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *str(json_t *o, const char *k)
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

/* One row per subcommand; modules add theirs here. */
struct vipctl_cmd {
	const char *name;
	int min_args;
	int (*fn)(int fd, int argc, char **argv, bool as_json);
	const char *help;
};

static const struct vipctl_cmd cmds[] = {
	{ "stats", 0, cmd_stats, "totals, ports, services and real servers with their counters" },
	{ "raw", 1, cmd_raw, "CMD: send a telemetry command (e.g. /vipd/stats), print its JSON" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vipctl [-s SOCKET | -p FILE-PREFIX] [--json] COMMAND [ARGS]\n"
		   "commands:\n");
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	usage_text(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "file-prefix", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[512] = "/var/run/dpdk/rte/dpdk_telemetry.v2";
	bool as_json = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:p:jh", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'p':
			snprintf(path, sizeof(path), "/var/run/dpdk/%s/dpdk_telemetry.v2", optarg);
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
