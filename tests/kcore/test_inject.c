/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a guest gets instead of an exit (docs/VCPU.md): an access to an IPA
 * its signed layout has neither as RAM nor as a device window takes a
 * synchronous external abort at its own EL1 vector (the host could never
 * back it, so an exit would only loop), and a system register it must not
 * reach is UNDEFINED.  Each with its control: an access inside its RAM
 * still exits FAULT for the host to back, a v1 VM (no layout) still
 * exits, RAZ/WI registers and ID registers still answer without an
 * exception.  Invariants 1-7 hold after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "guestprog.h"

#define IMG_BASE	 0x80000000ull
#define VBAR		 (IMG_BASE + 0x800) /* the guest's vector table */
#define HANDLER		 (VBAR + 0x200)	    /* synchronous, current EL with SP_EL1 */
#define DATA_IPA	 0x90000000ull	    /* in its RAM, not backed */
#define OUTSIDE		 0x00001000ull	    /* below every range */
#define ABOVE		 0xC0000000ull	    /* above RAM and the window */
#define NOPS		 (4096 / 4)	    /* one image page of ops */

#define ESR_IL		 (1ull << 25)
#define ESR_EC(ec)	 ((uint64_t)(ec) << 26)
#define ESR_WNR		 (1ull << 6)
#define ESR_SEA		 0x10ull
#define PSTATE_EL1H_DAIF 0x3c5ull

#define SYS_VBAR_EL1	 HM_SYSREG(3, 0, 12, 0, 0)
#define SYS_ESR_EL1	 HM_SYSREG(3, 0, 5, 2, 0)
#define SYS_FAR_EL1	 HM_SYSREG(3, 0, 6, 0, 0)
#define SYS_ELR_EL1	 HM_SYSREG(3, 0, 4, 0, 1)
#define SYS_SPSR_EL1	 HM_SYSREG(3, 0, 4, 0, 0)
#define SYS_PMCR_EL0	 HM_SYSREG(3, 3, 9, 12, 0)
#define SYS_IMPDEF	 HM_SYSREG(3, 0, 15, 0, 0)
#define SYS_ID_AA64PFR0	 HM_SYSREG(3, 0, 0, 4, 0)
#define SYS_DBGBVR0_EL1	 HM_SYSREG(2, 0, 0, 0, 4)
#define SYS_CNTP_CTL_EL0 HM_SYSREG(3, 3, 14, 2, 1)

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup(&the_kf);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

/* A VERIFIED VM (v2 layout: kf_layout, or v1 when `v1`) with a one-page image. */
static uint64_t vm_new(struct kf *f, bool v1)
{
	const struct kf_image img = { IMG_BASE, 1, 0x20 };
	struct kc_manifest_layout layout;

	if (v1)
		return kf_vm_verified(f, &img, 1);
	kf_layout(&layout, false);
	return kf_vm_verified_v2(f, &img, 1, &layout);
}

/*
 * A program for the whole image page: `main` at IMG_BASE (after setting
 * VBAR_EL1), `handler` at the synchronous vector, WFI everywhere else.
 */
static void program(struct kf *f, uint64_t vm, const struct hm_guest_op *main, size_t nmain,
		    const struct hm_guest_op *handler, size_t nhandler)
{
	static struct hm_guest_op p[NOPS];

	for (size_t i = 0; i < NOPS; i++)
		p[i] = WFI;
	p[0] = SET(30, VBAR);
	p[1] = MSR(SYS_VBAR_EL1, 30);
	memcpy(&p[2], main, nmain * sizeof(*main));
	memcpy(&p[(HANDLER - IMG_BASE) / 4], handler, nhandler * sizeof(*handler));
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vm, 0, IMG_BASE, p, NOPS), 0);
}

#define PROGRAM(f, vm, main, handler)                                                              \
	program(f, vm, main, sizeof(main) / sizeof(main[0]), handler,                              \
		sizeof(handler) / sizeof(handler[0]))

static void run_expect(struct kf *f, uint64_t vm, uint64_t finish, uint64_t x1, uint64_t x2)
{
	uint64_t r[3];

	assert_int_equal(kf_run(f, vm, 0, finish, 0, r), KC_OK);
	if (r[0] != x1 || r[1] != x2 || r[2] != 0)
		fail_msg("exit 0x%llx 0x%llx 0x%llx, want 0x%llx 0x%llx 0",
			 (unsigned long long)r[0], (unsigned long long)r[1],
			 (unsigned long long)r[2], (unsigned long long)x1, (unsigned long long)x2);
	kf_check(f);
}

/*
 * A load below the VM's RAM takes an SEA at the guest's own vector, with
 * the syndrome the architecture gives (EC data abort from the current EL,
 * IL, FSC 0x10), FAR = the address, ELR = the load, SPSR = the old PSTATE,
 * and runs at EL1h with DAIF masked; the host sees no exit for it.
 * Control: the handler's load from its own RAM exits FAULT and is backed.
 */
static void test_load_outside_ram_is_an_sea(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_new(f, false);
	const struct hm_guest_op main[] = { OP(LOAD, 2, 8, OUTSIDE, 0), WFI };
	const struct hm_guest_op handler[] = {
		MRS(3, SYS_ESR_EL1),
		EXPECT(3, ESR_EC(0x25) | ESR_IL | ESR_SEA),
		MRS(4, SYS_FAR_EL1),
		EXPECT(4, OUTSIDE),
		MRS(5, SYS_ELR_EL1),
		EXPECT(5, IMG_BASE + 8),
		MRS(6, SYS_SPSR_EL1),
		EXPECT(6, PSTATE_EL1H_DAIF),
		OP(LOAD, 7, 8, DATA_IPA, 0),
		EXPECT(7, 0),
		WFI,
	};

	PROGRAM(f, vm, main, handler);
	run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_FAULT, DATA_IPA);
	assert_int_equal(kc.vms[vm].vcpus[0].regs.pstate, PSTATE_EL1H_DAIF);
	assert_int_equal(kf_vcpu_pc(vm, 0), HANDLER + 4 * 8);
	/* Control: RAM is the host's to back, and the guest goes on. */
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_WFI, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), HANDLER + 4 * 11);
}

/*
 * A store above the RAM range and the device window: an SEA with WnR.
 * Control: a store into the window (no device mapped yet) exits FAULT,
 * since the host may still map a device there.
 */
static void test_store_outside_layout_is_an_sea(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_new(f, false);
	const struct hm_guest_op main[] = { SET(2, 0x5ec2e75ec2e70042ull),
					    OP(STORE, 2, 4, ABOVE, 0), WFI };
	const struct hm_guest_op handler[] = {
		MRS(3, SYS_ESR_EL1),
		EXPECT(3, ESR_EC(0x25) | ESR_IL | ESR_WNR | ESR_SEA),
		MRS(4, SYS_FAR_EL1),
		EXPECT(4, ABOVE),
		OP(STORE, 2, 4, KF_LAYOUT_IO, 0),
		WFI,
	};

	PROGRAM(f, vm, main, handler);
	run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_FAULT | KC_EXIT_F_WRITE, KF_LAYOUT_IO);
	assert_int_equal(kf_vcpu_pc(vm, 0), HANDLER + 4 * 4);
}

/* A v1 VM declares no layout: the same load is a FAULT the host may back, as before. */
static void test_v1_vm_still_exits(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_new(f, true);
	const struct hm_guest_op main[] = { OP(LOAD, 2, 8, OUTSIDE, 0), WFI };
	const struct hm_guest_op handler[] = { WFI };

	PROGRAM(f, vm, main, handler);
	run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_FAULT, OUTSIDE);
	assert_int_equal(kf_vcpu_pc(vm, 0), IMG_BASE + 8);
}

/*
 * A guest whose vectors are outside its RAM: each exception fetches from
 * there and takes another SEA.  It spins inside kcore until the trap
 * budget ends the run (YIELD); the host never sees a FAULT it could only
 * loop on.
 */
static void test_vectors_outside_ram(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_new(f, false);

	const struct hm_guest_op p[] = { SET(1, OUTSIDE), MSR(SYS_VBAR_EL1, 1),
					 OP(LOAD, 2, 8, OUTSIDE, 0), WFI };
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vm, 0, IMG_BASE, p, 4), 0);
	run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_YIELD, 0);
	const struct kc_vcpu_regs *r = &kc.vms[vm].vcpus[0].regs;
	assert_int_equal(r->pc, OUTSIDE + 0x200);
	/* An instruction abort from EL1: EC 0x21, IL, SEA; ELR the vector it could not fetch. */
	assert_int_equal(r->sys[KC_SYS_ESR_EL1], ESR_EC(0x21) | ESR_IL | ESR_SEA);
	assert_int_equal(r->sys[KC_SYS_ELR_EL1], OUTSIDE + 0x200);
	assert_int_equal(r->sys[KC_SYS_FAR_EL1], OUTSIDE + 0x200);
}

/*
 * The PMU and IMPLEMENTATION DEFINED registers are UNDEFINED (EC 0, IL,
 * ELR the access), as is a write to an ID register; the guest goes on at
 * its vector.  Control: an ID register reads its fixed value, a debug
 * register and the physical timer read as zero, without an exception.
 */
static void test_hidden_sysregs_are_undefined(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_new(f, false);
	const struct hm_guest_op main[] = {
		SET(1, 0x77),
		MRS(1, SYS_ID_AA64PFR0),
		EXPECT(1, 0x01000011),
		SET(1, 0x77),
		MRS(1, SYS_DBGBVR0_EL1),
		EXPECT(1, 0),
		MSR(SYS_DBGBVR0_EL1, 1),
		MRS(1, SYS_CNTP_CTL_EL0),
		EXPECT(1, 0),
		SET(1, 0x77),
		MRS(1, SYS_PMCR_EL0),
		WFI,
	};
	const struct hm_guest_op handler[] = {
		EXPECT(1, 0x77),     MRS(3, SYS_ESR_EL1),	   EXPECT(3, ESR_IL),
		MRS(5, SYS_ELR_EL1), EXPECT(5, IMG_BASE + 4 * 12), WFI,
	};

	PROGRAM(f, vm, main, handler);
	run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_WFI, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), HANDLER + 4 * 6);

	/* The same for an IMPLEMENTATION DEFINED register, and a write to an ID register. */
	const uint64_t undef[] = { SYS_IMPDEF, SYS_ID_AA64PFR0 };
	for (unsigned i = 0; i < 2; i++) {
		const struct hm_guest_op m2[] = { i ? MSR(undef[i], 1) : MRS(1, undef[i]), WFI };
		const struct hm_guest_op h2[] = { MRS(3, SYS_ESR_EL1), EXPECT(3, ESR_IL),
						  MRS(5, SYS_ELR_EL1), EXPECT(5, IMG_BASE + 8),
						  WFI };
		kc.vms[vm].vcpus[0].regs.pc = IMG_BASE;
		PROGRAM(f, vm, m2, h2);
		run_expect(f, vm, KC_RUN_RESUME, KC_EXIT_WFI, 0);
		assert_int_equal(kf_vcpu_pc(vm, 0), HANDLER + 4 * 5);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_outside_ram_is_an_sea, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_outside_layout_is_an_sea, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v1_vm_still_exits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vectors_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_sysregs_are_undefined, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
