/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * alert_send: send one email alert as vipd would, from a vipd configuration
 * file, then exit. For tests/integration/test_alert_smtp.py (a real SMTP
 * server) and for checking a site's smtp_server by hand.
 *
 *   alert_send CONFIG SUBJECT BODY
 *
 * Exit status: 0 sent, 1 not sent (the reason is on stderr), 2 usage or
 * configuration error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "ctrl/alert.h"
#include "ctrl/log.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: alert_send CONFIG SUBJECT BODY\n");
		return 2;
	}
	struct vipd_conf *c = NULL;
	struct conf_errors errs = { 0 };
	int rc = conf_load(argv[1], &c, &errs);
	if (rc) {
		if (errs.n == 0)
			fprintf(stderr, "%s: %s\n", argv[1], strerror(-rc));
		conf_errors_print(&errs, stderr);
		conf_errors_clear(&errs);
		return 2;
	}
	if (c->global.smtp_server == 0 || c->global.n_emails == 0) {
		fprintf(stderr, "%s: no smtp_server or notification_email\n", argv[1]);
		conf_free(c);
		return 2;
	}
	vlog_level = VLOG_L_DEBUG;
	struct event_base *base = event_base_new();
	if (base == NULL || alert_init(base, &c->global) != 0) {
		fprintf(stderr, "alert_init failed\n");
		return 2;
	}
	alert_send(argv[2], argv[3]);
	/* Every step is bounded by smtp_connect_timeout; allow the whole dialogue. */
	alert_drain(c->global.smtp_connect_timeout * 10);
	uint64_t sent = 0, failed = 0;
	alert_counters(&sent, &failed);
	alert_stop();
	event_base_free(base);
	conf_free(c);
	return sent == 1 ? 0 : 1;
}
