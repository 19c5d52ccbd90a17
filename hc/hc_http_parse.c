/* SPDX-License-Identifier: BSD-3-Clause */
#include "hc_http_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

enum {
	S_STATUS = 0,
	S_HEADER,
	S_BODY_LEN,
	S_BODY_CLOSE,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_CRLF,
	S_TRAILER,
	S_DONE,
};

static const char hc_http_magic[] = "HTTP/";

int hc_http_init(struct hc_http *p, bool digest, uint64_t body_max)
{
	memset(p, 0, offsetof(struct hc_http, line));
	p->content_length = -1;
	p->body_max = body_max;
	p->digest = digest;
	if (digest) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		if (md == NULL || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1) {
			EVP_MD_CTX_free(md);
			p->rc = HC_HTTP_E_NOMEM;
			return HC_HTTP_E_NOMEM;
		}
		p->md = md;
	}
	return 0;
}

void hc_http_fini(struct hc_http *p)
{
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
}

const char *hc_http_strerror(int rc)
{
	switch (rc) {
	case HC_HTTP_MORE:
		return "incomplete";
	case HC_HTTP_DONE:
		return "complete";
	case HC_HTTP_E_STATUS:
		return "no valid status line";
	case HC_HTTP_E_HEADER:
		return "malformed header";
	case HC_HTTP_E_TOO_BIG:
		return "headers too large";
	case HC_HTTP_E_LENGTH:
		return "invalid Content-Length";
	case HC_HTTP_E_CHUNK:
		return "invalid chunked encoding";
	case HC_HTTP_E_TRUNCATED:
		return "truncated";
	case HC_HTTP_E_BODY:
		return "body too large";
	case HC_HTTP_E_EMPTY:
		return "empty";
	case HC_HTTP_E_NOMEM:
		return "out of memory";
	default:
		return "unknown error";
	}
}

static int hc_http_set(struct hc_http *p, int rc)
{
	p->rc = rc;
	if (rc == HC_HTTP_DONE)
		p->state = S_DONE;
	return rc;
}

static void hc_http_body(struct hc_http *p, const char *d, size_t n)
{
	if (p->digest) {
		if (p->body_len + n > p->body_max) {
			hc_http_set(p, HC_HTTP_E_BODY);
			return;
		}
		EVP_DigestUpdate(p->md, d, n);
		p->body_len += n;
		return;
	}
	p->body_len += n;
	/* Nothing more to learn from the rest of an unhashed body. */
	if (p->body_len >= p->body_max)
		hc_http_set(p, HC_HTTP_DONE);
}

static bool hc_http_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "HTTP/1.x NNN[ reason]" */
static int hc_http_status_line(struct hc_http *p, const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]) ||
	    s[8] != ' ')
		return hc_http_set(p, HC_HTTP_E_STATUS);
	for (int i = 9; i < 12; i++)
		if (!isdigit((unsigned char)s[i]))
			return hc_http_set(p, HC_HTTP_E_STATUS);
	if (n > 12 && s[12] != ' ')
		return hc_http_set(p, HC_HTTP_E_STATUS);
	if (memchr(s, '\0', n))
		return hc_http_set(p, HC_HTTP_E_STATUS);
	int st = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (st < 100)
		return hc_http_set(p, HC_HTTP_E_STATUS);
	p->status = st;
	p->minor = s[7] - '0';
	p->state = S_HEADER;
	return 0;
}

/* One Content-Length value: digits, possibly a list of equal ones ("5, 5"). */
static int hc_http_content_length(struct hc_http *p, const char *v, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return hc_http_set(p, HC_HTTP_E_LENGTH);
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t start = i;
		int64_t x = 0;
		while (i < n && isdigit((unsigned char)v[i])) {
			if (i - start >= 18)
				return hc_http_set(p, HC_HTTP_E_LENGTH);
			x = x * 10 + (v[i] - '0');
			i++;
		}
		if (i == start)
			return hc_http_set(p, HC_HTTP_E_LENGTH);
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n && v[i] != ',')
			return hc_http_set(p, HC_HTTP_E_LENGTH);
		i++;
		if (p->content_length >= 0 && p->content_length != x)
			return hc_http_set(p, HC_HTTP_E_LENGTH);
		p->content_length = x;
	}
	return 0;
}

/* The last transfer coding decides: chunked, or read until close. */
static void hc_http_transfer_encoding(struct hc_http *p, const char *v, size_t n)
{
	size_t end = n;
	while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t' || v[end - 1] == ','))
		end--;
	size_t start = end;
	while (start > 0 && v[start - 1] != ',' && v[start - 1] != ' ' && v[start - 1] != '\t')
		start--;
	p->te = true;
	p->chunked = end - start == 7 && strncasecmp(v + start, "chunked", 7) == 0;
}

static int hc_http_end_of_head(struct hc_http *p)
{
	if (p->status < 200 && p->status != 101) {
		/* An interim response (100 Continue...): the real one follows. */
		p->state = S_STATUS;
		p->status = 0;
		p->content_length = -1;
		p->chunked = false;
		p->te = false;
		p->n_headers = 0;
		return 0;
	}
	if (p->status == 204 || p->status == 304 || p->status == 101)
		return hc_http_set(p, HC_HTTP_DONE);
	if (p->te) {
		p->state = p->chunked ? S_CHUNK_SIZE : S_BODY_CLOSE;
		return 0;
	}
	if (p->content_length == 0)
		return hc_http_set(p, HC_HTTP_DONE);
	p->state = p->content_length > 0 ? S_BODY_LEN : S_BODY_CLOSE;
	return 0;
}

static int hc_http_header_line(struct hc_http *p, const char *s, size_t n)
{
	if (n == 0)
		return hc_http_end_of_head(p);
	if (s[0] == ' ' || s[0] == '\t') {
		/* obs-fold: a continuation of the previous header's value */
		if (p->n_headers == 0)
			return hc_http_set(p, HC_HTTP_E_HEADER);
		return memchr(s, '\0', n) || memchr(s, '\r', n) ? hc_http_set(p, HC_HTTP_E_HEADER) : 0;
	}
	if (++p->n_headers > HC_HTTP_HEADERS_MAX)
		return hc_http_set(p, HC_HTTP_E_TOO_BIG);
	const char *colon = memchr(s, ':', n);
	if (colon == NULL || colon == s)
		return hc_http_set(p, HC_HTTP_E_HEADER);
	for (const char *c = s; c < colon; c++)
		if (!hc_http_tchar((unsigned char)*c))
			return hc_http_set(p, HC_HTTP_E_HEADER);
	size_t nlen = (size_t)(colon - s);
	const char *v = colon + 1;
	size_t vlen = n - nlen - 1;
	if (memchr(v, '\0', vlen) || memchr(v, '\r', vlen))
		return hc_http_set(p, HC_HTTP_E_HEADER);
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (nlen == 14 && strncasecmp(s, "Content-Length", 14) == 0)
		return hc_http_content_length(p, v, vlen);
	if (nlen == 17 && strncasecmp(s, "Transfer-Encoding", 17) == 0)
		hc_http_transfer_encoding(p, v, vlen);
	return 0;
}

static int hc_http_chunk_size(struct hc_http *p, const char *s, size_t n)
{
	size_t i = 0;
	uint64_t x = 0;
	while (i < n && isxdigit((unsigned char)s[i])) {
		if (i >= 15)
			return hc_http_set(p, HC_HTTP_E_CHUNK);
		int c = tolower((unsigned char)s[i]);
		x = x * 16 + (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
		i++;
	}
	if (i == 0)
		return hc_http_set(p, HC_HTTP_E_CHUNK);
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] != ';')
		return hc_http_set(p, HC_HTTP_E_CHUNK);
	if (memchr(s, '\0', n))
		return hc_http_set(p, HC_HTTP_E_CHUNK);
	if (x == 0) {
		p->state = S_TRAILER;
		return 0;
	}
	p->chunk_left = x;
	p->state = S_CHUNK_DATA;
	return 0;
}

static int hc_http_line(struct hc_http *p, const char *s, size_t n)
{
	switch (p->state) {
	case S_STATUS:
		return hc_http_status_line(p, s, n);
	case S_HEADER:
		return hc_http_header_line(p, s, n);
	case S_CHUNK_SIZE:
		return hc_http_chunk_size(p, s, n);
	case S_CHUNK_CRLF:
		if (n != 0)
			return hc_http_set(p, HC_HTTP_E_CHUNK);
		p->state = S_CHUNK_SIZE;
		return 0;
	case S_TRAILER:
		if (n == 0)
			return hc_http_set(p, HC_HTTP_DONE);
		if (++p->n_headers > HC_HTTP_HEADERS_MAX || memchr(s, '\0', n))
			return hc_http_set(p, HC_HTTP_E_TOO_BIG);
		return 0;
	default:
		return hc_http_set(p, HC_HTTP_E_STATUS);
	}
}

/* Line limits differ: a chunk size line is short, a header may be long. */
static size_t hc_http_line_limit(const struct hc_http *p)
{
	return p->state == S_CHUNK_SIZE || p->state == S_CHUNK_CRLF ? HC_HTTP_CHUNK_LINE_MAX
								     : HC_HTTP_LINE_MAX;
}

static bool hc_http_counts_in_head(const struct hc_http *p)
{
	return p->state == S_STATUS || p->state == S_HEADER || p->state == S_TRAILER;
}

/* Take bytes of a line; returns how many were used. */
static size_t hc_http_take_line(struct hc_http *p, const char *d, size_t n)
{
	const char *nl = memchr(d, '\n', n);
	size_t take = nl ? (size_t)(nl - d) + 1 : n;
	size_t seg = nl ? take - 1 : take;

	if (hc_http_counts_in_head(p)) {
		p->head_len += take;
		if (p->head_len > HC_HTTP_HEAD_MAX) {
			hc_http_set(p, HC_HTTP_E_TOO_BIG);
			return take;
		}
	}
	if (p->line_len + seg > hc_http_line_limit(p)) {
		hc_http_set(p, p->state == S_CHUNK_SIZE || p->state == S_CHUNK_CRLF
				       ? HC_HTTP_E_CHUNK : HC_HTTP_E_TOO_BIG);
		return take;
	}
	memcpy(p->line + p->line_len, d, seg);
	p->line_len += seg;
	if (p->state == S_STATUS) {
		/* Garbage fails on its first bytes, not at the read timeout. */
		size_t k = p->line_len < 5 ? p->line_len : 5;
		if (memcmp(p->line, hc_http_magic, k) != 0) {
			hc_http_set(p, HC_HTTP_E_STATUS);
			return take;
		}
	}
	if (nl == NULL)
		return take;
	size_t len = p->line_len;
	if (len && p->line[len - 1] == '\r')
		len--;
	p->line_len = 0;
	hc_http_line(p, p->line, len);
	return take;
}

int hc_http_feed(struct hc_http *p, const char *data, size_t len)
{
	size_t i = 0;

	if (p->rc)
		return p->rc;
	p->in_len += len;
	while (i < len && p->rc == 0) {
		size_t n = len - i;
		switch (p->state) {
		case S_BODY_LEN: {
			uint64_t left = (uint64_t)p->content_length - p->body_len;
			if (n > left)
				n = (size_t)left;
			hc_http_body(p, data + i, n);
			if (p->rc == 0 && p->body_len == (uint64_t)p->content_length)
				hc_http_set(p, HC_HTTP_DONE);
			break;
		}
		case S_BODY_CLOSE:
			hc_http_body(p, data + i, n);
			break;
		case S_CHUNK_DATA:
			if (n > p->chunk_left)
				n = (size_t)p->chunk_left;
			p->chunk_left -= n;
			hc_http_body(p, data + i, n);
			if (p->rc == 0 && p->chunk_left == 0)
				p->state = S_CHUNK_CRLF;
			break;
		default:
			n = hc_http_take_line(p, data + i, n);
			break;
		}
		i += n;
	}
	return p->rc;
}

int hc_http_eof(struct hc_http *p)
{
	if (p->rc)
		return p->rc;
	if (p->state == S_BODY_CLOSE)
		return hc_http_set(p, HC_HTTP_DONE);
	return hc_http_set(p, p->in_len == 0 ? HC_HTTP_E_EMPTY : HC_HTTP_E_TRUNCATED);
}

void hc_http_digest_hex(struct hc_http *p, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	hex[0] = '\0';
	if (p->md == NULL || EVP_DigestFinal_ex(p->md, md, &n) != 1 || n != 16)
		return;
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(p->md);
	p->md = NULL;
}
