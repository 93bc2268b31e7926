/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VM's whole life through the host ABI, with a guest program running on
 * the model: create, load and verify a signed image, run, fault memory in,
 * share a page with the host and take it back, power off from the guest,
 * reclaim (scrubbed), destroy, and reuse the id.  Invariants 1-7 after
 * every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define IMG_BASE 0x80000000ull
#define DATA_IPA 0x90000000ull

static int setup(void **state)
{
	static struct kf f;
	kf_setup(&f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

static void test_version(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];

	assert_int_equal(kf_call(f, KC_HC_VERSION, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], KC_ABI_VERSION);
	assert_int_equal(kf_call(f, KC_FN(0x7777), 0, 0, 0, 0, r), KC_ENOTSUP);
	assert_int_equal(kf_call(f, KC_HC_VERSION, 1, 0, 0, 0, r), KC_EINVAL); /* MBZ */
}

/* SMCCC discovery: how a host (Linux's arm_smccc) finds out what it runs on. */
static void smccc(struct kf *f, uint64_t x0, uint64_t x1, const uint64_t want[4])
{
	uint64_t x[7] = { x0, x1, 0, 0, 0, 0, 0 };
	kf_call_regs(f, 0, x);
	for (unsigned i = 0; i < 4; i++)
		if (x[i] != want[i])
			fail_msg("SMCCC 0x%llx: x%u = 0x%llx, want 0x%llx", (unsigned long long)x0,
				 i, (unsigned long long)x[i], (unsigned long long)want[i]);
}

static void test_smccc_discovery(void **state)
{
	struct kf *f = *state;
	const uint64_t unsup[4] = { (uint64_t)(int64_t)KC_ENOTSUP, 0, 0, 0 };

	smccc(f, KC_SMCCC_VERSION, 0, (const uint64_t[4]){ KC_SMCCC_VERSION_1_1, 0, 0, 0 });
	smccc(f, 0xabcd00000000ull | KC_SMCCC_VERSION, 0, /* the id is W0 */
	      (const uint64_t[4]){ KC_SMCCC_VERSION_1_1, 0, 0, 0 });
	smccc(f, KC_SMCCC_ARCH_FEATURES, KC_SMCCC_ARCH_FEATURES, (const uint64_t[4]){ 0 });
	smccc(f, KC_SMCCC_ARCH_FEATURES, 0x80008000u, unsup); /* ARCH_WORKAROUND_1 */
	smccc(f, KC_SMCCC_HYP_CALL_UID, 0,
	      (const uint64_t[4]){ KC_HYP_UID_0, KC_HYP_UID_1, KC_HYP_UID_2, KC_HYP_UID_3 });
	smccc(f, KC_SMCCC_HYP_REVISION, 0,
	      (const uint64_t[4]){ KC_ABI_VERSION_MAJOR, KC_ABI_VERSION_MINOR, 0, 0 });
	smccc(f, 0x8600FF02u, 0, unsup);     /* not a query SMCCC defines */
	smccc(f, KC_PSCI_VERSION, 0, unsup); /* PSCI is not a host call */
	kf_check(f);
}

static void test_whole_life(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 4, 0x10 };
	uint64_t r[3];

	uint64_t vmid = kf_vm_verified(f, &img, 1);
	assert_int_equal(vmid, 1);
	kf_check(f);

	const struct hm_guest_op prog[] = {
		{ HM_GOP_LOAD, 1, 8, IMG_BASE + 0x1000, 0 }, /* image page 1 */
		{ HM_GOP_EXPECT, 1, 0, 0, 0x1111111111111111ull },
		{ HM_GOP_SET, 2, 0, 0, 0xfeedfacecafebeefull },
		{ HM_GOP_STORE, 2, 8, DATA_IPA + 8, 0 }, /* faults: host backs it */
		{ HM_GOP_SET, 0, 0, 0, KC_GC_SHARE },
		{ HM_GOP_SET, 1, 0, 0, DATA_IPA >> 12 },
		{ HM_GOP_SET, 2, 0, 0, 1 },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
		{ HM_GOP_WFI, 0, 0, 0, 0 }, /* host looks at the page */
		{ HM_GOP_SET, 0, 0, 0, KC_GC_UNSHARE },
		{ HM_GOP_SET, 1, 0, 0, DATA_IPA >> 12 },
		{ HM_GOP_SET, 2, 0, 0, 1 },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
		{ HM_GOP_EXPECT, 0, 0, 0, KC_OK },
		{ HM_GOP_SET, 0, 0, 0, KC_PSCI_SYSTEM_OFF },
		{ HM_GOP_HVC, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog,
					  sizeof(prog) / sizeof(prog[0])),
			 0);

	/*
	 * The store faults: kcore records the IPA and tells the host the page
	 * and that it was a write, never the data (the guest did not declare
	 * the page MMIO).
	 */
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(r[0], KC_EXIT_FAULT | KC_EXIT_F_WRITE);
	assert_int_equal(r[1], DATA_IPA);
	assert_int_equal(r[2], 0);
	kf_check(f);

	uint64_t pfn = kf_frame(f);
	assert_int_equal(kf_host_try_read(f, pfn << 12), HM_FAULT_NONE); /* host's, for now */
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, pfn, 3, NULL), KC_OK);
	assert_int_equal(kf_host_try_read(f, pfn << 12), HM_FAULT_REFUSED); /* the VM's now */
	kf_check(f);

	/* Store, SHARE, then WFI: the host sees what the guest wrote. */
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	uint64_t seen = 0;
	assert_int_equal(hm_host_load(f->m, 0, (pfn << 12) + 8, &seen, 8, NULL), HM_FAULT_NONE);
	assert_int_equal(seen, 0xfeedfacecafebeefull);
	kf_check(f);

	/* UNSHARE, SYSTEM_OFF: the host loses the page again, the VM is off. */
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_POWEROFF);
	assert_int_equal(kf_host_try_read(f, pfn << 12), HM_FAULT_REFUSED);
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_ESTATE);
	kf_check(f);

	/* Reclaim in small steps: 4 image frames + 1 data frame. */
	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), KC_EBUSY);
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vmid, 2, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 3);
	kf_check(f);
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vmid, 100, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	kf_check(f);
	/* Scrubbed before the host got it back. */
	assert_int_equal(hm_host_load(f->m, 0, (pfn << 12) + 8, &seen, 8, NULL), HM_FAULT_NONE);
	assert_int_equal(seen, 0);

	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vmid, 0, 0, 0, NULL), KC_OK);
	kf_check(f);
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], vmid); /* the id is reused */
	kf_check(f);
}

/*
 * IO space is everything that is not RAM: a host faulting all over it gets
 * its device mappings until their share of the table pool is used, and can
 * still fault in every page of its own RAM afterwards.
 */
static void test_host_io_cannot_starve_ram(void **state)
{
	struct kf *f = *state;
	unsigned mapped = 0, refused = 0;
	uint8_t b;

	for (uint64_t k = 0; k < 200; k++) {
		/* 1 GiB apart, far above RAM: each needs tables of its own. */
		enum hm_fault e = hm_host_load(f->m, 0, (1ull << 40) + (k << 30), &b, 1, NULL);
		if (e == HM_FAULT_EXTERNAL)
			mapped++; /* kcore mapped it; the model has no device there */
		else if (e == HM_FAULT_TRANSLATION)
			refused++; /* out of IO tables: the host faults again */
		else
			fail_msg("IO probe %llu: fault %d", (unsigned long long)k, e);
	}
	assert_true(mapped > 0);
	assert_true(refused > 0);
	kf_check(f);
	/* Every host page of RAM can still be touched (image and pool are CORE). */
	struct kc_region pool = hm_kcore_pool(f->m);
	for (uint64_t pa = KF_RAM_BASE + HM_KCORE_IMAGE_SIZE; pa < pool.base; pa += 4096)
		assert_int_equal(hm_host_load(f->m, 0, pa, &b, 1, NULL), HM_FAULT_NONE);
	assert_int_equal(hm_host_load(f->m, 0, pool.base, &b, 1, NULL), HM_FAULT_REFUSED);
	assert_int_equal(hm_host_load(f->m, 0, KF_RAM_BASE, &b, 1, NULL), HM_FAULT_REFUSED);
	kf_check(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smccc_discovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_life, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_io_cannot_starve_ram, setup, teardown),
	};
	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
