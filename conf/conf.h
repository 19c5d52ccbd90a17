/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf: the libconfig file, loaded into plain immutable structs.
 *
 * Owns: parsing and validation of the whole schema (global, dpdk, ports,
 * vrrp_scripts, vrrp_instances, vrrp_sync_groups, virtual_servers with
 * real_servers and their checks).
 * Everything in the reference scenario is parsed and validated here, even the
 * parts (VRRP, checks, email) that other modules implement.
 *
 * Threading: control core only. A loaded struct vipd_conf is never modified
 * afterwards; a reload loads a new one and diffs. Addresses are IPv4 in
 * network byte order.
 */
#ifndef VIPD_CONF_H
#define VIPD_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_NAME_MAX 64
#define CONF_STR_MAX 256
#define CONF_MAX_URLS 8
#define CONF_MAX_STATUS 8
#define CONF_MAX_EMAILS 16
#define CONF_MAX_VIPS 32
#define CONF_MAX_PEERS 16
#define CONF_MAX_TRACK 16
#define CONF_MAX_EAL_ARGS 32
#define CONF_MAX_VRRP_SCRIPTS 32
#define CONF_MAX_SYNC_GROUPS 16
#define CONF_MAX_SYNC_MEMBERS 16

enum conf_fwd {
	CONF_FWD_NAT = 0, /* keepalived's default lb_kind */
	CONF_FWD_DR,
	CONF_FWD_TUN,
};

enum conf_check_type {
	CONF_CHECK_NONE = 0,
	CONF_CHECK_HTTP_GET,
	CONF_CHECK_SSL_GET,
	CONF_CHECK_TCP,
	CONF_CHECK_MISC,
	CONF_CHECK_SMTP,
	CONF_CHECK_DNS,
};

struct conf_status_range {
	uint16_t lo, hi; /* inclusive */
};

struct conf_url {
	char path[CONF_STR_MAX];
	char digest[33];       /* hex MD5 of the body, "" = not checked */
	unsigned n_status;     /* 0 = keepalived default 200-299 */
	struct conf_status_range status[CONF_MAX_STATUS];
};

struct conf_check {
	enum conf_check_type type;
	int line;                  /* line of the check group, for messages */
	double connect_timeout;    /* s, default 5 */
	unsigned retry;            /* alias nb_get_retry, default 1 */
	double delay_before_retry; /* s, default 3 for HTTP/SSL, 1 otherwise */
	double delay_loop;         /* s, inherited from the virtual server */
	double warmup;             /* s, -1 = keepalived default (random up to delay_loop) */
	uint32_t connect_ip;       /* 0 = the real server's address */
	uint16_t connect_port;     /* 0 = the real server's port */
	uint32_t bindto;           /* 0 = the port's address */
	/* HTTP_GET / SSL_GET */
	char virtualhost[CONF_STR_MAX];
	char http_protocol[8]; /* "1.0", "1.0C" or "1.1"; default "1.0" */
	char sni[CONF_STR_MAX];
	unsigned n_urls;
	struct conf_url urls[CONF_MAX_URLS];
	/* MISC_CHECK */
	char misc_path[CONF_STR_MAX];
	double misc_timeout; /* s, default = delay_loop */
	bool misc_dynamic;
	/* SMTP_CHECK */
	char helo_name[CONF_STR_MAX];
	/* DNS_CHECK */
	char dns_type[8]; /* default "SOA" */
	char dns_name[CONF_STR_MAX]; /* default "." */
};

struct conf_rs {
	int line;
	uint32_t addr;
	uint16_t port;         /* omitted in the file = the virtual server's (filled in) */
	uint32_t weight;       /* 0..65535, default 1 */
	bool has_fwd;          /* per real server forwarding override */
	enum conf_fwd fwd;
	bool has_mac;          /* static neighbour; otherwise resolved by ARP */
	uint8_t mac[6];
	int32_t u_threshold;   /* 0 = no limit */
	int32_t l_threshold;
	bool inhibit_on_failure;
	char notify_up[CONF_STR_MAX];
	char notify_down[CONF_STR_MAX];
	struct conf_check check; /* type NONE = always up */
};

struct conf_vs {
	int line;
	uint32_t addr;
	uint16_t port;
	uint8_t proto;             /* IPPROTO_TCP or IPPROTO_UDP */
	char scheduler[16];        /* IPVS name, default "wlc" */
	char sched_flags[64];      /* e.g. "sh-port,sh-fallback" */
	enum conf_fwd fwd;         /* default NAT */
	uint32_t persistence_timeout; /* s, 0 = none */
	uint32_t persistence_netmask; /* network order, default /32 */
	double delay_loop;         /* s, default 60 */
	uint32_t quorum;           /* default 1 */
	uint32_t hysteresis;
	bool alpha, omega, inhibit_on_failure;
	bool has_sorry;
	uint32_t sorry_addr;
	uint16_t sorry_port;
	char quorum_up[CONF_STR_MAX];
	char quorum_down[CONF_STR_MAX];
	unsigned n_rs;
	struct conf_rs *rs;
};

struct conf_port {
	int line;
	char name[CONF_NAME_MAX];     /* referred to by vrrp interface */
	char device[CONF_STR_MAX];    /* vdev args ("net_af_packet0,iface=x") or PCI address */
	bool is_pci;                  /* device parsed as a PCI address */
	uint32_t addr;                /* the director's own address on this port */
	uint8_t prefixlen;
	uint32_t gateway;             /* 0 = none */
	bool kernel;                  /* TAP exception interface, default true */
	char kernel_name[16];         /* TAP name, default "vipd-" + name */
};

struct conf_vrrp {
	int line;
	char name[CONF_NAME_MAX];
	bool initial_master;       /* state MASTER / BACKUP */
	char interface[CONF_NAME_MAX]; /* a port name */
	uint8_t vrid;              /* 1..255 */
	uint8_t priority;          /* 1..255, default 100 */
	double advert_int;         /* s, default 1 */
	uint8_t version;           /* 2 or 3, default 2 */
	bool auth_pass;            /* auth_type PASS */
	char auth_password[9];     /* 1..8 characters; longer is refused, not truncated */
	unsigned n_vips;
	uint32_t vips[CONF_MAX_VIPS];
	bool preempt;              /* default true */
	double preempt_delay;
	bool use_vmac;
	uint32_t unicast_src;
	unsigned n_peers;
	uint32_t peers[CONF_MAX_PEERS];
	double garp_master_delay;  /* default 5 */
	unsigned garp_master_repeat; /* default 5 */
	double garp_master_refresh;  /* 0 = off */
	unsigned n_track_if;
	char track_if[CONF_MAX_TRACK][CONF_NAME_MAX];
	unsigned n_track_script;
	char track_script[CONF_MAX_TRACK][CONF_NAME_MAX];
	/* Filled by the cross-section checks: */
	unsigned track_script_idx[CONF_MAX_TRACK]; /* into vipd_conf.vrrp_scripts */
	/*
	 * Fingerprint of the definitions this instance refers to outside its own
	 * group (its vrrp_scripts, its sync group and the group's members), so
	 * that conf_vrrp_equal(), which compares the instances only (memcmp: no
	 * padding here), sees a reload that changed them.
	 */
	uint64_t track_sig;
	int sync_group;            /* index into vipd_conf.sync_groups, -1 = none */
	char notify_master[CONF_STR_MAX];
	char notify_backup[CONF_STR_MAX];
	char notify_fault[CONF_STR_MAX];
	char notify_stop[CONF_STR_MAX];
	char notify[CONF_STR_MAX];
	bool smtp_alert;
};

/* keepalived's vrrp_script: a command whose exit status is tracked. */
struct conf_vrrp_script {
	int line;
	char name[CONF_NAME_MAX];
	char script[CONF_STR_MAX]; /* command line, split as keepalived does (no shell) */
	double interval;           /* s between runs, default 1 */
	double timeout;            /* s, default = interval; a run past it fails */
	int32_t weight;            /* -253..253, default 0 (0 = FAULT while KO) */
	uint32_t rise;             /* successes in a row to go OK, default 1 */
	uint32_t fall;             /* failures in a row to go KO, default 1 */
};

/* keepalived's vrrp_sync_group: instances that change state together. */
struct conf_vrrp_group {
	int line;
	char name[CONF_NAME_MAX];
	unsigned n_members;
	char members[CONF_MAX_SYNC_MEMBERS][CONF_NAME_MAX]; /* vrrp instance names */
	unsigned member_idx[CONF_MAX_SYNC_MEMBERS]; /* into vipd_conf.vrrp (cross-checks) */
	char notify_master[CONF_STR_MAX];
	char notify_backup[CONF_STR_MAX];
	char notify_fault[CONF_STR_MAX];
	char notify_stop[CONF_STR_MAX];
	char notify[CONF_STR_MAX];
	bool smtp_alert;
};

struct conf_global {
	char router_id[CONF_NAME_MAX];
	unsigned n_emails;
	char emails[CONF_MAX_EMAILS][CONF_STR_MAX];
	char email_from[CONF_STR_MAX];
	uint32_t smtp_server;      /* 0 = no email */
	uint16_t smtp_port;        /* default 25 */
	double smtp_connect_timeout; /* default 30 */
	bool sloppy_tcp;           /* schedule TCP flows on non-SYN packets too */
	char metrics_listen[64];   /* "ADDR:PORT" of the Prometheus endpoint, "" = off */
	bool no_service_reply;     /* VIP port without a service: RST / ICMP, not a silent drop */
	bool expire_nodest_conn;   /* default false, as IPVS */
	uint32_t tcp_timeout, tcpfin_timeout, udp_timeout; /* 900, 120, 300 */
};

struct conf_dpdk {
	unsigned workers;        /* worker lcores, default 1 */
	unsigned n_eal_args;
	char eal_args[CONF_MAX_EAL_ARGS][CONF_STR_MAX];
	uint32_t sessions;       /* session capacity per worker, default 1048576 */
	uint32_t mbufs;          /* mbufs in the pool, default 16384 */
	uint32_t idle_sleep_max_us; /* adaptive idle ceiling, default 200 */
};

struct vipd_conf {
	char path[CONF_STR_MAX];
	struct conf_global global;
	struct conf_dpdk dpdk;
	unsigned n_ports;
	struct conf_port *ports;
	unsigned n_vrrp;
	struct conf_vrrp *vrrp;
	/* Fixed arrays, not pointers: conf_dup() copies the struct as a whole. */
	unsigned n_vrrp_scripts;
	struct conf_vrrp_script vrrp_scripts[CONF_MAX_VRRP_SCRIPTS];
	unsigned n_sync_groups;
	struct conf_vrrp_group sync_groups[CONF_MAX_SYNC_GROUPS];
	unsigned n_vs;
	struct conf_vs *vs;
};

/* Every problem found, as "FILE:LINE: message" lines. */
struct conf_errors {
	unsigned n;
	char **msg;
};

/*
 * Load and fully validate FILE. Returns 0 and sets *out, or -EINVAL with every
 * problem appended to errs (not only the first), or -ENOENT / -ENOMEM.
 */
int conf_load(const char *path, struct vipd_conf **out, struct conf_errors *errs);
void conf_free(struct vipd_conf *c);
void conf_errors_print(const struct conf_errors *errs, FILE *f);
void conf_errors_clear(struct conf_errors *errs);

/* A deep copy (with room for one more service), or NULL. */
struct vipd_conf *conf_dup(const struct vipd_conf *c);
/* Same ports and dpdk settings (what cannot change without a restart)? */
bool conf_ports_equal(const struct vipd_conf *a, const struct vipd_conf *b);
/* Same VRRP instances (reload need not touch VRRP)? */
bool conf_vrrp_equal(const struct vipd_conf *a, const struct vipd_conf *b);

const char *conf_fwd_name(enum conf_fwd f);
const char *conf_check_name(enum conf_check_type t);
/* The forwarding method that applies to rs inside vs. */
enum conf_fwd conf_rs_fwd(const struct conf_vs *vs, const struct conf_rs *rs);
/* Index of the port whose subnet holds addr, or -1. */
int conf_port_for_addr(const struct vipd_conf *c, uint32_t addr);

#endif
