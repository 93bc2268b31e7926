/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The invariant checker, tested: a checker that never fires proves nothing.
 * Each test builds a real state (a verified VM with a faulted-in, shared
 * page; another VM; host-touched frames), shows that invariants 1-7 hold,
 * then corrupts one thing on purpose — a raw descriptor in a table page, a
 * frame-table entry, a field of `kc`, a device claim — and asserts that hm_check reports
 * exactly that invariant, in words that name it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/ioclaim.h"
#include "../../core/state.h"
#include "fixture.h"

#include <kcore_hosted/smmu.h>

#define IMG_BASE 0x80000000ull
#define DATA_IPA 0x90000000ull
#define OA_MASK	 PGT_DESC_OA_MASK
#define IO_IPA	 KF_LAYOUT_IO
#define DEV_A	 KF_DEV_BASE		 /* VM 2's alone (mapped while CREATED) */
#define DEV_B	 (KF_DEV_BASE + 0x10000) /* VM 3's, through a SHARED window */

struct world {
	struct kf f;
	uint64_t vm;	    /* VM 1: verified, data page shared */
	uint64_t vm2;	    /* VM 2: created, image loaded */
	uint64_t data;	    /* VM 1's data frame (count 1) */
	uint64_t host_seen; /* a host frame in the host's stage 2 */
	uint64_t host_free; /* a host frame the host never touched */
};

static struct world the_world;

static int setup(void **state)
{
	struct world *w = &the_world;
	struct kf *f = &w->f;
	struct kf_image img = { IMG_BASE, 2, 0x10 };
	uint64_t r[3];

	memset(w, 0, sizeof(*w));
	kf_setup(f);
	w->vm = kf_vm_verified(f, &img, 1);
	const struct hm_guest_op prog[] = {
		{ HM_GOP_SET, 2, 0, 0, 0x1234 },
		{ HM_GOP_STORE, 2, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)w->vm, 0, IMG_BASE, prog, 3), 0);
	assert_int_equal(kf_run(f, w->vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	w->data = kf_frame(f);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, w->vm, 0, w->data, 3, NULL), KC_OK);
	/* The store retries through the new leaf: CPU 0's TLB caches it. */
	assert_int_equal(kf_run(f, w->vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	assert_int_equal(kf_guest_call(f, w->vm, 0, KC_GC_SHARE, DATA_IPA >> 12, 1), KC_OK);
	assert_int_equal(kf_host_try_read(f, w->data << 12), HM_FAULT_NONE);
	img.fill = 0x20;
	w->vm2 = kf_vm_loaded(f, &img, 1);
	w->host_seen = kf_frame(f);
	assert_int_equal(kf_host_try_read(f, w->host_seen << 12), HM_FAULT_NONE);
	/*
	 * A region nobody touched: the host's earlier faults mapped the frames
	 * around host_seen as a block, split since, so they stay mapped.
	 */
	w->host_free = kf_frame_run(f) + 5;
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	hm_machine_destroy(w->f.m); /* the state is corrupt on purpose: no final checks */
	return 0;
}

/* The descriptor slot for `va` at `level` in the tree rooted at `root`. */
static uint64_t *slot_of(struct world *w, uint64_t root, uint64_t va, unsigned level)
{
	uint64_t table = root;
	for (unsigned l = 0;; l++) {
		uint64_t *t = hm_phys(w->f.m, table, 4096);
		assert_non_null(t);
		uint64_t *s = &t[(va >> (12 + 9 * (3 - l))) & 511];
		if (l == level)
			return s;
		if ((*s & 3) != 3)
			fail_msg("no table at level %u for 0x%llx", l, (unsigned long long)va);
		table = *s & OA_MASK;
	}
}

static frame_t *frame_rw(uint64_t pfn)
{
	return (frame_t *)frame_peek(pfn << 12);
}

/*
 * Every corruption below goes through these, which record it in the touch
 * log as kcore's own writers do (frame_set, desc_set), so the incremental
 * checker is asked about it; a corruption of a VM's metadata or the claims
 * marks the VM (kcore_touch_vm), as the call handlers do.
 */
static void set_desc(uint64_t *s, const struct pgt *t, uint64_t va, unsigned level, uint64_t v)
{
	kcore_touch_desc(t, va, level, *s);
	*s = v;
}

static void set_frame(uint64_t pfn, frame_t v)
{
	frame_t *f = frame_rw(pfn);

	kcore_touch_frame(pfn << 12, *f);
	*f = v;
}

/* Holds before: the corruption, not the setup, is what the checker sees. */
static void holds(struct world *w)
{
	kf_check(&w->f);
}

/*
 * Both checkers must name it: first the incremental one (hm_check; on a
 * violation it runs the full walk on the same state too and says "checker
 * disagreement" if that one does not agree), then the full walk alone.
 */
static void expect_violation(struct world *w, int inv, const char *words)
{
	char why[300], head[32];

	for (int full = 0; full < 2; full++) {
		int got = full ? hm_check_full(w->f.m, why, sizeof(why))
			       : hm_check(w->f.m, why, sizeof(why));
		print_message("# invariant %d (%s): %s\n", inv, full ? "full" : "incremental", why);
		if (got != inv)
			fail_msg("want invariant %d, the %s checker says %d: %s", inv,
				 full ? "full" : "incremental", got, why);
		snprintf(head, sizeof(head), "invariant %d", inv);
		if (!strstr(why, head) || !strstr(why, words) || strstr(why, "disagreement"))
			fail_msg("invariant %d reported without naming it (\"%s\"): %s", inv, words,
				 why);
	}
}

/* 1: a write-once window slot now maps another frame. */
static void test_inv1_window_slot_rewritten(void **state)
{
	struct world *w = *state;
	uint64_t va = kc.vms[w->vm2].images[0].window_va;

	holds(w);
	uint64_t *s = slot_of(w, kc.coremap.root, va, 3);
	set_desc(s, &kc.coremap, va, 3, (*s & ~OA_MASK) | (w->host_free << 12));
	expect_violation(w, 1, "remap window slot");
}

/* 1: a window slot removed (write-once means never unmapped either). */
static void test_inv1_window_slot_removed(void **state)
{
	struct world *w = *state;
	uint64_t va = kc.vms[w->vm2].images[0].window_va;

	holds(w);
	uint64_t *s = slot_of(w, kc.coremap.root, va, 3);
	set_desc(s, &kc.coremap, va, 3, 0);
	expect_violation(w, 1, "window");
}

/* 1: the window maps a slot above its bump pointer. */
static void test_inv1_window_above_bump(void **state)
{
	struct world *w = *state;
	uint64_t va = kc.vms[w->vm2].images[0].window_va;

	holds(w);
	uint64_t *s = slot_of(w, kc.coremap.root, va, 3);
	uint64_t *beyond = s + (kc.remap_next - ((va - KC_REMAP_BASE) >> 12)); /* same L3 table */
	assert_true(kc.remap_next < 512);
	set_desc(beyond, &kc.coremap, KC_REMAP_BASE + (kc.remap_next << 12), 3, *s);
	expect_violation(w, 1, "above its bump pointer");
}

/*
 * kcore's own map in the middle of a run of identical pages: the checker
 * and pgt_check pass such runs quickly (same bits as the page before, next
 * address), and these show the quick path still sees one bad page.
 * MID_RUN is inside kcore's image, well past its text, in the 4 KiB pages
 * around the text.
 */
#define MID_RUN (KF_RAM_BASE + 0x80000)

/* 1: a page of kcore's read-write data made read-only. */
static void test_inv1_core_page_changed_mid_run(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.coremap.root, MID_RUN, 3);
	assert_int_equal(*s & OA_MASK, MID_RUN);
	set_desc(s, &kc.coremap, MID_RUN, 3, *s | 1ull << 7); /* AP[2]: read-only */
	expect_violation(w, 1, "changed since boot");
}

/* 1: a page of the run maps its neighbour (same bits, another address). */
static void test_inv1_core_page_moved_mid_run(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.coremap.root, MID_RUN, 3);
	set_desc(s, &kc.coremap, MID_RUN, 3, *s + 0x1000);
	expect_violation(w, 1, "changed since boot");
}

/* 6: a page of the run with a bit kcore never writes (nG). */
static void test_inv6_core_page_bad_bit_mid_run(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.coremap.root, MID_RUN, 3);
	set_desc(s, &kc.coremap, MID_RUN, 3, *s | 1ull << 11);
	expect_violation(w, 6, "core map");
}

/* 2: one CORE frame in the middle of kcore's image gets a count. */
static void test_inv2_core_frame_count_mid_block(void **state)
{
	struct world *w = *state;
	frame_t *fr = frame_rw((MID_RUN >> 12) + 5);

	holds(w);
	assert_int_equal(frame_owner(*fr), OWNER_CORE);
	set_frame((MID_RUN >> 12) + 5, frame_make(OWNER_CORE, 1, 0));
	expect_violation(w, 2, "has a count or gfn");
}

/* 2: a frame the host has mapped is suddenly CORE. */
static void test_inv2_host_maps_core(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_seen, frame_make(OWNER_CORE, 0, 0));
	expect_violation(w, 2, "CORE frame");
}

/* 2: a VM's leaf points at kcore's image. */
static void test_inv2_vm_maps_core(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA, 3);
	set_desc(s, &kc.vms[w->vm].s2, DATA_IPA, 3, (*s & ~OA_MASK) | (KF_RAM_BASE + 0x2000));
	expect_violation(w, 2, "CORE frame");
}

/* 2: the set of CORE frames grew outside kcore's pool operations. */
static void test_inv2_core_count(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_free, frame_make(OWNER_CORE, 0, 0));
	expect_violation(w, 2, "CORE frames");
}

/* 3: the host maps a VM frame that is not shared. */
static void test_inv3_host_maps_unshared_vm_frame(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_seen, frame_make((unsigned)w->vm, 0, 0x12345));
	expect_violation(w, 3, "not shared");
}

/* 3: a host 2 MiB block over a frame that is not the host's (the split was missed). */
static void test_inv3_host_block_over_vm_frame(void **state)
{
	struct world *w = *state;

	assert_int_equal(kf_host_try_read(&w->f, w->host_free << 12), HM_FAULT_NONE);
	holds(w);
	set_frame(w->host_free + 1, frame_make((unsigned)w->vm, 0, 0x12345));
	expect_violation(w, 3, "host block");
}

/* 3: a host leaf that is not the identity. */
static void test_inv3_host_not_identity(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kcore_host_s2_root(), w->host_seen << 12, 3);
	set_desc(s, &kc.host_s2, w->host_seen << 12, 3, (*s & ~OA_MASK) | (w->host_free << 12));
	expect_violation(w, 3, "identity");
}

/* 4: the VM's frame records another gfn than the one it is mapped at. */
static void test_inv4_wrong_gfn(void **state)
{
	struct world *w = *state;
	frame_t *fr = frame_rw(w->data);

	holds(w);
	set_frame(w->data, frame_make(frame_owner(*fr), frame_count(*fr), frame_gfn(*fr) + 5));
	expect_violation(w, 4, "recorded");
}

/* 4: the VM maps a frame that belongs to another VM. */
static void test_inv4_other_owner(void **state)
{
	struct world *w = *state;
	frame_t *fr = frame_rw(w->data);

	holds(w);
	set_frame(w->data, frame_make((unsigned)w->vm2, frame_count(*fr), frame_gfn(*fr)));
	expect_violation(w, 4, "owned by");
}

/* 4: a frame owned by a VM id that does not exist. */
static void test_inv4_owner_not_a_vm(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_free, frame_make(4, 0, 0)); /* VM 4 is FREE */
	expect_violation(w, 4, "does not exist");
}

/* 5: a host frame counts DMA mappings that do not exist. */
static void test_inv5_host_count(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_free, frame_make(OWNER_HOST, 3, 0));
	expect_violation(w, 5, "DMA");
}

/* 6: a VM table descriptor pointing outside the VM's pool. */
static void test_inv6_table_outside_pool(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *l2 = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA + (8ull << 21), 2);
	assert_int_equal(*l2, 0);
	set_desc(l2, &kc.vms[w->vm].s2, DATA_IPA + (8ull << 21), 2, (w->host_free << 12) | 3);
	expect_violation(w, 6, "VM 1");
}

/* 6: a level-3 entry with the reserved encoding 0b01. */
static void test_inv6_reserved_l3(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA + 0x1000, 3);
	assert_int_equal(*s, 0);
	set_desc(s, &kc.vms[w->vm].s2, DATA_IPA + 0x1000, 3, (w->host_free << 12) | 1);
	expect_violation(w, 6, "VM 1");
}

/* 6: a 2 MiB block whose output address is not 2 MiB aligned. */
static void test_inv6_misaligned_block(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA, 3);
	uint64_t *l2 = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA + (9ull << 21), 2);
	assert_int_equal(*l2, 0);
	/* A block with a leaf's attributes, at a frame that is not 2 MiB aligned. */
	set_desc(l2, &kc.vms[w->vm].s2, DATA_IPA + (9ull << 21), 2,
		 ((*s & ~OA_MASK) & ~2ull) | ((w->host_free | 1) << 12));
	expect_violation(w, 6, "VM 1");
}

/* 7: a VM leaf made read-only without a TLBI while CPU 0 caches it read-write. */
static void test_inv7_leaf_changed_without_tlbi(void **state)
{
	struct world *w = *state;

	holds(w);
	uint64_t *s = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA, 3);
	set_desc(s, &kc.vms[w->vm].s2, DATA_IPA, 3, *s & ~(1ull << 7)); /* S2AP[1]: write */
	expect_violation(w, 7, "TLB");
}

/* 7: a leaf removed (and its frame returned) without a TLBI. */
static void test_inv7_leaf_removed_without_tlbi(void **state)
{
	struct world *w = *state;
	struct kc_vm *vm = &kc.vms[w->vm];

	holds(w);
	/* Everything 1-6 look at agrees: only the TLB still has the old entry. */
	uint64_t *hs = slot_of(w, kcore_host_s2_root(), w->data << 12, 3);
	/* the host had it while shared: its leaf goes (also without a TLBI) */
	set_desc(hs, &kc.host_s2, w->data << 12, 3, 0);
	set_desc(slot_of(w, vm->s2.root, DATA_IPA, 3), &vm->s2, DATA_IPA, 3, 0);
	set_frame(w->data, frame_make(OWNER_HOST, 0, 0));
	vm->nframes--;
	expect_violation(w, 7, "TLB");
}

/*
 * Device claims for the tests below: VM 2 (CREATED) maps DEV_A, which makes
 * it VM 2's alone; VM 3, verified with a SHARED window, maps DEV_B, which
 * the host then reads (a shared page stays in its reach).  Returns VM 3.
 */
static uint64_t devices(struct world *w)
{
	struct kf *f = &w->f;
	struct kc_manifest_layout l;
	struct kf_image img = { IMG_BASE, 1, 0x30 };

	assert_int_equal(kf_call(f, KC_HC_VM_MAP_IO, w->vm2, IO_IPA, DEV_A, 1, NULL), KC_OK);
	kf_layout(&l, true);
	uint64_t vm3 = kf_vm_verified_v2(f, &img, 1, &l);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_IO, vm3, IO_IPA, DEV_B, 1, NULL), KC_OK);
	assert_int_equal(kf_host_try_read(f, DEV_B), HM_FAULT_NONE);
	assert_int_equal(ioclaims.n, 2);
	holds(w);
	return vm3;
}

/* kcore's claim on device page `pa` (the first run holding it). */
static struct ioclaim *claim_rw(uint64_t pa)
{
	for (unsigned i = 0; i < ioclaims.n; i++)
		if (ioclaims.runs[i].pa == pa)
			return &ioclaims.runs[i];
	fail_msg("no claim on 0x%llx", (unsigned long long)pa);
	return NULL;
}

/* 4: a VM's device leaf that no claim of the VM accounts for. */
static void test_inv4_device_leaf_without_claim(void **state)
{
	struct world *w = *state;

	devices(w);
	claim_rw(DEV_A)->gpa += 0x1000; /* the run now says another IPA */
	kcore_touch_vm((unsigned)w->vm2);
	expect_violation(w, 4, "without a claim");
}

/* 4: a page VM 2 holds alone is claimed by another VM too. */
static void test_inv4_exclusive_claim_overlaps(void **state)
{
	struct world *w = *state;
	uint64_t vm3 = devices(w);

	ioclaims.runs[ioclaims.n++] = (struct ioclaim){ .pa = DEV_A,
							.gpa = IO_IPA + 0x1000,
							.npages = 1,
							.vmid = (uint16_t)vm3,
							.shared = true };
	kcore_touch_vm((unsigned)vm3);
	expect_violation(w, 4, "alone, yet VM 3 claims it too");
}

/* 3: the host maps a page a VM holds alone (a shared run made exclusive, host still in). */
static void test_inv3_host_maps_exclusive_device(void **state)
{
	struct world *w = *state;

	devices(w);
	claim_rw(DEV_B)->shared = false;
	kcore_touch_vm(3);
	expect_violation(w, 3, "holds alone");
}

/* 4: a verified VM's device leaf outside the windows of its signed layout. */
static void test_inv4_device_outside_windows(void **state)
{
	struct world *w = *state;
	uint64_t vm3 = devices(w);

	kc.vms[vm3].layout.win[0].base += 16ull << 20; /* the window moved away */
	kcore_touch_vm((unsigned)vm3);
	expect_violation(w, 4, "outside its windows");
}

/* 4: a shared run where no SHARED window allows it (VM 2 is not even verified). */
static void test_inv4_shared_claim_without_shared_window(void **state)
{
	struct world *w = *state;

	devices(w);
	claim_rw(DEV_A)->shared = true;
	kcore_touch_vm((unsigned)w->vm2);
	expect_violation(w, 4, "not in a SHARED window");
}

/* 4: a run left behind by a VM that is gone. */
static void test_inv4_claim_of_a_free_vm(void **state)
{
	struct world *w = *state;

	devices(w);
	ioclaims.runs[ioclaims.n++] =
		(struct ioclaim){ .pa = DEV_A + 0x1000, .gpa = IO_IPA, .npages = 1, .vmid = 4 };
	kcore_touch_vm(4);
	expect_violation(w, 4, "VM 4, which does not exist");
}

/* 4: more claimed than mapped (a run whose leaves are gone). */
static void test_inv4_claims_count(void **state)
{
	struct world *w = *state;

	devices(w);
	ioclaims.runs[ioclaims.n++] = (struct ioclaim){
		.pa = DEV_A, .gpa = IO_IPA + 0x1000, .npages = 1, .vmid = (uint16_t)w->vm2
	};
	kcore_touch_vm((unsigned)w->vm2);
	expect_violation(w, 4, "VM 2 maps 1 device pages, but claims 2");
}

/*
 * A write no writer recorded (one that went around frame_set): the
 * incremental checker cannot see it, the full walk does, and hm_check_full
 * says the two disagree.  This is the cross-check the fuzzers run.
 */
static void test_unrecorded_write_is_a_disagreement(void **state)
{
	struct world *w = *state;
	char why[300];

	holds(w);
	*frame_rw(w->host_free) = frame_make(OWNER_HOST, 3, 0); /* no touch */
	assert_int_equal(hm_check(w->f.m, why, sizeof(why)), 0);
	assert_int_equal(hm_check_full(w->f.m, why, sizeof(why)), 5);
	print_message("# %s\n", why);
	assert_non_null(strstr(why, "checker disagreement: the incremental check says 0"));
}

/* A log that overflowed: the next check is the full walk, counted, and still sees it. */
static void test_log_overflow_walks_everything(void **state)
{
	struct world *w = *state;
	struct kcore_check_stats before, after;

	holds(w);
	kcore_check_stats(&before);
	for (unsigned i = 0; i <= 4096; i++)
		kcore_touch_frame((w->host_free + 1) << 12, frame_make(OWNER_HOST, 0, 0));
	set_frame(w->host_free, frame_make(OWNER_HOST, 3, 0));
	expect_violation(w, 5, "DMA");
	kcore_check_stats(&after);
	assert_int_equal(after.overflows, before.overflows + 1);
}

/*
 * The fuzzers' error atomicity from the log (kcore_touch_unchanged): a
 * change since the mark is seen, the same change undone is not, nothing
 * touched (the control) holds; and a descriptor the same way.
 */
static void test_touch_unchanged(void **state)
{
	struct world *w = *state;
	frame_t before = *frame_rw(w->host_free);

	holds(w);
	unsigned mark = kcore_touch_mark();
	assert_int_equal(kcore_touch_unchanged(mark), 1);
	set_frame(w->host_free, frame_make(OWNER_HOST, 3, 0));
	assert_int_equal(kcore_touch_unchanged(mark), 0);
	set_frame(w->host_free, before);
	assert_int_equal(kcore_touch_unchanged(mark), 1);
	uint64_t *s = slot_of(w, kc.vms[w->vm].s2.root, DATA_IPA, 3), d = *s;
	set_desc(s, &kc.vms[w->vm].s2, DATA_IPA, 3, d & ~(1ull << 7));
	assert_int_equal(kcore_touch_unchanged(mark), 0);
	set_desc(s, &kc.vms[w->vm].s2, DATA_IPA, 3, d);
	assert_int_equal(kcore_touch_unchanged(mark), 1);
	holds(w);
}

/* The state digest covers the claims and the kept layouts (error atomicity sees them). */
static void test_digest_covers_claims_and_layout(void **state)
{
	struct world *w = *state;
	uint8_t a[KC_DIGEST_LEN], b[KC_DIGEST_LEN];
	uint64_t vm3 = devices(w);

	kcore_digest(a);
	claim_rw(DEV_B)->shared = false;
	kcore_digest(b);
	assert_memory_not_equal(a, b, sizeof(a));
	claim_rw(DEV_B)->shared = true;
	kcore_digest(b);
	assert_memory_equal(a, b, sizeof(a));
	kc.vms[vm3].layout.win[0].flags = 0;
	kcore_digest(b);
	assert_memory_not_equal(a, b, sizeof(a));
	kc.vms[vm3].layout.win[0].flags = KC_MANIFEST_WIN_SHARED;
	claim_rw(DEV_A)->npages = 2;
	kcore_digest(b);
	assert_memory_not_equal(a, b, sizeof(a));
	claim_rw(DEV_A)->npages = 1;
	ioclaims.n--;
	kcore_digest(b);
	assert_memory_not_equal(a, b, sizeof(a));
	ioclaims.n++;
	holds(w);
}

/* ---- invariant 5: IO domains ------------------------------------------------ */

#define SMMU_IOVA 0x100000ull
#define SMMU_SID  3u

/* A host domain mapping host_free at SMMU_IOVA (count 1), and VM 1's domain mapping its image. */
struct io_world {
	uint64_t host_dom, vm_dom;
	uint64_t img0, img1; /* VM 1's image frames */
};
static struct io_world the_io;

static int setup_smmu(void **state)
{
	struct world *w = &the_world;
	struct kf *f = &w->f;
	struct kf_image img = { IMG_BASE, 2, 0x10 };
	uint64_t r[3];

	memset(w, 0, sizeof(*w));
	kf_setup_smmu(f, 4, 1, 4);
	w->vm = kf_vm_verified(f, &img, 1);
	w->host_free = kf_frame(f);
	the_io.img0 = kf_vm_lookup(w->vm, IMG_BASE) >> 12;
	the_io.img1 = kf_vm_lookup(w->vm, IMG_BASE + 0x1000) >> 12;
	assert_int_equal(kf_call(f, KC_HC_IODOM_ALLOC, 0, 0, 0, 0, r), KC_OK);
	the_io.host_dom = r[0];
	assert_int_equal(kf_call(f, KC_HC_IODOM_ATTACH, r[0], 0, SMMU_SID, 0, NULL), KC_OK);
	assert_int_equal(kf_call5(f, KC_HC_IODOM_MAP, r[0], SMMU_IOVA, w->host_free << 12, 1,
				  KC_IO_R | KC_IO_W, NULL),
			 KC_OK);
	assert_int_equal(kf_call(f, KC_HC_IODOM_ALLOC, w->vm, 0, 0, 0, r), KC_OK);
	the_io.vm_dom = r[0];
	assert_int_equal(kf_call5(f, KC_HC_IODOM_MAP, r[0], IMG_BASE, the_io.img0 << 12, 1,
				  KC_IO_R | KC_IO_W, NULL),
			 KC_OK);
	assert_int_equal(kf_frame_count(w->host_free), 1);
	*state = w;
	return 0;
}

static uint64_t *io_leaf(struct world *w, uint64_t dom, uint64_t iova)
{
	return slot_of(w, kc.iodoms[dom].pgt.root, iova, 3);
}

/* 5: a host frame's DMA count one more than the leaves that map it. */
static void test_inv5_count_off_by_one(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_free, *frame_rw(w->host_free) + (1ull << FRAME_COUNT_SHIFT));
	expect_violation(w, 5, "DMA mappings");
}

/* 5: ... and one less (the leaf is still there). */
static void test_inv5_count_one_less(void **state)
{
	struct world *w = *state;

	holds(w);
	set_frame(w->host_free, *frame_rw(w->host_free) - (1ull << FRAME_COUNT_SHIFT));
	expect_violation(w, 5, "count is 0");
}

/*
 * 5: counts that add up but sit on the wrong frames: B has two leaves and
 * count 1, host_free one leaf and count 2.  Only the per-frame tally sees it.
 */
static void test_inv5_counts_swapped(void **state)
{
	struct world *w = *state;
	uint64_t b = kf_frame(&w->f);

	for (unsigned i = 1; i <= 2; i++)
		assert_int_equal(kf_call5(&w->f, KC_HC_IODOM_MAP, the_io.host_dom,
					  SMMU_IOVA + i * 0x1000, b << 12, 1, KC_IO_R, NULL),
				 KC_OK);
	holds(w);
	set_frame(b, *frame_rw(b) - (1ull << FRAME_COUNT_SHIFT));
	set_frame(w->host_free, *frame_rw(w->host_free) + (1ull << FRAME_COUNT_SHIFT));
	expect_violation(w, 5, "its IO domains map it");
}

/* 5: a host domain's leaf now points at a CORE frame. */
static void test_inv5_leaf_to_core(void **state)
{
	struct world *w = *state;
	uint64_t *s = io_leaf(w, the_io.host_dom, SMMU_IOVA);

	holds(w);
	set_desc(s, &kc.iodoms[the_io.host_dom].pgt, SMMU_IOVA, 3,
		 (*s & ~OA_MASK) | hm_kcore_pool(w->f.m).base);
	expect_violation(w, 5, "CORE frame");
}

/* 5: a VM domain's leaf maps the VM's own frame, but at the wrong IOVA (gfn). */
static void test_inv5_vm_leaf_wrong_gfn(void **state)
{
	struct world *w = *state;
	uint64_t *s = io_leaf(w, the_io.vm_dom, IMG_BASE);

	holds(w);
	set_desc(s, &kc.iodoms[the_io.vm_dom].pgt, IMG_BASE, 3,
		 (*s & ~OA_MASK) | (the_io.img1 << 12));
	expect_violation(w, 5, "gfn");
}

/* 5: a host domain maps a VM's frame. */
static void test_inv5_host_leaf_to_vm_frame(void **state)
{
	struct world *w = *state;
	uint64_t *s = io_leaf(w, the_io.host_dom, SMMU_IOVA);

	holds(w);
	set_desc(s, &kc.iodoms[the_io.host_dom].pgt, SMMU_IOVA, 3,
		 (*s & ~OA_MASK) | (the_io.img1 << 12));
	set_frame(w->host_free, *frame_rw(w->host_free) - (1ull << FRAME_COUNT_SHIFT));
	expect_violation(w, 5, "of VM");
}

/* 5: the stream table names a free domain. */
static void test_inv5_stream_to_free_domain(void **state)
{
	struct world *w = *state;

	holds(w);
	kc.streams[0][SMMU_SID + 1] = 4;
	kcore_touch_io();
	expect_violation(w, 5, "not live");
}

/* 7: the IOTLB keeps a translation the table no longer has (a missing TLBI). */
static void test_inv7_stale_iotlb(void **state)
{
	struct world *w = *state;
	uint8_t b = 1;

	assert_int_equal(hm_dma_write(w->f.m, 0, SMMU_SID, SMMU_IOVA, &b, 1), HM_DMA_OK);
	holds(w);
	set_desc(io_leaf(w, the_io.host_dom, SMMU_IOVA), &kc.iodoms[the_io.host_dom].pgt, SMMU_IOVA,
		 3, 0);
	set_frame(w->host_free, *frame_rw(w->host_free) - (1ull << FRAME_COUNT_SHIFT));
	kc.iodoms[the_io.host_dom].mapped--;
	expect_violation(w, 7, "IOTLB");
}

/* The digest sees the stream table and a domain's counters. */
static void test_digest_covers_iodoms(void **state)
{
	struct world *w = *state;
	uint8_t a[KC_DIGEST_LEN], b[KC_DIGEST_LEN];

	kcore_digest(a);
	kc.streams[0][SMMU_SID] = 0;
	kcore_digest(b);
	assert_memory_not_equal(a, b, sizeof(a));
	kc.streams[0][SMMU_SID] = (uint8_t)the_io.host_dom;
	kc.iodoms[the_io.host_dom].attached++;
	kcore_digest(b);
	assert_memory_not_equal(a, b, sizeof(a));
	kc.iodoms[the_io.host_dom].attached--;
	kcore_digest(b);
	assert_memory_equal(a, b, sizeof(a));
	holds(w);
}

int main(void)
{
#define T(fn)  cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TS(fn) cmocka_unit_test_setup_teardown(fn, setup_smmu, teardown)
	const struct CMUnitTest tests[] = {
		TS(test_inv5_count_off_by_one),
		TS(test_inv5_count_one_less),
		TS(test_inv5_counts_swapped),
		TS(test_inv5_leaf_to_core),
		TS(test_inv5_vm_leaf_wrong_gfn),
		TS(test_inv5_host_leaf_to_vm_frame),
		TS(test_inv5_stream_to_free_domain),
		TS(test_inv7_stale_iotlb),
		TS(test_digest_covers_iodoms),
		T(test_inv1_window_slot_rewritten),
		T(test_inv1_window_slot_removed),
		T(test_inv1_window_above_bump),
		T(test_inv1_core_page_changed_mid_run),
		T(test_inv1_core_page_moved_mid_run),
		T(test_inv6_core_page_bad_bit_mid_run),
		T(test_inv2_core_frame_count_mid_block),
		T(test_inv2_host_maps_core),
		T(test_inv2_vm_maps_core),
		T(test_inv2_core_count),
		T(test_inv3_host_maps_unshared_vm_frame),
		T(test_inv3_host_not_identity),
		T(test_inv3_host_block_over_vm_frame),
		T(test_inv4_wrong_gfn),
		T(test_inv4_other_owner),
		T(test_inv4_owner_not_a_vm),
		T(test_inv5_host_count),
		T(test_inv6_table_outside_pool),
		T(test_inv6_reserved_l3),
		T(test_inv6_misaligned_block),
		T(test_inv7_leaf_changed_without_tlbi),
		T(test_inv7_leaf_removed_without_tlbi),
		T(test_inv4_device_leaf_without_claim),
		T(test_inv4_exclusive_claim_overlaps),
		T(test_inv3_host_maps_exclusive_device),
		T(test_inv4_device_outside_windows),
		T(test_inv4_shared_claim_without_shared_window),
		T(test_inv4_claim_of_a_free_vm),
		T(test_inv4_claims_count),
		T(test_digest_covers_claims_and_layout),
		T(test_unrecorded_write_is_a_disagreement),
		T(test_log_overflow_walks_everything),
		T(test_touch_unchanged),
	};
#undef T
	return cmocka_run_group_tests_name("checker", tests, NULL, NULL);
}
