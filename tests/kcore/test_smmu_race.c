/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMMU calls under real threads (docs/SMMU.md, "Locks"): CPU 0 maps a
 * host frame into its IO domain, lets its device write it, and unmaps it,
 * round robin over a set of frames, while CPU 1 loads the very same frames
 * into a VM's image (each once the device has had it), retrying each while
 * it is DMA-mapped (KC_EBUSY).
 * Whatever the interleaving: a MAP either finds the frame the host's (OK,
 * and the device's write lands in the host's frame) or the VM's (KC_EPERM);
 * after an UNMAP the device is stopped; every frame ends up the VM's with
 * no DMA mapping; invariants 1-7 (5: exact counts; 7: the IOTLB) hold.
 * ASan sees every access; a TSan build runs the same test for data races.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#include <kcore_hosted/smmu.h>

#define NFRAMES 16
#define ROUNDS	2000000 /* at most: the mapper stops when the loader is done */
#define SID	2u
#define IOVA	0x200000ull
#define IMG	0x80000000ull

struct race {
	struct kf *f;
	uint64_t dom, vm, pfn[NFRAMES];
	int errors[2];
	unsigned mapped_ok, refused, busy;
	bool seen[NFRAMES]; /* the mapper mapped the frame once (atomics: two threads) */
	bool done;	    /* the loader has every frame */
};

static int call_on(struct kf *f, unsigned cpu, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		   uint64_t a4, uint64_t a5)
{
	struct kc_hcall h = { { fn, a1, a2, a3, a4, a5, 0 } };
	if (hm_host_call(f->m, cpu, &h))
		return KC_EINVAL;
	return (int)(int64_t)h.x[0];
}

static void mapper(struct race *r)
{
	struct kf *f = r->f;

	for (unsigned i = 0; i < ROUNDS && !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE); i++) {
		unsigned k = i % NFRAMES;
		uint64_t pa = r->pfn[k] << 12;
		int rc = call_on(f, 0, KC_HC_IODOM_MAP, r->dom, IOVA, pa, 1, KC_IO_R | KC_IO_W);
		if (rc == KC_EPERM) {
			r->refused++; /* the VM has it already */
			continue;
		}
		if (rc != KC_OK) {
			r->errors[0]++;
			continue;
		}
		r->mapped_ok++;
		__atomic_store_n(&r->seen[k], true, __ATOMIC_RELEASE);
		/* Mapped: the frame is the host's until the unmap, and the device reaches it. */
		uint64_t v = 0xD0A0000000ull | i;
		if (hm_dma_write(f->m, 0, SID, IOVA, &v, sizeof(v)) != HM_DMA_OK)
			r->errors[0]++;
		if (call_on(f, 0, KC_HC_IODOM_UNMAP, r->dom, IOVA, 1, 0, 0) != KC_OK)
			r->errors[0]++;
		if (hm_dma_write(f->m, 0, SID, IOVA, &v, sizeof(v)) != HM_DMA_TRANSLATION)
			r->errors[0]++;
	}
}

static void loader(struct race *r)
{
	for (unsigned k = 0; k < NFRAMES; k++) {
		int rc;
		unsigned tries = 0;
		/* Not before the device had it once: the loads meet the maps. */
		while (!__atomic_load_n(&r->seen[k], __ATOMIC_ACQUIRE))
			;
		while ((rc = call_on(r->f, 1, KC_HC_VM_LOAD_IMAGE_PAGE, r->vm, 0, r->pfn[k], 0,
				     0)) == KC_EBUSY &&
		       ++tries < 1000000)
			r->busy++;
		if (rc != KC_OK)
			r->errors[1]++;
	}
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
}

static void run(unsigned cpu, void *arg)
{
	if (cpu == 0)
		mapper(arg);
	else
		loader(arg);
}

static void test_donation_races_dma_mapping(void **state)
{
	struct kf f;
	struct race r = { .f = &f };
	uint64_t res[3];
	(void)state;

	kf_setup_smmu(&f, 2, 1, 2);
	assert_int_equal(kf_call(&f, KC_HC_IODOM_ALLOC, 0, 0, 0, 0, res), KC_OK);
	r.dom = res[0];
	assert_int_equal(kf_call(&f, KC_HC_IODOM_ATTACH, r.dom, 0, SID, 0, NULL), KC_OK);
	assert_int_equal(kf_call(&f, KC_HC_VM_CREATE, 0, 0, 0, 0, res), KC_OK);
	r.vm = res[0];
	assert_int_equal(kf_call(&f, KC_HC_VM_SET_IMAGE, r.vm, IMG, NFRAMES * 4096ull, 0, res),
			 KC_OK);
	for (unsigned k = 0; k < NFRAMES; k++)
		r.pfn[k] = kf_frame(&f);
	kf_check(&f);

	assert_int_equal(hm_run_parallel(f.m, run, &r), 0);

	assert_int_equal(r.errors[0], 0);
	assert_int_equal(r.errors[1], 0);
	print_message("# %u maps went through, %u refused (the VM's by then), %u loads retried\n",
		      r.mapped_ok, r.refused, r.busy);
	for (unsigned k = 0; k < NFRAMES; k++) {
		assert_int_equal(kf_frame_owner(r.pfn[k]), (int)r.vm);
		assert_int_equal(kf_frame_count(r.pfn[k]), 0);
	}
	kf_call_refused(&f, KC_ENOENT, KC_HC_IODOM_LOOKUP, r.dom, IOVA, 0, 0);
	kf_check(&f);
	kf_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_donation_races_dma_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
