/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * script: child processes (notify scripts, MISC_CHECK programs) started with
 * posix_spawn and reaped from the libevent loop.
 *
 * Why posix_spawn: glibc implements it with clone(CLONE_VM | CLONE_VFORK), so
 * the child never copies the daemon's page tables (DPDK maps hugepages and
 * many fds); it execs at once and the parent learns about exec failures
 * (ENOENT, EACCES) from the return value instead of an exit code.
 *
 * Every outcome of a started program reaches the callback from the loop, never
 * from inside script_run(): the exit code, 128 + signal, -ETIMEDOUT, or
 * -errno when the program could not be executed (-ENOENT for a missing one).
 */
#include "ctrl/script.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctrl/log.h"

extern char **environ;

struct script_child {
	TAILQ_ENTRY(script_child) link;
	pid_t pid;            /* 0: never started, spawn_err says why */
	int spawn_err;        /* errno of posix_spawnp */
	bool timed_out;
	double timeout_s;
	struct event *timer;  /* the timeout, or the deferred report of spawn_err */
	script_done_fn cb;
	void *arg;
	char name[64];        /* argv[0], for log lines */
};

TAILQ_HEAD(script_list, script_child);

static struct event_base *script_base;
static struct event *script_sigchld;
static struct script_list script_children = TAILQ_HEAD_INITIALIZER(script_children);
static unsigned script_n_children;
static struct script_stats script_st;

/* ---- keepalived's word splitting ---- */

static int script_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * One backslash escape at *pp (just after the '\'), as keepalived's
 * alloc_strvec_quoted_escaped() reads them: \a \b \E \f \n \r \t \v, \xHH,
 * \NNN (octal), \cX (control character); any other character stands for
 * itself (\" \' \\ \ ). Returns the character, or -1 if none follows.
 */
static int script_unescape(const char **pp)
{
	const char *p = *pp;
	int c;

	if (*p == '\0')
		return -1;
	if (*p == 'x' && script_hex(p[1]) >= 0) {
		c = script_hex(p[1]);
		p += 2;
		if (script_hex(*p) >= 0)
			c = c * 16 + script_hex(*p++);
	} else if (*p == 'c' && p[1]) {
		c = p[1] & 0x1f;
		p += 2;
	} else if (*p >= '0' && *p <= '7') {
		c = *p++ - '0';
		for (int i = 0; i < 2 && *p >= '0' && *p <= '7'; i++)
			c = c * 8 + (*p++ - '0');
		c &= 0xff;
	} else {
		static const char from[] = "abEfnrtv", to[] = "\a\b\033\f\n\r\t\v";
		const char *f = strchr(from, *p);
		c = f ? to[f - from] : (unsigned char)*p;
		p++;
	}
	*pp = p;
	return c;
}

static bool script_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int script_split(const char *cmdline, const char *const *extra, unsigned n_extra,
		 char ***argv_out, unsigned *argc_out)
{
	if (cmdline == NULL || argv_out == NULL || (n_extra && extra == NULL))
		return -EINVAL;
	/* Words are never longer than the input, and there are at most len/2 + 1. */
	size_t len = strlen(cmdline);
	size_t max_words = len / 2 + 1 + n_extra;
	size_t extra_len = 0;
	for (unsigned i = 0; i < n_extra; i++) {
		if (extra[i] == NULL)
			return -EINVAL;
		extra_len += strlen(extra[i]) + 1;
	}
	size_t ptrs = (max_words + 1) * sizeof(char *);
	char **argv = malloc(ptrs + len + 1 + extra_len);
	if (argv == NULL)
		return -ENOMEM;
	char *out = (char *)argv + ptrs;
	const char *p = cmdline;
	unsigned n = 0;

	for (;;) {
		while (script_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		argv[n++] = out;
		char quote = 0;
		while (*p && (quote || !script_is_space(*p))) {
			int c;
			if (*p == '\\') {
				p++;
				c = script_unescape(&p);
				if (c <= 0)
					goto bad; /* trailing '\' or an escaped NUL */
			} else if (quote && *p == quote) {
				quote = 0;
				p++;
				continue;
			} else if (!quote && (*p == '"' || *p == '\'')) {
				quote = *p++;
				continue;
			} else {
				c = (unsigned char)*p++;
			}
			*out++ = (char)c;
		}
		if (quote)
			goto bad; /* missing closing quote */
		*out++ = '\0';
	}
	if (n == 0)
		goto bad;
	for (unsigned i = 0; i < n_extra; i++) {
		argv[n++] = out;
		size_t l = strlen(extra[i]) + 1;
		memcpy(out, extra[i], l);
		out += l;
	}
	argv[n] = NULL;
	*argv_out = argv;
	if (argc_out)
		*argc_out = n;
	return 0;
bad:
	free(argv);
	return -EINVAL;
}

/* ---- children ---- */

static void script_free(struct script_child *ch)
{
	if (ch->timer)
		event_free(ch->timer);
	free(ch);
}

static void script_unlink(struct script_child *ch)
{
	TAILQ_REMOVE(&script_children, ch, link);
	script_n_children--;
}

static int script_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255; /* stopped/continued are not asked for (no WUNTRACED) */
}

/*
 * Reap every child of ours that has ended. Signals coalesce, so each SIGCHLD
 * scans all our children; waitpid(pid) rather than waitpid(-1) leaves other
 * code's children alone. Callbacks run after the scan, off the list, so that
 * they may start new children (or even call script_stop).
 */
static void script_on_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	struct script_list done = TAILQ_HEAD_INITIALIZER(done);
	struct script_child *ch, *next;
	int status[64];
	unsigned n_done = 0;

	(void)sig;
	(void)ev;
	(void)arg;
	for (ch = TAILQ_FIRST(&script_children); ch && n_done < 64; ch = next) {
		next = TAILQ_NEXT(ch, link);
		if (ch->pid <= 0)
			continue;
		int ws;
		pid_t r = waitpid(ch->pid, &ws, WNOHANG);
		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0) {
			/* Someone else reaped it (SIGCHLD ignored, a waitpid(-1) elsewhere). */
			script_st.reap_errors++;
			VLOG_ERR("script: %s (pid %d): waitpid: %s", ch->name, (int)ch->pid,
				 strerror(errno));
			status[n_done] = -errno;
		} else if (ch->timed_out) {
			status[n_done] = -ETIMEDOUT;
		} else {
			status[n_done] = script_status(ws);
			if (WIFSIGNALED(ws)) {
				script_st.signalled++;
				VLOG_WARN("script: %s (pid %d) killed by signal %d", ch->name,
					  (int)ch->pid, WTERMSIG(ws));
			} else if (status[n_done] != 0) {
				script_st.nonzero++;
			}
			VLOG_DEBUG("script: %s (pid %d) exited with %d", ch->name, (int)ch->pid,
				   status[n_done]);
		}
		script_st.exited++;
		script_unlink(ch);
		TAILQ_INSERT_TAIL(&done, ch, link);
		n_done++;
	}
	if (n_done == 64) /* more may be waiting: scan again on the next loop turn */
		event_active(script_sigchld, EV_SIGNAL, 1);
	n_done = 0;
	while ((ch = TAILQ_FIRST(&done))) {
		TAILQ_REMOVE(&done, ch, link);
		if (ch->cb)
			ch->cb(ch->arg, status[n_done]);
		n_done++;
		script_free(ch);
	}
}

static void script_on_timer(evutil_socket_t fd, short ev, void *arg)
{
	struct script_child *ch = arg;

	(void)fd;
	(void)ev;
	if (ch->pid == 0) {
		/* The deferred report of a program that could not be executed. */
		script_unlink(ch);
		if (ch->cb)
			ch->cb(ch->arg, -ch->spawn_err);
		script_free(ch);
		return;
	}
	/*
	 * The child leads its own process group: kill the group so that what a
	 * shell script started dies with it. It is reaped (and reported as
	 * -ETIMEDOUT) by the SIGCHLD handler.
	 */
	ch->timed_out = true;
	script_st.timed_out++;
	VLOG_WARN("script: %s (pid %d) still running after %.3g s: killed", ch->name,
		  (int)ch->pid, ch->timeout_s);
	if (kill(-ch->pid, SIGKILL) != 0 && kill(ch->pid, SIGKILL) != 0) {
		script_st.kill_errors++;
		VLOG_ERR("script: kill %d: %s", (int)ch->pid, strerror(errno));
	}
}

static struct timeval script_tv(double s)
{
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
	return tv;
}

/* stdin from /dev/null, stdout to our stderr, nothing else inherited. */
static int script_spawn(pid_t *pid, char **argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)))
		return rc;
	if ((rc = posix_spawnattr_init(&at))) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigfillset(&all);
	sigemptyset(&none);
	/* Handlers and SIG_IGN dispositions (SIGPIPE...) must not leak into the program. */
	if (!(rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
	    !(rc = posix_spawn_file_actions_adddup2(&fa, 2, 1)) &&
	    !(rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) &&
	    !(rc = posix_spawnattr_setsigmask(&at, &none)) &&
	    !(rc = posix_spawnattr_setsigdefault(&at, &all)) &&
	    !(rc = posix_spawnattr_setpgroup(&at, 0)) &&
	    !(rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
							 POSIX_SPAWN_SETPGROUP)))
		rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

int script_run(const char *cmdline, const char *const *extra, unsigned n_extra,
	       double timeout_s, script_done_fn cb, void *arg)
{
	char **argv;
	int rc;

	if (script_base == NULL)
		return -ENODEV;
	if ((rc = script_split(cmdline, extra, n_extra, &argv, NULL))) {
		script_st.bad_cmdline++;
		VLOG_ERR("script: cannot parse '%s': %s", cmdline ? cmdline : "(null)",
			 rc == -EINVAL ? "empty, unmatched quote or bad escape" : strerror(-rc));
		return rc;
	}
	struct script_child *ch = calloc(1, sizeof(*ch));
	if (ch == NULL) {
		free(argv);
		script_st.spawn_failed++;
		return -ENOMEM;
	}
	snprintf(ch->name, sizeof(ch->name), "%s", argv[0]);
	ch->cb = cb;
	ch->arg = arg;
	ch->timeout_s = timeout_s;
	ch->timer = evtimer_new(script_base, script_on_timer, ch);
	if (ch->timer == NULL) {
		free(argv);
		free(ch);
		script_st.spawn_failed++;
		return -ENOMEM;
	}
	rc = script_spawn(&ch->pid, argv);
	free(argv);
	if (rc) {
		/* Reported from the loop like any other result (see the top of the file). */
		script_st.spawn_failed++;
		VLOG_ERR("script: cannot run %s: %s", ch->name, strerror(rc));
		ch->pid = 0;
		ch->spawn_err = rc;
		struct timeval now = { 0, 0 };
		evtimer_add(ch->timer, &now);
	} else {
		script_st.started++;
		VLOG_DEBUG("script: started %s (pid %d)", ch->name, (int)ch->pid);
		if (timeout_s > 0) {
			struct timeval tv = script_tv(timeout_s);
			evtimer_add(ch->timer, &tv);
		}
	}
	TAILQ_INSERT_TAIL(&script_children, ch, link);
	script_n_children++;
	return 0;
}

unsigned script_running(void)
{
	return script_n_children;
}

void script_get_stats(struct script_stats *out)
{
	*out = script_st;
	out->running = script_n_children;
}

int script_init(struct event_base *base)
{
	if (base == NULL)
		return -EINVAL;
	if (script_base)
		return script_base == base ? 0 : -EBUSY;
	/* libevent's handler only writes to a socketpair; we reap in the loop. */
	script_sigchld = evsignal_new(base, SIGCHLD, script_on_sigchld, NULL);
	if (script_sigchld == NULL || evsignal_add(script_sigchld, NULL) != 0) {
		if (script_sigchld)
			event_free(script_sigchld);
		script_sigchld = NULL;
		return -ENOMEM;
	}
	script_base = base;
	memset(&script_st, 0, sizeof(script_st));
	/* A child that ended before the handler existed would otherwise wait for the next one. */
	event_active(script_sigchld, EV_SIGNAL, 1);
	return 0;
}

static void script_on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(bool *)arg = true;
}

int script_drain(double max_s)
{
	bool expired = false;

	if (script_base == NULL || script_n_children == 0)
		return 0;
	struct event *deadline = evtimer_new(script_base, script_on_deadline, &expired);
	if (deadline == NULL)
		return -ENOMEM;
	struct timeval tv = script_tv(max_s > 0 ? max_s : 0);
	evtimer_add(deadline, &tv);
	while (script_n_children && !expired)
		if (event_base_loop(script_base, EVLOOP_ONCE) < 0)
			break; /* called from inside the loop: cannot wait here */
	event_free(deadline);
	return script_n_children ? -ETIMEDOUT : 0;
}

void script_stop(void)
{
	struct script_child *ch;

	if (script_base == NULL)
		return;
	/*
	 * Children still running are left to finish on their own (they are
	 * notifiers doing their job); init reaps them once vipd has exited.
	 * Their callbacks are not called: their owners have stopped.
	 */
	if (script_n_children)
		VLOG_NOTICE("script: %u children still running at shutdown, left to finish",
			    script_n_children);
	while ((ch = TAILQ_FIRST(&script_children))) {
		script_unlink(ch);
		script_free(ch);
	}
	event_free(script_sigchld);
	script_sigchld = NULL;
	script_base = NULL;
}

/* ---- vipd module ---- */

int script_module_start(struct event_base *base, const struct vipd_conf *c)
{
	(void)c;
	return script_init(base);
}

void script_module_stop(void)
{
	/* Other modules stop first and may have started omega notifiers: let them run a little. */
	if (script_drain(SCRIPT_STOP_WAIT_S) == -ETIMEDOUT)
		VLOG_WARN("script: notifiers still running after %g s", (double)SCRIPT_STOP_WAIT_S);
	script_stop();
}
