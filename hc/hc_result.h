/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_result: the outcome of one health check run, as a named reason.
 *
 * Every way a check can end is one enum value with a telemetry key and a
 * human text; the scheduler counts each of them, and the text (with its
 * detail: status code, errno, timeout) is what the log line of a state
 * change says, e.g. "HTTP status 503" or "connect timeout 3 s".
 *
 * Threading: pure data and formatting, no state; any thread.
 */
#ifndef VIPD_HC_RESULT_H
#define VIPD_HC_RESULT_H

#include <stddef.h>

/* X(enum suffix, telemetry key, text) */
#define HC_RESULTS(X)                                                  \
	X(OK, ok, "ok")                                                \
	X(CONNECT_TIMEOUT, connect_timeout, "connect timeout")         \
	X(REFUSED, refused, "connection refused")                      \
	X(UNREACHABLE, unreachable, "unreachable")                     \
	X(CONNECT_ERROR, connect_error, "connect error")               \
	X(TLS_TIMEOUT, tls_timeout, "TLS handshake timeout")           \
	X(TLS_FAILED, tls_failed, "TLS handshake failed")              \
	X(READ_TIMEOUT, read_timeout, "read timeout")                  \
	X(RESET, reset, "connection reset")                            \
	X(CLOSED, closed, "connection closed without a response")      \
	X(IO_ERROR, io_error, "I/O error")                             \
	X(BAD_RESPONSE, bad_response, "bad response")                  \
	X(HTTP_STATUS, http_status, "HTTP status")                     \
	X(DIGEST, digest, "digest mismatch")                           \
	X(SMTP_REPLY, smtp_reply, "SMTP reply")                        \
	X(DNS_RCODE, dns_rcode, "DNS rcode")                           \
	X(SCRIPT_EXIT, script_exit, "exit status")                     \
	X(SCRIPT_TIMEOUT, script_timeout, "script timeout")            \
	X(SCRIPT_START, script_start, "script not started")            \
	X(SOCKET, socket, "socket error")                              \
	X(BIND, bind, "bind error")                                    \
	X(CONFIG, config, "configuration error")                       \
	X(NOMEM, nomem, "out of memory")

enum hc_result {
#define HC_X(e, k, t) HC_R_##e,
	HC_RESULTS(HC_X)
#undef HC_X
	HC_R_MAX
};

/* What a run ended with: the reason, its number (status, errno, exit code), a short text. */
struct hc_outcome {
	enum hc_result r;
	int detail;
	char text[96];
};

/* Telemetry key ("connect_timeout") and base text ("connect timeout") of r. */
const char *hc_result_key(enum hc_result r);
const char *hc_result_text(enum hc_result r);

/*
 * The reason as a log line says it: "HTTP status 503", "connect timeout 3 s",
 * "connection refused", "bad response: missing status line". timeout_s is
 * the timeout that applied (for the *_TIMEOUT reasons).
 */
void hc_outcome_format(const struct hc_outcome *o, double timeout_s, char *buf, size_t len);

/* The reason for a failed connect()/socket error e (errno). */
enum hc_result hc_result_from_errno(int e);

#endif
