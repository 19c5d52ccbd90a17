/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * script: notify scripts and MISC_CHECK programs, run as child processes
 * with a timeout and reaped from the libevent loop; never waited for.
 *
 * Threading: control core only.
 */
#ifndef VIPD_SCRIPT_H
#define VIPD_SCRIPT_H

#include <stdint.h>

struct event_base;
struct vipd_conf;

/*
 * status: the exit code (0..255); 128 + signal when killed by a signal;
 * -ETIMEDOUT when it ran past its timeout (it is then killed with SIGKILL);
 * -errno when it could not be started.
 *
 * A program that cannot be executed (missing: -ENOENT, not executable:
 * -EACCES) is reported through the callback like any other result, from the
 * loop: script_run() itself fails only for a bad command line (-EINVAL), no
 * memory, or before script_init() (-ENODEV). The callback is never called
 * from inside script_run().
 */
typedef void (*script_done_fn)(void *arg, int status);

int script_init(struct event_base *base);
/*
 * Run cmdline, split into words as keepalived does (spaces; "..." and '...'
 * quote), with extra arguments appended, no shell. cb may be NULL. Returns
 * 0 once started, -errno otherwise (cb is then not called).
 * timeout_s <= 0: no timeout. The program gets stdin from /dev/null, stdout
 * and stderr on vipd's stderr, default signal handling, no other fd, and
 * leads its own process group (a timeout kills the whole group).
 */
int script_run(const char *cmdline, const char *const *extra, unsigned n_extra,
	       double timeout_s, script_done_fn cb, void *arg);
/* Children still running (for shutdown: wait for omega notifiers a little). */
unsigned script_running(void);
/*
 * Forget every child (no callbacks; the running ones finish on their own and
 * are left to init). Does not wait.
 */
void script_stop(void);

/*
 * Split cmdline as keepalived does (alloc_strvec_quoted_escaped): words are
 * separated by spaces/tabs; "..." and '...' group (and join adjacent text:
 * a"b c" is one word "ab c"); a backslash escapes the next character anywhere,
 * with keepalived's C escapes (\n \t \xHH \NNN \cX ...). extra words are
 * appended verbatim. *argv is one allocation, NULL-terminated: free(*argv).
 * -EINVAL: no word, unmatched quote, trailing backslash, escaped NUL.
 */
int script_split(const char *cmdline, const char *const *extra, unsigned n_extra,
		 char ***argv, unsigned *argc);

struct script_stats {
	uint64_t started;      /* programs executed */
	uint64_t exited;       /* reaped (any status) */
	uint64_t nonzero;      /* exited with status 1..255 */
	uint64_t signalled;    /* killed by a signal we did not send */
	uint64_t timed_out;    /* killed at their timeout */
	uint64_t spawn_failed; /* could not be executed (or no memory) */
	uint64_t bad_cmdline;  /* script_run() refused the command line */
	uint64_t reap_errors;  /* waitpid failed (someone else reaped it) */
	uint64_t kill_errors;  /* SIGKILL at the timeout failed */
	uint64_t running;      /* now */
};
void script_get_stats(struct script_stats *out);

/*
 * Run the loop until no child is left or max_s has passed (shutdown only:
 * omega notifiers). 0, or -ETIMEDOUT if some are still running. Must not be
 * called from inside the loop.
 */
int script_drain(double max_s);

/* vipd module (ctrl/vipd.c): script_init; stop = script_drain + script_stop. */
#define SCRIPT_STOP_WAIT_S 5
int script_module_start(struct event_base *base, const struct vipd_conf *c);
void script_module_stop(void);

#endif
