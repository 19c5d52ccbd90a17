/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vrrp_tel: the /vipd/vrrp telemetry command. The control core publishes a
 * copy of each instance's status after every change (under a mutex: the
 * telemetry threads read it while the control core runs); the callback
 * copies it out under the same mutex and never touches VRRP's own state.
 *
 * Reply: a dict keyed "vi<N>" (config index; telemetry keys allow only
 * [A-Za-z0-9_/] and arrays cannot hold dicts) with name, interface, vrid,
 * version, state, priority (effective), base_priority, master (address),
 * last_transition (Unix time), last_reason, transitions, adverts_in,
 * adverts_out, send_errors, bad_total and bad_<reason> per reason,
 * sync_group (its group's name, "" if none) and track_scripts
 * ("chk_a=OK,chk_b=KO", "" if none); "vg<N>" per sync group (config index)
 * with group (its name), state (INIT, BACKUP, MASTER, FAULT), members
 * ("VI_1,VI_2"), transitions and last_transition; "script<N>" per tracked
 * vrrp_script with script (its name), status (INIT, OK, KO), weight, rise,
 * fall, runs, failures, timeouts, skipped, last_status (exit status, or
 * -errno: -110 timed out) and last_change; and "unmatched" for packets no
 * instance could be charged with (too short to carry a VRID, or an unknown
 * VRID).
 *
 * Threading: vrrp_tel_put / vrrp_tel_unmatched on the control core; the
 * callback on DPDK's telemetry threads.
 */
#ifndef VIPD_VRRP_TEL_H
#define VIPD_VRRP_TEL_H

#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "vrrp/vrrp_pkt.h"

struct vrrp_tel_inst {
	char name[CONF_NAME_MAX];
	char interface[CONF_NAME_MAX];
	uint8_t vrid, version;
	uint8_t priority, base_priority;
	const char *state;        /* static string */
	const char *last_reason;  /* static string */
	uint32_t master;          /* network order, 0 = unknown */
	time_t last_transition;   /* wall clock, for people */
	uint64_t transitions, adverts_in, adverts_out, send_errors;
	uint64_t bad[VRRP_BAD_MAX];
	char sync_group[CONF_NAME_MAX];
	char track_scripts[256];
};

struct vrrp_tel_group {
	char name[CONF_NAME_MAX];
	char members[256];
	const char *state;        /* static string */
	uint64_t transitions;
	time_t last_transition;
};

struct vrrp_tel_script {
	char name[CONF_NAME_MAX];
	const char *status;       /* static string */
	int weight, last_status;
	uint32_t rise, fall;
	uint64_t runs, failures, timeouts, skipped;
	time_t last_change;
};

/* Room for n instances, n_groups sync groups and n_scripts scripts (their
 * configuration indexes); registers the command once per process. */
int vrrp_tel_init(unsigned n, unsigned n_groups, unsigned n_scripts);
void vrrp_tel_put(unsigned i, const struct vrrp_tel_inst *s);
void vrrp_tel_put_group(unsigned i, const struct vrrp_tel_group *g);
/* A script no instance tracks is not run and not shown (name left ""). */
void vrrp_tel_put_script(unsigned i, const struct vrrp_tel_script *s);
void vrrp_tel_unmatched(enum vrrp_bad why);
/* Forget the instances (vipd stopping); the command then answers {}. */
void vrrp_tel_fini(void);

#endif
