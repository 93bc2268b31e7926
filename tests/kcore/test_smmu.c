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

/* ---- every call's refusals, each with its control ----------------------- */

static void test_alloc_free(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];

	/* Owners: a VM id out of range, a free VM, a VM being taken apart. */
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ALLOC, 5, 0, 0, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ALLOC, 1ull << 32, 0, 0, 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_ALLOC, 1, 0, 0, 0);
	uint64_t vm = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t vd = dom_alloc(f, vm); /* control: a VERIFIED VM */
	ok(f, KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0);
	kf_call_refused(f, KC_ESTATE, KC_HC_IODOM_ALLOC, vm, 0, 0, 0);
	/* Ids run out: ENOMEM, and a freed id comes back. */
	uint64_t ids[8];
	ids[0] = vd;
	for (unsigned i = 1; i < 8; i++)
		ids[i] = dom_alloc(f, 0);
	kf_call_refused(f, KC_ENOMEM, KC_HC_IODOM_ALLOC, 0, 0, 0, 0);
	/* FREE: ids out of range, a free id, a domain with a stream attached. */
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_FREE, 0, 0, 0, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_FREE, 9, 0, 0, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_FREE, ~0ull, 0, 0, 0);
	ok(f, KC_HC_IODOM_ATTACH, ids[3], 0, SID, 0, 0);
	kf_call_refused(f, KC_EBUSY, KC_HC_IODOM_FREE, ids[3], 0, 0, 0);
	ok(f, KC_HC_IODOM_DETACH, ids[3], 0, SID, 0, 0);
	ok(f, KC_HC_IODOM_FREE, ids[3], 0, 0, 0, 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_FREE, ids[3], 0, 0, 0);
	kf_call_refused5(f, KC_ENOENT, KC_HC_IODOM_MAP, ids[3], IOVA, PG(kf_frame(f)), 1, RW);
	assert_int_equal(kf_call(f, KC_HC_IODOM_ALLOC, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], ids[3]);
	kf_check(f);
}

static void test_attach_detach(void **state)
{
	struct kf *f = *state;
	uint64_t a = dom_alloc(f, 0), b = dom_alloc(f, 0);

	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ATTACH, a, 1, SID, 0); /* one SMMU */
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ATTACH, a, 0, KF_SMMU_STREAMS, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ATTACH, a, 1ull << 32, SID, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ATTACH, 0, 0, SID, 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_ATTACH, 8, 0, SID, 0);
	ok(f, KC_HC_IODOM_ATTACH, a, 0, SID, 0, 0);
	kf_call_refused(f, KC_EEXIST, KC_HC_IODOM_ATTACH, a, 0, SID, 0);
	kf_call_refused(f, KC_EBUSY, KC_HC_IODOM_ATTACH, b, 0, SID, 0);
	ok(f, KC_HC_IODOM_ATTACH, b, 0, SID2, 0, 0); /* control: another stream */
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_DETACH, b, 0, SID, 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_DETACH, a, 0, SID + 1, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_DETACH, a, 0, KF_SMMU_STREAMS, 0);
	struct hm_smmu_stats st0, st1;
	hm_smmu_stats_read(f->m, &st0);
	ok(f, KC_HC_IODOM_DETACH, a, 0, SID, 0, 0);
	hm_smmu_stats_read(f->m, &st1);
	assert_int_equal(st1.stream_sets, st0.stream_sets + 1);
	ok(f, KC_HC_IODOM_ATTACH, b, 0, SID, 0, 0); /* now free for b */
	/* Must-be-zero registers past the arguments. */
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_ATTACH, a, 0, SID + 2, 1);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_ALLOC, 0, 0, 0, 0, 1);
}

static void test_map_refusals(void **state)
{
	struct kf *f = *state;
	uint64_t d = dom_alloc(f, 0), pfn = kf_frame(f);
	struct kc_region pool = hm_kcore_pool(f->m);

	/* Malformed. */
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 0, RW);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), KC_IODOM_MAX_PAGES + 1,
			 RW);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA + 8, PG(pfn), 1, RW);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, PG(pfn) + 8, 1, RW);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, 0);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, KC_IO_W);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, 4);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, (1ull << 48) - 0x1000, PG(pfn), 2, RW);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, 1ull << 48, PG(pfn), 1, RW);
	kf_call_refused5(f, KC_EINVAL, KC_HC_IODOM_MAP, d, IOVA, 1ull << 48, 1, RW);
	kf_call_refused5(f, KC_ENOENT, KC_HC_IODOM_MAP, d + 1, IOVA, PG(pfn), 1, RW);
	/* Not the host's: kcore's image and pool, an SMMU's registers. */
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, KF_RAM_BASE, 1, RW);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, pool.base, 1, RW);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, HM_SMMU_MMIO_BASE, 1, RW);
	/* A VM's frame, shared with the host or not (docs/SMMU.md: a later step). */
	uint64_t vm = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t vmpa = kf_vm_lookup(vm, IMG);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, vmpa, 1, RW);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_SHARE, IMG >> 12, 1), KC_OK);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, vmpa, 1, RW);
	/* All or nothing: the second page is bad, the first is not mapped either. */
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, pool.base - 0x1000, 2, RW);
	assert_int_equal(kf_frame_count((pool.base >> 12) - 1), 0);
	/* Controls: a host frame, and IO. */
	ok(f, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x1000, KF_DEV_BASE, 2, RW);
	/* Mapped already (any page of the range). */
	kf_call_refused5(f, KC_EEXIST, KC_HC_IODOM_MAP, d, IOVA - 0x1000, PG(kf_frame(f)), 2, RW);
	/* The same frame at another IOVA is fine: counts add up. */
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x10000, PG(pfn), 1, KC_IO_R);
	assert_int_equal(kf_frame_count(pfn), 2);
}

static void test_map_pool_exhausted(void **state)
{
	struct kf *f = *state;
	uint64_t d = dom_alloc(f, 0), pfn = kf_frame(f);

	/* KF_IODOM_POOL_PAGES = 8: the root and two paths of 3 tables, 512 GiB apart. */
	ok(f, KC_HC_IODOM_MAP, d, 0, PG(pfn), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, 1ull << 39, PG(pfn), 1, RW);
	/* One page left.  Across a 1 GiB line: a last-level table, then a level-2 and its L3. */
	kf_call_refused5(f, KC_ENOMEM, KC_HC_IODOM_MAP, d, 0x3FFFF000, PG(kf_frame(f)), 2, RW);
	/* Across a 2 MiB line: one last-level table, the one left (control). */
	uint64_t two = kf_frame(f);
	kf_frame(f);
	ok(f, KC_HC_IODOM_MAP, d, 0x1FF000, PG(two), 2, RW);
	kf_call_refused5(f, KC_ENOMEM, KC_HC_IODOM_MAP, d, 2ull << 39, PG(pfn), 1, RW);
	kf_call_refused5(f, KC_ENOMEM, KC_HC_IODOM_MAP, d, 0x400000, PG(pfn), 1, RW);
	/* Control: a page in a table that exists. */
	ok(f, KC_HC_IODOM_MAP, d, 0x1000, PG(pfn), 1, RW);
	assert_int_equal(kf_frame_count(pfn), 3);
}

static void test_unmap_lookup(void **state)
{
	struct kf *f = *state;
	uint64_t d = dom_alloc(f, 0), pfn = kf_frame(f), r[3];

	ok(f, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, RW);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_UNMAP, d, IOVA, 2, 0); /* the 2nd page is not */
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_UNMAP, d, IOVA - 0x1000, 1, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_UNMAP, d, IOVA, 0, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_UNMAP, d, IOVA + 1, 1, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_UNMAP, d, IOVA, KC_IODOM_MAX_PAGES + 1, 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_LOOKUP, d, IOVA + 0x1000, 0, 0);
	kf_call_refused(f, KC_EINVAL, KC_HC_IODOM_LOOKUP, d, 1ull << 48, 0, 0);
	assert_int_equal(kf_call(f, KC_HC_IODOM_LOOKUP, d, IOVA + 0x123, 0, 0, r), KC_OK);
	assert_int_equal(r[0], PG(pfn) + 0x123);
	struct hm_smmu_stats st0, st1;
	hm_smmu_stats_read(f->m, &st0);
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA, 1, 0, 0);
	hm_smmu_stats_read(f->m, &st1);
	assert_int_equal(st1.tlbi_range, st0.tlbi_range + 1);
	assert_int_equal(kf_frame_count(pfn), 0);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_LOOKUP, d, IOVA, 0, 0);
	/* Many pages: one invalidation for the whole range. */
	ok(f, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x1000, PG(kf_frame(f)), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x2000, KF_DEV_BASE, 1, KC_IO_R);
	hm_smmu_stats_read(f->m, &st0);
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA, 3, 0, 0);
	hm_smmu_stats_read(f->m, &st1);
	assert_int_equal(st1.tlbi_range, st0.tlbi_range + 1);
}

/* No SMMU in the layout: every call is KC_ENOTSUP, nothing changes. */
static void test_no_smmu(void **state)
{
	struct kf *f = *state;
	uint64_t pfn = kf_frame(f);

	kf_call_refused(f, KC_ENOTSUP, KC_HC_IODOM_ALLOC, 0, 0, 0, 0);
	kf_call_refused(f, KC_ENOTSUP, KC_HC_IODOM_FREE, 1, 0, 0, 0);
	kf_call_refused(f, KC_ENOTSUP, KC_HC_IODOM_ATTACH, 1, 0, SID, 0);
	kf_call_refused(f, KC_ENOTSUP, KC_HC_IODOM_DETACH, 1, 0, SID, 0);
	kf_call_refused5(f, KC_ENOTSUP, KC_HC_IODOM_MAP, 1, IOVA, PG(pfn), 1, RW);
	kf_call_refused(f, KC_ENOTSUP, KC_HC_IODOM_UNMAP, 1, IOVA, 1, 0);
	kf_call_refused(f, KC_ENOTSUP, KC_HC_IODOM_LOOKUP, 1, IOVA, 0, 0);
	kf_call_refused(f, KC_ENOTSUP, KC_HC_SMMU_EVENT, 0, 0, 0, 0);
}

/* ---- frames with DMA mappings never leave the host ----------------------- */

static void test_donation_refused_while_mapped(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];
	uint64_t pfn = kf_frame(f), run = kf_frame_run(f);
	const uint64_t data_ipa = 0x90000000ull;

	uint64_t d = dom_alloc(f, 0);
	ok(f, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x1000, PG(run + 7), 1, RW);
	/* VM_LOAD_IMAGE_PAGE: the mapped frame is refused, a free one (control) is not. */
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm = r[0];
	ok(f, KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0);
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vm, IMG, 0x2000, 0, r), KC_OK);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_LOAD_IMAGE_PAGE, vm, 0, pfn, 0);
	uint8_t page[4096];
	memset(page, 0x20, sizeof(page));
	ok(f, KC_HC_VM_LOAD_IMAGE_PAGE, vm, 0, kf_frame_with(f, page, sizeof(page)), 0, 0);
	memset(page, 0x21, sizeof(page));
	ok(f, KC_HC_VM_LOAD_IMAGE_PAGE, vm, 0, kf_frame_with(f, page, sizeof(page)), 0, 0);
	const struct kf_image img = { IMG, 2, 0x20 };
	ok(f, KC_HC_VM_VERIFY, vm, kf_manifest(f, &img, 1, IMG, false), 0, 0, 0);
	/* VM_MAP_FAULT, 4 KiB and 2 MiB: the guest stores at two IPAs 1 GiB apart. */
	const struct hm_guest_op prog[] = {
		{ HM_GOP_STORE, 2, 8, data_ipa, 0 },
		{ HM_GOP_STORE, 2, 8, data_ipa + 0x40000000ull, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vm, 0, IMG, prog, 3), 0);
	assert_int_equal(kf_run(f, vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_MAP_FAULT, vm, 0, pfn, 3);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_MAP_FAULT, vm, 0, run, 2);
	/* Unmapped, the 4 KiB frame goes (its control). */
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA, 1, 0, 0);
	ok(f, KC_HC_VM_MAP_FAULT, vm, 0, pfn, 3, 0);
	assert_int_equal(kf_frame_owner(pfn), (int)vm);
	assert_int_equal(kf_run(f, vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	/* The run still has a mapped frame; unmapped, the run goes (its control). */
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_MAP_FAULT, vm, 0, run, 2);
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA + 0x1000, 1, 0, 0);
	ok(f, KC_HC_VM_MAP_FAULT, vm, 0, run, 2, 0);
	assert_int_equal(kf_frame_owner(run + 7), (int)vm);
	/* And the host may not map it into a domain any more: it is the VM's. */
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA, PG(run + 7), 1, RW);
}

/* ---- DMA at what the host may not reach ---------------------------------- */

/*
 * The IOTLB held the translation: UNMAP's invalidation must drop it.  The
 * calls here skip the invariant check until the end, so that without the
 * invalidation what fails first is the device's write reaching the VM.
 */
static void test_stale_iotlb(void **state)
{
	struct kf *f = *state;
	uint64_t pfn = kf_frame(f), r[3];
	uint8_t b = 0x11;

	uint64_t d = host_dom_with(f, pfn, RW);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA, &b, 1), HM_DMA_OK);
	assert_true(hm_iotlb_count(f->m, 0) >= 1);
	assert_int_equal(kf_call(f, KC_HC_IODOM_UNMAP, d, IOVA, 1, 0, NULL), KC_OK);
	/* The frame goes to a VM; the device's next write must not reach it. */
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm = r[0];
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vm, IMG, 0x1000, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, vm, 0, pfn, 0, NULL), KC_OK);
	uint8_t before = peek(f, PG(pfn));
	b = 0x99;
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(peek(f, PG(pfn)), before);
	assert_int_equal(hm_iotlb_count(f->m, 0), 0);
	kf_check(f);
}

/* A CORE frame and a VM's frame cannot be mapped, so DMA at them stops. */
static void test_dma_core_and_vm_frames(void **state)
{
	struct kf *f = *state;
	struct kc_region pool = hm_kcore_pool(f->m);
	uint64_t pfn = kf_frame(f), r[3];
	uint8_t b = 0xEE;

	uint64_t d = host_dom_with(f, pfn, RW);
	uint64_t vm = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t vmpa = kf_vm_lookup(vm, IMG);
	uint8_t core0 = peek(f, pool.base), vm0 = peek(f, vmpa);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA + 0x1000, pool.base, 1, RW);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA + 0x2000, vmpa, 1, RW);
	/* The device aims at them anyway: identity IOVAs, and the refused ones. */
	assert_int_equal(hm_dma_write(f->m, 0, SID, pool.base, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(hm_dma_write(f->m, 0, SID, vmpa, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x1000, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x2000, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(peek(f, pool.base), core0);
	assert_int_equal(peek(f, vmpa), vm0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(event(f, r), KC_OK);
		assert_int_equal(r[2], KC_SMMU_F_TRANSLATION | KC_IO_W << 8);
	}
	kf_call_refused(f, KC_ENOENT, KC_HC_SMMU_EVENT, 0, 0, 0, 0);
	/* Control: the host's own frame, through the same stream. */
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA, &b, 1), HM_DMA_OK);
	assert_int_equal(peek(f, PG(pfn)), 0xEE);
}

/* ---- a VM's domain ------------------------------------------------------- */

static void test_vm_domain(void **state)
{
	struct kf *f = *state;
	uint64_t r[3], hostpfn = kf_frame(f);
	uint8_t b = 0x42;

	uint64_t vm = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t other = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t vmpa = kf_vm_lookup(vm, IMG), otherpa = kf_vm_lookup(other, IMG);
	uint64_t d = dom_alloc(f, vm);
	/* Only the VM's frames, only at IOVA = their IPA. */
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IMG + 0x1000, vmpa, 1, RW);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IMG, otherpa, 1, RW);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IMG, PG(hostpfn), 1, RW);
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IMG, KF_DEV_BASE, 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IMG, vmpa, 1, RW);
	assert_int_equal(kf_frame_count(vmpa >> 12), 0); /* VM frames keep their share count */
	ok(f, KC_HC_IODOM_ATTACH, d, 0, SID2, 0, 0);
	/* The VM's device writes the VM's memory. */
	assert_int_equal(hm_dma_write(f->m, 0, SID2, IMG + 0x10, &b, 1), HM_DMA_OK);
	assert_int_equal(peek(f, vmpa + 0x10), 0x42);
	/* Its faults do not tell the host where the VM's device aimed. */
	assert_int_equal(hm_dma_write(f->m, 0, SID2, IMG + 0x5000, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], SID2);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], KC_SMMU_F_TRANSLATION | KC_IO_W << 8);
	/* The VM dies: its frames stay until its domains are gone. */
	ok(f, KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_RECLAIM, vm, 1000, 0, 0);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_DESTROY, vm, 0, 0, 0);
	ok(f, KC_HC_IODOM_DETACH, d, 0, SID2, 0, 0);
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_RECLAIM, vm, 1000, 0, 0);
	ok(f, KC_HC_IODOM_FREE, d, 0, 0, 0, 0);
	ok(f, KC_HC_VM_RECLAIM, vm, 1000, 0, 0, 0);
	ok(f, KC_HC_VM_DESTROY, vm, 0, 0, 0, 0);
	/* Control: a VM with no domain reclaims at once. */
	ok(f, KC_HC_VM_POWEROFF, other, 0, 0, 0, 0);
	ok(f, KC_HC_VM_RECLAIM, other, 1000, 0, 0, 0);
}

/*
 * A VM's device faults, and the host detaches the stream before it reads the
 * event (then attaches the stream to a domain of its own): the event still
 * hides where the VM's device aimed.  Control: the same with the host's own
 * device shows its IOVA, and events keep their order across the drain.
 */
static void test_event_after_detach(void **state)
{
	struct kf *f = *state;
	uint64_t r[3], hostpfn = kf_frame(f);
	uint8_t b = 0x42;

	uint64_t vm = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t vmpa = kf_vm_lookup(vm, IMG);
	uint64_t d = dom_alloc(f, vm);
	ok(f, KC_HC_IODOM_MAP, d, IMG, vmpa, 1, RW);
	ok(f, KC_HC_IODOM_ATTACH, d, 0, SID2, 0, 0);
	uint64_t h = host_dom_with(f, hostpfn, RW);
	/* The host's device faults first, then the VM's. */
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x3000, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(hm_dma_write(f->m, 0, SID2, IMG + 0x7000, &b, 1), HM_DMA_TRANSLATION);
	ok(f, KC_HC_IODOM_DETACH, d, 0, SID2, 0, 0);
	ok(f, KC_HC_IODOM_ATTACH, h, 0, SID2, 0, 0);
	/* A fault after the drain, through the stream the host now owns. */
	assert_int_equal(hm_dma_write(f->m, 0, SID2, IOVA + 0x9000, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], SID);
	assert_int_equal(r[1], IOVA + 0x3000); /* control: the host's device's address shows */
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], SID2);
	assert_int_equal(r[1], 0); /* the VM's device's address never does */
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], SID2);
	assert_int_equal(r[1], IOVA + 0x9000); /* the same stream, the host's now */
	kf_call_refused(f, KC_ENOENT, KC_HC_SMMU_EVENT, 0, 0, 0, 0);
	kf_check(f);
}

/* A VM with a device of its own is not exported: the device could write under it. */
static void test_export_waits_for_domains(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];

	uint64_t vm = kf_vm_with_vcpus(f, IMG, 1);
	uint64_t d = dom_alloc(f, vm);
	kf_call_refused(f, KC_EBUSY, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0);
	ok(f, KC_HC_IODOM_FREE, d, 0, 0, 0, 0);
	assert_int_equal(kf_call(f, KC_HC_EXPORT_BEGIN, vm, 0, 0, 0, r), KC_OK);
	/* Exporting: no new domain for it either (ALLOC wants CREATED or VERIFIED). */
	kf_call_refused(f, KC_ESTATE, KC_HC_IODOM_ALLOC, vm, 0, 0, 0);
	kf_check(f);
}

/* FREE unmaps everything, drops the counts and the tag's IOTLB entries. */
static void test_free_unmaps(void **state)
{
	struct kf *f = *state;
	uint64_t a = kf_frame(f), b = kf_frame(f), r[3];
	uint8_t v = 7;

	uint64_t d = host_dom_with(f, a, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x1000, PG(b), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x2000, PG(a), 1, RW);
	ok(f, KC_HC_IODOM_MAP, d, IOVA + 0x3000, KF_DEV_BASE, 1, RW);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x1000, &v, 1), HM_DMA_OK);
	assert_int_equal(kf_frame_count(a), 2);
	ok(f, KC_HC_IODOM_DETACH, d, 0, SID, 0, 0);
	struct hm_smmu_stats st0, st1;
	hm_smmu_stats_read(f->m, &st0);
	ok(f, KC_HC_IODOM_FREE, d, 0, 0, 0, 0);
	hm_smmu_stats_read(f->m, &st1);
	assert_int_equal(st1.tlbi_tag, st0.tlbi_tag + 1);
	assert_int_equal(kf_frame_count(a), 0);
	assert_int_equal(kf_frame_count(b), 0);
	/* The id comes back empty. */
	assert_int_equal(kf_call(f, KC_HC_IODOM_ALLOC, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], d);
	kf_call_refused(f, KC_ENOENT, KC_HC_IODOM_LOOKUP, d, IOVA + 0x1000, 0, 0);
	ok(f, KC_HC_IODOM_ATTACH, d, 0, SID, 0, 0);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA + 0x1000, &v, 1), HM_DMA_TRANSLATION);
}

/* A device page a host domain maps cannot become a VM's alone, and back. */
static void test_io_claims(void **state)
{
	struct kf *f = *state;
	uint64_t r[3];
	const uint64_t io = KF_DEV_BASE + 0x20000, io2 = KF_DEV_BASE + 0x30000;

	uint64_t d = dom_alloc(f, 0);
	ok(f, KC_HC_IODOM_MAP, d, IOVA, io, 1, RW);
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vm = r[0];
	kf_call_refused(f, KC_EBUSY, KC_HC_VM_MAP_IO, vm, 0xA0000000ull, io, 1);
	ok(f, KC_HC_VM_MAP_IO, vm, 0xA0001000ull, io2, 1, 0); /* control */
	kf_call_refused5(f, KC_EPERM, KC_HC_IODOM_MAP, d, IOVA + 0x1000, io2, 1, RW);
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA, 1, 0, 0);
	ok(f, KC_HC_VM_MAP_IO, vm, 0xA0000000ull, io, 1, 0);
}

/* Two SMMUs: IOVAs bounded by the smaller, events name the SMMU, TLBIs reach both. */
static void test_two_smmus(void **state)
{
	struct kf *f = *state;
	uint64_t pfn = kf_frame(f), r[3];
	uint8_t b = 3;

	uint64_t d = dom_alloc(f, 0);
	ok(f, KC_HC_IODOM_ATTACH, d, 1, SID, 0, 0);
	ok(f, KC_HC_IODOM_ATTACH, d, 0, SID, 0, 0);
	ok(f, KC_HC_IODOM_MAP, d, IOVA, PG(pfn), 1, RW);
	assert_int_equal(hm_dma_write(f->m, 1, SID, IOVA, &b, 1), HM_DMA_OK);
	assert_int_equal(hm_dma_write(f->m, 0, SID, IOVA, &b, 1), HM_DMA_OK);
	ok(f, KC_HC_IODOM_UNMAP, d, IOVA, 1, 0, 0);
	assert_int_equal(hm_dma_write(f->m, 1, SID, IOVA, &b, 1), HM_DMA_TRANSLATION);
	assert_int_equal(event(f, r), KC_OK);
	assert_int_equal(r[0], 1ull << 32 | SID);
	assert_int_equal(hm_iotlb_count(f->m, 0) + hm_iotlb_count(f->m, 1), 0);
}

/* kc_config's IO domain limits: EINVAL past them, OK at them (the controls). */
static void test_boot_config(void **state)
{
	struct hm_config mc = {
		.ram_base = KF_RAM_BASE,
		.ram_size = KF_RAM_SIZE,
		.ncpus = 1,
		.nsmmus = 1,
	};
	struct hm_machine *m;
	struct kc_config cfg = { .max_vms = 1, .vm_pool_pages = 8, .remap_pages = 16 };
	(void)state;

	assert_int_equal(hm_machine_create(&mc, &m), 0);
	cfg.max_iodoms = KC_MAX_IODOMS + 1;
	cfg.iodom_pool_pages = 4;
	assert_int_equal(hm_kcore_boot(m, &cfg), KC_EINVAL);
	cfg.max_iodoms = 1;
	cfg.iodom_pool_pages = 3;
	assert_int_equal(hm_kcore_boot(m, &cfg), KC_EINVAL);
	/* (More than 2^20 pages per pool is EINVAL too; this RAM cannot even hold them.) */
	cfg.max_iodoms = KC_MAX_IODOMS;
	cfg.iodom_pool_pages = 4;
	assert_int_equal(hm_kcore_boot(m, &cfg), KC_OK);
	/* Every domain id, each with its own pool. */
	for (unsigned i = 1; i <= KC_MAX_IODOMS; i++) {
		struct kc_hcall h = { { KC_HC_IODOM_ALLOC, 0, 0, 0, 0, 0, 0 } };
		assert_int_equal(hm_host_call(m, 0, &h), 0);
		assert_int_equal(h.x[0], KC_OK);
		assert_int_equal(h.x[1], i);
	}
	char why[300];
	assert_int_equal(hm_check(m, why, sizeof(why)), 0);
	/* No domains at all: the calls are off though an SMMU is there. */
	cfg.max_iodoms = 0;
	cfg.iodom_pool_pages = 0;
	assert_int_equal(hm_kcore_boot(m, &cfg), KC_OK);
	struct kc_hcall h = { { KC_HC_IODOM_ALLOC, 0, 0, 0, 0, 0, 0 } };
	assert_int_equal(hm_host_call(m, 0, &h), 0);
	assert_int_equal(h.x[0], (uint64_t)(int64_t)KC_ENOTSUP);
	hm_machine_destroy(m);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_dma_host_frame, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dma_unmapped, setup, teardown),
	cmocka_unit_test_setup_teardown(test_alloc_free, setup, teardown),
	cmocka_unit_test_setup_teardown(test_attach_detach, setup, teardown),
	cmocka_unit_test_setup_teardown(test_map_refusals, setup, teardown),
	cmocka_unit_test_setup_teardown(test_map_pool_exhausted, setup, teardown),
	cmocka_unit_test_setup_teardown(test_unmap_lookup, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_smmu, setup_none, teardown),
	cmocka_unit_test_setup_teardown(test_donation_refused_while_mapped, setup, teardown),
	cmocka_unit_test_setup_teardown(test_stale_iotlb, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dma_core_and_vm_frames, setup, teardown),
	cmocka_unit_test_setup_teardown(test_vm_domain, setup, teardown),
	cmocka_unit_test_setup_teardown(test_event_after_detach, setup, teardown),
	cmocka_unit_test_setup_teardown(test_export_waits_for_domains, setup, teardown),
	cmocka_unit_test_setup_teardown(test_free_unmaps, setup, teardown),
	cmocka_unit_test_setup_teardown(test_io_claims, setup, teardown),
	cmocka_unit_test_setup_teardown(test_two_smmus, setup_two, teardown),
	cmocka_unit_test(test_boot_config),
};

int main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
