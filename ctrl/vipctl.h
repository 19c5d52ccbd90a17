/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vipctl: shared pieces of the operator CLI (vipctl.c: telemetry queries;
 * vipctl_ipvs.c: ipvsadm's syntax and layouts, and the control socket).
 */
#ifndef VIPD_VIPCTL_H
#define VIPD_VIPCTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

int tel_connect(const char *path);
/* Send cmd, return the value under its key (new reference) or NULL. */
json_t *tel_query(int fd, const char *cmd);
json_int_t num(json_t *o, const char *k);
const char *str(json_t *o, const char *k);

/* Telemetry and control socket paths of a vipd started with --file-prefix=P. */
void vipctl_prefix_paths(const char *prefix, char *tel, size_t tlen, char *ctl, size_t clen);
/* A change for the control socket (reload, add-service, ...)? */
bool vipctl_ctl_verb(const char *name);
/* Send argv joined as one line to the control socket; print the answer. */
int vipctl_ctl(const char *ctl_path, int argc, char **argv);
/* ipvsadm's syntax: -A -E -D -a -e -d -L -l -ln -lnc ... */
bool vipctl_ipvs_verb(const char *a);
int vipctl_ipvs_main(const char *tel_path, const char *ctl_path, int argc, char **argv);

#endif
