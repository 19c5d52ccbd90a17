/* SPDX-License-Identifier: BSD-3-Clause */
#include "hc_fsm.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

uint64_t hc_fsm_ns(double secs)
{
	if (!(secs > 0))
		return 0;
	return (uint64_t)llround(secs * 1e9);
}

void hc_fsm_init(struct hc_fsm *f, bool alpha)
{
	*f = (struct hc_fsm){ .up = !alpha };
}

enum hc_fsm_ev hc_fsm_feed(struct hc_fsm *f, const struct hc_fsm_cfg *c, bool ok,
			   uint64_t now_ns, uint64_t *next_ns)
{
	f->runs++;
	if (ok) {
		f->fails = 0;
		f->retry_it = 0;
		*next_ns = now_ns + c->delay_loop_ns;
		if (f->up)
			return HC_FSM_NONE;
		f->up = true;
		f->n_up++;
		return HC_FSM_UP;
	}
	f->failures++;
	f->fails++;
	if (!f->up) {
		/* Already down: nothing to decide, no retry (keepalived). */
		*next_ns = now_ns + c->delay_loop_ns;
		return HC_FSM_NONE;
	}
	if (f->retry_it < c->retry) {
		f->retry_it++;
		*next_ns = now_ns + c->delay_before_retry_ns;
		return HC_FSM_NONE;
	}
	f->retry_it = 0;
	f->up = false;
	f->n_down++;
	*next_ns = now_ns + c->delay_loop_ns;
	return HC_FSM_DOWN;
}

/* xorshift64*: enough randomness to spread timers, cheap, seedable for tests. */
static uint64_t hc_rng(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static double hc_rng01(uint64_t *s)
{
	return (double)(hc_rng(s) >> 11) * 0x1.0p-53;
}

void hc_fsm_spread(const double *window_s, double *offset_s, unsigned n, uint64_t seed)
{
	uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
	unsigned *perm = malloc(sizeof(*perm) * (n ? n : 1));

	if (perm == NULL) {
		/* Not spread, still random: keepalived's plain draw. */
		for (unsigned i = 0; i < n; i++)
			offset_s[i] = window_s[i] > 0 ? window_s[i] * hc_rng01(&s) : 0;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		perm[i] = i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(hc_rng(&s) % i);
		unsigned t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		double w = window_s[i] > 0 ? window_s[i] : 0;
		offset_s[i] = w * ((double)perm[i] + hc_rng01(&s)) / (double)n;
	}
	free(perm);
}

enum hc_result hc_fsm_misc(int st, bool dynamic, int *weight)
{
	*weight = -2;
	if (st == -ETIMEDOUT)
		return HC_R_SCRIPT_TIMEOUT;
	if (st < 0)
		return HC_R_SCRIPT_START;
	if (st == 0) {
		/* A dynamic weight set earlier no longer holds. */
		if (dynamic)
			*weight = -1;
		return HC_R_OK;
	}
	if (dynamic && st >= 2 && st <= 255) {
		*weight = st - 2;
		return HC_R_OK;
	}
	return HC_R_SCRIPT_EXIT;
}
