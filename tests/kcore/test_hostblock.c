/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host's stage 2 maps the largest leaf that fits one owner (issue 10,
 * core/hostmem.c): a first touch of a 2 MiB run that is all the host's
 * maps it as one block; a frame leaving the host splits the block so the
 * frame goes and the rest stays.  The attack each test makes: keep access
 * to a frame through a block (or a TLB entry for it) after the frame left.
 * Each has its control, and invariants 1-7 (TLB coherence included) are
 * checked after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "fixture.h"

#define IMG_BASE 0x80000000ull
#define DATA_IPA 0x90000000ull
#define MIB2	 (2ull << 20)

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

/* The level of the host's leaf over `pa`: 2 (block), 3 (page), 0 (none). */
static unsigned host_level(uint64_t pa)
{
	struct pgt_leaf leaf;
	return pgt_lookup(&kc.host_s2, pa, &leaf) ? leaf.level : 0;
}

/* Give frame `pfn` to a new VM as its one-page image (VM_LOAD_IMAGE_PAGE). */
static uint64_t vm_takes(struct kf *f, uint64_t pfn)
{
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm = r[0];
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vm, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vm, IMG_BASE, 0x1000, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, vm, r[0], pfn, 0, NULL), KC_OK);
	return vm;
}

/* One fault per 2 MiB: the first touch maps the run; the rest of it needs none. */
static void test_first_touch_maps_a_block(void **state)
{
	struct kf *f = *state;
	uint64_t run = kf_frame_run(f) << 12;

	assert_int_equal(host_level(run), 0);
	assert_int_equal(kf_host_try_read(f, run + 0x5000), HM_FAULT_NONE);
	assert_int_equal(host_level(run), 2);
	assert_int_equal(host_level(run + MIB2 - 0x1000), 2);
	assert_int_equal(host_level(run + MIB2), 0); /* the next run is untouched */
	kf_check(f);
}

/*
 * The attack: the host reads a frame through a block (its TLB keeps the
 * 2 MiB entry), then the frame becomes a VM's.  The split must take the
 * frame out of the block and out of every TLB; the rest stays the host's.
 */
static void test_leaving_frame_splits_the_block(void **state)
{
	struct kf *f = *state;
	uint64_t run = kf_frame_run(f) << 12, x = run + 0x7000;

	assert_int_equal(kf_host_try_read(f, x), HM_FAULT_NONE);
	assert_int_equal(kf_host_try_write(f, x + 0x1000), HM_FAULT_NONE);
	assert_int_equal(host_level(x), 2);
	vm_takes(f, x >> 12);
	kf_check(f); /* invariant 7: no TLB holds the block any more */
	assert_int_equal(kf_host_try_read(f, x), HM_FAULT_REFUSED);
	assert_int_equal(kf_host_try_write(f, x), HM_FAULT_REFUSED);
	/* Control: its neighbours stay mapped, as pages now. */
	assert_int_equal(host_level(x + 0x1000), 3);
	assert_int_equal(kf_host_try_read(f, x + 0x1000), HM_FAULT_NONE);
	assert_int_equal(kf_host_try_read(f, run), HM_FAULT_NONE);
	assert_int_equal(kf_host_try_read(f, run + MIB2 - 8), HM_FAULT_NONE);
	kf_check(f);
}

/* A run with a frame that is not the host's is mapped a page at a time. */
static void test_mixed_run_maps_pages(void **state)
{
	struct kf *f = *state;
	uint64_t run = kf_frame_run(f) << 12;

	vm_takes(f, (run >> 12) + 100);
	assert_int_equal(kf_host_try_read(f, run), HM_FAULT_NONE);
	assert_int_equal(host_level(run), 3);
	assert_int_equal(host_level(run + 0x1000), 0);
	assert_int_equal(kf_host_try_read(f, run + (100 << 12)), HM_FAULT_REFUSED);
	kf_check(f);
}

/* A 2 MiB VM_MAP_FAULT of a run the host holds as a block takes the block whole. */
static void test_block_backs_a_vm_block(void **state)
{
	struct kf *f = *state;
	uint64_t run = kf_frame_run(f) << 12, r[3];
	const struct kf_image img = { IMG_BASE, 1, 0x30 };
	uint64_t vm = kf_vm_verified(f, &img, 1);

	assert_int_equal(kf_host_try_read(f, run + 0x3000), HM_FAULT_NONE);
	assert_int_equal(host_level(run), 2);
	const struct hm_guest_op prog[] = {
		{ HM_GOP_STORE, 1, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vm, 0, IMG_BASE, prog, 2), 0);
	assert_int_equal(kf_run(f, vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(r[0], KC_EXIT_FAULT | KC_EXIT_F_WRITE);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, run >> 12, 2, NULL), KC_OK);
	assert_int_equal(host_level(run), 0);
	assert_int_equal(kf_host_try_read(f, run + 0x3000), HM_FAULT_REFUSED);
	assert_int_equal(kf_host_try_read(f, run + MIB2 - 8), HM_FAULT_REFUSED);
	kf_check(f);
}

/* A frame the VM shares is mapped for the host as a page, never inside a block. */
static void test_shared_frame_is_a_page(void **state)
{
	struct kf *f = *state;
	uint64_t run = kf_frame_run(f) << 12, r[3];
	const struct kf_image img = { IMG_BASE, 1, 0x40 };
	uint64_t vm = kf_vm_verified(f, &img, 1);

	const struct hm_guest_op prog[] = {
		{ HM_GOP_STORE, 1, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vm, 0, IMG_BASE, prog, 2), 0);
	assert_int_equal(kf_run(f, vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, (run >> 12) + 9, 3, NULL), KC_OK);
	assert_int_equal(kf_run(f, vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_SHARE, DATA_IPA >> 12, 1), KC_OK);
	assert_int_equal(kf_host_try_read(f, run + (9 << 12)), HM_FAULT_NONE);
	assert_int_equal(host_level(run + (9 << 12)), 3);
	/* UNSHARE: the host loses the page again (a page, no block to split). */
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_UNSHARE, DATA_IPA >> 12, 1), KC_OK);
	assert_int_equal(kf_host_try_read(f, run + (9 << 12)), HM_FAULT_REFUSED);
	kf_check(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_touch_maps_a_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaving_frame_splits_the_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mixed_run_maps_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_backs_a_vm_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_frame_is_a_page, setup, teardown),
	};
	return cmocka_run_group_tests_name("hostblock", tests, NULL, NULL);
}
