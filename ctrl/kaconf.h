/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kaconf: `vipctl import-keepalived`, a keepalived.conf to vipd.conf
 * converter. Pure C, no DPDK: it links conf/ only to validate its own output.
 *
 * Three stages:
 *   kaconf.c        reads keepalived.conf and its includes into a tree of
 *                   keyword nodes (one keyword and its arguments per line,
 *                   braces anywhere, comments, quotes, include with globs);
 *   kaconf_conv.c   walk the tree with one mapping table per block
 *   kaconf_vrrp.c   (global_defs and the top level; vrrp_instance,
 *                   vrrp_script, vrrp_sync_group and track_script;
 *   kaconf_vs.c     virtual_server and real_server; the checks) and build
 *   kaconf_check.c  vipd's settings as a tree of values;
 *   kaconf_port.c   a vipd port for each interface, with the director's address;
 *   kaconf_out.c    prints that tree as libconfig text, then loads the text
 *                   with conf_load() so that the import never hands out a file
 *                   vipd would refuse (vipd's messages are mapped back to
 *                   keepalived.conf lines).
 * kaconf_main.c holds the command line.
 *
 * Messages go to one FILE, one per line:
 *   FILE:LINE: KEYWORD: not supported by vipd (WHY)   an option that is dropped
 *   FILE:LINE: KEYWORD: ...                           other warnings
 *   FILE:LINE: error: ...                             nothing is written
 * FILE is the path as the top file was named (includes joined to its
 * directory), so the messages read as compiler messages do.
 *
 * Everything is bounded (file size, line length, words per line, nesting,
 * include depth, number of files and keywords) so that no input makes the
 * importer crash or run away.
 */
#ifndef VIPD_KACONF_H
#define VIPD_KACONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KACONF_MAX_FILE_SIZE (4u << 20) /* bytes per file */
#define KACONF_MAX_LINE 8192            /* bytes per line, continuations joined */
#define KACONF_MAX_WORDS 64             /* words per line */
#define KACONF_MAX_DEPTH 16             /* nested { } */
#define KACONF_MAX_INCLUDE_DEPTH 8
#define KACONF_MAX_FILES 256
#define KACONF_MAX_NODES 100000         /* keywords in all files */
#define KACONF_MAX_PORTS 16             /* distinct interfaces */
#define KACONF_MAX_ADDR_OPTS 16         /* --address options */

/* ---- public API ---------------------------------------------------------- */

struct kaconf_opts {
	/* --address IFNAME=A.B.C.D/LEN: the director's address on an interface. */
	unsigned n_addrs;
	struct {
		char ifname[16];
		char addr[24];
	} addrs[KACONF_MAX_ADDR_OPTS];
	bool no_validate; /* skip the conf_load() check of the result (tests) */
};

/*
 * Read and convert path. Messages go to msgs (may be NULL). Returns 0 with
 * *text (malloc'd, NUL terminated) set when a configuration was produced,
 * warnings or not; 1 on an error in the input (nothing produced).
 * n_warn, if given, receives the number of warnings.
 */
int kaconf_import(const char *path, const struct kaconf_opts *opts, FILE *msgs,
		  char **text, unsigned *n_warn);

/* `vipctl import-keepalived IN.conf [-o OUT.conf] [--address IF=A/LEN]...` */
int import_keepalived_main(int argc, char **argv);

/* ---- internals shared by the kaconf_*.c files ---------------------------- */

struct kaconf_log {
	FILE *f;
	unsigned n_warn, n_err;
};

void kaconf_logf(struct kaconf_log *lg, bool error, const char *file,
		 unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A file that was read: path as opened, show as printed in the output. */
struct kaconf_file {
	char *path;
	char *show;
};

/* One keyword with its arguments, and its { } block if it had one. */
struct kaconf_node {
	const struct kaconf_file *file;
	unsigned line;
	char *kw;
	char **args;
	unsigned n_args;
	bool block;
	unsigned block_line; /* of the '{' */
	struct kaconf_node *child, *last_child, *next, *parent;
};

struct kaconf_tree {
	struct kaconf_node root; /* the top level, as a block without keyword */
	struct kaconf_file *files[KACONF_MAX_FILES];
	unsigned n_files;
	unsigned n_nodes;
};

/* 0, or -1 after a syntax error (reported; the tree holds what was read). */
int kaconf_read(const char *path, struct kaconf_tree *t, struct kaconf_log *lg);
void kaconf_tree_free(struct kaconf_tree *t);

/* Allocation that cannot fail: out of memory ends the program. */
void *kaconf_alloc(size_t n);
char *kaconf_strdup(const char *s);
char *kaconf_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- output values (kaconf_out.c) ---------------------------------------- */

enum kaconf_vt {
	KV_SCALAR, /* text is already libconfig: "str", 3, 0.5, true */
	KV_GROUP,  /* { key = ...; } */
	KV_LIST,   /* ( ..., ... ) */
	KV_ARRAY,  /* [ scalar, ... ] */
};

struct kaconf_val {
	enum kaconf_vt t;
	const char *key;          /* static; NULL for list and array elements */
	char *text;               /* KV_SCALAR */
	const struct kaconf_node *src; /* keepalived line it comes from, or NULL */
	const char *const *order; /* KV_GROUP: key order for printing */
	bool oneline;             /* print { a = 1; b = 2; } on one line */
	unsigned n_notes;
	char **notes;             /* "# ..." lines printed first inside */
	struct kaconf_val *first, *last, *next;
};

struct kaconf_val *kv_new(enum kaconf_vt t, const char *key,
			  const struct kaconf_node *src);
struct kaconf_val *kv_group(const char *key, const char *const *order,
			    const struct kaconf_node *src);
/* Add to a list or array (at the end) or a group (in key order). */
void kv_add(struct kaconf_val *parent, struct kaconf_val *v);
struct kaconf_val *kv_find(const struct kaconf_val *g, const char *key);
/* Remove key from g (if there) and free it. */
void kv_del(struct kaconf_val *g, const char *key);
/*
 * Set g.key to the scalar text (taken over). Returns the node that had set
 * the key before, or NULL: keepalived keeps the last value, so do we, and
 * the caller says so.
 */
const struct kaconf_node *kv_set(struct kaconf_val *g, const char *key,
				 char *text, const struct kaconf_node *src);
void kv_note(struct kaconf_val *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kv_free(struct kaconf_val *v);
/* A libconfig string literal of s, escaped. */
char *kv_quote(const char *s);
/* A libconfig number: integer text when whole, else a float. */
char *kv_num(double v);

/*
 * Print root's members as a libconfig file after header (comment lines
 * without '#'). origin[i] is the keepalived node behind output line i + 1.
 */
char *kv_print(const struct kaconf_val *root, const char *header,
	       const struct kaconf_node ***origin, unsigned *n_lines);
/* Load text with conf_load(); report vipd's refusals at keepalived lines. */
int kaconf_validate(const char *text, const struct kaconf_node *const *origin,
		    unsigned n_lines, struct kaconf_log *lg);

/* ---- conversion (kaconf_conv.c and the section files) -------------------- */

struct kaconf_cx;
struct kaconf_map;

typedef void kaconf_fn(struct kaconf_cx *cx, const struct kaconf_node *n,
		       const struct kaconf_map *m, struct kaconf_val *g, void *obj);

enum kaconf_act {
	KA_STR,    /* one word, a string of at most max characters */
	KA_SCRIPT, /* a script: the first word is the command line (keepalived
		    * splits it again); further words are user/group */
	KA_UINT,   /* an integer in min..max */
	KA_SECS,   /* seconds, decimals allowed, in min..max */
	KA_ADDR,   /* an IPv4 address */
	KA_FLAG,   /* no word or a boolean word: true unless it says false */
	KA_FN,     /* fn decides */
	KA_UNSUP,  /* dropped: not supported by vipd (why) */
};

struct kaconf_map {
	const char *kw;      /* keepalived's keyword */
	enum kaconf_act act;
	const char *key;     /* vipd's key */
	double min, max;     /* KA_UINT, KA_SECS: range; KA_STR: max length */
	kaconf_fn *fn;
	const char *why;     /* KA_UNSUP */
	unsigned only;       /* check types that take it (KACONF_CK_*); 0 = all */
	bool block;          /* takes a { } block */
	bool block_opt;      /* with or without a block */
};

#define KA_ROW_UNSUP(k, w) { .kw = k, .act = KA_UNSUP, .why = w }
#define KA_ROW_UNSUPB(k, w) { .kw = k, .act = KA_UNSUP, .why = w, .block = true }

struct kaconf_port {
	char ifname[16];      /* keepalived's interface */
	char name[64];        /* vipd port name */
	const struct kaconf_node *where; /* first 'interface' naming it */
	uint32_t src;         /* unicast_src_ip of its first instance, network order */
	const struct kaconf_node *src_node;
	/* Virtual addresses written with a prefix (a.b.c.d/len) on this interface:
	 * the subnet keepalived put them in, a hint for the port's own prefix. */
	unsigned n_nets;
	struct {
		uint32_t addr;
		unsigned len;
	} nets[32];
	struct kaconf_val *g;
};

struct kaconf_cx {
	struct kaconf_log *lg;
	const struct kaconf_opts *opts;
	const struct kaconf_tree *tree;
	struct kaconf_val *root, *global, *ports, *vrrps, *vss;
	struct kaconf_val *scripts, *groups; /* vrrp_scripts, vrrp_sync_groups */
	struct kaconf_val *cur;  /* where notes about dropped options go */
	unsigned n_ports;
	struct kaconf_port port[KACONF_MAX_PORTS];
	/* global_defs settings that apply to every vrrp_instance */
	const struct kaconf_node *vrrp_version, *garp_delay, *garp_repeat,
		*garp_refresh;
};

/* Messages about node n: a warning, an unsupported option, an error. */
void kaconf_warn(struct kaconf_cx *cx, const struct kaconf_node *n,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kaconf_unsup(struct kaconf_cx *cx, const struct kaconf_node *n,
		  const char *what, const char *why);
void kaconf_err(struct kaconf_cx *cx, const struct kaconf_node *n,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Argument i of n, or NULL after an error saying what is missing. */
const char *kaconf_arg(struct kaconf_cx *cx, const struct kaconf_node *n,
		       unsigned i, const char *what);
bool kaconf_uint(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
		 double min, double max, unsigned long *out);
bool kaconf_secs(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
		 double min, double max, double *out);
/* 1: IPv4 in *out; 0: an IPv6 address (not reported); -1: reported error. */
int kaconf_ip(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned i,
	      uint32_t *out);
int kaconf_parse_ip(const char *s, uint32_t *out);
const char *kaconf_ip_str(uint32_t a, char buf[16]);
/* true/yes/on and false/no/off, as keepalived's check_true_false; -1 = neither. */
int kaconf_bool(const char *s);
/* Warn about words after the first max (keepalived ignores them). */
void kaconf_extra(struct kaconf_cx *cx, const struct kaconf_node *n, unsigned max);

/* kv_set, warning when n overrides an earlier line (keepalived keeps the last). */
void kaconf_set(struct kaconf_cx *cx, struct kaconf_val *g, const char *key,
		char *text, const struct kaconf_node *n);
/* Convert every child of blk by the table into g; obj goes to KA_FN rows. */
void kaconf_walk(struct kaconf_cx *cx, const struct kaconf_node *blk,
		 const struct kaconf_map *tab, size_t n_tab, unsigned only,
		 struct kaconf_val *g, void *obj);
/* One node by its row (the walker's step, for callers that pick rows). */
void kaconf_apply(struct kaconf_cx *cx, const struct kaconf_node *n,
		  const struct kaconf_map *m, struct kaconf_val *g, void *obj);
const struct kaconf_map *kaconf_row(const struct kaconf_map *tab, size_t n_tab,
				    const char *kw);
/* The port of a keepalived interface name (created on first use), or NULL. */
struct kaconf_port *kaconf_port_get(struct kaconf_cx *cx,
				    const struct kaconf_node *n, const char *ifname);
struct kaconf_port *kaconf_port_find(struct kaconf_cx *cx, const char *ifname);
/* Give every port its address (see kaconf_port.c); a port if there is none. */
void kaconf_ports_finish(struct kaconf_cx *cx);

void kaconf_global(struct kaconf_cx *cx, const struct kaconf_node *n);
void kaconf_vrrp(struct kaconf_cx *cx, const struct kaconf_node *n);
void kaconf_vscript(struct kaconf_cx *cx, const struct kaconf_node *n);
/*
 * After every vrrp_instance and vrrp_script: the vrrp_sync_group blocks of the
 * tree, then each instance's track_script entries (names resolved, keepalived's
 * weight 0 in sync groups applied).
 */
void kaconf_vrrp_finish(struct kaconf_cx *cx);
void kaconf_vs(struct kaconf_cx *cx, const struct kaconf_node *n);

/* Check defaults a virtual or real server hands down to its checks. */
struct kaconf_ckdef {
	const struct kaconf_node *retry, *delay_before_retry, *connect_timeout,
		*warmup, *delay_loop, *virtualhost;
};
#define KACONF_CK_HTTP 0x01
#define KACONF_CK_SSL 0x02
#define KACONF_CK_TCP 0x04
#define KACONF_CK_MISC 0x08
#define KACONF_CK_SMTP 0x10
#define KACONF_CK_DNS 0x20
/* n is a check block of a real server; rs the real server's group. */
void kaconf_check(struct kaconf_cx *cx, const struct kaconf_node *n,
		  struct kaconf_val *rs, const struct kaconf_ckdef *vsdef,
		  const struct kaconf_ckdef *rsdef, uint16_t connect_port);
/* Whether kw names a check block (known to vipd or not). */
bool kaconf_is_check(const char *kw);
/* Inheritable check keys at the virtual and real server level. */
void kaconf_ckdef_row(struct kaconf_cx *cx, const struct kaconf_node *n,
		      const struct kaconf_map *m, struct kaconf_val *g, void *obj);

/* The whole conversion of a read tree: 0 with *text, or -1. */
int kaconf_convert(const struct kaconf_tree *t, const struct kaconf_opts *o,
		   struct kaconf_log *lg, char **text,
		   const struct kaconf_node ***origin, unsigned *n_lines);

/* The reason given for VRRP options vipd has no counterpart for. */
#define KA_VNOEQ "no equivalent in vipd's VRRP"

#endif
