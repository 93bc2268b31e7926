/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lock-order check (core/lock.h): an acquire while the CPU holds a lock
 * of the same or a later class fail-stops, in every build but a release
 * one.  Each wrong order is taken on purpose and must reach plat_panic
 * (caught through the hosted panic hook); the documented order, and every
 * subset of it, must pass (the controls).  The locks are kcore's own, on a
 * booted machine, taken directly on a modelled CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "fixture.h"

#if LOCK_ORDER_CHECKS

static jmp_buf panic_jmp;
static char panic_msg[256];

static void catch_panic(const char *why)
{
	snprintf(panic_msg, sizeof(panic_msg), "%s", why);
	longjmp(panic_jmp, 1);
}

/* A sequence of acquires (and releases, as negative indices) of these locks. */
#define MAX_STEPS 8
struct order {
	struct kc_lock *locks[MAX_STEPS];
	int steps[MAX_STEPS]; /* i + 1: acquire locks[i]; -(i + 1): release it */
	unsigned nsteps;
	bool panicked;
};

/* Run the steps on CPU `cpu`; on a panic, release what is still held. */
static void take(unsigned cpu, void *arg)
{
	struct order *o = arg;
	volatile bool held[MAX_STEPS] = { false };
	hm_panic_hook prev = hm_set_panic_hook(catch_panic);
	volatile unsigned i = 0;

	(void)cpu;
	o->panicked = false;
	if (setjmp(panic_jmp) == 0) {
		for (; i < o->nsteps; i++) {
			int s = o->steps[i];
			if (s > 0) {
				lock_acquire(o->locks[s - 1]);
				held[s - 1] = true;
			} else {
				lock_release(o->locks[-s - 1]);
				held[-s - 1] = false;
			}
		}
	} else {
		o->panicked = true;
	}
	hm_set_panic_hook(prev);
	/* Out of order or not, leave the machine as it was: release in reverse. */
	for (int j = MAX_STEPS - 1; j >= 0; j--)
		if (held[j])
			lock_release(o->locks[j]);
}

static struct kf f;

static bool run_order(struct order *o)
{
	assert_int_equal(hm_cpu_run(f.m, 1, take, o), 0);
	/* Whatever happened, this CPU holds nothing now. */
	assert_int_equal(lock_order_held[1], 0);
	return o->panicked;
}

#define VM1    (&kc.vms[1].lock)
#define VM2    (&kc.vms[2].lock)
#define FRAMES (&kc.frames_lock)
#define CORE   (&kc.core_lock)

static void expect_caught(struct order o)
{
	panic_msg[0] = 0;
	assert_true(run_order(&o));
	assert_non_null(strstr(panic_msg, "out of order"));
}

static void expect_passes(struct order o)
{
	assert_false(run_order(&o));
}

static void test_wrong_orders_are_caught(void **state)
{
	(void)state;
	/* frames_lock, then a VM's lock: the inversion a VM call path must never make. */
	expect_caught((struct order){ { FRAMES, VM1 }, { 1, 2 }, 2, false });
	/* core_lock, then frames_lock. */
	expect_caught((struct order){ { CORE, FRAMES }, { 1, 2 }, 2, false });
	/* core_lock, then a VM's lock. */
	expect_caught((struct order){ { CORE, VM1 }, { 1, 2 }, 2, false });
	/* Two VM locks at once, in either id order. */
	expect_caught((struct order){ { VM1, VM2 }, { 1, 2 }, 2, false });
	expect_caught((struct order){ { VM2, VM1 }, { 1, 2 }, 2, false });
	/* The inversion after a correct prefix: vm, frames, then a VM again. */
	expect_caught((struct order){ { VM1, FRAMES, VM2 }, { 1, 2, 3 }, 3, false });
	/* A lock released out of turn does not hide the one still held. */
	expect_caught((struct order){ { VM1, FRAMES, CORE }, { 1, 2, -1, 3, -3, 1 }, 6, false });
	kf_check(&f);
}

static void test_documented_order_passes(void **state)
{
	(void)state;
	/* vm -> frames -> core, and each subset of it. */
	expect_passes((struct order){ { VM1, FRAMES, CORE }, { 1, 2, 3, -3, -2, -1 }, 6, false });
	expect_passes((struct order){ { VM1, FRAMES }, { 1, 2, -2, -1 }, 4, false });
	expect_passes((struct order){ { VM1, CORE }, { 1, 2, -2, -1 }, 4, false });
	expect_passes((struct order){ { FRAMES, CORE }, { 1, 2, -2, -1 }, 4, false });
	/* Release order is free (image.c drops core, frames, vm in that order; others differ). */
	expect_passes((struct order){ { VM1, FRAMES, CORE }, { 1, 2, 3, -1, -2, -3 }, 6, false });
	/* One VM after another, never both: what the lock order allows. */
	expect_passes((struct order){ { VM1, VM2 }, { 1, -1, 2, -2 }, 4, false });
	/* frames_lock again once released, under the same VM lock (image.c does this). */
	expect_passes((struct order){ { VM1, FRAMES }, { 1, 2, -2, 2, -2, -1 }, 6, false });
	kf_check(&f);
}

/* And kcore's own paths take the order: a VM's whole life, with the check on. */
static void test_kcore_paths_keep_the_order(void **state)
{
	(void)state;
	struct kf_image img = { 0x80000000ull, 2, 0x33 };
	uint64_t vmid = kf_vm_verified(&f, &img, 1), r[3] = { 1, 0, 0 };

	assert_int_equal(kf_call(&f, KC_HC_VM_POWEROFF, vmid, 0, 0, 0, NULL), KC_OK);
	while (r[0])
		assert_int_equal(kf_call(&f, KC_HC_VM_RECLAIM, vmid, 16, 0, 0, r), KC_OK);
	assert_int_equal(kf_call(&f, KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), KC_OK);
	for (unsigned c = 0; c < KC_MAX_CPUS; c++)
		assert_int_equal(lock_order_held[c], 0);
	kf_check(&f);
}

static int setup(void **state)
{
	(void)state;
	kf_setup(&f);
	/* Two VMs exist, so both VM locks are initialised ones. */
	uint64_t r[3];
	assert_int_equal(kf_call(&f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(kf_call(&f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kf_teardown(&f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_orders_are_caught),
		cmocka_unit_test(test_documented_order_passes),
		cmocka_unit_test(test_kcore_paths_keep_the_order),
	};
	return cmocka_run_group_tests_name("lockorder", tests, setup, teardown);
}

#else /* a release build: the check is compiled out, nothing to test */

int main(void)
{
	printf("1..0 # SKIP lock-order checks are compiled out (NDEBUG)\n");
	return 0;
}

#endif
