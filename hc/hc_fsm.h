/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_fsm: the verdict and the timing of one health check, as pure code.
 *
 * keepalived's checker semantics, driven by results and a clock given by the
 * caller (so unit tests run it on a fake clock):
 *   - a real server that is up goes down after retry + 1 consecutive failed
 *     runs; the runs after a failure come delay_before_retry after it, the
 *     others delay_loop after the previous run ended;
 *   - one success brings a down real server up (and resets the retries);
 *   - alpha: it starts down; while down, a failure is not retried (nothing
 *     is decided by it) and the next run is delay_loop later;
 *   - warmup: the first run is a random delay up to the warmup window
 *     (keepalived: random() * warmup / RAND_MAX, default window delay_loop).
 *     hc_fsm_spread() draws those delays stratified, so N checks with one
 *     window start in N distinct slots of it instead of clumping.
 * Also the MISC_CHECK exit-status rule (misc_dynamic weights).
 *
 * Threading: no state of its own; the caller owns each struct hc_fsm.
 */
#ifndef VIPD_HC_FSM_H
#define VIPD_HC_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "hc/hc_result.h"

#define HC_NS_PER_S 1000000000ull

struct hc_fsm_cfg {
	uint64_t delay_loop_ns;
	uint64_t delay_before_retry_ns;
	unsigned retry;
};

struct hc_fsm {
	bool up;             /* the verdict */
	unsigned retry_it;   /* retries spent on the current failure streak */
	unsigned fails;      /* consecutive failed runs */
	uint64_t runs, failures, n_up, n_down;
};

enum hc_fsm_ev {
	HC_FSM_NONE = 0,
	HC_FSM_UP,
	HC_FSM_DOWN,
};

/* Seconds (config) to the nanoseconds the FSM counts in. */
uint64_t hc_fsm_ns(double secs);

void hc_fsm_init(struct hc_fsm *f, bool alpha);
/*
 * One run ended at now_ns with ok. Returns the verdict change, and sets
 * *next_ns to when the next run is due.
 */
enum hc_fsm_ev hc_fsm_feed(struct hc_fsm *f, const struct hc_fsm_cfg *c, bool ok,
			   uint64_t now_ns, uint64_t *next_ns);

/*
 * Warmup delays: offset_s[i] in [0, window_s[i]), from a random permutation
 * of n equal slots (one slot each) with a random point inside the slot.
 * Deterministic for a seed.
 */
void hc_fsm_spread(const double *window_s, double *offset_s, unsigned n, uint64_t seed);

/*
 * MISC_CHECK: the verdict for script status st (0..255 exit code,
 * -ETIMEDOUT, -errno when it could not start). *weight: the new weight with
 * misc_dynamic (exit 2..255 -> st - 2), -1 = back to the configured one,
 * -2 = unchanged. Returns HC_R_OK when up.
 */
enum hc_result hc_fsm_misc(int st, bool dynamic, int *weight);

#endif
