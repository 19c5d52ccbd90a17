/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl: the control socket, for changes at run time (vipctl's add/edit/del,
 * weights, quiesce/drain, timeouts, flush, reload).
 *
 * A unix stream socket, mode 0600 (root only), in the DPDK runtime directory
 * (/var/run/dpdk/<file-prefix>/vipd.ctl). One command per line; one JSON
 * line back: {"ok":true,"msg":"..."} or {"ok":false,"error":"why"}. Every
 * change edits a copy of the running configuration and goes through the same
 * path as a reload, so workers see it atomically and nothing half-done.
 *
 * Threading: control core only (the libevent loop).
 */
#ifndef VIPD_CTL_H
#define VIPD_CTL_H

#include <stddef.h>

struct event_base;
struct vipd_conf;

typedef int (*ctl_apply_fn)(struct vipd_conf *c, char *msg, size_t len);
typedef int (*ctl_reload_fn)(char *msg, size_t len);

/* How changes are applied (vipd.c owns that path). */
void ctl_set_hooks(ctl_apply_fn apply, ctl_reload_fn reload);
int ctl_module_start(struct event_base *base, const struct vipd_conf *c);
void ctl_module_stop(void);
/* Run one command line; the JSON answer goes to out. For tests and the socket. */
int ctl_exec(char *line, char *out, size_t len);

#endif
