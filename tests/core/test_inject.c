/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/inject.c: exception entry to a guest's EL1 as the architecture
 * writes it (Arm ARM D1.3), on states the hosted guest model cannot reach:
 * from EL0, from EL1 with SP_EL0, from AArch32 EL0, with PAN, SSBS and
 * flags in PSTATE, a VBAR with low bits set, 16-bit instructions, FnV, CM.
 * And which IPAs are never backed, for a v1 and a v2 layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/inject.h"

#define EC(x)	    ((uint64_t)(x) << 26)
#define IL	    (1ull << 25)
#define FNV	    (1ull << 10)
#define CM	    (1ull << 8)
#define WNR	    (1ull << 6)
#define SEA	    0x10ull
#define DAIF	    (0xfull << 6)
#define EL1H	    0x5ull
#define PAN	    (1ull << 22)
#define SSBS	    (1ull << 12)
#define SCTLR_SPAN  (1ull << 23)
#define SCTLR_DSSBS (1ull << 44)
#define VBAR	    0x80000800ull
#define PC	    0x80000123ull

static struct kc_vcpu_regs regs(uint64_t pstate, uint64_t sctlr)
{
	struct kc_vcpu_regs r;

	memset(&r, 0, sizeof(r));
	r.pc = PC;
	r.pstate = pstate;
	r.sys[KC_SYS_SCTLR_EL1] = sctlr;
	r.sys[KC_SYS_VBAR_EL1] = VBAR | 0x7ff; /* RES0 bits a guest wrote: ignored */
	r.sys[KC_SYS_FAR_EL1] = 0xdead;
	return r;
}

static void entered(const struct kc_vcpu_regs *r, uint64_t old, unsigned vector, uint64_t esr)
{
	assert_int_equal(r->pc, VBAR + vector);
	assert_int_equal(r->sys[KC_SYS_ELR_EL1], PC);
	assert_int_equal(r->sys[KC_SYS_SPSR_EL1], old);
	assert_int_equal(r->sys[KC_SYS_ESR_EL1], esr);
}

/* The vector and the exception class follow where it came from. */
static void test_vectors_and_classes(void **state)
{
	(void)state;
	struct trap_info load = { .kind = TRAP_DABT, .insn_len = 4 };
	struct trap_info fetch = { .kind = TRAP_IABT, .insn_len = 4 };
	const struct {
		uint64_t pstate;
		unsigned vector, low;
	} from[] = {
		{ 0x3c5, 0x200, 0 }, /* EL1h */
		{ 0x3c4, 0x000, 0 }, /* EL1t */
		{ 0x000, 0x400, 1 }, /* EL0t, AArch64 */
		{ 0x010, 0x600, 1 }, /* EL0, AArch32 (M[4]) */
	};

	for (unsigned i = 0; i < 4; i++) {
		struct kc_vcpu_regs r = regs(from[i].pstate, SCTLR_SPAN);
		inject_sea(&r, &load, 0x1000);
		entered(&r, from[i].pstate, from[i].vector,
			EC(from[i].low ? 0x24 : 0x25) | IL | SEA);
		assert_int_equal(r.sys[KC_SYS_FAR_EL1], 0x1000);
		assert_int_equal(r.pstate, DAIF | EL1H);

		r = regs(from[i].pstate, SCTLR_SPAN);
		inject_sea(&r, &fetch, PC);
		entered(&r, from[i].pstate, from[i].vector,
			EC(from[i].low ? 0x20 : 0x21) | IL | SEA);

		r = regs(from[i].pstate, SCTLR_SPAN);
		inject_undef(&r, &load);
		entered(&r, from[i].pstate, from[i].vector, IL);
		assert_int_equal(r.sys[KC_SYS_FAR_EL1], 0xdead); /* an UNDEF leaves FAR alone */
	}
}

/* WnR, CM, FnV and IL are the trapped access's; a 16-bit instruction has IL 0. */
static void test_syndrome_fields(void **state)
{
	(void)state;
	struct trap_info dc = { .kind = TRAP_DABT, .insn_len = 4, .write = true, .cm = true };
	struct trap_info fnv = { .kind = TRAP_DABT, .insn_len = 2, .fnv = true };
	struct trap_info t16 = { .kind = TRAP_SYSREG, .insn_len = 2 };
	struct kc_vcpu_regs r = regs(0x3c5, SCTLR_SPAN);

	inject_sea(&r, &dc, 0x2000);
	assert_int_equal(r.sys[KC_SYS_ESR_EL1], EC(0x25) | IL | CM | WNR | SEA);
	r = regs(0x3c5, SCTLR_SPAN);
	inject_sea(&r, &fnv, 0x2000);
	assert_int_equal(r.sys[KC_SYS_ESR_EL1], EC(0x25) | FNV | SEA);
	assert_int_equal(r.sys[KC_SYS_FAR_EL1], 0); /* not the stale FAR_EL2 */
	r = regs(0x3c5, SCTLR_SPAN);
	inject_undef(&r, &t16);
	assert_int_equal(r.sys[KC_SYS_ESR_EL1], 0);
}

/* PSTATE on entry: flags, DIT and PAN kept; PAN set when SPAN is 0; SSBS from DSSBS. */
static void test_pstate(void **state)
{
	(void)state;
	struct trap_info load = { .kind = TRAP_DABT, .insn_len = 4 };
	uint64_t old = (0xfull << 28) | (1ull << 24) | (1ull << 21) /* SS */ | SSBS | 0x0;
	struct kc_vcpu_regs r = regs(old, SCTLR_SPAN);

	inject_sea(&r, &load, 0);
	assert_int_equal(r.pstate, (0xfull << 28) | (1ull << 24) | DAIF | EL1H);
	r = regs(0x3c5, 0);
	inject_sea(&r, &load, 0);
	assert_int_equal(r.pstate, PAN | DAIF | EL1H);
	r = regs(0x3c5 | PAN, SCTLR_SPAN | SCTLR_DSSBS);
	inject_sea(&r, &load, 0);
	assert_int_equal(r.pstate, PAN | SSBS | DAIF | EL1H);
}

/* Never backed: outside a v2 layout's RAM and windows, or beyond the IPA space. */
static void test_never_backed(void **state)
{
	(void)state;
	static struct kc_vm vm;
	struct trap_info ti = { .kind = TRAP_DABT };
	const uint64_t v1[] = { 0x0, 0x40080000, 0x80000000, 0xfffffffff000 };
	const uint64_t in[] = { 0x80000000, 0x801fffff, 0x09000000, 0x09000fff };
	const uint64_t out[] = { 0x0,	     0x7ffff000, 0x80200000, 0x08fff000,
				 0x09001000, 0x42000000, 1ull << 48 };

	memset(&vm, 0, sizeof(vm));
	vm.images_mapped = true; /* v1: no layout */
	for (unsigned i = 0; i < 4; i++) {
		ti.ipa = v1[i];
		assert_false(inject_abort_wanted_locked(&vm, &ti));
	}
	ti.ipa = 1ull << 48;
	assert_true(inject_abort_wanted_locked(&vm, &ti));

	vm.layout.nram = 1;
	vm.layout.ram[0] = (struct kc_manifest_range){ 0x80000000, 0x200000, 0 };
	vm.layout.nwin = 1;
	vm.layout.win[0] = (struct kc_manifest_range){ 0x09000000, 0x1000, 0 };
	for (unsigned i = 0; i < 4; i++) {
		ti.ipa = in[i];
		assert_false(inject_abort_wanted_locked(&vm, &ti));
	}
	for (unsigned i = 0; i < 7; i++) {
		ti.ipa = out[i];
		assert_true(inject_abort_wanted_locked(&vm, &ti));
	}
}

/* A virtual SError is only made pending: the guest takes it when PSTATE.A allows (HCR_EL2.VSE). */
static void test_vserror(void **state)
{
	(void)state;
	struct kc_vcpu_regs r = regs(0x3c5, SCTLR_SPAN), before = r;

	inject_vserror(&r);
	assert_int_equal(r.vserror, 1);
	r.vserror = 0;
	assert_memory_equal(&r, &before, sizeof(r)); /* nothing else changed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_and_classes),
		cmocka_unit_test(test_syndrome_fields),
		cmocka_unit_test(test_pstate),
		cmocka_unit_test(test_never_backed),
		cmocka_unit_test(test_vserror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
