/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry: registers vipd's /vipd/... commands on DPDK's telemetry socket,
 * readable by dpdk-telemetry.py and vipctl. Answers never touch a worker.
 */
#ifndef VIPD_TELEMETRY_H
#define VIPD_TELEMETRY_H

/* qs_thread_id: the QSBR reader id reserved for telemetry callbacks. */
int telemetry_init(unsigned qs_thread_id);

#endif
