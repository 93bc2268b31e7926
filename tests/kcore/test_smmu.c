/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IO domains and the SMMU (docs/SMMU.md), through the ABI and through DMA
 * on the model's SMMU (kcore_hosted/smmu.h).  Every refusal is checked
 * with kf_call_refused (status, zero results, unchanged digest, invariants
 * 1-7 with 5 and the IOTLB half of 7) and has its control: the same call
 * on something the actor may use succeeds.  DMA that kcore must stop is
 * shown stopped by the SMMU with the target memory unchanged and the event
 * reported through SMMU_EVENT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#include <kcore_hosted/smmu.h>

#define SID   3u	    /* the host's device on SMMU 0 */
#define SID2  5u	    /* another one */
#define IOVA  0x100000ull   /* where the host puts its buffers */
#define IMG   0x80000000ull /* a VM's one-page image (its entry) */
#define RW    (KC_IO_R | KC_IO_W)
#define PG(x) ((x) << 12)

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup_smmu(&the_kf, 4, 1, 8);
	*state = &the_kf;
	return 0;
}

static int setup_two(void **state)
{
	kf_setup_smmu(&the_kf, 4, 2, 8);
	*state = &the_kf;
	return 0;
}

static int setup_none(void **state)
{
	kf_setup_smmu(&the_kf, 4, 0, 8);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

static uint64_t dom_alloc(struct kf *f, uint64_t owner)
{
	uint64_t r[3];
	assert_int_equal(kf_call(f, KC_HC_IODOM_ALLOC, owner, 0, 0, 0, r), KC_OK);
	assert_true(r[0] >= 1 && r[0] <= 8);
	kf_check(f);
	return r[0];
}

static void ok(struct kf *f, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	       uint64_t a5)
{
	int rc = kf_call5(f, fn, a1, a2, a3, a4, a5, NULL);
	if (rc != KC_OK)
		fail_msg("call 0x%llx(0x%llx, 0x%llx, 0x%llx, 0x%llx): %s", (unsigned long long)fn,
			 (unsigned long long)a1, (unsigned long long)a2, (unsigned long long)a3,
			 (unsigned long long)a4, kcore_err_name(rc));
	kf_check(f);
}

/* A host domain with SID attached and `pfn` mapped at IOVA, rights `prot`. */
static uint64_t host_dom_with(struct kf *f, uint64_t pfn, uint64_t prot)
{
	uint64_t d = dom_alloc(f, 0);
	ok(f, KC_HC_IODOM_ATTACH, d, 0, SID, 0, 0);
	ok(f, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, prot);
	return d;
}

static uint8_t peek(struct kf *f, uint64_t pa)
{
	return *(uint8_t *)hm_phys(f->m, pa, 1);
}

/* The next event through the ABI: x1..x3. */
static int event(struct kf *f, uint64_t r[3])
{
	return kf_call(f, KC_HC_SMMU_EVENT, 0, 0, 0, 0, r);
}

/* ---- DMA into the host's own frame: the control of everything below ---- */

static void test_dma_host_frame(void **state)
{
	struct kf *f = *state;
	uint64_t pfn = kf_frame(f), r[3];
	uint8_t buf[16], back[16];

	uint64_t d = host_dom_with(f, pfn, RW);
	assert_int_equal(kf_frame_count(pfn), 1);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 8, buf, sizeof(buf)), HM_DMA_OK);
	assert_int_equal(peek(f, PG(pfn) + 8), 0x5a);
	assert_int_equal(hm_dma_read(f->m, 0, SID, IOVA + 8, back, sizeof(back)), HM_DMA_OK);
	assert_memory_equal(buf, back, sizeof(buf));
	/* LOOKUP says what the table says. */
	assert_int_equal(kf_call(f, KC_HC_IODOM_LOOKUP, d, IOVA, 0, 0, r), KC_OK);
	assert_int_equal(r[0], PG(pfn));
	assert_int_equal(r[1], RW);
	kf_check(f);
	/* Read-only: a write is stopped, and reported with its IOVA (the host's own). */
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x1000, PG(pfn), 1, KC_IO_R);
	assert_int_equal(kf_frame_count(pfn), 2);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x1000, buf, 1), HM_DMA_PERMISSION);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], SID);
	assert_int_equal(r[1], IOVA + 0x1000);
	assert_int_equal(r[2], KC_SMMU_F_PERMISSION | KC_IO_W << 8);
	kf_call_refused(f, KC_ENOENT, KC_HC_SMMU_EVENT, 0, 0, 0, 0);
	/* Unmap: count back to 0, the IOVA stops, memory unchanged, event reported. */
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA, 2, 0, 0);
	assert_int_equal(kf_frame_count(pfn), 0);
	memset(buf, 0x77, sizeof(buf));
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 8, buf, 1), HM_DMA_TRANSLATION);
	assert_int_equal(peek(f, PG(pfn) + 8), 0x5a);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[1], IOVA + 8);
	assert_int_equal(r[2], KC_SMMU_F_TRANSLATION | KC_IO_W << 8);
	kf_check(f);
}

/* An unmapped IOVA, and a stream attached to nothing, are stopped. */
static void test_dma_unmapped(void **state)
{
	struct kf *f = *state;
	uint64_t pfn = kf_frame(f), r[3];
	uint8_t b = 1;

	host_dom_with(f, pfn, RW);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x2000, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(hm_dma_write(f->m, 0, SID2, IOVA, &b, 1), HM_DMA_STREAM);
	assert_int_equal(peek(f, PG(pfn)), 0);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[2], KC_SMMU_F_TRANSLATION | KC_IO_W << 8);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], SID2);
	assert_int_equal(r[2], KC_SMMU_F_STREAM | KC_IO_W << 8);
	kf_call_refused(f, KC_ENOENT, KC_HC_SMMU_EVENT, 0, 0, 0, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_dma_host_frame, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dma_unmapped, setup, teardown),
};

int main(void)
{
	(void)setup_two;
	(void)setup_none;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
