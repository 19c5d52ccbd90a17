/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hc_misc: MISC_CHECK: misc_path runs as a child process (ctrl/script) with
 * misc_timeout; exit 0 is up, 1 is down, and with misc_dynamic 2..255 is up
 * with weight = status - 2 (hc_fsm_misc() has the rule).
 *
 * The script module calls back later, perhaps after this run ended (our
 * safety deadline) or after the module stopped: the callback gets a small
 * token, not the check, and the token is cut loose when the run ends. The
 * callback always frees the token.
 *
 * Threading: control core only.
 */
#include <errno.h>
#include <stdlib.h>

#include "ctrl/script.h"
#include "hc/hc_pvt.h"

/* Past misc_timeout the script module kills the child; this is only a net under it. */
#define HC_MISC_GRACE_S 2.0

struct hc_misc_tok {
	struct hc_check *ck; /* NULL once the run is over */
};

static void hc_misc_done(void *arg, int status)
{
	struct hc_misc_tok *tok = arg;
	struct hc_check *ck = tok->ck;
	int weight;

	free(tok);
	if (ck == NULL) {
		hc_tel_count(HC_TEL_LATE_CALLBACK);
		return;
	}
	ck->run = NULL;
	enum hc_result r = hc_fsm_misc(status, ck->cc->misc_dynamic, &weight);
	if (r == HC_R_OK) {
		ck->new_weight = weight;
		hc_ok(ck);
		return;
	}
	hc_fail(ck, r, r == HC_R_SCRIPT_START ? -status : status, NULL);
}

void hc_misc_detach(struct hc_check *ck)
{
	struct hc_misc_tok *tok = ck->run;
	if (tok) {
		tok->ck = NULL; /* hc_misc_done() frees it */
		ck->run = NULL;
	}
}

static void hc_misc_start(struct hc_check *ck)
{
	struct hc_misc_tok *tok = malloc(sizeof(*tok));

	if (tok == NULL) {
		hc_fail(ck, HC_R_NOMEM, 0, "script token");
		return;
	}
	tok->ck = ck;
	ck->run = tok;
	hc_deadline(ck, HC_PH_SCRIPT, ck->cc->misc_timeout + HC_MISC_GRACE_S);
	int rc = script_run(ck->cc->misc_path, NULL, 0, ck->cc->misc_timeout, hc_misc_done, tok);
	if (rc < 0) {
		/* Not started: the callback will not come. */
		ck->run = NULL;
		free(tok);
		hc_fail(ck, HC_R_SCRIPT_START, -rc, NULL);
	}
}

const struct hc_ops hc_misc_ops = {
	.type = CONF_CHECK_MISC,
	.start = hc_misc_start,
	.cleanup = hc_misc_detach,
};
