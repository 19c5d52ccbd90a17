/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_drift: how late checks start, as a histogram (planned start of a run
 * versus the moment the control core actually began it). This is what says
 * whether one control core keeps up with its checks: a busy loop shows as
 * drift long before checks time out.
 *
 * Buckets: 10 us wide below 1 ms, 1 ms wide below 100 ms, 100 ms wide below
 * 10 s, then one overflow bucket; percentiles are a bucket's upper bound,
 * the maximum is exact.
 *
 * Threading: none of its own; hc_tel keeps the module's one under its mutex.
 */
#ifndef VIPD_HC_DRIFT_H
#define VIPD_HC_DRIFT_H

#include <stdint.h>

#define HC_DRIFT_BUCKETS (100 + 99 + 99 + 1)

struct hc_drift {
	uint64_t n;
	uint64_t sum_us;
	uint64_t max_us;
	uint64_t b[HC_DRIFT_BUCKETS];
};

void hc_drift_reset(struct hc_drift *d);
void hc_drift_add(struct hc_drift *d, uint64_t us);
/* The drift (us) that a fraction q (0..1) of the samples do not exceed; 0 without samples. */
uint64_t hc_drift_quantile(const struct hc_drift *d, double q);

#endif
