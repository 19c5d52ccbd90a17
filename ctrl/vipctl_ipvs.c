/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vipctl's ipvsadm face: the listing layouts operators read every day
 * (-L -n, --stats, --rate, -c) printed from the telemetry socket, and the
 * change verbs (-A -E -D -a -e -d) turned into control socket commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctrl/vipctl.h"

void vipctl_prefix_paths(const char *prefix, char *tel, size_t tlen, char *ctl, size_t clen)
{
	snprintf(tel, tlen, "/var/run/dpdk/%s/dpdk_telemetry.v2", prefix);
	snprintf(ctl, clen, "/var/run/dpdk/%s/vipd.ctl", prefix);
}

static const char *const ctl_verbs[] = {
	"reload", "add-service", "edit-service", "del-service", "add-rs", "edit-rs",
	"del-rs", "weight", "quiesce", "drain", "timeout", "flush",
};

bool vipctl_ctl_verb(const char *name)
{
	for (unsigned i = 0; i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]); i++)
		if (strcmp(name, ctl_verbs[i]) == 0)
			return true;
	return false;
}

/* One line out, one JSON line back; prints msg or error, returns 0/1. */
static int ctl_send(const char *path, const char *line)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "vipctl: %s: %s (is vipd running? root?)\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	char out[1100];
	snprintf(out, sizeof(out), "%s\n", line);
	if (write(fd, out, strlen(out)) < 0) {
		close(fd);
		return 1;
	}
	char buf[4096];
	size_t n = 0;
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	close(fd);
	buf[n] = '\0';
	json_error_t err;
	json_t *v = json_loads(buf, 0, &err);
	if (v == NULL) {
		fprintf(stderr, "vipctl: bad answer from %s\n", path);
		return 1;
	}
	int rc = json_is_true(json_object_get(v, "ok")) ? 0 : 1;
	if (rc)
		fprintf(stderr, "vipctl: refused: %s\n", str(v, "error"));
	else
		printf("%s\n", str(v, "msg"));
	json_decref(v);
	return rc;
}

int vipctl_ctl(const char *ctl_path, int argc, char **argv)
{
	char line[1024] = "";
	for (int i = 0; i < argc; i++) {
		if (strlen(line) + strlen(argv[i]) + 2 >= sizeof(line)) {
			fprintf(stderr, "vipctl: command too long\n");
			return 2;
		}
		if (i)
			strcat(line, " ");
		strcat(line, argv[i]);
	}
	return ctl_send(ctl_path, line);
}

bool vipctl_ipvs_verb(const char *a)
{
	static const char *const verbs[] = { "-A", "-E", "-D", "-a", "-e", "-d", "-L", "-l",
					     "-ln", "-Ln", "-lnc", "-Lnc", "--list" };
	for (unsigned i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(a, verbs[i]) == 0)
			return true;
	return false;
}

static const char *fwd_ipvs(const char *f)
{
	return strcmp(f, "NAT") == 0 ? "Masq" : strcmp(f, "TUN") == 0 ? "Tunnel" : "Route";
}

/* "TCP  10.0.0.1:80" as ipvsadm prints a service. */
static void svc_head(json_t *s, char *buf, size_t len)
{
	char vip[64];
	snprintf(vip, sizeof(vip), "%s", str(s, "service"));
	char *slash = strrchr(vip, '/');
	const char *proto = slash ? slash + 1 : "TCP";
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s  %s", proto, vip);
}

struct tables {
	json_t *svcs, *rss;
};

static int fetch(const char *tel_path, struct tables *t)
{
	int fd = tel_connect(tel_path);
	if (fd < 0) {
		fprintf(stderr, "vipctl: %s: %s (is vipd running?)\n", tel_path, strerror(-fd));
		return 1;
	}
	t->svcs = tel_query(fd, "/vipd/services");
	t->rss = tel_query(fd, "/vipd/realservers");
	close(fd);
	return t->svcs && t->rss ? 0 : 1;
}

static void release(struct tables *t)
{
	json_decref(t->svcs);
	json_decref(t->rss);
}

enum list_mode { LIST_PLAIN, LIST_STATS, LIST_RATE };

static void print_counts(const char *name, json_t *now, json_t *before, double secs,
			 enum list_mode mode)
{
	const char *k[5] = { "conns", "pkts", "out_pkts", "bytes", "out_bytes" };
	unsigned long long v[5];
	for (int i = 0; i < 5; i++) {
		v[i] = (unsigned long long)num(now, k[i]);
		if (mode == LIST_RATE)
			v[i] = (unsigned long long)((double)(v[i] - (unsigned long long)num(before, k[i])) / secs);
	}
	printf("%-33s %8llu %8llu %8llu %8llu %8llu\n", name, v[0], v[1], v[2], v[3], v[4]);
}

static json_t *find_same(json_t *obj, const char *key)
{
	return obj ? json_object_get(obj, key) : NULL;
}

static int list(const char *tel_path, enum list_mode mode)
{
	struct tables t = { 0 }, t0 = { 0 };
	if (mode == LIST_RATE) {
		/* Rates over one second: two samples, as an estimator would smooth. */
		if (fetch(tel_path, &t0))
			return 1;
		sleep(1);
	}
	if (fetch(tel_path, &t)) {
		release(&t0);
		return 1;
	}
	if (mode == LIST_PLAIN) {
		printf("IP Virtual Server version 1.2.1 (size=4096)\n");
		printf("Prot LocalAddress:Port Scheduler Flags\n");
		printf("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
	} else if (mode == LIST_STATS) {
		printf("IP Virtual Server version 1.2.1 (size=4096)\n");
		printf("Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n");
		printf("  -> RemoteAddress:Port\n");
	} else {
		printf("IP Virtual Server version 1.2.1 (size=4096)\n");
		printf("Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n");
		printf("  -> RemoteAddress:Port\n");
	}
	const char *sk, *rk;
	json_t *s, *r;
	json_object_foreach(t.svcs, sk, s) {
		char head[96];
		svc_head(s, head, sizeof(head));
		if (mode == LIST_PLAIN) {
			printf("%s %s", head, str(s, "scheduler"));
			if (num(s, "persistence"))
				printf(" persistent %lld", (long long)num(s, "persistence"));
			if (strcmp(str(s, "netmask"), "255.255.255.255") != 0 && num(s, "persistence"))
				printf(" mask %s", str(s, "netmask"));
			printf("\n");
		} else {
			print_counts(head, s, find_same(t0.svcs, sk), 1.0, mode);
		}
		json_object_foreach(t.rss, rk, r) {
			if (strcmp(str(r, "service"), str(s, "service")) != 0)
				continue;
			char dst[64];
			snprintf(dst, sizeof(dst), "%s:%lld", str(r, "address"),
				 (long long)num(r, "port"));
			if (mode == LIST_PLAIN) {
				printf("  -> %-28s %-7s %-6lld %-10lld %-10lld\n", dst,
				       fwd_ipvs(str(r, "forwarding")), (long long)num(r, "weight"),
				       (long long)num(r, "active"), (long long)num(r, "inactive"));
			} else {
				char name[80];
				snprintf(name, sizeof(name), "  -> %s", dst);
				print_counts(name, r, find_same(t0.rss, rk), 1.0, mode);
			}
		}
	}
	release(&t);
	release(&t0);
	return 0;
}

static int list_conns(const char *tel_path)
{
	int fd = tel_connect(tel_path);
	if (fd < 0) {
		fprintf(stderr, "vipctl: %s: %s (is vipd running?)\n", tel_path, strerror(-fd));
		return 1;
	}
	printf("IPVS connection entries\n");
	printf("pro expire state       source             virtual            destination\n");
	/*
	 * All of them, as ipvsadm lists them: an answer holds at most 100, so
	 * page on from the last key's worker and index ("sW_I").
	 */
	unsigned from_w = 0, from_i = 0;
	for (;;) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "/vipd/sessions,100,from=%u.%u", from_w, from_i);
		json_t *ss = tel_query(fd, cmd);
		if (ss == NULL) {
			close(fd);
			return 1;
		}
		const char *k;
		json_t *e;
		unsigned n = 0;
		json_object_foreach(ss, k, e) {
			unsigned w, i;
			long long ex = (long long)num(e, "expire");
			printf("%-3s %02lld:%02lld  %-11s %-18s %-18s %s\n", str(e, "proto"), ex / 60,
			       ex % 60, str(e, "state"), str(e, "source"), str(e, "virtual"),
			       str(e, "destination"));
			n++;
			if (sscanf(k, "s%u_%u", &w, &i) == 2 &&
			    (w > from_w || (w == from_w && i >= from_i))) {
				from_w = w;
				from_i = i + 1;
			}
		}
		json_decref(ss);
		if (n < 100)
			break;
	}
	close(fd);
	return 0;
}

/* -A/-E/-D/-a/-e/-d with -t|-u SVC, -r RS, -s, -p, -g/-m/-i, -w. */
static int change(const char *ctl_path, int argc, char **argv)
{
	const char *verb = argv[0], *svc = NULL, *rs = NULL, *proto = "TCP";
	char opts[4][64];
	int nopt = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if ((strcmp(a, "-t") == 0 || strcmp(a, "-u") == 0) && v) {
			svc = v;
			proto = a[1] == 'u' ? "UDP" : "TCP";
			i++;
		} else if (strcmp(a, "-r") == 0 && v) {
			rs = v;
			i++;
		} else if (strcmp(a, "-s") == 0 && v && nopt < 4) {
			snprintf(opts[nopt++], 64, "scheduler=%s", v);
			i++;
		} else if (strcmp(a, "-p") == 0 && nopt < 4) {
			/* ipvsadm: -p [timeout], 300 s when none is given. */
			bool has = v && v[0] != '-';
			snprintf(opts[nopt++], 64, "persistence_timeout=%s", has ? v : "300");
			i += has;
		} else if (strcmp(a, "-w") == 0 && v && nopt < 4) {
			snprintf(opts[nopt++], 64, "weight=%s", v);
			i++;
		} else if ((strcmp(a, "-g") == 0 || strcmp(a, "-m") == 0 || strcmp(a, "-i") == 0) &&
			   nopt < 4) {
			snprintf(opts[nopt++], 64, "forwarding=%s",
				 a[1] == 'g' ? "DR" : a[1] == 'm' ? "NAT" : "TUN");
		} else {
			fprintf(stderr, "vipctl: %s: unexpected '%s'\n", verb, a);
			return 2;
		}
	}
	if (svc == NULL || (strchr("aed", verb[1]) && rs == NULL)) {
		fprintf(stderr, "vipctl: %s needs -t|-u VIP:PORT%s\n", verb,
			strchr("aed", verb[1]) ? " and -r RS:PORT" : "");
		return 2;
	}
	static const struct {
		char v;
		const char *cmd;
	} map[] = { { 'A', "add-service" }, { 'E', "edit-service" }, { 'D', "del-service" },
		    { 'a', "add-rs" }, { 'e', "edit-rs" }, { 'd', "del-rs" } };
	const char *cmd = NULL;
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].v == verb[1])
			cmd = map[i].cmd;
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s %s/%s", cmd, svc, proto);
	if (rs && strchr(rs, ':') == NULL) {
		/* ipvsadm: a real server without a port takes the service's. */
		const char *vport = strrchr(svc, ':');
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s%s", rs, vport ? vport : "");
	} else if (rs) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", rs);
	}
	for (int i = 0; i < nopt && n < (int)sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", opts[i]);
	return ctl_send(ctl_path, line);
}

int vipctl_ipvs_main(const char *tel_path, const char *ctl_path, int argc, char **argv)
{
	const char *v = argv[0];
	if (v[1] == 'A' || v[1] == 'E' || v[1] == 'D' || v[1] == 'a' || v[1] == 'e' ||
	    v[1] == 'd')
		if (v[2] == '\0')
			return change(ctl_path, argc, argv);
	/* A listing: -L|-l|-ln|-lnc|--list, then -n, -c, --stats, --rate in any order. */
	bool conns = strchr(v, 'c') != NULL && v[1] != '-';
	enum list_mode mode = LIST_PLAIN;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--connection") == 0)
			conns = true;
		else if (strcmp(argv[i], "--stats") == 0)
			mode = LIST_STATS;
		else if (strcmp(argv[i], "--rate") == 0)
			mode = LIST_RATE;
		else if (strcmp(argv[i], "-n") != 0 && strcmp(argv[i], "--numeric") != 0) {
			fprintf(stderr, "vipctl: -L: unexpected '%s'\n", argv[i]);
			return 2;
		}
	}
	return conns ? list_conns(tel_path) : list(tel_path, mode);
}
