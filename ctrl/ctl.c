/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <rte_eal.h>

#include "conf/conf.h"
#include "ctrl/log.h"
#include "ctrl/model.h"
#include "dataplane/sched.h"
#include "dataplane/worker.h"

#define LINE_MAX_LEN 1024
#define MAX_ARGS 16

static ctl_apply_fn ctl_apply;
static ctl_reload_fn ctl_reload;
static struct evconnlistener *listener;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

void ctl_set_hooks(ctl_apply_fn apply, ctl_reload_fn reload)
{
	ctl_apply = apply;
	ctl_reload = reload;
}

static int fail(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *out, size_t len, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (char *p = why; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '\'';
	snprintf(out, len, "{\"ok\":false,\"error\":\"%s\"}", why);
	return -EINVAL;
}

static int ok(char *out, size_t len, const char *msg)
{
	snprintf(out, len, "{\"ok\":true,\"msg\":\"%s\"}", msg);
	return 0;
}

/* "10.0.0.1:80/TCP" (protocol optional, TCP by default, as ipvsadm -t). */
static bool parse_svc(const char *s, uint32_t *addr, uint16_t *port, uint8_t *proto)
{
	char buf[64], *colon, *slash;
	snprintf(buf, sizeof(buf), "%s", s);
	*proto = IPPROTO_TCP;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		if (strcasecmp(slash, "udp") == 0)
			*proto = IPPROTO_UDP;
		else if (strcasecmp(slash, "tcp") != 0)
			return false;
	}
	if ((colon = strchr(buf, ':')) == NULL)
		return false;
	*colon++ = '\0';
	char *end;
	long p = strtol(colon, &end, 10);
	if (*end || p < 1 || p > 65535 || inet_pton(AF_INET, buf, addr) != 1)
		return false;
	*port = (uint16_t)p;
	return true;
}

static int find_svc(const struct vipd_conf *c, const char *s, char *out, size_t len)
{
	uint32_t a;
	uint16_t p;
	uint8_t pr;
	if (!parse_svc(s, &a, &p, &pr))
		return fail(out, len, "bad service '%s' (want VIP:PORT[/TCP|/UDP])", s);
	for (unsigned i = 0; i < c->n_vs; i++)
		if (c->vs[i].addr == a && c->vs[i].port == p && c->vs[i].proto == pr)
			return (int)i;
	return fail(out, len, "no service %s", s);
}

static int find_rs(const struct conf_vs *vs, const char *s, char *out, size_t len)
{
	uint32_t a;
	uint16_t p;
	uint8_t pr;
	if (!parse_svc(s, &a, &p, &pr))
		return fail(out, len, "bad real server '%s' (want ADDR:PORT)", s);
	for (unsigned j = 0; j < vs->n_rs; j++)
		if (vs->rs[j].addr == a && vs->rs[j].port == p)
			return (int)j;
	return fail(out, len, "no real server %s in that service", s);
}

static bool parse_fwd(const char *v, enum conf_fwd *f)
{
	if (strcasecmp(v, "DR") == 0 || strcmp(v, "-g") == 0)
		*f = CONF_FWD_DR;
	else if (strcasecmp(v, "NAT") == 0 || strcmp(v, "-m") == 0)
		*f = CONF_FWD_NAT;
	else if (strcasecmp(v, "TUN") == 0 || strcmp(v, "-i") == 0)
		*f = CONF_FWD_TUN;
	else
		return false;
	return true;
}

static bool parse_uint(const char *v, unsigned long max, unsigned long *r)
{
	char *end;
	errno = 0;
	*r = strtoul(v, &end, 10);
	return *v && !*end && errno == 0 && *r <= max;
}

/* key=value options of a service. */
static int svc_opts(struct conf_vs *vs, char **av, int ac, char *out, size_t len)
{
	for (int i = 0; i < ac; i++) {
		char *v = strchr(av[i], '=');
		unsigned long n;
		if (v == NULL)
			return fail(out, len, "option '%s' is not key=value", av[i]);
		*v++ = '\0';
		if (strcmp(av[i], "scheduler") == 0) {
			if (sched_find(v) == NULL)
				return fail(out, len, "unknown scheduler '%s' (known: %s)", v,
					    sched_names());
			snprintf(vs->scheduler, sizeof(vs->scheduler), "%s", v);
		} else if (strcmp(av[i], "forwarding") == 0) {
			if (!parse_fwd(v, &vs->fwd))
				return fail(out, len, "unknown forwarding '%s' (DR, NAT, TUN)", v);
		} else if (strcmp(av[i], "persistence_timeout") == 0) {
			if (!parse_uint(v, 31536000, &n))
				return fail(out, len, "bad persistence_timeout '%s'", v);
			vs->persistence_timeout = (uint32_t)n;
		} else {
			return fail(out, len, "unknown service option '%s' (scheduler, forwarding, "
					      "persistence_timeout)", av[i]);
		}
	}
	return 0;
}

static int rs_opts(struct conf_rs *rs, char **av, int ac, char *out, size_t len)
{
	for (int i = 0; i < ac; i++) {
		char *v = strchr(av[i], '=');
		unsigned long n;
		if (v == NULL)
			return fail(out, len, "option '%s' is not key=value", av[i]);
		*v++ = '\0';
		if (strcmp(av[i], "weight") == 0) {
			if (!parse_uint(v, 65535, &n))
				return fail(out, len, "weight '%s' out of range 0..65535", v);
			rs->weight = (uint32_t)n;
		} else if (strcmp(av[i], "forwarding") == 0) {
			if (!parse_fwd(v, &rs->fwd))
				return fail(out, len, "unknown forwarding '%s' (DR, NAT, TUN)", v);
			rs->has_fwd = true;
		} else {
			return fail(out, len, "unknown real server option '%s' (weight, forwarding)",
				    av[i]);
		}
	}
	return 0;
}

/* Edit a copy of the running config with fn, then apply it as a reload would. */
static int edit(char **av, int ac, char *out, size_t len,
		int (*fn)(struct vipd_conf *c, char **av, int ac, char *out, size_t len))
{
	struct vipd_conf *c = conf_dup(model.conf);
	if (c == NULL)
		return fail(out, len, "out of memory");
	int rc = fn(c, av, ac, out, len);
	if (rc < 0) {
		conf_free(c);
		return rc;
	}
	char msg[256];
	rc = ctl_apply(c, msg, sizeof(msg)); /* frees c on failure */
	return rc ? fail(out, len, "%s", msg) : ok(out, len, msg);
}

static int do_add_svc(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	struct conf_vs *vs = &c->vs[c->n_vs];
	memset(vs, 0, sizeof(*vs));
	if (!parse_svc(av[0], &vs->addr, &vs->port, &vs->proto))
		return fail(out, len, "bad service '%s' (want VIP:PORT[/TCP|/UDP])", av[0]);
	for (unsigned i = 0; i < c->n_vs; i++)
		if (c->vs[i].addr == vs->addr && c->vs[i].port == vs->port &&
		    c->vs[i].proto == vs->proto)
			return fail(out, len, "service %s exists", av[0]);
	/* keepalived's defaults, except the forwarding ipvsadm users expect. */
	snprintf(vs->scheduler, sizeof(vs->scheduler), "wlc");
	vs->fwd = CONF_FWD_DR;
	vs->persistence_netmask = 0xffffffff;
	vs->delay_loop = 60;
	vs->quorum = 1;
	vs->rs = NULL;
	int rc = svc_opts(vs, av + 1, ac - 1, out, len);
	if (rc)
		return rc;
	c->n_vs++;
	return 0;
}

static int do_edit_svc(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	int i = find_svc(c, av[0], out, len);
	return i < 0 ? i : svc_opts(&c->vs[i], av + 1, ac - 1, out, len);
}

static int do_del_svc(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	(void)ac;
	int i = find_svc(c, av[0], out, len);
	if (i < 0)
		return i;
	free(c->vs[i].rs);
	memmove(&c->vs[i], &c->vs[i + 1], sizeof(c->vs[0]) * (c->n_vs - (unsigned)i - 1));
	c->n_vs--;
	return 0;
}

static int do_add_rs(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	int i = find_svc(c, av[0], out, len);
	if (i < 0)
		return i;
	struct conf_vs *vs = &c->vs[i];
	struct conf_rs *nrs = realloc(vs->rs, sizeof(*nrs) * (vs->n_rs + 1));
	if (nrs == NULL)
		return fail(out, len, "out of memory");
	vs->rs = nrs;
	struct conf_rs *rs = &vs->rs[vs->n_rs];
	memset(rs, 0, sizeof(*rs));
	uint8_t pr;
	if (!parse_svc(av[1], &rs->addr, &rs->port, &pr))
		return fail(out, len, "bad real server '%s' (want ADDR:PORT)", av[1]);
	for (unsigned j = 0; j < vs->n_rs; j++)
		if (vs->rs[j].addr == rs->addr && vs->rs[j].port == rs->port)
			return fail(out, len, "real server %s exists in that service", av[1]);
	rs->weight = 1;
	int rc = rs_opts(rs, av + 2, ac - 2, out, len);
	if (rc)
		return rc;
	if (conf_rs_fwd(vs, rs) != CONF_FWD_NAT && rs->port != vs->port)
		return fail(out, len, "DR and TUN cannot change the port (%u -> %u)", vs->port,
			    rs->port);
	vs->n_rs++;
	return 0;
}

static int do_edit_rs(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	int i = find_svc(c, av[0], out, len);
	if (i < 0)
		return i;
	int j = find_rs(&c->vs[i], av[1], out, len);
	return j < 0 ? j : rs_opts(&c->vs[i].rs[j], av + 2, ac - 2, out, len);
}

static int do_del_rs(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	(void)ac;
	int i = find_svc(c, av[0], out, len);
	if (i < 0)
		return i;
	struct conf_vs *vs = &c->vs[i];
	int j = find_rs(vs, av[1], out, len);
	if (j < 0)
		return j;
	memmove(&vs->rs[j], &vs->rs[j + 1], sizeof(vs->rs[0]) * (vs->n_rs - (unsigned)j - 1));
	vs->n_rs--;
	return 0;
}

static int do_weight(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	char opt[32];
	char *o[1] = { opt };
	(void)ac;
	snprintf(opt, sizeof(opt), "weight=%s", av[2]);
	int i = find_svc(c, av[0], out, len);
	if (i < 0)
		return i;
	int j = find_rs(&c->vs[i], av[1], out, len);
	return j < 0 ? j : rs_opts(&c->vs[i].rs[j], o, 1, out, len);
}

static int do_timeout(struct vipd_conf *c, char **av, int ac, char *out, size_t len)
{
	uint32_t *t[3] = { &c->global.tcp_timeout, &c->global.tcpfin_timeout,
			   &c->global.udp_timeout };
	for (int i = 0; i < 3 && i < ac; i++) {
		unsigned long n;
		if (!parse_uint(av[i], 604800, &n) || n == 0)
			return fail(out, len, "timeout '%s' out of range 1..604800", av[i]);
		*t[i] = (uint32_t)n;
	}
	return 0;
}

struct ctl_cmd {
	const char *name;
	int min_args, max_args;
	int (*edit)(struct vipd_conf *c, char **av, int ac, char *out, size_t len);
	const char *usage;
};

static const struct ctl_cmd cmds[] = {
	{ "add-service", 1, 4, do_add_svc, "VIP:PORT[/PROTO] [scheduler=S] [forwarding=F] [persistence_timeout=N]" },
	{ "edit-service", 2, 4, do_edit_svc, "VIP:PORT[/PROTO] key=value..." },
	{ "del-service", 1, 1, do_del_svc, "VIP:PORT[/PROTO]" },
	{ "add-rs", 2, 4, do_add_rs, "VIP:PORT[/PROTO] RS:PORT [weight=N] [forwarding=F]" },
	{ "edit-rs", 3, 4, do_edit_rs, "VIP:PORT[/PROTO] RS:PORT key=value..." },
	{ "del-rs", 2, 2, do_del_rs, "VIP:PORT[/PROTO] RS:PORT" },
	{ "weight", 3, 3, do_weight, "VIP:PORT[/PROTO] RS:PORT WEIGHT" },
	{ "timeout", 3, 3, do_timeout, "TCP TCPFIN UDP (seconds)" },
};

int ctl_exec(char *line, char *out, size_t len)
{
	char *av[MAX_ARGS], *save = NULL;
	int ac = 0;
	for (char *t = strtok_r(line, " \t\r\n", &save); t && ac < MAX_ARGS;
	     t = strtok_r(NULL, " \t\r\n", &save))
		av[ac++] = t;
	if (ac == 0)
		return fail(out, len, "empty command");
	if (strcmp(av[0], "reload") == 0) {
		char msg[512];
		int rc = ctl_reload(msg, sizeof(msg));
		return rc ? fail(out, len, "%s", msg) : ok(out, len, msg);
	}
	/* quiesce and drain: weight 0, sessions continue (drain: until they end). */
	if (strcmp(av[0], "quiesce") == 0 || strcmp(av[0], "drain") == 0) {
		if (ac != 3)
			return fail(out, len, "usage: %s VIP:PORT[/PROTO] RS:PORT", av[0]);
		char *wav[3] = { av[1], av[2], (char *)"0" };
		return edit(wav, 3, out, len, do_weight);
	}
	if (strcmp(av[0], "flush") == 0) {
		if (ac != 1)
			return fail(out, len, "usage: flush (takes no argument)");
		__atomic_add_fetch(&dp_flush_gen, 1, __ATOMIC_RELEASE);
		return ok(out, len, "sessions flushed on every worker");
	}
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(av[0], cmds[i].name) != 0)
			continue;
		if (ac - 1 < cmds[i].min_args || ac - 1 > cmds[i].max_args)
			return fail(out, len, "usage: %s %s", cmds[i].name, cmds[i].usage);
		return edit(av + 1, ac - 1, out, len, cmds[i].edit);
	}
	return fail(out, len, "unknown command '%s' (reload, add-service, edit-service, "
			      "del-service, add-rs, edit-rs, del-rs, weight, quiesce, drain, "
			      "timeout, flush)", av[0]);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;
	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		char out[1024];
		if (n > LINE_MAX_LEN)
			fail(out, sizeof(out), "command longer than %d bytes", LINE_MAX_LEN);
		else
			ctl_exec(line, out, sizeof(out));
		free(line);
		evbuffer_add_printf(bufferevent_get_output(bev), "%s\n", out);
	}
	if (evbuffer_get_length(in) > LINE_MAX_LEN) {
		evbuffer_add_printf(bufferevent_get_output(bev),
				    "{\"ok\":false,\"error\":\"line too long\"}\n");
		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)sa;
	(void)socklen;
	(void)arg;
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
							 BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, on_read, NULL, on_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int ctl_module_start(struct event_base *base, const struct vipd_conf *c)
{
	(void)c;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sock_path, sizeof(sock_path), "%s/vipd.ctl", rte_eal_get_runtime_dir());
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	unlink(sock_path);
	/* Root only: the socket changes what the director forwards. */
	mode_t old = umask(0077);
	listener = evconnlistener_new_bind(base, on_accept, NULL,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
					   (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (listener == NULL) {
		VLOG_ERR("control socket %s: %s", sock_path, strerror(errno));
		return -errno;
	}
	chmod(sock_path, 0600);
	VLOG_INFO("control socket %s", sock_path);
	return 0;
}

void ctl_module_stop(void)
{
	if (listener) {
		evconnlistener_free(listener);
		listener = NULL;
		unlink(sock_path);
	}
}
