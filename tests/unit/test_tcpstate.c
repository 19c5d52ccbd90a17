/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcpstate: connection lifecycles through IPVS's tables, as a NAT director
 * (both directions) and a DR one (client side only) sees them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dataplane/tcpstate.h"

#define S TCP_FL_SYN
#define A TCP_FL_ACK
#define F TCP_FL_FIN
#define R TCP_FL_RST

struct step {
	enum tcpdir dir;
	uint8_t flags;
	uint8_t want;
};

static void run(const struct step *st, unsigned n)
{
	uint8_t s = TCPS_NONE;
	for (unsigned i = 0; i < n; i++) {
		s = tcpstate_next(st[i].dir, s, st[i].flags);
		if (s != st[i].want)
			fail_msg("step %u: got %s, want %s", i, tcpstate_name(s),
				 tcpstate_name(st[i].want));
	}
}

static void test_nat_lifecycle(void **state)
{
	(void)state;
	const struct step st[] = {
		{ TCPDIR_INPUT, S, TCPS_SYN_RECV },      /* client SYN */
		{ TCPDIR_OUTPUT, S | A, TCPS_SYN_RECV }, /* server SYN-ACK */
		{ TCPDIR_INPUT, A, TCPS_ESTABLISHED },   /* client ACK */
		{ TCPDIR_OUTPUT, A, TCPS_ESTABLISHED },
		{ TCPDIR_INPUT, F | A, TCPS_CLOSE_WAIT }, /* client closes first */
		{ TCPDIR_OUTPUT, F | A, TCPS_TIME_WAIT },
		{ TCPDIR_INPUT, A, TCPS_TIME_WAIT },
	};
	run(st, sizeof(st) / sizeof(st[0]));
}

static void test_nat_server_closes(void **state)
{
	(void)state;
	const struct step st[] = {
		{ TCPDIR_INPUT, S, TCPS_SYN_RECV },
		{ TCPDIR_OUTPUT, S | A, TCPS_SYN_RECV },
		{ TCPDIR_INPUT, A, TCPS_ESTABLISHED },
		{ TCPDIR_OUTPUT, F | A, TCPS_FIN_WAIT }, /* server closes first */
		{ TCPDIR_INPUT, F | A, TCPS_TIME_WAIT },
	};
	run(st, sizeof(st) / sizeof(st[0]));
}

static void test_dr_lifecycle(void **state)
{
	(void)state;
	const struct step st[] = {
		{ TCPDIR_INPUT_ONLY, S, TCPS_SYN_RECV },
		{ TCPDIR_INPUT_ONLY, A, TCPS_ESTABLISHED },
		{ TCPDIR_INPUT_ONLY, A, TCPS_ESTABLISHED },
		{ TCPDIR_INPUT_ONLY, F | A, TCPS_FIN_WAIT },
		{ TCPDIR_INPUT_ONLY, A, TCPS_FIN_WAIT },
		{ TCPDIR_INPUT_ONLY, R, TCPS_CLOSE },
	};
	run(st, sizeof(st) / sizeof(st[0]));
}

static void test_rst_and_noflags(void **state)
{
	(void)state;
	/* RST wins over every other flag; no flag at all changes nothing. */
	assert_int_equal(tcpstate_next(TCPDIR_INPUT, TCPS_ESTABLISHED, R | S | A), TCPS_CLOSE);
	assert_int_equal(tcpstate_next(TCPDIR_INPUT, TCPS_ESTABLISHED, 0), TCPS_ESTABLISHED);
	/* An ACK with no connection is not a connection (newer IPVS). */
	assert_int_equal(tcpstate_next(TCPDIR_INPUT_ONLY, TCPS_NONE, A), TCPS_CLOSE);
	assert_true(tcpstate_closing(TCPS_TIME_WAIT));
	assert_false(tcpstate_closing(TCPS_ESTABLISHED));
	assert_int_equal(tcpstate_fixed_secs(TCPS_SYN_RECV), 60);
	assert_int_equal(tcpstate_fixed_secs(TCPS_CLOSE), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_lifecycle),
		cmocka_unit_test(test_nat_server_closes),
		cmocka_unit_test(test_dr_lifecycle),
		cmocka_unit_test(test_rst_and_noflags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
