/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_http_parse: the HTTP/1.x response parser of HTTP_GET and SSL_GET.
 *
 * Incremental (fed whatever the socket gave), bounded (one line, the whole
 * head and the header count have fixed limits; the body is only counted and
 * hashed, never stored) and strict about what a health check must be able
 * to trust: a status line "HTTP/x.y NNN", well-formed header lines, one
 * Content-Length, valid chunk sizes. Anything else is an error with a name,
 * reported as soon as it is seen (garbage fails on its first bytes, not at
 * the timeout). Bodies: Content-Length, chunked (Transfer-Encoding wins over
 * Content-Length, as RFC 9112 says), or delimited by the server closing.
 * 1xx interim responses are skipped. The MD5 of the body (keepalived's
 * digest) is computed on the fly through OpenSSL's EVP interface.
 *
 * Threading: none; one parser per running check. Pure C + libcrypto, so the
 * unit tests run it without DPDK or libevent.
 */
#ifndef VIPD_HC_HTTP_PARSE_H
#define VIPD_HC_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HC_HTTP_LINE_MAX 8192      /* one status or header line */
#define HC_HTTP_HEAD_MAX 65536     /* status line + headers */
#define HC_HTTP_HEADERS_MAX 128    /* header lines */
#define HC_HTTP_CHUNK_LINE_MAX 256 /* chunk size line with extensions */

enum hc_http_rc {
	HC_HTTP_MORE = 0,          /* feed more */
	HC_HTTP_DONE = 1,          /* the response is complete */
	HC_HTTP_E_STATUS = -1,     /* no valid status line */
	HC_HTTP_E_HEADER = -2,     /* malformed header line */
	HC_HTTP_E_TOO_BIG = -3,    /* line, head or header count over its limit */
	HC_HTTP_E_LENGTH = -4,     /* invalid or conflicting Content-Length */
	HC_HTTP_E_CHUNK = -5,      /* invalid chunked encoding */
	HC_HTTP_E_TRUNCATED = -6,  /* closed before the response was complete */
	HC_HTTP_E_BODY = -7,       /* body over the limit while a digest is wanted */
	HC_HTTP_E_EMPTY = -8,      /* closed without sending a byte */
	HC_HTTP_E_NOMEM = -9,      /* no digest context */
};

struct hc_http {
	int state;
	int rc;                    /* sticky: once DONE or an error, stays */
	int status;                /* 100..999 once the status line is parsed */
	int minor;                 /* HTTP/1.minor */
	int64_t content_length;    /* -1 = none */
	bool te;                   /* Transfer-Encoding given: Content-Length is ignored */
	bool chunked;              /* ... and its last coding is chunked */
	uint64_t chunk_left;
	uint64_t body_len;         /* body bytes seen (after de-chunking) */
	uint64_t body_max;
	uint64_t in_len;           /* bytes fed */
	size_t head_len;
	unsigned n_headers;
	bool digest;
	void *md;                  /* EVP_MD_CTX * while hashing */
	size_t line_len;
	char line[HC_HTTP_LINE_MAX];
};

/*
 * digest: hash the body (then a body over body_max is HC_HTTP_E_BODY;
 * without digest the response counts as complete once body_max bytes of
 * body arrived, there being nothing more to learn from it).
 * Returns 0 or HC_HTTP_E_NOMEM.
 */
int hc_http_init(struct hc_http *p, bool digest, uint64_t body_max);
/* Feed len bytes; returns MORE, DONE or an error (sticky). Bytes after DONE are ignored. */
int hc_http_feed(struct hc_http *p, const char *data, size_t len);
/* The server closed: DONE if the response is complete (or close-delimited), else an error. */
int hc_http_eof(struct hc_http *p);
/* After DONE with digest: the body's MD5 as 32 lower-case hex digits. */
void hc_http_digest_hex(struct hc_http *p, char hex[33]);
void hc_http_fini(struct hc_http *p);
const char *hc_http_strerror(int rc);

#endif
