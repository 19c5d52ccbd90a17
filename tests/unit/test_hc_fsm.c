/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_fsm: the health checker's verdicts and timing against keepalived's
 * semantics, on a fake clock: down after retry + 1 consecutive failures
 * (the retries delay_before_retry apart), up after one success, alpha
 * starting down, no retries while down; the removal bound of the reference
 * scenario; the warmup spread; MISC_CHECK exit codes and misc_dynamic
 * weights; the drift histogram and the reason texts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hc/hc_drift.h"
#include "hc/hc_fsm.h"
#include "hc/hc_result.h"

#define S(x) ((uint64_t)((x) * 1e9))

static struct hc_fsm_cfg cfg(double loop, double dbr, unsigned retry)
{
	return (struct hc_fsm_cfg){ .delay_loop_ns = S(loop), .delay_before_retry_ns = S(dbr),
				    .retry = retry };
}

static void test_initial_state(void **st)
{
	(void)st;
	struct hc_fsm f;
	hc_fsm_init(&f, false);
	assert_true(f.up);
	assert_int_equal(f.fails, 0);
	hc_fsm_init(&f, true);
	assert_false(f.up);
}

/* retry 3: failures 1..3 are retried delay_before_retry later, the 4th takes it down. */
static void test_down_after_retry_plus_one(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(6, 3, 3);
	uint64_t now = S(100), next;

	hc_fsm_init(&f, false);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(hc_fsm_feed(&f, &c, false, now, &next), HC_FSM_NONE);
		assert_true(f.up);
		assert_int_equal(f.fails, i);
		assert_int_equal(next, now + S(3));
		now = next;
	}
	assert_int_equal(hc_fsm_feed(&f, &c, false, now, &next), HC_FSM_DOWN);
	assert_false(f.up);
	assert_int_equal(f.fails, 4);
	assert_int_equal(next, now + S(6));
	assert_int_equal(f.n_down, 1);
	assert_int_equal(f.runs, 4);
	assert_int_equal(f.failures, 4);
}

static void test_retry_zero_first_failure_downs(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(5, 1, 0);
	uint64_t next;

	hc_fsm_init(&f, false);
	assert_int_equal(hc_fsm_feed(&f, &c, false, S(1), &next), HC_FSM_DOWN);
	assert_int_equal(next, S(6));
}

/* While down: failures decide nothing, are not retried, and come delay_loop apart. */
static void test_down_no_retries(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(6, 3, 3);
	uint64_t next, now = 0;

	hc_fsm_init(&f, false);
	for (int i = 0; i < 4; i++)
		hc_fsm_feed(&f, &c, false, now, &next);
	assert_false(f.up);
	for (int i = 0; i < 5; i++) {
		now = next;
		assert_int_equal(hc_fsm_feed(&f, &c, false, now, &next), HC_FSM_NONE);
		assert_int_equal(next, now + S(6));
		assert_int_equal(f.retry_it, 0);
	}
	assert_int_equal(f.fails, 9);
	assert_int_equal(f.n_down, 1);
}

static void test_up_after_one_success(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(6, 3, 1);
	uint64_t next;

	hc_fsm_init(&f, false);
	hc_fsm_feed(&f, &c, false, S(0), &next);
	assert_int_equal(hc_fsm_feed(&f, &c, false, S(3), &next), HC_FSM_DOWN);
	assert_int_equal(hc_fsm_feed(&f, &c, true, S(9), &next), HC_FSM_UP);
	assert_true(f.up);
	assert_int_equal(f.fails, 0);
	assert_int_equal(next, S(15));
	/* a second success changes nothing */
	assert_int_equal(hc_fsm_feed(&f, &c, true, S(15), &next), HC_FSM_NONE);
	assert_int_equal(f.n_up, 1);
}

/* A success in the middle of a streak resets the retries: failures must be consecutive. */
static void test_success_resets_streak(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(6, 3, 2);
	uint64_t next;
	bool pattern[] = { false, false, true, false, false, true, false, false, true };

	hc_fsm_init(&f, false);
	for (unsigned i = 0; i < sizeof(pattern); i++)
		assert_int_equal(hc_fsm_feed(&f, &c, pattern[i], S(i), &next), HC_FSM_NONE);
	assert_true(f.up);
	assert_int_equal(f.n_down, 0);
	hc_fsm_feed(&f, &c, false, S(20), &next);
	hc_fsm_feed(&f, &c, false, S(21), &next);
	assert_int_equal(hc_fsm_feed(&f, &c, false, S(22), &next), HC_FSM_DOWN);
}

/* alpha: down from the start; its failures are not retried; one success -> up. */
static void test_alpha(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(6, 3, 3);
	uint64_t next;

	hc_fsm_init(&f, true);
	assert_int_equal(hc_fsm_feed(&f, &c, false, S(1), &next), HC_FSM_NONE);
	assert_int_equal(next, S(7));
	assert_false(f.up);
	assert_int_equal(hc_fsm_feed(&f, &c, true, S(7), &next), HC_FSM_UP);
	assert_true(f.up);
	/* from there on the usual rule: retry + 1 failures */
	for (int i = 0; i < 3; i++)
		assert_int_equal(hc_fsm_feed(&f, &c, false, next, &next), HC_FSM_NONE);
	assert_int_equal(hc_fsm_feed(&f, &c, false, next, &next), HC_FSM_DOWN);
}

/*
 * A simulated checker loop on the fake clock: the server fails from t_stop
 * on; a failing run lasts run_s (0 = refused at once, connect_timeout = no
 * answer). Returns when the verdict went down.
 */
static uint64_t simulate_removal(const struct hc_fsm_cfg *c, uint64_t first, uint64_t t_stop,
				 uint64_t run_ns)
{
	struct hc_fsm f;
	uint64_t start = first, next;

	hc_fsm_init(&f, false);
	for (int guard = 0; guard < 1000; guard++) {
		bool ok = start < t_stop;
		uint64_t end = start + (ok ? S(0.002) : run_ns);
		if (hc_fsm_feed(&f, c, ok, end, &next) == HC_FSM_DOWN)
			return end;
		start = next;
	}
	fail_msg("never went down");
	return 0;
}

/*
 * The reference scenario (delay_loop 6, retry 3, delay_before_retry 3,
 * connect_timeout 3): a stopped nginx refuses at once and is removed within
 * delay_loop + retry x (connect_timeout + delay_before_retry) = 24 s of the
 * stop, wherever the stop falls in the cycle; a silent one (every run times
 * out) within delay_loop + (retry + 1) x connect_timeout + retry x dbr = 27 s.
 */
static void test_reference_removal_bound(void **st)
{
	(void)st;
	struct hc_fsm_cfg c = cfg(6, 3, 3);
	uint64_t worst_refused = 0, worst_silent = 0;

	for (unsigned k = 0; k < 600; k++) {
		uint64_t first = S(0.5) + S(6) * k / 600;          /* warmup in [0, 6) */
		uint64_t t_stop = S(30) + S(0.01) * k;              /* any phase of the cycle */
		uint64_t d1 = simulate_removal(&c, first, t_stop, 0) - t_stop;
		uint64_t d2 = simulate_removal(&c, first, t_stop, S(3)) - t_stop;
		if (d1 > worst_refused)
			worst_refused = d1;
		if (d2 > worst_silent)
			worst_silent = d2;
	}
	assert_true(worst_refused <= S(6 + 3 * (3 + 3)));
	/* and the retries really happen: more than retry x delay_before_retry */
	assert_true(worst_refused >= S(3 * 3));
	assert_true(worst_silent <= S(6 + 4 * 3 + 3 * 3) + S(0.01));
}

/* Back within delay_loop (+ the run) of the server's return. */
static void test_recovery_bound(void **st)
{
	(void)st;
	struct hc_fsm f;
	struct hc_fsm_cfg c = cfg(6, 3, 3);
	uint64_t start = 0, next, t_back = S(100) + S(1.234), up_at = 0;

	hc_fsm_init(&f, false);
	for (int guard = 0; guard < 100 && !up_at; guard++) {
		bool ok = start >= t_back;
		uint64_t end = start + S(0.001);
		if (hc_fsm_feed(&f, &c, ok, end, &next) == HC_FSM_UP)
			up_at = end;
		start = next;
	}
	assert_true(up_at > t_back);
	assert_true(up_at - t_back <= S(6) + S(0.001));
}

/* Warmup: each offset inside its window, one per slot of n, deterministic per seed. */
static void test_spread(void **st)
{
	(void)st;
	enum { N = 1000 };
	double *w = malloc(N * sizeof(double)), *o = malloc(N * sizeof(double));
	double *o2 = malloc(N * sizeof(double));
	unsigned *slots = calloc(N, sizeof(unsigned));

	for (int i = 0; i < N; i++)
		w[i] = 6.0;
	hc_fsm_spread(w, o, N, 42);
	for (int i = 0; i < N; i++) {
		assert_true(o[i] >= 0 && o[i] < 6.0);
		slots[(unsigned)(o[i] / 6.0 * N)]++;
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(slots[i], 1);
	hc_fsm_spread(w, o2, N, 42);
	assert_memory_equal(o, o2, N * sizeof(double));
	hc_fsm_spread(w, o2, N, 43);
	assert_memory_not_equal(o, o2, N * sizeof(double));
	/* not in config order: a random permutation of the slots */
	unsigned ascending = 0;
	for (int i = 1; i < N; i++)
		ascending += o[i] > o[i - 1];
	assert_true(ascending > N / 4 && ascending < 3 * N / 4);
	/* windows of their own; 0 = start at once */
	for (int i = 0; i < N; i++)
		w[i] = i % 3 == 0 ? 0 : i % 3 == 1 ? 1.0 : 60.0;
	hc_fsm_spread(w, o, N, 7);
	for (int i = 0; i < N; i++) {
		assert_true(o[i] >= 0);
		if (w[i] == 0)
			assert_true(o[i] == 0);
		else
			assert_true(o[i] < w[i]);
	}
	free(w);
	free(o);
	free(o2);
	free(slots);
}

static void test_misc_verdicts(void **st)
{
	(void)st;
	int w;

	assert_int_equal(hc_fsm_misc(0, false, &w), HC_R_OK);
	assert_int_equal(w, -2);
	assert_int_equal(hc_fsm_misc(0, true, &w), HC_R_OK);
	assert_int_equal(w, -1); /* back to the configured weight */
	assert_int_equal(hc_fsm_misc(1, false, &w), HC_R_SCRIPT_EXIT);
	assert_int_equal(hc_fsm_misc(1, true, &w), HC_R_SCRIPT_EXIT);
	assert_int_equal(hc_fsm_misc(2, false, &w), HC_R_SCRIPT_EXIT);
	assert_int_equal(hc_fsm_misc(2, true, &w), HC_R_OK);
	assert_int_equal(w, 0);
	assert_int_equal(hc_fsm_misc(7, true, &w), HC_R_OK);
	assert_int_equal(w, 5);
	assert_int_equal(hc_fsm_misc(255, true, &w), HC_R_OK);
	assert_int_equal(w, 253);
	assert_int_equal(hc_fsm_misc(255, false, &w), HC_R_SCRIPT_EXIT);
	assert_int_equal(hc_fsm_misc(-ETIMEDOUT, true, &w), HC_R_SCRIPT_TIMEOUT);
	assert_int_equal(w, -2);
	assert_int_equal(hc_fsm_misc(-ENOENT, false, &w), HC_R_SCRIPT_START);
	assert_int_equal(hc_fsm_misc(-EACCES, true, &w), HC_R_SCRIPT_START);
}

static void test_drift_histogram(void **st)
{
	(void)st;
	struct hc_drift d;

	hc_drift_reset(&d);
	assert_int_equal(hc_drift_quantile(&d, 0.5), 0);
	for (int i = 0; i < 98; i++)
		hc_drift_add(&d, 50); /* 50 us */
	hc_drift_add(&d, 5000);       /* 5 ms */
	hc_drift_add(&d, 250000);     /* 250 ms */
	assert_int_equal(d.n, 100);
	assert_int_equal(d.max_us, 250000);
	uint64_t p50 = hc_drift_quantile(&d, 0.5);
	assert_true(p50 >= 50 && p50 < 60);
	uint64_t p99 = hc_drift_quantile(&d, 0.99);
	assert_true(p99 >= 5000 && p99 < 6000);
	assert_int_equal(hc_drift_quantile(&d, 1.0), 250000);
	hc_drift_add(&d, 20 * 1000000ull); /* overflow bucket: the exact max */
	assert_int_equal(hc_drift_quantile(&d, 1.0), 20 * 1000000ull);
	/* a quantile never exceeds the maximum */
	hc_drift_reset(&d);
	hc_drift_add(&d, 1001);
	assert_int_equal(hc_drift_quantile(&d, 0.5), 1001);
}

static void fmt(enum hc_result r, int detail, const char *text, double t, const char *want)
{
	struct hc_outcome o = { .r = r, .detail = detail };
	char buf[160];
	snprintf(o.text, sizeof(o.text), "%s", text ? text : "");
	hc_outcome_format(&o, t, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_reason_texts(void **st)
{
	(void)st;
	fmt(HC_R_OK, 0, NULL, 3, "ok");
	fmt(HC_R_CONNECT_TIMEOUT, 0, NULL, 3, "connect timeout 3 s");
	fmt(HC_R_READ_TIMEOUT, 0, NULL, 0.5, "read timeout 0.5 s");
	fmt(HC_R_REFUSED, ECONNREFUSED, NULL, 3, "connection refused");
	fmt(HC_R_HTTP_STATUS, 503, NULL, 3, "HTTP status 503");
	fmt(HC_R_DIGEST, 0, NULL, 3, "digest mismatch");
	fmt(HC_R_BAD_RESPONSE, -1, "no valid status line", 3, "bad response: no valid status line");
	fmt(HC_R_SMTP_REPLY, 554, "greeting", 3, "SMTP reply 554 to greeting");
	fmt(HC_R_DNS_RCODE, 3, "NXDOMAIN", 3, "DNS rcode 3 (NXDOMAIN)");
	fmt(HC_R_SCRIPT_EXIT, 1, NULL, 3, "exit status 1");
	fmt(HC_R_SCRIPT_TIMEOUT, 0, NULL, 2, "script timeout 2 s");
	fmt(HC_R_UNREACHABLE, EHOSTUNREACH, NULL, 3, "unreachable: No route to host");
	assert_int_equal(hc_result_from_errno(ECONNREFUSED), HC_R_REFUSED);
	assert_int_equal(hc_result_from_errno(EHOSTUNREACH), HC_R_UNREACHABLE);
	assert_int_equal(hc_result_from_errno(ECONNRESET), HC_R_RESET);
	assert_int_equal(hc_result_from_errno(EPERM), HC_R_CONNECT_ERROR);
	/* every reason has a key telemetry accepts: [a-z_] */
	for (unsigned r = 0; r < HC_R_MAX; r++) {
		const char *k = hc_result_key(r);
		assert_true(*k);
		assert_int_equal(strspn(k, "abcdefghijklmnopqrstuvwxyz_"), strlen(k));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_state),
		cmocka_unit_test(test_down_after_retry_plus_one),
		cmocka_unit_test(test_retry_zero_first_failure_downs),
		cmocka_unit_test(test_down_no_retries),
		cmocka_unit_test(test_up_after_one_success),
		cmocka_unit_test(test_success_resets_streak),
		cmocka_unit_test(test_alpha),
		cmocka_unit_test(test_reference_removal_bound),
		cmocka_unit_test(test_recovery_bound),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_misc_verdicts),
		cmocka_unit_test(test_drift_histogram),
		cmocka_unit_test(test_reason_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
