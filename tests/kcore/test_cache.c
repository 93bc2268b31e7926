/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cache maintenance on the way into a VM (docs/ARCHITECTURE.md, "Cache
 * maintenance"), through the ABI on the hosted model's write-back data
 * cache (kcore_hosted/cache.h).  The host leaves dirty lines over a frame
 * it hands to a VM; the guest runs with its MMU off, so it reads and writes
 * memory underneath them:
 *
 *  - an image page whose cache (hashed by kcore) and memory (run by the
 *    guest) differ: the guest must load the hashed bytes;
 *  - fault backing (4 KiB and a 2 MiB run), and a page UNSHARE takes back
 *    from the host, under a host line that the host evicts later by
 *    writing lines of the same set: the guest's stores must survive.
 *
 * Each test first shows that the frame really holds two contents (the
 * attack's precondition, so the test can fail), and each fails when
 * kcore's clean for its path is removed.  The controls: a page the guest
 * still shares loses its store the same way (the host may do that to what
 * it was lent), and the host can clean its own frames but not a VM's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kcore_hosted/cache.h>

#include "fixture.h"

#define IMG_BASE   0x80000000ull
#define DATA_IPA   0x90000000ull
#define BLOCK_IPA  0xA0000000ull /* a 2 MiB region */
#define BLOCK_PAGE 300u		 /* the page of the region the guest touches */

/* Lines of one cache set lie this far apart. */
#define SET_STRIDE ((uint64_t)HM_CACHE_SETS * HM_CACHE_LINE)
/* Host frames the eviction lines come from: far from the fixture's allocations. */
#define EVICT_BASE (KF_RAM_BASE + (24ull << 20))
#define EVICT_SIZE (8ull << 20)

static struct kf the_kf;
static uint64_t evict_next;

static int setup(void **state)
{
	kf_setup(&the_kf);
	evict_next = 0;
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

static uint64_t mem_word(struct kf *f, uint64_t pa)
{
	uint64_t v = 0;
	assert_true(hm_mem_read(f->m, pa, &v, 8, false));
	return v;
}

static void host_put(struct kf *f, uint64_t pa, uint64_t v)
{
	kf_host_write(f, pa, &v, sizeof(v));
}

/*
 * What a hostile host does to get its line over `pa` written back: store to
 * HM_CACHE_WAYS fresh lines of the same set, so the set has no room left
 * for any older line.
 */
static void host_evict(struct kf *f, uint64_t pa)
{
	uint64_t in_set = pa & (SET_STRIDE - 1) & ~(uint64_t)(HM_CACHE_LINE - 1);

	for (unsigned i = 0; i < HM_CACHE_WAYS; i++) {
		uint64_t a = EVICT_BASE + in_set + evict_next++ * SET_STRIDE;
		assert_true(a < EVICT_BASE + EVICT_SIZE);
		host_put(f, a, 0xe0 + i);
	}
	assert_int_equal(hm_cache_dirty(f->m, pa, HM_CACHE_LINE), 0);
}

static void stats(struct kf *f, struct hm_stats *st)
{
	hm_stats_read(f->m, st);
}

/* Run vCPU 0 with RESUME; it must stop with `kind` and no guest EXPECT may have failed. */
static void run_until(struct kf *f, uint64_t vmid, unsigned kind)
{
	uint64_t r[3];
	char msg[200];

	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), kind);
	if (hm_guest_failures(f->m, msg, sizeof(msg)))
		fail_msg("the guest saw other bytes than it should: %s", msg);
	kf_check(f);
}

#define OP_SET(r, v)	 { .op = HM_GOP_SET, .reg = (r), .value = (v) }
#define OP_EXPECT(r, v)	 { .op = HM_GOP_EXPECT, .reg = (r), .value = (v) }
#define OP_LOAD(r, a)	 { .op = HM_GOP_LOAD, .reg = (r), .size = 8, .addr = (a) }
#define OP_STORE(r, a)	 { .op = HM_GOP_STORE, .reg = (r), .size = 8, .addr = (a) }
#define OP_HVC		 { .op = HM_GOP_HVC }
#define OP_WFI		 { .op = HM_GOP_WFI }
#define OP_CALL(fn, gfn) OP_SET(0, fn), OP_SET(1, gfn), OP_SET(2, 1), OP_HVC, OP_EXPECT(0, KC_OK)

/*
 * The test.  The host writes Y into an image page, cleans it to
 * memory, and writes X: X is in the cache (dirty), Y in memory.  It loads
 * the page and gets a manifest for X (the cached content) verified.  The
 * guest, MMU off, loads its image words from memory: it must see X, the
 * bytes kcore hashed, never Y.
 */
static void test_image_page_under_a_dirty_line(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x00 }; /* X: a page of zeros */
	const uint64_t y = 0x0badc0de0badc0deull;
	uint64_t pfn = kf_frame(f), pa = pfn << 12, r[3];
	struct hm_stats st0, st1;

	host_put(f, pa + 0x40, y);
	assert_int_equal(hm_host_clean(f->m, 0, pa, 4096, NULL), HM_FAULT_NONE);
	host_put(f, pa + 0x40, 0);
	/* Two contents: the cache (hashed) has X, memory (run) has Y. */
	assert_int_equal(hm_cache_dirty(f->m, pa, 4096), 1);
	assert_int_equal(mem_word(f, pa + 0x40), y);

	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	uint64_t vmid = r[0];
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, vmid, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, vmid, IMG_BASE, 4096, 0, r), KC_OK);
	stats(f, &st0);
	assert_int_equal(kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, vmid, 0, pfn, 0, NULL), KC_OK);
	uint64_t mpfn = kf_manifest(f, &img, 1, IMG_BASE, false);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vmid, mpfn, 0, 0, NULL), KC_OK);
	stats(f, &st1);

	const struct hm_guest_op prog[] = {
		OP_LOAD(1, IMG_BASE + 0x40),
		OP_EXPECT(1, 0),
		OP_LOAD(2, IMG_BASE + 0x48),
		OP_EXPECT(2, 0),
		OP_WFI,
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog, 5), 0);
	run_until(f, vmid, KC_EXIT_WFI);
	/* The whole page, as an MMU-off guest fetches it, is what was hashed. */
	static uint8_t mem[4096];
	static const uint8_t zero[4096];
	assert_true(hm_mem_read(f->m, pa, mem, sizeof(mem), false));
	assert_memory_equal(mem, zero, sizeof(mem));
	/* One clean (the page, at LOAD) and one I-cache invalidation (at VERIFY). */
	assert_int_equal(hm_cache_dirty(f->m, pa, 4096), 0);
	assert_int_equal(st1.dcache_clean_inval - st0.dcache_clean_inval, 1);
	assert_int_equal(st1.icache_inval_all - st0.icache_inval_all, 1);
}

/*
 * A VM stopped on a store to `ipa`, not yet backed; its program then
 * stores `v` there (re-executed), idles, loads it back and expects it.
 */
static uint64_t vm_storing(struct kf *f, uint64_t ipa, uint64_t v)
{
	struct kf_image img = { IMG_BASE, 1, 0x21 };
	uint64_t vmid = kf_vm_verified(f, &img, 1), r[3];
	const struct hm_guest_op prog[] = {
		OP_SET(3, v), OP_STORE(3, ipa), OP_WFI, OP_LOAD(4, ipa), OP_EXPECT(4, v), OP_WFI,
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog, 6), 0);
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	return vmid;
}

/*
 * Fault backing under a host line: the guest stores non-cacheably, the host
 * then evicts its line; the guest's word must still be there.
 */
static void test_fault_backing_under_a_dirty_line(void **state)
{
	struct kf *f = *state;
	const uint64_t v = 0x5afe5afe5afe5afeull, h = 0xbadbadbadbadbad0ull;
	uint64_t vmid = vm_storing(f, DATA_IPA + 0x88, v);
	uint64_t pfn = kf_frame(f), pa = pfn << 12;
	struct hm_stats st0, st1;

	host_put(f, pa + 0x88, h);
	assert_int_equal(hm_cache_dirty(f->m, pa, 4096), 1);
	assert_int_equal(mem_word(f, pa + 0x88), 0); /* memory differs from the cache */
	stats(f, &st0);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, pfn, 3, NULL), KC_OK);
	stats(f, &st1);
	/* The host cannot clean the VM's frame itself any more ... */
	assert_int_equal(hm_host_clean(f->m, 0, pa, 64, NULL), HM_FAULT_REFUSED);

	run_until(f, vmid, KC_EXIT_WFI); /* the store */
	host_evict(f, pa + 0x88);	 /* ... but it can evict */
	run_until(f, vmid, KC_EXIT_WFI); /* the load: x4 == v */
	assert_int_equal(mem_word(f, pa + 0x88), v);
	/* One clean, in VM_MAP_FAULT. */
	assert_int_equal(st1.dcache_clean_inval - st0.dcache_clean_inval, 1);
}

/* The same for a 2 MiB block: one clean over the whole run. */
static void test_block_backing_under_dirty_lines(void **state)
{
	struct kf *f = *state;
	const uint64_t v = 0x0b10c0b10c0b10c0ull;
	uint64_t ipa = BLOCK_IPA + BLOCK_PAGE * 4096ull + 0x100;
	uint64_t vmid = vm_storing(f, ipa, v);
	uint64_t run = kf_frame_run(f), pa = (run + BLOCK_PAGE) * 4096ull + 0x100;
	struct hm_stats st0, st1;

	host_put(f, run << 12, 1);			/* the run's first line */
	host_put(f, pa, 0xbadbadbadbadbad2ull);		/* the guest's word */
	host_put(f, ((run + 511) << 12) + 4096 - 8, 3); /* and its last */
	assert_int_equal(hm_cache_dirty(f->m, run << 12, 2ull << 20), 3);
	stats(f, &st0);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, run, 2, NULL), KC_OK);
	stats(f, &st1);

	run_until(f, vmid, KC_EXIT_WFI);
	host_evict(f, pa);
	run_until(f, vmid, KC_EXIT_WFI);
	assert_int_equal(mem_word(f, pa), v);
	/* The whole run in one clean. */
	assert_int_equal(hm_cache_dirty(f->m, run << 12, 2ull << 20), 0);
	assert_int_equal(st1.dcache_clean_inval - st0.dcache_clean_inval, 1);
}

/*
 * A VM whose page at DATA_IPA is backed and shared with the host, which
 * writes into it (a dirty line).  Its program then optionally unshares the
 * page, stores `v` into it, idles, loads it back and expects `expect`.
 */
static uint64_t vm_sharing(struct kf *f, bool unshare, uint64_t v, uint64_t expect, uint64_t *pa)
{
	struct kf_image img = { IMG_BASE, 1, 0x22 };
	uint64_t vmid = kf_vm_verified(f, &img, 1), r[3];
	const struct hm_guest_op share[] = {
		OP_LOAD(1, DATA_IPA), /* faults: the host backs it (x1 is the call's gfn next) */
		OP_CALL(KC_GC_SHARE, DATA_IPA >> 12),
		OP_WFI,
	};
	const struct hm_guest_op unshare_ops[] = {
		OP_CALL(KC_GC_UNSHARE, DATA_IPA >> 12),
	};
	const struct hm_guest_op tail[] = {
		OP_SET(3, v),	      OP_STORE(3, DATA_IPA), OP_WFI,
		OP_LOAD(4, DATA_IPA), OP_EXPECT(4, expect),  OP_WFI,
	};
	struct hm_guest_op prog[32];
	size_t n = 0;
	_Static_assert(sizeof(share) + sizeof(unshare_ops) + sizeof(tail) <= sizeof(prog),
		       "the program fits");

	memcpy(prog, share, sizeof(share));
	n += sizeof(share) / sizeof(share[0]);
	if (unshare) {
		memcpy(prog + n, unshare_ops, sizeof(unshare_ops));
		n += sizeof(unshare_ops) / sizeof(unshare_ops[0]);
	}
	memcpy(prog + n, tail, sizeof(tail));
	n += sizeof(tail) / sizeof(tail[0]);
	assert_int_equal(hm_guest_program(f->m, (uint16_t)vmid, 0, IMG_BASE, prog, n), 0);
	assert_int_equal(kf_run(f, vmid, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	uint64_t pfn = kf_frame(f);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, pfn, 3, NULL), KC_OK);
	run_until(f, vmid, KC_EXIT_WFI); /* shared, waiting */
	*pa = pfn << 12;
	host_put(f, *pa, 0xbadbadbadbadbad1ull); /* the host's line over the guest's word */
	assert_int_equal(hm_cache_dirty(f->m, *pa, 4096), 1);
	return vmid;
}

/* UNSHARE under a host line: the guest's private store must survive the host's eviction. */
static void test_unshare_under_a_dirty_line(void **state)
{
	struct kf *f = *state;
	const uint64_t v = 0x0123456789abcdefull;
	uint64_t pa;
	uint64_t vmid = vm_sharing(f, true, v, v, &pa);
	struct hm_stats st0, st1;

	stats(f, &st0);
	run_until(f, vmid, KC_EXIT_WFI); /* UNSHARE, the store */
	stats(f, &st1);
	assert_int_equal(kf_host_try_read(f, pa), HM_FAULT_REFUSED);
	host_evict(f, pa);
	run_until(f, vmid, KC_EXIT_WFI); /* the load: x4 == v */
	assert_int_equal(mem_word(f, pa), v);
	assert_int_equal(st1.dcache_clean_inval - st0.dcache_clean_inval, 1);
}

/*
 * Control: while the guest still shares the page, the same host line and
 * eviction do write the host's bytes over the guest's store — the host may
 * do that to a page it was lent (a guest sharing memory with its caches off
 * must expect it) — which is what the test above shows UNSHARE prevents.
 */
static void test_shared_page_control(void **state)
{
	struct kf *f = *state;
	const uint64_t v = 0x0123456789abcdefull, h = 0xbadbadbadbadbad1ull;
	uint64_t pa;
	uint64_t vmid = vm_sharing(f, false, v, h, &pa);

	run_until(f, vmid, KC_EXIT_WFI); /* the store, under the host's line */
	assert_int_equal(mem_word(f, pa), v);
	host_evict(f, pa);
	assert_int_equal(mem_word(f, pa), h);
	run_until(f, vmid, KC_EXIT_WFI); /* the load sees the host's bytes */
}

/*
 * The host's clean goes through its stage 2: it cleans its own frames and
 * a VM's shared ones, and is refused, changing nothing, on the rest.
 */
static void test_host_clean(void **state)
{
	struct kf *f = *state;
	struct kf_image img = { IMG_BASE, 1, 0x23 };
	uint64_t vmid = kf_vm_verified(f, &img, 1);
	uint64_t own = kf_frame(f) << 12;
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];

	host_put(f, own + 8, 0x77);
	assert_int_equal(mem_word(f, own + 8), 0);
	assert_int_equal(hm_host_clean(f->m, 0, own, 4096, NULL), HM_FAULT_NONE);
	assert_int_equal(mem_word(f, own + 8), 0x77);
	assert_int_equal(hm_host_clean(f->m, 1, KF_DEV_BASE, 64, NULL), HM_FAULT_NONE);
	/* The VM's image frame and kcore's own memory are not the host's to clean. */
	kf_digest(f, before);
	assert_int_equal(hm_host_clean(f->m, 0, kf_vm_lookup(vmid, IMG_BASE), 64, NULL),
			 HM_FAULT_REFUSED);
	assert_int_equal(hm_host_clean(f->m, 0, KF_RAM_BASE, 64, NULL), HM_FAULT_REFUSED);
	kf_digest(f, after);
	kf_assert_same("refused host clean", before, after);
	kf_check(f);
}

/* A call that fails cleans nothing and invalidates nothing. */
static void test_refused_calls_do_no_maintenance(void **state)
{
	struct kf *f = *state;
	uint64_t vmid = vm_storing(f, DATA_IPA, 1);
	uint64_t pfn = kf_frame(f);
	struct hm_stats st0, st1;
	uint64_t r[3];

	host_put(f, pfn << 12, 0x99);
	stats(f, &st0);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, KF_RAM_BASE >> 12, 3, NULL),
			 KC_EPERM);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vmid, 0, pfn | 1, 2, NULL), KC_EINVAL);
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, r[0], IMG_BASE, 4096, 0, NULL), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_LOAD_IMAGE_PAGE, r[0], 0, KF_RAM_BASE >> 12, 0, NULL),
			 KC_EPERM);
	/* A VM_VERIFY that fails (the manifest is for other bytes) maps nothing: no IC either. */
	struct kf_image img = { IMG_BASE, 1, 0x24 }, other = { IMG_BASE, 1, 0x25 };
	uint64_t vm2 = kf_vm_loaded(f, &img, 1);
	uint64_t mpfn = kf_manifest(f, &other, 1, IMG_BASE, false);
	stats(f, &st1);
	assert_int_equal(st1.icache_inval_all, st0.icache_inval_all);
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, vm2, mpfn, 0, 0, NULL), KC_EAUTH);
	stats(f, &st1);
	assert_int_equal(st1.dcache_clean_inval - st0.dcache_clean_inval, 1); /* vm2's page */
	assert_int_equal(st1.icache_inval_all, st0.icache_inval_all);
	assert_int_equal(hm_cache_dirty(f->m, pfn << 12, 4096), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_image_page_under_a_dirty_line),
		T(test_fault_backing_under_a_dirty_line),
		T(test_block_backing_under_dirty_lines),
		T(test_unshare_under_a_dirty_line),
		T(test_shared_page_control),
		T(test_host_clean),
		T(test_refused_calls_do_no_maintenance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
