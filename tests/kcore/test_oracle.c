/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The confidentiality oracle (tools/replay/secret.c, DESIGN.md §4
 * invariant 8) can fail, and fails exactly where a guest secret reaches
 * the host without the guest handing it over.  kcore itself no longer
 * leaks (test_vcpu.c), so the leaks here are planted, as test_checker.c
 * plants broken invariants: a frame handed back without its scrub, and
 * exit registers as the old exit protocol filled them.  Each has its
 * control: the same value where the guest shared it, or where the host
 * supplied it itself, passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "../../tools/replay/secret.h"

#include <kcore/abi.h>

#define CANARY (RP_CANARY_BASE | 0x42)

struct run {
	struct rp_exec *ex;
	struct rp_machine mc;
	unsigned lineno;
};

/* Parse and run one trace line; returns whether every oracle held, note in `why`. */
static bool line(struct run *t, const char *text, char *why, size_t why_size)
{
	struct rp_op op;
	struct rp_result r;
	char err[200];

	int rc = rp_parse_line(text, ++t->lineno, &t->mc, &op, err, sizeof(err));
	if (rc != 1)
		fail_msg("line '%s': %s", text, rc < 0 ? err : "not an operation");
	bool ok = rp_exec_op(t->ex, &op, &r);
	if (op.expect[0] && r.mismatch)
		fail_msg("line '%s': got '%s'", text, r.text);
	if (why)
		snprintf(why, why_size, "%s", r.note);
	return ok;
}

#define OK(t, text)                                                                                \
	do {                                                                                       \
		char w_[600];                                                                      \
		if (!line((t), (text), w_, sizeof(w_)))                                            \
			fail_msg("'%s' failed an oracle: %s", (text), w_);                         \
	} while (0)

/* A VM whose guest keeps CANARY in memory at 0x90000000 (frame 0x40400), then shares it. */
static void start(struct run *t)
{
	char err[200];
	struct rp_exec_opts opts = { .check_every_op = true, .quiet = true };

	rp_machine_default(&t->mc);
	t->ex = rp_exec_create(&t->mc, &opts, err, sizeof(err));
	if (!t->ex)
		fail_msg("%s", err);
	OK(t, "call VM_CREATE => OK vm=1");
	OK(t, "call VCPU_CREATE vm=1 vcpu=0 => OK");
	OK(t, "image vm=1 base=0x80000000 pages=1 => OK");
	OK(t, "manifest vm=1 => OK");
	OK(t, "guest vm=1 vcpu=0 { set x2 0x5ec2e75ec2e70042; store x2 8 0x90000008; wfi; "
	      "set x0 SHARE; set x1 0x90000; set x2 1; hvc; wfi; "
	      "set x0 UNSHARE; hvc; set x0 SYSTEM_OFF; hvc } => OK");
	OK(t, "call VCPU_RUN vm=1 vcpu=0 => OK exit=FAULT ipa=0x90000000 write");
	OK(t, "call VM_MAP_FAULT vm=1 vcpu=0 pfn=0x40400 level=3 => OK");
	OK(t, "call VCPU_RUN vm=1 vcpu=0 => OK exit=WFI");
}

/* A frame handed back without its scrub: the invariants hold, the oracle does not. */
static void test_unscrubbed_frame(void **state)
{
	struct run t = { 0 };
	char why[600];
	(void)state;

	start(&t);
	/* Control: shared on purpose, the host may read it. */
	OK(&t, "call VCPU_RUN vm=1 vcpu=0 => OK exit=WFI");
	OK(&t, "host read 0x40400008 => OK value=0x5ec2e75ec2e70042");
	OK(&t, "call VCPU_RUN vm=1 vcpu=0 => OK exit=POWEROFF");
	OK(&t, "host read 0x40400008 => REFUSED");
	OK(&t, "call VM_RECLAIM vm=1 max=100 => OK remain=0");
	OK(&t, "host read 0x40400008 => OK value=0");
	/* Plant the bug: the secret is back in the host's frame, as if never scrubbed. */
	uint64_t canary = CANARY;
	memcpy(hm_phys(rp_exec_machine(t.ex), 0x40400008, 8), &canary, 8);
	OK(&t, "check => ok"); /* ownership is fine: invariants 1-7 cannot see it */
	assert_false(line(&t, "host read 0x40400000 16", why, sizeof(why)));
	assert_non_null(strstr(why, "confidentiality"));
	rp_exec_destroy(t.ex);
}

/* A canary the host wrote itself is the host's own knowledge. */
static void test_host_supplied(void **state)
{
	struct run t = { 0 };
	(void)state;

	start(&t);
	OK(&t, "host write 0x40500000 0x5ec2e75ec2e70042");
	OK(&t, "host read 0x40500000 => OK value=0x5ec2e75ec2e70042");
	/* Another canary the host never supplied, in its own frame: a leak all the same. */
	uint64_t other = RP_CANARY_BASE | 0x43;
	memcpy(hm_phys(rp_exec_machine(t.ex), 0x40500010, 8), &other, 8);
	assert_false(line(&t, "host read 0x40500010", NULL, 0));
	rp_exec_destroy(t.ex);
}

/* The guest of VM 1 guarded the page at 0xA0000000, nothing else. */
static bool guarded(uint64_t vm, uint64_t ipa)
{
	return vm == 1 && (ipa >> 12) == 0xA0000;
}

/* Exit registers: what the old protocol showed is a leak, what the guest hands over is not. */
static void test_exit_registers(void **state)
{
	static struct rp_secrets s;
	const uint64_t run[7] = { KC_HC_VCPU_RUN, 1, 0, 0, 0, 0, 0 };
	(void)state;

	memset(&s, 0, sizeof(s));
	/* The old FAULT exit: x3 = the data of a store to RAM. */
	const uint64_t fault[7] = { KC_OK, KC_EXIT_FAULT | KC_EXIT_F_WRITE, 0x90000008, CANARY };
	assert_int_equal(rp_secret_check_call(&s, run, fault, guarded), 3);
	/* The old CALL exit: x3 = the guest's x1, whatever the call (PSCI_VERSION here). */
	const uint64_t call_x1[7] = { KC_OK, KC_EXIT_CALL, 0x84000000, CANARY };
	assert_int_equal(rp_secret_check_call(&s, run, call_x1, guarded), 3);
	const uint64_t pv_time[7] = { KC_OK, KC_EXIT_CALL, 0xC5000020, CANARY };
	assert_int_equal(rp_secret_check_call(&s, run, pv_time, guarded), 0); /* documented */
	/* An MMIO exit shows data only for a page the guest guarded, whatever kcore says. */
	const uint64_t mmio[7] = { KC_OK, KC_EXIT_MMIO | KC_EXIT_F_WRITE, 0xA0000000, CANARY };
	assert_int_equal(rp_secret_check_call(&s, run, mmio, guarded), 0);
	const uint64_t ram_as_mmio[7] = { KC_OK, KC_EXIT_MMIO | KC_EXIT_F_WRITE, 0x90000008,
					  CANARY };
	assert_int_equal(rp_secret_check_call(&s, run, ram_as_mmio, guarded), 3);
	const uint64_t ipa[7] = { KC_OK, KC_EXIT_FAULT, CANARY, 0 };
	assert_int_equal(rp_secret_check_call(&s, run, ipa, guarded), 2);
	const uint64_t other_call[7] = { KC_HC_VM_RECLAIM, 1, 1 };
	const uint64_t remain[7] = { KC_OK, CANARY, 0, 0 };
	assert_int_equal(rp_secret_check_call(&s, other_call, remain, guarded), 1);
	/* Supplied by the host first: its own. */
	rp_secret_host_supplied(&s, CANARY);
	assert_int_equal(rp_secret_check_call(&s, run, fault, guarded), 0);
	assert_false(rp_secret_is_leak(&s, CANARY));
	assert_true(rp_secret_is_leak(&s, CANARY + 1));
	assert_false(rp_secret_is_leak(&s, 0x5ec2e75ec2e60042ull)); /* not a canary */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unscrubbed_frame),
		cmocka_unit_test(test_host_supplied),
		cmocka_unit_test(test_exit_registers),
	};
	return cmocka_run_group_tests_name("oracle", tests, NULL, NULL);
}
