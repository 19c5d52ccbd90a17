/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clock: the coarse time base of session timeouts, in ticks of 1/16 s,
 * read from the TSC without a syscall.
 */
#ifndef VIPD_CLOCK_H
#define VIPD_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>

#define VIPD_TICK_HZ 16

extern uint64_t clock_tsc_per_tick;

static inline void clock_init(void)
{
	clock_tsc_per_tick = rte_get_tsc_hz() / VIPD_TICK_HZ;
}

/* The tick a TSC reading falls in. */
static inline uint32_t clock_ticks_of(uint64_t tsc)
{
	return (uint32_t)(tsc / clock_tsc_per_tick);
}

static inline uint32_t clock_now(void)
{
	return clock_ticks_of(rte_rdtsc());
}

static inline uint32_t clock_secs_to_ticks(double s)
{
	return (uint32_t)(s * VIPD_TICK_HZ + 0.5);
}

#endif
