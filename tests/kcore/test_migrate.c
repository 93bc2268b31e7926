/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPUs moving between CPUs, and two vCPUs of one VM taking turns on one
 * CPU (core/vcpu.c, vcpu_switches_cpu_locked): kcore flushes a CPU's TLB
 * entries of a VM (plat_guest_flush_local, counted by the model) exactly
 * when a vCPU enters a CPU where another vCPU of the same VM ran last, or
 * none of the VM's did yet.  Not when the same vCPU runs again or comes
 * back, not when another VM ran there in between.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define IMG_BASE	  0x80000000ull
#define V1_ENTRY	  (IMG_BASE + 0x800)

#define OP(o, r, s, a, v) ((struct hm_guest_op){ HM_GOP_##o, (r), (s), (a), (v) })
#define SET(r, v)	  OP(SET, r, 0, 0, v)
#define HVC		  OP(HVC, 0, 0, 0, 0)

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

/*
 * A verified VM with vCPUs 0 and 1.  vCPU 0 starts vCPU 1 (its first run
 * ends with the CPU_ON exit); after that every run of either ends at a WFI
 * (a PC with no program idles: kcore_hosted/guest.h).
 */
static uint64_t vm_two_vcpus(struct kf *f, uint8_t fill)
{
	const struct kf_image img = { IMG_BASE, 1, fill };
	uint64_t vm = kf_vm_loaded(f, &img, 1);
	const struct hm_guest_op on[] = { SET(0, KC_PSCI_CPU_ON64), SET(1, 1), SET(2, V1_ENTRY),
					  SET(3, 0), HVC };

	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vm, 1, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vm, kf_manifest(f, &img, 1, IMG_BASE, false),
				 0, 0, NULL),
			 KC_OK);
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vm, 0, IMG_BASE, on, 5), 0);
	return vm;
}

/* VCPU_RUN of `vcpu` on `cpu`: the exit kind. */
static unsigned run_on(struct kf *f, unsigned cpu, uint64_t vm, uint64_t vcpu)
{
	uint64_t r[3];

	assert_int_equal(kf_call_on(f, cpu, KC_HC_VCPU_RUN, vm, vcpu, KC_RUN_RESUME, 0, r), KC_OK);
	kf_check(f);
	return KC_EXIT_KIND(r[0]);
}

/* Runs `vcpu` of `vm` on `cpu`; then CPU 0's and CPU 1's flush counts must be c0, c1. */
static void step(struct kf *f, unsigned cpu, uint64_t vm, uint64_t vcpu, unsigned long c0,
		 unsigned long c1)
{
	(void)run_on(f, cpu, vm, vcpu);
	if (hm_guest_flush_count(f->m, 0) != c0 || hm_guest_flush_count(f->m, 1) != c1)
		fail_msg("after vCPU %llu of VM %llu on CPU %u: flushes %lu, %lu; want %lu, %lu",
			 (unsigned long long)vcpu, (unsigned long long)vm, cpu,
			 hm_guest_flush_count(f->m, 0), hm_guest_flush_count(f->m, 1), c0, c1);
}

static void test_flush_when_another_vcpu_ran_here(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_two_vcpus(f, 0x30), other = vm_two_vcpus(f, 0x40);

	/* The VM's first vCPU on a CPU: flushed, once. */
	assert_int_equal(run_on(f, 0, vm, 0), KC_EXIT_CPU_ON);
	step(f, 0, vm, 0, 1, 0);
	/* vCPU 0 moves to CPU 1 (the VM's first there), back and again: FB covers it. */
	step(f, 1, vm, 0, 1, 1);
	step(f, 0, vm, 0, 1, 1);
	step(f, 1, vm, 0, 1, 1);
	/* vCPU 1 where vCPU 0 ran last: flushed, once; again on the same CPU: not. */
	step(f, 1, vm, 1, 1, 2);
	step(f, 1, vm, 1, 1, 2);
	step(f, 0, vm, 1, 2, 2);
	/* Another VM in between is no reason (VMID tags); its own first vCPU on CPU 0 is. */
	assert_int_equal(run_on(f, 0, other, 0), KC_EXIT_CPU_ON);
	step(f, 0, vm, 1, 3, 2);
	/* vCPU 0 back on CPU 0 after vCPU 1: flushed. */
	step(f, 0, vm, 0, 4, 2);
	step(f, 1, other, 0, 4, 3);
	step(f, 1, other, 1, 4, 4);
}

/* A refused VCPU_RUN runs nothing here, and so records nothing: no flush comes of it. */
static void test_refused_run_records_nothing(void **state)
{
	struct kf *f = *state;
	uint64_t vm = vm_two_vcpus(f, 0x50);

	assert_int_equal(run_on(f, 0, vm, 0), KC_EXIT_CPU_ON);
	assert_int_equal(kf_call_on(f, 0, KC_HC_VCPU_RUN, vm, 1, KC_RUN_CALL_DONE, 0, NULL),
			 KC_ESTATE);
	step(f, 0, vm, 0, 1, 0); /* vCPU 1 never ran on CPU 0 */
	step(f, 0, vm, 1, 2, 0); /* control: now it does, after vCPU 0 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush_when_another_vcpu_ran_here, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_run_records_nothing, setup, teardown),
	};
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
