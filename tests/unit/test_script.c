/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * script: real children (/bin/true, sh -c ...) run from a real libevent loop.
 *
 * Timing asserts are loose on purpose (a loaded 2-core machine, ASan): they
 * check "killed at about the timeout, not after the program's own end", not
 * milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "ctrl/script.h"

struct result {
	int status;
	unsigned calls;
	double at; /* when the callback ran */
};

static struct event_base *base;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_done(void *arg, int status)
{
	struct result *r = arg;
	r->status = status;
	r->calls++;
	r->at = now_s();
}

static void on_deadline(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	*(bool *)arg = true;
}

/* Run the loop until every result has its callback, or max_s. */
static bool wait_results(struct result *r, unsigned n, double max_s)
{
	bool expired = false;
	struct event *t = evtimer_new(base, on_deadline, &expired);
	struct timeval tv = { (time_t)max_s, (suseconds_t)((max_s - (time_t)max_s) * 1e6) };
	evtimer_add(t, &tv);
	for (;;) {
		unsigned done = 0;
		for (unsigned i = 0; i < n; i++)
			done += r[i].calls > 0;
		if (done == n || expired)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(t);
	return !expired;
}

static int run_one(const char *cmd, const char *const *extra, unsigned n_extra, double timeout)
{
	struct result r = { 0 };
	assert_int_equal(script_run(cmd, extra, n_extra, timeout, on_done, &r), 0);
	assert_true(wait_results(&r, 1, 20));
	assert_int_equal(r.calls, 1);
	return r.status;
}

static int setup(void **state)
{
	(void)state;
	base = event_base_new();
	if (base == NULL || script_init(base) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	script_stop();
	event_base_free(base);
	base = NULL;
	return 0;
}

/* ---- splitting ---- */

static void expect_split(const char *cmd, const char *const *extra, unsigned n_extra,
			 unsigned n, ...)
{
	char **argv = NULL;
	unsigned argc = 0;
	va_list ap;

	assert_int_equal(script_split(cmd, extra, n_extra, &argv, &argc), 0);
	assert_int_equal(argc, n);
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(argv[n]);
	free(argv);
}

static void test_split(void **state)
{
	(void)state;
	expect_split("/bin/true", NULL, 0, 1, "/bin/true");
	expect_split("  a   b\tc  ", NULL, 0, 3, "a", "b", "c");
	expect_split("\"a b\" c", NULL, 0, 2, "a b", "c");
	expect_split("'a \"b\"' c", NULL, 0, 2, "a \"b\"", "c");
	expect_split("\"it's\"", NULL, 0, 1, "it's");
	expect_split("a\"b c\"d", NULL, 0, 1, "ab cd");        /* quotes join, as in a shell */
	expect_split("x '' y", NULL, 0, 3, "x", "", "y");      /* an empty word is a word */
	expect_split("a\\ b", NULL, 0, 1, "a b");
	expect_split("\"a\\\"b\"", NULL, 0, 1, "a\"b");
	expect_split("'a\\'b'", NULL, 0, 1, "a'b");           /* keepalived escapes in '' too */
	expect_split("a\\tb \\x41\\102 \\cA", NULL, 0, 3, "a\tb", "AB", "\001");
	expect_split("$HOME *", NULL, 0, 2, "$HOME", "*");     /* no shell: nothing expanded */

	const char *extra[] = { "VI_1", "MASTER has spaces", "100" };
	expect_split("/etc/vipd/notify.sh INSTANCE", extra, 3, 5, "/etc/vipd/notify.sh",
		     "INSTANCE", "VI_1", "MASTER has spaces", "100");

	char **argv;
	assert_int_equal(script_split("", NULL, 0, &argv, NULL), -EINVAL);
	assert_int_equal(script_split(" \t ", NULL, 0, &argv, NULL), -EINVAL);
	assert_int_equal(script_split("\"abc", NULL, 0, &argv, NULL), -EINVAL);
	assert_int_equal(script_split("a 'bc", NULL, 0, &argv, NULL), -EINVAL);
	assert_int_equal(script_split("abc\\", NULL, 0, &argv, NULL), -EINVAL);
	assert_int_equal(script_split("a\\0b", NULL, 0, &argv, NULL), -EINVAL);
	assert_int_equal(script_split(NULL, NULL, 0, &argv, NULL), -EINVAL);
}

/* ---- children ---- */

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(run_one("/bin/true", NULL, 0, 10), 0);
	assert_int_equal(run_one("/bin/false", NULL, 0, 10), 1);
	assert_int_equal(run_one("sh -c \"exit 3\"", NULL, 0, 10), 3);
	assert_int_equal(run_one("sh -c 'exit 255'", NULL, 0, 10), 255);
	/* Killed by a signal it got elsewhere: 128 + signal. */
	assert_int_equal(run_one("sh -c 'kill -TERM $$'", NULL, 0, 10), 128 + SIGTERM);

	struct script_stats st;
	script_get_stats(&st);
	assert_int_equal(st.started, 5);
	assert_int_equal(st.exited, 5);
	assert_int_equal(st.nonzero, 3);
	assert_int_equal(st.signalled, 1);
	assert_int_equal(st.running, 0);
	assert_int_equal(script_running(), 0);
}

static void test_quoting_reaches_program(void **state)
{
	(void)state;
	assert_int_equal(run_one("sh -c 'test \"$1\" = \"a b\" && test \"$2\" = c' x \"a b\" c",
				 NULL, 0, 10), 0);
	const char *extra[] = { "VI_1", "x y" };
	assert_int_equal(run_one("sh -c 'test $# = 3 && test \"$1\" = one && test \"$3\" = \"x y\"' sh one",
				 extra, 2, 10), 0);
}

static void test_timeout(void **state)
{
	struct result r = { 0 };
	(void)state;
	double t0 = now_s();
	assert_int_equal(script_run("sleep 5", NULL, 0, 0.2, on_done, &r), 0);
	assert_true(wait_results(&r, 1, 20));
	double took = r.at - t0;
	print_message("sleep 5 with timeout 0.2: reported after %.3f s\n", took);
	assert_int_equal(r.status, -ETIMEDOUT);
	assert_true(took >= 0.15); /* libevent's coarse clock may fire a few ms early */
	assert_true(took < 2.0); /* ~0.2 unloaded; far below sleep's own 5 s */

	struct script_stats st;
	script_get_stats(&st);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(script_running(), 0);
}

/* The timeout kills the child's process group: what a script started dies too. */
static void test_timeout_kills_group(void **state)
{
	char path[] = "/tmp/vipd-test-script-XXXXXX";
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "sh -c 'sleep 30 & echo $! > %s; wait'", path);
	assert_int_equal(run_one(cmd, NULL, 0, 0.5), -ETIMEDOUT);

	FILE *f = fopen(path, "r");
	int pid = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	unlink(path);
	/* Gone, or a zombie waiting for init: not running any more. */
	bool dead = false;
	for (int i = 0; i < 200 && !dead; i++) {
		char stat[64], buf[256];
		snprintf(stat, sizeof(stat), "/proc/%d/stat", pid);
		FILE *s = fopen(stat, "r");
		if (s == NULL) {
			dead = true;
			break;
		}
		char *p = fgets(buf, sizeof(buf), s) ? strrchr(buf, ')') : NULL;
		fclose(s);
		dead = p && (p[2] == 'Z' || p[2] == 'X');
		if (!dead)
			usleep(10000);
	}
	assert_true(dead);
}

static void test_missing_program(void **state)
{
	struct result r = { 0 };
	(void)state;
	/* Reported through the callback, from the loop: never from inside script_run. */
	assert_int_equal(script_run("/nonexistent/vipd-test-prog arg", NULL, 0, 1, on_done, &r), 0);
	assert_int_equal(r.calls, 0);
	assert_true(wait_results(&r, 1, 10));
	assert_int_equal(r.status, -ENOENT);
	assert_int_equal(run_one("vipd-no-such-program-on-path", NULL, 0, 1), -ENOENT);
	char path[] = "/tmp/vipd-test-script-XXXXXX"; /* mode 0600: not executable */
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	int st_noexec = run_one(path, NULL, 0, 1);
	unlink(path);
	assert_int_equal(st_noexec, -EACCES);

	struct script_stats st;
	script_get_stats(&st);
	assert_int_equal(st.spawn_failed, 3);
	assert_int_equal(script_running(), 0);
}

static void test_bad_calls(void **state)
{
	struct result r = { 0 };
	(void)state;
	assert_int_equal(script_run("\"unterminated", NULL, 0, 1, on_done, &r), -EINVAL);
	assert_int_equal(script_run("", NULL, 0, 1, on_done, &r), -EINVAL);
	assert_int_equal(script_running(), 0);
	/* Nothing pending: one loop turn must not call anything. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(r.calls, 0);

	script_stop();
	assert_int_equal(script_run("/bin/true", NULL, 0, 1, on_done, &r), -ENODEV);
	assert_int_equal(script_init(base), 0);
	assert_int_equal(script_init(base), 0); /* idempotent on the same base */
}

/* stdin is /dev/null, stdout goes to our stderr, fds >= 3 are not inherited. */
static void test_child_environment(void **state)
{
	(void)state;
	assert_int_equal(run_one("sh -c '[ \"$(readlink /proc/self/fd/0)\" = /dev/null ]'",
				 NULL, 0, 10), 0);

	/* An inheritable fd (no O_CLOEXEC), as DPDK and libraries leave them. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], 100), 100);
	assert_int_equal(run_one("sh -c 'test ! -e /proc/$$/fd/100'", NULL, 0, 10), 0);
	close(100);
	close(p[0]);
	close(p[1]);

	/* stdout and stderr of the child both land on our fd 2. */
	char path[] = "/tmp/vipd-test-script-XXXXXX";
	int fd = mkstemp(path);
	int saved_out = dup(1), saved_err = dup(2);
	int devnull = open("/dev/null", O_WRONLY);
	assert_true(fd >= 0 && saved_out >= 0 && saved_err >= 0 && devnull >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 2);
	dup2(devnull, 1);
	int rc = run_one("sh -c 'echo to-stdout; echo to-stderr >&2'", NULL, 0, 10);
	dup2(saved_err, 2);
	dup2(saved_out, 1);
	close(saved_err);
	close(saved_out);
	close(devnull);
	assert_int_equal(rc, 0);
	char buf[256] = { 0 };
	assert_true(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
	close(fd);
	unlink(path);
	assert_non_null(strstr(buf, "to-stdout\n"));
	assert_non_null(strstr(buf, "to-stderr\n"));
}

/* Ignored or blocked signals in vipd must not reach the program. */
static void test_child_signals_reset(void **state)
{
	(void)state;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int;
	sigset_t term, old_mask;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaction(SIGINT, &ign, &old_int);
	sigprocmask(SIG_BLOCK, &term, &old_mask);

	int s_int = run_one("sh -c 'kill -INT $$; exit 0'", NULL, 0, 10);
	int s_term = run_one("sh -c 'kill -TERM $$; exit 0'", NULL, 0, 10);

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGINT, &old_int, NULL);
	assert_int_equal(s_int, 128 + SIGINT);
	assert_int_equal(s_term, 128 + SIGTERM);
}

#define N_CONCURRENT 50

static void test_concurrent(void **state)
{
	struct result r[N_CONCURRENT] = { 0 };
	char codes[N_CONCURRENT][8];
	(void)state;
	for (unsigned i = 0; i < N_CONCURRENT; i++) {
		snprintf(codes[i], sizeof(codes[i]), "%u", i % 7);
		const char *extra[] = { codes[i] };
		/* A few sleep a little so that exits overlap and SIGCHLDs coalesce. */
		const char *cmd = i % 5 ? "sh -c 'exit $1' sh" : "sh -c 'sleep 0.1; exit $1' sh";
		r[i].status = -1000;
		assert_int_equal(script_run(cmd, extra, 1, 30, on_done, &r[i]), 0);
	}
	assert_int_equal(script_running(), N_CONCURRENT);
	assert_true(wait_results(r, N_CONCURRENT, 60));
	for (unsigned i = 0; i < N_CONCURRENT; i++) {
		assert_int_equal(r[i].calls, 1);
		assert_int_equal(r[i].status, (int)(i % 7));
	}
	assert_int_equal(script_running(), 0);
	struct script_stats st;
	script_get_stats(&st);
	assert_int_equal(st.started, N_CONCURRENT);
	assert_int_equal(st.exited, N_CONCURRENT);
	/* All reaped: no zombie child of ours left. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A callback may start the next program (hc reschedules from its callback). */
struct chain {
	struct result first, second;
};

static void on_first(void *arg, int status)
{
	struct chain *c = arg;
	on_done(&c->first, status);
	assert_int_equal(script_run("sh -c 'exit 4'", NULL, 0, 10, on_done, &c->second), 0);
}

static void test_chain_from_callback(void **state)
{
	struct chain c = { 0 };
	(void)state;
	assert_int_equal(script_run("/bin/true", NULL, 0, 10, on_first, &c), 0);
	assert_true(wait_results(&c.second, 1, 20));
	assert_int_equal(c.first.status, 0);
	assert_int_equal(c.second.status, 4);
}

/* The loop keeps serving other events while children run. */
static void on_tick(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(*(unsigned *)arg)++;
}

static void test_loop_not_blocked(void **state)
{
	struct result r = { 0 };
	unsigned ticks = 0;
	(void)state;
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, &ticks);
	struct timeval tv = { 0, 20000 };
	event_add(tick, &tv);
	double t0 = now_s();
	assert_int_equal(script_run("sleep 0.5", NULL, 0, 10, on_done, &r), 0);
	assert_true(now_s() - t0 < 0.25); /* script_run does not wait for the program */
	assert_true(wait_results(&r, 1, 20));
	event_free(tick);
	print_message("ticks of a 20 ms timer during sleep 0.5: %u\n", ticks);
	assert_int_equal(r.status, 0);
	assert_true(ticks >= 5);
}

static void test_drain(void **state)
{
	struct result r = { 0 };
	(void)state;
	assert_int_equal(script_drain(1), 0); /* nothing running */
	assert_int_equal(script_run("sh -c 'sleep 0.2; exit 6'", NULL, 0, 10, on_done, &r), 0);
	assert_int_equal(script_drain(20), 0);
	assert_int_equal(r.status, 6);

	struct result r2 = { 0 };
	assert_int_equal(script_run("sleep 5", NULL, 0, 1.0, on_done, &r2), 0);
	assert_int_equal(script_drain(0.1), -ETIMEDOUT);
	assert_int_equal(script_running(), 1);
	assert_int_equal(script_drain(20), 0); /* its timeout ends it */
	assert_int_equal(r2.status, -ETIMEDOUT);
}

/* script_stop forgets children without calling back. */
static void test_stop_with_children(void **state)
{
	struct result r = { 0 };
	(void)state;
	assert_int_equal(script_run("sleep 0.3", NULL, 0, 10, on_done, &r), 0);
	assert_int_equal(script_running(), 1);
	script_stop();
	assert_int_equal(script_running(), 0);
	usleep(400000);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(r.calls, 0);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* the test process is its init */
		;
	assert_int_equal(script_init(base), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quoting_reaches_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_signals_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_not_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_children, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
