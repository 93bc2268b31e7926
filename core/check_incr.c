/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The incremental checker: invariants 1-6 over what changed since the last
 * check (the touch log, core/touch.h), with the same rules and the same
 * words as the full walk (core/check.c, core/check.h).
 *
 * Per touched descriptor: it is an entry its tree may hold (6); the tree
 * holds exactly its pool's pages in use (6, by the checker's own table
 * count); in the core map, nothing written is ever changed and a new leaf
 * is a read-only window slot of a loaded image below the bump pointer (1);
 * a host leaf is identity and maps what the host may touch (3, 2); a VM
 * leaf maps that VM's frames at their gfns, or IO it claimed (4, 2).
 * Per touched frame: it is well formed for its owner (2, 4, 5), and the
 * host's stage 2 at its PA and its VM's stage 2 at its gfn (before and
 * after) still agree with it (3, 4).  Per VM whose frames or tables
 * changed: its counter against the frames it owns and maps, kept by delta
 * (4).  Per VM whose metadata changed (state, images, layout, claims): its
 * whole stage 2 and image windows, and every claim (4, 1, 3).  Every
 * check: the CORE frames and the window's slot count and hash sum (2, 1).
 *
 * What only the full walk sees: a change no writer recorded (a bug that
 * stores around frame_set or desc_set, or memory corruption).  That is why
 * the fuzzers run both and compare verdicts, and the full walk still runs
 * every N checks and at the end.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>

#include "check.h"
#include "ioclaim.h"
#include "remap.h"

/* Log indices sorted by (tree, at), and the merge sort's other half. */
static uint16_t incr_order[TOUCH_LOG_MAX], incr_tmp[TOUCH_LOG_MAX];
/* check_frame's counters: only the verdict matters here. */
static uint64_t incr_scratch[KC_MAX_VMS + 1];
_Static_assert(TOUCH_LOG_MAX <= 65536, "log indices are 16 bits");

void check_log_clear(void)
{
	touch_log.n = 0;
	touch_log.overflow = false;
	touch_log.any_vm = false;
	touch_log.io = false;
	memset(touch_log.vms, 0, sizeof(touch_log.vms));
}

static bool touch_less(const struct touch_entry *a, const struct touch_entry *b)
{
	if (a->tree != b->tree)
		return (uintptr_t)a->tree < (uintptr_t)b->tree;
	return a->at < b->at;
}

/*
 * Sort the log by (tree, at), stably, and keep the first entry of each
 * key: it holds the value before the first change, which is what the
 * deltas and the write-once rule need.  Returns how many are left.
 */
static unsigned incr_sort_unique(unsigned n)
{
	const struct touch_entry *e = touch_log.e;

	for (unsigned i = 0; i < n; i++)
		incr_order[i] = (uint16_t)i;
	for (unsigned width = 1; width < n; width *= 2) {
		for (unsigned lo = 0; lo < n; lo += 2 * width) {
			unsigned mid = lo + width < n ? lo + width : n;
			unsigned hi = lo + 2 * width < n ? lo + 2 * width : n;
			unsigned i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				incr_tmp[k++] = touch_less(&e[incr_order[j]], &e[incr_order[i]])
							? incr_order[j++]
							: incr_order[i++];
			while (i < mid)
				incr_tmp[k++] = incr_order[i++];
			while (j < hi)
				incr_tmp[k++] = incr_order[j++];
		}
		memcpy(incr_order, incr_tmp, n * sizeof(incr_order[0]));
	}
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++)
		if (!m || touch_less(&e[incr_order[m - 1]], &e[incr_order[i]]))
			incr_order[m++] = incr_order[i];
	return m;
}

/* Which tree: 0 the core map, a VM id, TOUCH_TREE_HOST, an IO domain's, or -1. */
static int incr_tree_id(const struct pgt *t)
{
	if (t == &kc.coremap)
		return 0;
	if (t == &kc.host_s2)
		return TOUCH_TREE_HOST;
	uintptr_t io = (uintptr_t)t - (uintptr_t)&kc.iodoms[0].pgt;
	if ((uintptr_t)t >= (uintptr_t)&kc.iodoms[0].pgt && !(io % sizeof(struct kc_iodom)) &&
	    io / sizeof(struct kc_iodom) >= 1 && io / sizeof(struct kc_iodom) <= KC_MAX_IODOMS)
		return TOUCH_TREE_IODOM + (int)(io / sizeof(struct kc_iodom));
	uintptr_t off = (uintptr_t)t - (uintptr_t)&kc.vms[0].s2;
	if ((uintptr_t)t < (uintptr_t)&kc.vms[0].s2 || off % sizeof(struct kc_vm))
		return -1;
	uintptr_t id = off / sizeof(struct kc_vm);
	return id >= 1 && id <= kc.cfg.max_vms ? (int)id : -1;
}

static const char *incr_tree_name(int id)
{
	return id == 0 ? "core map" : id == TOUCH_TREE_HOST ? "host" : "VM";
}

static bool incr_is_table(uint64_t d, unsigned level)
{
	return level < PGT_LEAF_LEVEL && (d & 3) == 3;
}

static bool bit_test(const uint64_t *map, unsigned i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *map, unsigned i)
{
	map[i / 64] |= 1ull << (i % 64);
}

/* The next set bit of map[0, nwords) at or after i, or ~0u: set bits only, a word at a time. */
static unsigned bit_next(const uint64_t *map, unsigned nwords, unsigned i)
{
	for (unsigned w = i / 64; w < nwords; w++) {
		uint64_t bits = map[w] & (w == i / 64 ? ~0ull << (i % 64) : ~0ull);
		if (bits)
			return w * 64 + (unsigned)__builtin_ctzll(bits);
	}
	return ~0u;
}

#define FOR_EACH_BIT(i, map)                                                                       \
	for (unsigned i = bit_next(map, sizeof(map) / sizeof(map[0]), 0); i != ~0u;                \
	     i = bit_next(map, sizeof(map) / sizeof(map[0]), i + 1))

struct incr {
	struct check c;
	uint64_t trees[(TOUCH_NTREES + 63) / 64];     /* trees with a touched descriptor */
	uint64_t counted[(KC_MAX_VMS + 1 + 63) / 64]; /* VMs whose counters to compare */
	bool io; /* an IO table, a DMA count or a frame an IO domain may map changed */
	/* The last leaf a frame led to, so a run of frames in one block checks it once. */
	const struct pgt *last_tree;
	uint64_t last_va;
};

/* A leaf's pages for the VM counts: RAM to mapped, device to dev_pages, marks none. */
static void incr_vm_pages(unsigned id, uint64_t d, unsigned level, bool add)
{
	kc_paddr_t pa;
	pgt_prot_t prot;

	if (!d || incr_is_table(d, level) || pgt_is_mark(d, level) ||
	    !pgt_decode_leaf(PGT_S2, d, level, &pa, &prot))
		return;
	uint64_t n = pgt_level_size(level) >> PGT_PAGE_SHIFT;
	uint64_t *to = prot & PGT_PROT_DEVICE ? &touch_log.dev_pages[id] : &touch_log.mapped[id];
	*to = add ? *to + n : *to - n;
}

/* 3: a host device leaf over a page some VM holds alone (check_claims' rule, one leaf). */
static bool incr_host_device(struct check *c, uint64_t va, uint64_t size)
{
	for (unsigned i = 0; i < ioclaims.n && i < KC_IOCLAIMS_MAX; i++) {
		const struct ioclaim *a = &ioclaims.runs[i];
		if (!a->shared && va < a->pa + ((uint64_t)a->npages << PGT_PAGE_SHIFT) &&
		    a->pa < va + size)
			return fail(c, 3, "host maps device page 0x%llx, which VM %u holds alone",
				    ull(va > a->pa ? va : a->pa), a->vmid);
	}
	return true;
}

/* 1: a new window slot is a loaded page of a live VM's image, or of a VM gone since. */
static bool incr_slot_loaded(uint64_t va)
{
	for (unsigned a = 1; a <= kc.cfg.max_vms; a++) {
		const struct kc_vm *vm = &kc.vms[a];
		for (unsigned i = 0; vm->state != VM_FREE && i < vm->nimages; i++) {
			const struct kc_image *im = &vm->images[i];
			if (va >= im->window_va &&
			    va - im->window_va < (im->pages << PGT_PAGE_SHIFT))
				return (va - im->window_va) >> PGT_PAGE_SHIFT < im->loaded;
		}
	}
	/*
	 * No live VM's image covers it: the VM that loaded it has been
	 * destroyed since the last check (slots are write-once, never reused),
	 * which the stress test's checks every K operations see.
	 */
	return true;
}

/* 1: one touched entry of kcore's own map. */
static bool incr_coremap(struct check *c, uint64_t va, unsigned level, uint64_t old, uint64_t cur)
{
	struct touch_log *t = &touch_log;
	uint64_t wend = KC_REMAP_BASE + (kc.remap_next << PGT_PAGE_SHIFT);
	kc_paddr_t pa;
	pgt_prot_t prot;

	if (old && cur != old)
		return va >= KC_REMAP_BASE
			       ? fail(c, 1, "a remap window slot was changed or removed (0x%llx)",
				      ull(va))
			       : fail(c, 1, "the core map's entry for 0x%llx changed since boot",
				      ull(va));
	if (old || !cur || incr_is_table(cur, level))
		return true;
	pgt_decode_leaf(PGT_S1_EL2, cur, level, &pa, &prot); /* vetted by pgt_check_entry */
	if (va < KC_REMAP_BASE)
		return fail(c, 1, "the core map's entry for 0x%llx changed since boot", ull(va));
	if (va >= wend)
		return fail(c, 1, "the remap window maps 0x%llx above its bump pointer", ull(va));
	if (level != PGT_LEAF_LEVEL || prot != PGT_PROT_R)
		return fail(c, 1, "window slot 0x%llx is not a read-only page", ull(va));
	if (!incr_slot_loaded(va))
		return fail(c, 1, "window slot 0x%llx is mapped before its image page was loaded",
			    ull(va));
	t->filled++;
	t->sum += remap_slot_hash(va, pa);
	return true;
}

/* 3 or 4: the leaf of `tree` (the host's, or VM vm's) over `va`, once per leaf. */
static bool incr_leaf_over(struct incr *x, const struct pgt *tree, const struct kc_vm *vm,
			   uint64_t va)
{
	uint64_t d;
	unsigned level;

	if (!pgt_leaf_at(tree, va, &d, &level) || pgt_is_mark(d, level))
		return true;
	uint64_t base = va & ~(pgt_level_size(level) - 1);
	if (x->last_tree == tree && x->last_va == base)
		return true;
	x->last_tree = tree;
	x->last_va = base;
	if (pgt_check_entry(tree, d, level))
		return fail(&x->c, 6, "%s %u tables: %s", vm ? "VM" : "host", vm ? vm->id : 0,
			    pgt_check_entry(tree, d, level));
	if (!vm)
		return host_entry(&x->c, base, d, level);
	struct vm_walk w = { &x->c, vm, 0, 0 };
	return vm_entry(&w, base, d, level);
}

/* Phase A: every touched descriptor is one its tree may hold; tables add up. */
static bool incr_descs_wellformed(struct incr *x, unsigned m)
{
	struct touch_log *t = &touch_log;

	for (unsigned k = 0; k < m; k++) {
		const struct touch_entry *e = &t->e[incr_order[k]];
		int id = e->tree ? incr_tree_id(e->tree) : -1;
		if (id > TOUCH_TREE_HOST) {
			x->io = true; /* an IO table: the IO part is checked whole (incr_io) */
			continue;
		}
		if (id < 0 || (id != TOUCH_TREE_HOST && id && kc.vms[id].state == VM_FREE))
			continue; /* a frame, not kcore's tree, or a VM's tree that is gone */
		uint64_t va = e->at & ~(PGT_PAGE_SIZE - 1), cur;
		unsigned level = (unsigned)(e->at & (PGT_PAGE_SIZE - 1));
		pgt_entry_at(e->tree, va, level, &cur);
		const char *why = pgt_check_entry(e->tree, cur, level);
		if (why)
			return fail(&x->c, 6, "%s %u tables: %s", incr_tree_name(id),
				    id == TOUCH_TREE_HOST ? 0 : id, why);
		bool was = incr_is_table(e->old, level), is = incr_is_table(cur, level);
		if (was && is && cur != e->old)
			return fail(&x->c, 6, "%s %u tables: a table descriptor was relinked",
				    incr_tree_name(id), id == TOUCH_TREE_HOST ? 0 : id);
		t->tables[id] += (uint64_t)is - (uint64_t)was;
		bit_set(x->trees, (unsigned)id);
	}
	FOR_EACH_BIT(id, x->trees)
	{
		/* A VM whose metadata changed is counted afresh below (incr_vms). */
		if (id <= KC_MAX_VMS && id && bit_test(t->vms, id))
			continue;
		const struct pgt *tree = id == 0		 ? &kc.coremap
					 : id == TOUCH_TREE_HOST ? &kc.host_s2
								 : &kc.vms[id].s2;
		if (t->tables[id] != tree->pool->bump - tree->pool->nfree)
			return fail(&x->c, 6,
				    "%s %u tables: the tree does not hold exactly the pool's pages "
				    "in use",
				    incr_tree_name((int)id), id == TOUCH_TREE_HOST ? 0 : id);
	}
	return true;
}

/* Phases B-D: each touched descriptor against its tree's leaf rules, and the deltas. */
static bool incr_descs_rules(struct incr *x, unsigned m)
{
	struct touch_log *t = &touch_log;

	for (unsigned k = 0; k < m; k++) {
		const struct touch_entry *e = &t->e[incr_order[k]];
		int id = e->tree ? incr_tree_id(e->tree) : -1;
		if (id > TOUCH_TREE_HOST) {
			x->io = true; /* an IO table: the IO part is checked whole (incr_io) */
			continue;
		}
		if (id < 0 || (id != TOUCH_TREE_HOST && id && kc.vms[id].state == VM_FREE))
			continue;
		uint64_t va = e->at & ~(PGT_PAGE_SIZE - 1), cur;
		unsigned level = (unsigned)(e->at & (PGT_PAGE_SIZE - 1));
		pgt_entry_at(e->tree, va, level, &cur);
		bool leaf = cur && !incr_is_table(cur, level);
		if (id == 0) {
			if (!incr_coremap(&x->c, va, level, e->old, cur))
				return false;
		} else if (id == TOUCH_TREE_HOST) {
			kc_paddr_t pa;
			pgt_prot_t prot;
			if (leaf && !host_entry(&x->c, va, cur, level))
				return false;
			if (leaf && pgt_decode_leaf(PGT_S2, cur, level, &pa, &prot) &&
			    (prot & PGT_PROT_DEVICE) &&
			    !incr_host_device(&x->c, va, pgt_level_size(level)))
				return false;
		} else {
			struct vm_walk w = { &x->c, &kc.vms[id], 0, 0 };
			if (leaf && !pgt_is_mark(cur, level) && !vm_entry(&w, va, cur, level))
				return false;
			incr_vm_pages((unsigned)id, e->old, level, false);
			incr_vm_pages((unsigned)id, cur, level, true);
			bit_set(x->counted, (unsigned)id);
		}
	}
	return true;
}

static bool incr_live_vm(unsigned owner)
{
	return owner >= 1 && owner <= kc.cfg.max_vms && kc.vms[owner].state != VM_FREE;
}

/* Phases C-D for frames: the host's and the VMs' tables at a touched frame; the deltas. */
static bool incr_frames_tables(struct incr *x, unsigned m)
{
	struct touch_log *t = &touch_log;
	uint64_t io_vms[(KC_MAX_VMS + 1 + 63) / 64] = { 0 }; /* VMs that own a live IO domain */

	for (unsigned d = 1; d <= kc.cfg.max_iodoms && d <= KC_MAX_IODOMS; d++)
		if (kc.iodoms[d].state == IODOM_LIVE && kc.iodoms[d].owner <= KC_MAX_VMS)
			bit_set(io_vms, kc.iodoms[d].owner);

	for (unsigned k = 0; k < m; k++) {
		const struct touch_entry *e = &t->e[incr_order[k]];
		if (e->tree)
			continue;
		frame_t old = e->old, cur = kc.frames[e->at];
		unsigned o1 = frame_owner(old), o2 = frame_owner(cur);
		kc_paddr_t pa = frame_pa(e->at);
		if (!incr_leaf_over(x, &kc.host_s2, NULL, pa))
			return false;
		if (incr_live_vm(o2) && !incr_leaf_over(x, &kc.vms[o2].s2, &kc.vms[o2],
							frame_gfn(cur) << PGT_PAGE_SHIFT))
			return false;
		if (incr_live_vm(o1) && (o1 != o2 || frame_gfn(old) != frame_gfn(cur)) &&
		    !incr_leaf_over(x, &kc.vms[o1].s2, &kc.vms[o1],
				    frame_gfn(old) << PGT_PAGE_SHIFT))
			return false;
		/* DMA counts, and frames an IO domain may map: the IO part is checked whole. */
		if (o1 == OWNER_HOST)
			t->dma -= frame_count(old);
		if (o2 == OWNER_HOST)
			t->dma += frame_count(cur);
		if ((o1 == OWNER_HOST && frame_count(old)) ||
		    (o2 == OWNER_HOST && frame_count(cur)) ||
		    (o1 <= KC_MAX_VMS && o1 != OWNER_HOST && bit_test(io_vms, o1)) ||
		    (o2 <= KC_MAX_VMS && o2 != OWNER_HOST && bit_test(io_vms, o2)))
			x->io = true;
		/* The counts by delta: the old owner loses the frame, the new one gains it. */
		if (o1 == OWNER_CORE)
			t->core--;
		else if (o1 != OWNER_HOST && o1 <= KC_MAX_VMS)
			t->owned[o1]--, bit_set(x->counted, o1);
		if (o2 == OWNER_CORE)
			t->core++;
		else if (o2 != OWNER_HOST && o2 <= KC_MAX_VMS)
			t->owned[o2]++, bit_set(x->counted, o2);
	}
	return true;
}

/* Phase E: VMs whose metadata changed: their whole stage 2, images, and every claim. */
static bool incr_vms(struct incr *x)
{
	struct touch_log *t = &touch_log;
	bool any = false;

	FOR_EACH_BIT(id, t->vms)
	{
		if (id < 1 || id > kc.cfg.max_vms)
			continue;
		const struct kc_vm *vm = &kc.vms[id];
		any = true;
		bit_set(x->counted, id);
		if (vm->state == VM_FREE) {
			/*
			 * Its tree is gone (and its last leaves may have gone in a call
			 * this log skipped as the VM's): what it owns is counted by frame
			 * below, what it claimed by check_claims.
			 */
			t->tables[id] = t->mapped[id] = t->dev_pages[id] = 0;
			continue;
		}
		if (!check_tree(&x->c, &vm->s2, "VM", id, &t->tables[id]) ||
		    !check_vm(&x->c, vm, &t->mapped[id], &t->dev_pages[id]) ||
		    !check_images(&x->c, id, true))
			return false;
	}
	/* A claim that names a VM beyond max_vms or a FREE one: check_claims says so. */
	if (any || bit_test(t->vms, 0) || ioclaims.n > KC_IOCLAIMS_MAX)
		return check_claims(&x->c, t->dev_pages);
	return true;
}

/*
 * Phase G (5): when an IO table, the stream table, a DMA count or a frame of
 * a VM with an IO domain changed, the IO part whole: every live domain's
 * table and leaves (check_iodoms) and the DMA counts against the host
 * domains' leaves, with the DMA total kept by delta.  IO calls are rare
 * next to faults and host calls; per-leaf DMA tallies by delta are the
 * next step if they are not.
 */
static bool incr_io(struct incr *x)
{
	uint64_t host_leaves = 0;

	if (!x->io && !touch_log.io)
		return true;
	return check_iodoms(&x->c, &host_leaves) &&
	       check_dma_counts(&x->c, touch_log.dma, host_leaves);
}

/* Phase F: each touched frame on its own, and the counts. */
static bool incr_frames(struct incr *x, unsigned m)
{
	struct touch_log *t = &touch_log;
	uint64_t core = 0, dma = 0;

	for (unsigned k = 0; k < m; k++) {
		const struct touch_entry *e = &t->e[incr_order[k]];
		if (!e->tree && !check_frame(&x->c, e->at, incr_scratch, &core, &dma))
			return false;
	}
	if (t->core != kc.core_frames)
		return fail(&x->c, 2, "%llu CORE frames, not the %llu kcore took at boot",
			    ull(t->core), ull(kc.core_frames));
	FOR_EACH_BIT(id, x->counted)
	{
		if (incr_live_vm(id)) {
			if (!check_vm_counts(&x->c, id, t->owned[id], t->mapped[id]))
				return false;
		} else if (t->owned[id]) {
			return fail(&x->c, 4,
				    "%llu frames are owned by VM %u, which does not exist",
				    ull(t->owned[id]), id);
		}
	}
	return true;
}

bool kcore_check_idle(void)
{
	struct touch_log *t = &touch_log;

	if (!TOUCH_COMPILED || !t->on || !t->baseline || t->n || t->any_vm || t->io)
		return false;
	t->stats.incremental++;
	return true;
}

int kcore_check_incremental(char *why, size_t size)
{
	struct touch_log *t = &touch_log;

	if (size)
		why[0] = '\0';
	if (!kc.up)
		return 0;
	if (!TOUCH_COMPILED) /* a release build without the log: the full walk is the check */
		return kcore_check(why, size);
	if (!t->on || !t->baseline || t->overflow || t->n > TOUCH_LOG_MAX) {
		if (t->on && t->baseline)
			t->stats.overflows++;
		/* From here on every change is recorded; the walk is the baseline. */
		__atomic_store_n(&t->on, true, __ATOMIC_RELAXED);
		return kcore_check(why, size);
	}
	t->stats.incremental++;
	t->stats.touches += t->n;
	if (!t->n && !t->any_vm && !t->io)
		return 0; /* nothing changed */

	struct incr x = { .c = { why, size, 0 } };
	unsigned m = incr_sort_unique(t->n);
	if (incr_descs_wellformed(&x, m) && incr_descs_rules(&x, m) && incr_frames_tables(&x, m) &&
	    incr_vms(&x) && incr_frames(&x, m) && incr_io(&x)) {
		if (t->filled != kc.remap_filled || t->sum != kc.remap_sum)
			fail(&x.c, 1,
			     "a remap window slot was changed or removed (%llu of %llu slots as "
			     "written)",
			     ull(t->filled), ull(kc.remap_filled));
	}
	check_log_clear();
	if (x.c.failed)
		t->baseline = false; /* the counts are not to be trusted: walk it all next */
	return x.c.failed;
}
