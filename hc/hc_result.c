/* SPDX-License-Identifier: BSD-3-Clause */
#include "hc_result.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const hc_keys[HC_R_MAX] = {
#define HC_X(e, k, t) [HC_R_##e] = #k,
	HC_RESULTS(HC_X)
#undef HC_X
};

static const char *const hc_texts[HC_R_MAX] = {
#define HC_X(e, k, t) [HC_R_##e] = t,
	HC_RESULTS(HC_X)
#undef HC_X
};

const char *hc_result_key(enum hc_result r)
{
	return (unsigned)r < HC_R_MAX ? hc_keys[r] : "unknown";
}

const char *hc_result_text(enum hc_result r)
{
	return (unsigned)r < HC_R_MAX ? hc_texts[r] : "unknown";
}

void hc_outcome_format(const struct hc_outcome *o, double timeout_s, char *buf, size_t len)
{
	const char *t = hc_result_text(o->r);
	const char *x = o->text;

	switch (o->r) {
	case HC_R_CONNECT_TIMEOUT:
	case HC_R_TLS_TIMEOUT:
	case HC_R_READ_TIMEOUT:
	case HC_R_SCRIPT_TIMEOUT:
		snprintf(buf, len, "%s %g s", t, timeout_s);
		break;
	case HC_R_HTTP_STATUS:
	case HC_R_SCRIPT_EXIT:
		snprintf(buf, len, "%s %d", t, o->detail);
		break;
	case HC_R_SMTP_REPLY:
		/* "SMTP reply 554 to HELO" */
		snprintf(buf, len, "%s %d%s%s", t, o->detail, *x ? " to " : "", x);
		break;
	case HC_R_DNS_RCODE:
		snprintf(buf, len, "%s %d%s%s%s", t, o->detail, *x ? " (" : "", x, *x ? ")" : "");
		break;
	case HC_R_UNREACHABLE:
	case HC_R_CONNECT_ERROR:
	case HC_R_IO_ERROR:
	case HC_R_SOCKET:
	case HC_R_BIND:
	case HC_R_SCRIPT_START:
		/* errno-based: the system's words for it */
		if (*x)
			snprintf(buf, len, "%s: %s", t, x);
		else if (o->detail)
			snprintf(buf, len, "%s: %s", t, strerror(o->detail));
		else
			snprintf(buf, len, "%s", t);
		break;
	default:
		if (*x)
			snprintf(buf, len, "%s: %s", t, x);
		else
			snprintf(buf, len, "%s", t);
		break;
	}
}

enum hc_result hc_result_from_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return HC_R_REFUSED;
	case ETIMEDOUT:
		return HC_R_CONNECT_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
		return HC_R_UNREACHABLE;
	case ECONNRESET:
		return HC_R_RESET;
	case ENOMEM:
	case ENOBUFS:
		return HC_R_NOMEM;
	default:
		return HC_R_CONNECT_ERROR;
	}
}
