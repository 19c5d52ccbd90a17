/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf internals: error collection, value decoders and the table-driven group
 * walker shared by conf.c (global, dpdk, ports, vrrp), conf_vs.c (virtual and
 * real servers) and conf_check.c (health checks). Not for other modules.
 *
 * Every decoder reports its own problems with the setting's file and line and
 * returns false; parsing then goes on so that one load reports every error.
 */
#ifndef VIPD_CONF_PVT_H
#define VIPD_CONF_PVT_H

#include <libconfig.h>
#include <stddef.h>

#include "conf.h"

#define CONF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONF_WHERE_MAX 160

struct conf_ctx {
	const char *path;          /* file named when a setting has none */
	const char *dir;           /* its directory, where @include looks */
	struct conf_errors *errs;
	unsigned n_err;            /* problems found by this load */
	bool nomem;
	const config_setting_t *root;
};

/* Record "FILE:LINE: WHERE: message"; s NULL = about the file as a whole. */
void conf_err(struct conf_ctx *cx, const config_setting_t *s, const char *where,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same at an explicit file (NULL = the loaded one) and line (0 = none). */
void conf_err_at(struct conf_ctx *cx, const char *file, unsigned line,
		 const char *where, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Format a "virtual_servers[0].real_servers[1]" path into w (truncating). */
void conf_wheref(char w[CONF_WHERE_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A key's name for messages: "weight", or "virtual_ipaddress[2]" for an element. */
const char *conf_sname(const config_setting_t *s);

enum conf_kind {
	CK_STR,   /* string into char[size] */
	CK_BOOL,  /* true/false into bool */
	CK_UINT,  /* integer into an unsigned of size 1, 2 or 4 bytes */
	CK_SECS,  /* integer or float seconds into double */
	CK_ADDR,  /* IPv4 string into uint32_t, network order */
	CK_STRS,  /* array or list of strings into char[max][size], count at cnt */
	CK_ADDRS, /* array or list of IPv4 strings into uint32_t[max], count at cnt */
	CK_FN,    /* anything else: fn decodes */
};

typedef void conf_key_fn(struct conf_ctx *cx, const config_setting_t *s,
			 const char *where, void *obj);

struct conf_key {
	const char *name;
	const char *alias;  /* non-NULL: same as the key named alias */
	enum conf_kind kind;
	size_t off;         /* of the field in obj */
	size_t size;        /* of the field, or of one element for lists */
	double min, max;    /* numeric range; for lists max = element count */
	size_t cnt;         /* offset of the unsigned element count */
	unsigned only;      /* a mask the walker is given must intersect; 0 = always */
	bool required;
	conf_key_fn *fn;
};

/* conf_walk tracks keys in a 64-bit mask; a table must stay within it. */
#define CONF_KEYS_FIT(t) _Static_assert(CONF_ARRAY_SIZE(t) <= 64, #t " has over 64 keys")

/* Table entry bodies; the table sets KT to the target struct type first. */
#define K_FIELD(n, f) .name = n, .off = offsetof(KT, f), .size = sizeof(((KT *)0)->f)
#define K_STR(n, f) K_FIELD(n, f), .kind = CK_STR
#define K_BOOL(n, f) K_FIELD(n, f), .kind = CK_BOOL
#define K_UINT(n, f, lo, hi) K_FIELD(n, f), .kind = CK_UINT, .min = lo, .max = hi
#define K_SECS(n, f, lo, hi) K_FIELD(n, f), .kind = CK_SECS, .min = lo, .max = hi
#define K_ADDR(n, f) K_FIELD(n, f), .kind = CK_ADDR
#define K_LIST(n, k, f, c) .name = n, .kind = k, .off = offsetof(KT, f), \
	.size = sizeof(((KT *)0)->f[0]), .max = CONF_ARRAY_SIZE(((KT *)0)->f), \
	.cnt = offsetof(KT, c)
#define K_STRS(n, f, c) K_LIST(n, CK_STRS, f, c)
#define K_ADDRS(n, f, c) K_LIST(n, CK_ADDRS, f, c)
#define K_FN(n, f) .name = n, .kind = CK_FN, .fn = f
#define K_ALIAS(n, canon) .name = n, .alias = canon

/*
 * Decode every member of group g into obj by the table; unknown keys, keys
 * given twice through an alias and missing required keys are errors. what
 * names the group kind in messages ("real_server"). Returns a bitmask of the
 * table indexes (canonical entries) that were present.
 */
uint64_t conf_walk(struct conf_ctx *cx, const config_setting_t *g,
		   const char *where, const char *what,
		   const struct conf_key *keys, unsigned n_keys, unsigned mask,
		   void *obj);
/* Whether the key called name was present in a conf_walk result. */
bool conf_seen(const struct conf_key *keys, unsigned n_keys, uint64_t seen,
	       const char *name);

bool conf_is_group(struct conf_ctx *cx, const config_setting_t *s,
		   const char *where);
/* Element count of a list of groups ( {..}, {..} ), or -1 after an error. */
int conf_group_list(struct conf_ctx *cx, const config_setting_t *s,
		    const char *where);
/*
 * A list of groups s, checked by conf_group_list, and a zeroed array of *n
 * elements for it; NULL with *n <= 0 when empty or invalid (errors reported),
 * NULL with cx->nomem when out of memory.
 */
void *conf_list_alloc(struct conf_ctx *cx, const config_setting_t *s, const char *where,
		      size_t elem, int *n);
/* g's member name if present, else g itself: where a message should point. */
const config_setting_t *conf_at(const config_setting_t *g, const char *name);
/* The setting at list[idx].key under the root, or the best parent found. */
const config_setting_t *conf_item(struct conf_ctx *cx, const char *list,
				  int idx, const char *key);

bool conf_dec_strp(struct conf_ctx *cx, const config_setting_t *s,
		   const char *where, const char **out);
bool conf_dec_str(struct conf_ctx *cx, const config_setting_t *s,
		  const char *where, char *dst, size_t size);
bool conf_dec_num(struct conf_ctx *cx, const config_setting_t *s,
		  const char *where, bool integer, double min, double max,
		  double *out);
bool conf_dec_addr(struct conf_ctx *cx, const config_setting_t *s,
		   const char *where, uint32_t *out);

/* 0, or -1 when str is no IPv4 address, -2 when it is an IPv6 one. */
int conf_parse_ip(const char *str, uint32_t *out);
uint32_t conf_prefix_mask(unsigned len); /* network order */
/* Dotted quad text of an address, for messages. */
const char *conf_ip_str(uint32_t addr, char buf[16]);

/* conf_vs.c */
void conf_vs_list(struct conf_ctx *cx, const config_setting_t *s,
		  const char *where, void *obj);
void conf_vs_cross(struct conf_ctx *cx, const struct vipd_conf *c);

/* conf_check.c */
void conf_check_group(struct conf_ctx *cx, const config_setting_t *s,
		      const char *where, void *obj);
void conf_check_finish(struct conf_check *ck, double vs_delay_loop);

/* conf_vrrp.c; conf.c shares its port lookups with it. */
void conf_vrrp_list(struct conf_ctx *cx, const config_setting_t *s, const char *where, void *obj);
void conf_vscript_list(struct conf_ctx *cx, const config_setting_t *s, const char *where, void *obj);
void conf_group_list_fn(struct conf_ctx *cx, const config_setting_t *s, const char *where, void *obj);
void conf_cross_vrrp(struct conf_ctx *cx, const struct vipd_conf *c);
void conf_cross_vscripts(struct conf_ctx *cx, const struct vipd_conf *c);
void conf_cross_groups(struct conf_ctx *cx, struct vipd_conf *c);
void conf_cross_track_scripts(struct conf_ctx *cx, struct vipd_conf *c);
void conf_vrrp_sigs(struct vipd_conf *c);
int conf_port_find(const struct vipd_conf *c, const char *name);
const char *conf_port_names(const struct vipd_conf *c);

#endif
