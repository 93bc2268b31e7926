/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/trap.c: the syndrome as the architecture defines it (Arm ARM
 * D17.2.37 ESR_EL2), on values the hosted guest model cannot produce:
 * 16-bit instructions (IL = 0), a FAR that is not valid (FnV), faults on
 * the guest's own table walk (S1PTW), cache maintenance (CM), AR, and
 * every field of a trapped MSR/MRS.  Each decides whether an abort may be
 * emulated at all, so each is checked on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../core/trap.h"

#define EC(x)	   ((uint64_t)(x) << 26)
#define IL	   (1ull << 25)
#define ISV	   (1ull << 24)
#define SAS(x)	   ((uint64_t)(x) << 22)
#define SSE	   (1ull << 21)
#define SRT(x)	   ((uint64_t)(x) << 16)
#define SF	   (1ull << 15)
#define AR	   (1ull << 14)
#define FNV	   (1ull << 10)
#define CM	   (1ull << 8)
#define S1PTW	   (1ull << 7)
#define WNR	   (1ull << 6)
#define DFSC_TR(l) (0x4ull | (l))

static struct trap_info decode(uint64_t esr, uint64_t far, uint64_t ipa)
{
	struct trap_info ti;
	trap_decode(&(struct kc_trap){ .esr = esr, .far = far, .hpfar = (ipa >> 12) << 4 }, &ti);
	return ti;
}

static void test_plain_store(void **state)
{
	(void)state;
	struct trap_info ti = decode(EC(0x24) | IL | ISV | SAS(2) | SRT(7) | WNR | DFSC_TR(3),
				     0xffff000000001234ull, 0x90000000);
	assert_int_equal(ti.kind, TRAP_DABT);
	assert_int_equal(ti.insn_len, 4);
	assert_int_equal(ti.ipa, 0x90000234);
	assert_true(ti.write && ti.isv && !ti.sse && !ti.sf && !ti.ar);
	assert_int_equal(ti.size_log2, 2);
	assert_int_equal(ti.srt, 7);
	assert_int_equal(ti.fsc, FSC_TRANSLATION);
	assert_int_equal(ti.level, 3);
	assert_true(trap_is_emulable(&ti));
}

static void test_load_fields(void **state)
{
	(void)state;
	struct trap_info ti =
		decode(EC(0x24) | ISV | SAS(1) | SSE | SRT(30) | SF | AR | DFSC_TR(2), 0x8, 0x1000);
	assert_int_equal(ti.insn_len, 2); /* IL = 0 */
	assert_true(!ti.write && ti.sse && ti.sf && ti.ar);
	assert_int_equal(ti.srt, 30);
	assert_int_equal(ti.size_log2, 1);
	/* Without ISV the access fields are RES0: nothing is taken from them. */
	ti = decode(EC(0x24) | IL | SAS(3) | SSE | SRT(5) | SF | DFSC_TR(3), 0, 0x1000);
	assert_true(!ti.isv && !ti.sse && !ti.sf && ti.srt == 0 && ti.size_log2 == 0);
	assert_false(trap_is_emulable(&ti));
}

static void test_not_emulable(void **state)
{
	(void)state;
	uint64_t base = EC(0x24) | IL | ISV | SAS(3) | SRT(1) | DFSC_TR(3);
	struct trap_info ti = decode(base | FNV, 0xabc, 0x5000);
	assert_int_equal(ti.ipa, 0x5000); /* FAR not valid: no offset taken from it */
	assert_false(trap_is_emulable(&ti));
	ti = decode(base | S1PTW, 0xabc, 0x5000);
	assert_true(ti.s1ptw);
	assert_false(trap_is_emulable(&ti));
	ti = decode(base | CM, 0xabc, 0x5000);
	assert_false(trap_is_emulable(&ti));
	ti = decode(base, 0xabc, 0x5000); /* control */
	assert_true(trap_is_emulable(&ti));
	assert_int_equal(ti.ipa, 0x5abc);
	ti = decode(EC(0x20) | IL | DFSC_TR(3), 0x5000, 0x5000); /* a fetch is never MMIO */
	assert_int_equal(ti.kind, TRAP_IABT);
	assert_false(trap_is_emulable(&ti));
}

static void test_sysreg_and_others(void **state)
{
	(void)state;
	/* MRS x9, ID_AA64PFR0_EL1 (op0 3, op1 0, CRn 0, CRm 4, op2 0). */
	uint64_t iss = (3ull << 20) | (0ull << 17) | (0ull << 14) | (0ull << 10) | (9ull << 5) |
		       (4ull << 1) | 1;
	struct trap_info ti = decode(EC(0x18) | IL | iss, 0, 0);
	assert_int_equal(ti.kind, TRAP_SYSREG);
	assert_true(ti.sys_read);
	assert_int_equal(ti.rt, 9);
	assert_int_equal(ti.sysreg, KC_SYSREG_ENC(3, 0, 0, 4, 0));
	/* MSR PMCR_EL0, xzr (op0 3, op1 3, CRn 9, CRm 12, op2 0): a write. */
	iss = (3ull << 20) | (0ull << 17) | (3ull << 14) | (9ull << 10) | (31ull << 5) |
	      (12ull << 1);
	ti = decode(EC(0x18) | IL | iss, 0, 0);
	assert_false(ti.sys_read);
	assert_int_equal(ti.rt, 31);
	assert_int_equal(ti.sysreg, KC_SYSREG_ENC(3, 3, 9, 12, 0));
	ti = decode(EC(0x16) | IL | 0x1234, 0, 0);
	assert_int_equal(ti.kind, TRAP_HVC);
	assert_int_equal(ti.imm, 0x1234);
	ti = decode(EC(0x17) | IL | 0x0007, 0, 0); /* a trapped SMC64 */
	assert_int_equal(ti.kind, TRAP_SMC);
	assert_int_equal(ti.imm, 7);
	assert_int_equal(ti.insn_len, 4);
	ti = decode(EC(0x07) | IL, 0, 0); /* FP/SIMD trap: kcore does not handle it here */
	assert_int_equal(ti.kind, TRAP_OTHER);
	assert_int_equal(ESR_EC(EC(0x07) | IL | 0x1ffffff), 0x07);
}

/*
 * An abort whose IPA the platform could not find again (HPFAR_EL2 not
 * valid, and the AT of FAR_EL2 failed): spurious whatever the syndrome
 * says, so core re-runs the guest rather than act on a stale HPFAR.
 * Control: the same syndrome without the flag is a data abort.
 */
static void test_spurious(void **state)
{
	(void)state;
	struct kc_trap t = { .esr = EC(0x24) | IL | WNR | 0xfu, .far = 0x1234, .hpfar = 0x8880 };
	struct trap_info ti;

	trap_decode(&t, &ti);
	assert_int_equal(ti.kind, TRAP_DABT);
	t.spurious = true;
	trap_decode(&t, &ti);
	assert_int_equal(ti.kind, TRAP_SPURIOUS);
}

/* A physical SError taken while the guest ran (EC 0x2f): its own kind, whatever its ISS. */
static void test_serror(void **state)
{
	(void)state;
	struct trap_info ti;

	trap_decode(&(struct kc_trap){ .esr = EC(0x2f) | IL | (1ull << 24) | 0x1234 }, &ti);
	assert_int_equal(ti.kind, TRAP_SERROR);
	trap_decode(&(struct kc_trap){ .esr = EC(0x2f) | IL }, &ti);
	assert_int_equal(ti.kind, TRAP_SERROR);
	/* Control: EC 0 (an interrupt's exit) is not one. */
	trap_decode(&(struct kc_trap){ .esr = 0 }, &ti);
	assert_int_equal(ti.kind, TRAP_OTHER);
}

/* Pointer auth, SVE, SME: features the guest is told it lacks, so UNDEFINED for it. */
static void test_denied_features(void **state)
{
	(void)state;
	struct trap_info ti;
	const unsigned ecs[] = { 0x09, 0x19, 0x1d };

	for (unsigned i = 0; i < sizeof(ecs) / sizeof(ecs[0]); i++) {
		trap_decode(&(struct kc_trap){ .esr = EC(ecs[i]) | IL }, &ti);
		assert_int_equal(ti.kind, TRAP_UNDEF);
		assert_int_equal(ti.insn_len, 4);
	}
	/* Control: the FP/SIMD access trap (0x07) is the platform's lazy switch, not an UNDEF. */
	trap_decode(&(struct kc_trap){ .esr = EC(0x07) | IL }, &ti);
	assert_int_equal(ti.kind, TRAP_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_store),	  cmocka_unit_test(test_spurious),
		cmocka_unit_test(test_load_fields),	  cmocka_unit_test(test_not_emulable),
		cmocka_unit_test(test_sysreg_and_others), cmocka_unit_test(test_serror),
		cmocka_unit_test(test_denied_features),
	};
	return cmocka_run_group_tests_name("trap", tests, NULL, NULL);
}
