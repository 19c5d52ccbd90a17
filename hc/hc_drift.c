/* SPDX-License-Identifier: BSD-3-Clause */
#include "hc_drift.h"

#include <string.h>

void hc_drift_reset(struct hc_drift *d)
{
	memset(d, 0, sizeof(*d));
}

static unsigned hc_drift_bucket(uint64_t us)
{
	if (us < 1000)
		return (unsigned)(us / 10);
	if (us < 100000)
		return 100 + (unsigned)(us / 1000) - 1;
	if (us < 10000000)
		return 199 + (unsigned)(us / 100000) - 1;
	return HC_DRIFT_BUCKETS - 1;
}

/* The largest value bucket i holds (its upper bound). */
static uint64_t hc_drift_upper(unsigned i, uint64_t max_us)
{
	if (i < 100)
		return (uint64_t)(i + 1) * 10 - 1;
	if (i < 199)
		return (uint64_t)(i - 100 + 2) * 1000 - 1;
	if (i < HC_DRIFT_BUCKETS - 1)
		return (uint64_t)(i - 199 + 2) * 100000 - 1;
	return max_us;
}

void hc_drift_add(struct hc_drift *d, uint64_t us)
{
	d->n++;
	d->sum_us += us;
	if (us > d->max_us)
		d->max_us = us;
	d->b[hc_drift_bucket(us)]++;
}

uint64_t hc_drift_quantile(const struct hc_drift *d, double q)
{
	if (d->n == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* The rank of the sample that q of them do not exceed (1-based). */
	uint64_t rank = (uint64_t)(q * (double)d->n + 0.999999);
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HC_DRIFT_BUCKETS; i++) {
		seen += d->b[i];
		if (seen >= rank) {
			uint64_t up = hc_drift_upper(i, d->max_us);
			return up < d->max_us ? up : d->max_us;
		}
	}
	return d->max_us;
}
