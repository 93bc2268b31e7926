/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The invariant checker (DESIGN.md §4) and the state digest.
 *
 * kcore_check walks the whole state — frame table, kcore's own map, the
 * host's and every VM's stage 2 — and names the first violation in words.
 * Tests and fuzzers run it after every operation.  It follows no pointer
 * before checking it (pgt_check), so a corrupted table is reported, not
 * followed.  Invariant 7 (TLB coherence) needs the platform's TLB model and
 * lives there (hm_check in the hosted platform).
 *
 * It takes no locks: it is for quiescent points (between operations, with
 * no CPU inside kcore), which is where tests and fuzzers call it.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>
#include <kcore/printf.h>
#include <stdarg.h>

#include "check.h"
#include "ioclaim.h"
#include "remap.h"

bool fail(struct check *c, int inv, const char *fmt, ...)
{
	if (c->failed)
		return false;
	c->failed = inv;
	if (c->size) {
		size_t n = kc_snprintf(c->why, c->size, "invariant %d: ", inv);
		va_list ap;
		va_start(ap, fmt);
		if (n < c->size)
			kc_vsnprintf(c->why + n, c->size - n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool range_inside(uint64_t base, uint64_t size, const struct kc_region *r)
{
	return base >= r->base && base + size <= r->base + r->size;
}

/*
 * The expected EL2 permissions of [va, va+size), or 0 if it is no such range;
 * *end = where the stretch of the layout with these permissions that holds
 * the range ends (text, RAM up to or after text, a device).
 */
static pgt_prot_t coremap_expected(uint64_t va, uint64_t size, uint64_t *end)
{
	const struct kc_boot_layout *l = &kc.layout;
	uint64_t tend = l->text.base + l->text.size;

	if (range_inside(va, size, &l->text)) {
		*end = tend;
		return PGT_PROT_R | PGT_PROT_X;
	}
	if (va < tend && l->text.base < va + size)
		return 0; /* straddles text */
	for (unsigned i = 0; i < l->nram; i++) {
		const struct kc_region *r = &l->ram[i];
		if (range_inside(va, size, r)) {
			*end = va < l->text.base && l->text.base < r->base + r->size
				       ? l->text.base
				       : r->base + r->size;
			return PGT_PROT_R | PGT_PROT_W;
		}
	}
	for (unsigned i = 0; i < l->ndevices; i++) {
		if (range_inside(va, size, &l->devices[i])) {
			*end = l->devices[i].base + l->devices[i].size;
			return PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE;
		}
	}
	return 0;
}

/* 6: each tree is well formed and holds exactly its pool's pages in use. */
bool check_tree(struct check *c, const struct pgt *t, const char *name, unsigned id,
		uint64_t *tables)
{
	const char *why = pgt_check(t, tables);

	if (why)
		return fail(c, 6, "%s %u tables: %s", name, id, why);
	return true;
}

/* 1: kcore's own map, one entry at a time (pgt_for_each_entry). */
struct coremap_walk {
	struct check *c;
	uint64_t covered, filled, sum, wend;
	/*
	 * The last identity leaf that passed: its descriptor bits other than
	 * the address, its level, and the end of the layout stretch it lies in.
	 * A next leaf with the same bits and level, mapping its own address,
	 * inside the same stretch, passes too (its permissions are the same).
	 */
	uint64_t run_attrs, run_end;
	unsigned run_level;
};

static bool coremap_entry(void *arg, uint64_t va, uint64_t desc, unsigned level)
{
	struct coremap_walk *w = arg;
	struct check *c = w->c;
	uint64_t size = pgt_level_size(level), end = 0;
	kc_paddr_t pa;
	pgt_prot_t prot;

	if (level == w->run_level && (desc & ~PGT_DESC_OA_MASK) == w->run_attrs &&
	    (desc & PGT_DESC_OA_MASK) == va && va + size <= w->run_end && va < KC_REMAP_BASE) {
		w->covered += size;
		return true;
	}
	pgt_decode_leaf(PGT_S1_EL2, desc, level, &pa, &prot); /* checked by pgt_check */
	if (va >= KC_REMAP_BASE && va < w->wend) {
		if (level != PGT_LEAF_LEVEL || prot != PGT_PROT_R)
			return fail(c, 1, "window slot 0x%llx is not a read-only page", ull(va));
		w->filled++;
		w->sum += remap_slot_hash(va, pa);
	} else if (va >= KC_REMAP_BASE) {
		return fail(c, 1, "the remap window maps 0x%llx above its bump pointer", ull(va));
	} else if (pa != va || coremap_expected(va, size, &end) != prot) {
		return fail(c, 1, "the core map's entry for 0x%llx changed since boot", ull(va));
	} else {
		w->covered += size;
		w->run_attrs = desc & ~PGT_DESC_OA_MASK;
		w->run_level = level;
		w->run_end = end;
	}
	return true;
}

/* 1: kcore's own map: identity part as built, window written once. */
static bool check_coremap(struct check *c)
{
	const struct kc_boot_layout *l = &kc.layout;
	uint64_t expect = 0;
	struct coremap_walk w = { c, 0, 0,  0, KC_REMAP_BASE + (kc.remap_next << PGT_PAGE_SHIFT),
				  0, 0, ~0u };
	uint64_t covered, filled, sum;

	for (unsigned i = 0; i < l->nram; i++)
		expect += l->ram[i].size;
	for (unsigned i = 0; i < l->ndevices; i++)
		expect += l->devices[i].size;
	if (!pgt_for_each_entry(&kc.coremap, coremap_entry, &w))
		return false;
	covered = w.covered, filled = w.filled, sum = w.sum;
	if (covered != expect)
		return fail(c, 1, "the core map covers %llu bytes of RAM and devices, not %llu",
			    ull(covered), ull(expect));
	if (filled != kc.remap_filled || sum != kc.remap_sum)
		return fail(
			c, 1,
			"a remap window slot was changed or removed (%llu of %llu slots as written)",
			ull(filled), ull(kc.remap_filled));
	for (unsigned a = 1; a <= kc.cfg.max_vms; a++)
		if (kc.vms[a].state != VM_FREE && !check_images(c, a, false))
			return false;
	return true;
}

/* 1: VM a's image windows: inside the handed-out window, disjoint, empty above `loaded`. */
bool check_images(struct check *c, unsigned a, bool all_pairs)
{
	const struct kc_vm *vm = &kc.vms[a];
	uint64_t wend = KC_REMAP_BASE + (kc.remap_next << PGT_PAGE_SHIFT);

	for (unsigned i = 0; i < vm->nimages; i++) {
		const struct kc_image *im = &vm->images[i];
		uint64_t end = im->window_va + (im->pages << PGT_PAGE_SHIFT);
		struct pgt_leaf leaf;
		if (im->window_va < KC_REMAP_BASE || end > wend || im->loaded > im->pages)
			return fail(c, 1, "VM %u image %u window lies outside the window", a, i);
		for (uint64_t p = 0; p < im->pages; p++) {
			bool mapped = pgt_lookup(&kc.coremap, im->window_va + (p << PGT_PAGE_SHIFT),
						 &leaf);
			if (mapped != (p < im->loaded))
				return fail(c, 1, "VM %u image %u slot %llu is %s", a, i, ull(p),
					    mapped ? "mapped before it was loaded"
						   : "empty although loaded");
		}
		for (unsigned b = all_pairs ? 1 : a; b <= kc.cfg.max_vms; b++) {
			const struct kc_vm *o = &kc.vms[b];
			for (unsigned j = b == a ? i + 1 : 0; o->state != VM_FREE && j < o->nimages;
			     j++) {
				const struct kc_image *om = &o->images[j];
				if (im->window_va < om->window_va + (om->pages << PGT_PAGE_SHIFT) &&
				    om->window_va < end)
					return fail(c, 1,
						    "image windows of VM %u and VM %u overlap", a,
						    b);
			}
		}
	}
	return true;
}

/* 3 (and 2): the host's stage 2, one leaf. */
bool host_entry(void *arg, uint64_t va, uint64_t desc, unsigned level)
{
	struct check *c = arg;
	kc_paddr_t pa;
	pgt_prot_t prot;

	pgt_decode_leaf(PGT_S2, desc, level, &pa, &prot);
	if (pa != va || level < 2)
		return fail(c, 3, "host leaf 0x%llx is not an identity page or 2 MiB block",
			    ull(va));
	if (level == 2) {
		/* A block only where every frame of the run is the host's (core/hostmem.c). */
		if (prot & PGT_PROT_DEVICE)
			return fail(c, 3, "host block 0x%llx is a device mapping", ull(va));
		for (uint64_t i = 0; i < 512; i++) {
			const frame_t *bf = frame_peek(pa + (i << PGT_PAGE_SHIFT));
			if (!bf)
				return fail(c, 3, "host block 0x%llx covers 0x%llx, not RAM",
					    ull(va), ull(pa + (i << PGT_PAGE_SHIFT)));
			if (frame_owner(*bf) == OWNER_CORE)
				return fail(c, 2, "host block 0x%llx maps CORE frame 0x%llx",
					    ull(va), ull(pa + (i << PGT_PAGE_SHIFT)));
			if (frame_owner(*bf) != OWNER_HOST)
				return fail(c, 3, "host block 0x%llx covers frame 0x%llx of VM %u",
					    ull(va), ull(pa + (i << PGT_PAGE_SHIFT)),
					    frame_owner(*bf));
		}
		return true;
	}
	const frame_t *f = frame_peek(pa);
	if (!f) {
		if (!(frame_is_io(pa) || frame_is_host_shared_device(pa)) ||
		    !(prot & PGT_PROT_DEVICE))
			return fail(c, 3, "host maps 0x%llx, neither RAM nor IO it may use",
				    ull(pa));
		return true;
	}
	if (prot & PGT_PROT_DEVICE)
		return fail(c, 3, "host maps RAM frame 0x%llx as a device", ull(pa));
	unsigned owner = frame_owner(*f);
	if (owner == OWNER_CORE)
		return fail(c, 2, "host maps CORE frame 0x%llx", ull(pa));
	if (owner != OWNER_HOST && frame_count(*f) == 0)
		return fail(c, 3, "host maps frame 0x%llx of VM %u, which is not shared", ull(pa),
			    owner);
	return true;
}

static bool check_host(struct check *c)
{
	return pgt_for_each_entry(&kc.host_s2, host_entry, c);
}

/* The claim of VM `id` whose run maps [va, va + size) -> [pa, ...), if any. */
static const struct ioclaim *claim_of(unsigned id, uint64_t va, kc_paddr_t pa, uint64_t size)
{
	for (unsigned i = 0; i < ioclaims.n && i < KC_IOCLAIMS_MAX; i++) {
		const struct ioclaim *c = &ioclaims.runs[i];
		uint64_t bytes = (uint64_t)c->npages << PGT_PAGE_SHIFT;
		if (c->vmid == id && va >= c->gpa && size <= bytes && va - c->gpa <= bytes - size &&
		    pa - c->pa == va - c->gpa)
			return c;
	}
	return NULL;
}

/* 4: a device leaf of `vm` is IO, claimed by the VM, and inside its windows once verified. */
static bool vm_device_entry(struct vm_walk *w, uint64_t va, kc_paddr_t pa, uint64_t size)
{
	struct check *c = w->c;
	const struct kc_vm *vm = w->vm;

	for (uint64_t off = 0; off < size; off += PGT_PAGE_SIZE)
		if (!frame_is_io(pa + off))
			return fail(c, 4, "VM %u maps 0x%llx as a device, which is not IO", vm->id,
				    ull(pa));
	if (!claim_of(vm->id, va, pa, size))
		return fail(c, 4, "VM %u maps device page 0x%llx at 0x%llx without a claim on it",
			    vm->id, ull(pa), ull(va));
	if (vm->images_mapped && !manifest_window_of(&vm->layout, va, size))
		return fail(c, 4, "VM %u maps device page 0x%llx at 0x%llx, outside its windows",
			    vm->id, ull(pa), ull(va));
	w->dev_pages += size >> PGT_PAGE_SHIFT;
	return true;
}

bool vm_entry(void *arg, uint64_t va, uint64_t desc, unsigned level)
{
	struct vm_walk *w = arg;
	struct check *c = w->c;
	const struct kc_vm *vm = w->vm;
	kc_paddr_t pa;
	pgt_prot_t prot;
	uint64_t n = pgt_level_size(level) >> PGT_PAGE_SHIFT;

	if (pgt_is_mark(desc, level))
		return true; /* an MMIO-guard mark maps nothing (pgt_check vetted it) */
	pgt_decode_leaf(PGT_S2, desc, level, &pa, &prot);
	if (prot & PGT_PROT_DEVICE)
		return vm_device_entry(w, va, pa, pgt_level_size(level));
	for (uint64_t i = 0; i < n; i++) {
		kc_paddr_t p = pa + (i << PGT_PAGE_SHIFT);
		const frame_t *f = frame_peek(p);
		if (!f)
			return fail(c, 4, "VM %u maps 0x%llx as RAM, which is not RAM", vm->id,
				    ull(p));
		if (frame_owner(*f) == OWNER_CORE)
			return fail(c, 2, "VM %u maps CORE frame 0x%llx", vm->id, ull(p));
		if (frame_owner(*f) != vm->id)
			return fail(c, 4, "VM %u maps frame 0x%llx owned by %u", vm->id, ull(p),
				    frame_owner(*f));
		if (frame_gfn(*f) != (va >> PGT_PAGE_SHIFT) + i)
			return fail(c, 4, "VM %u maps frame 0x%llx at gfn 0x%llx, recorded 0x%llx",
				    vm->id, ull(p), ull((va >> PGT_PAGE_SHIFT) + i),
				    ull(frame_gfn(*f)));
	}
	w->mapped += n;
	return true;
}

bool check_vm(struct check *c, const struct kc_vm *vm, uint64_t *mapped, uint64_t *dev_pages)
{
	struct vm_walk w = { c, vm, 0, 0 };
	bool ok = pgt_for_each_entry(&vm->s2, vm_entry, &w);
	*mapped = w.mapped;
	*dev_pages = w.dev_pages;
	return ok;
}

/*
 * 3 and 4 from the claims' side: each run belongs to a live VM, is IO and
 * is mapped by that VM's leaves (page counts agree with check_vm's); a
 * shared run sits in a SHARED window of a verified VM; an exclusive run
 * overlaps no other VM's run, and the host's stage 2 maps none of it.
 */
bool check_claims(struct check *c, const uint64_t *dev_pages)
{
	uint64_t claimed[KC_MAX_VMS + 1] = { 0 };

	if (ioclaims.n > KC_IOCLAIMS_MAX)
		return fail(c, 4, "%u device claims, more than the table holds", ioclaims.n);
	for (unsigned i = 0; i < ioclaims.n; i++) {
		const struct ioclaim *a = &ioclaims.runs[i];
		uint64_t bytes = (uint64_t)a->npages << PGT_PAGE_SHIFT;
		if (a->vmid < 1 || a->vmid > kc.cfg.max_vms || kc.vms[a->vmid].state == VM_FREE)
			return fail(c, 4,
				    "device claim on 0x%llx belongs to VM %u, which does not exist",
				    ull(a->pa), a->vmid);
		const struct kc_vm *vm = &kc.vms[a->vmid];
		if (a->npages < 1 || a->npages > KC_MAX_PAGES_PER_CALL ||
		    a->pa >= (1ull << PGT_OA_BITS) || bytes > (1ull << PGT_OA_BITS) - a->pa ||
		    a->gpa >= (1ull << PGT_IA_BITS) || bytes > (1ull << PGT_IA_BITS) - a->gpa)
			return fail(c, 4, "device claim of VM %u on 0x%llx is malformed", a->vmid,
				    ull(a->pa));
		for (uint64_t off = 0; off < bytes; off += PGT_PAGE_SIZE)
			if (!frame_is_io(a->pa + off))
				return fail(c, 4,
					    "VM %u claims 0x%llx as a device, which is not IO",
					    a->vmid, ull(a->pa + off));
		if (a->shared) {
			const struct kc_manifest_range *win =
				vm->images_mapped ? manifest_window_of(&vm->layout, a->gpa, bytes)
						  : NULL;
			if (!win || !(win->flags & KC_MANIFEST_WIN_SHARED))
				return fail(c, 4,
					    "device claim of VM %u on 0x%llx is shared, but not in "
					    "a SHARED window",
					    a->vmid, ull(a->pa));
		} else {
			for (unsigned j = 0; j < ioclaims.n; j++) {
				const struct ioclaim *b = &ioclaims.runs[j];
				if (b->vmid != a->vmid &&
				    a->pa < b->pa + ((uint64_t)b->npages << PGT_PAGE_SHIFT) &&
				    b->pa < a->pa + bytes)
					return fail(
						c, 4,
						"device page 0x%llx is VM %u's alone, yet VM %u "
						"claims it too",
						ull(a->pa > b->pa ? a->pa : b->pa), a->vmid,
						b->vmid);
			}
			uint64_t va, desc;
			unsigned level;
			if (pgt_next_entry(&kc.host_s2, a->pa, &va, &desc, &level) &&
			    va < a->pa + bytes)
				return fail(c, 3,
					    "host maps device page 0x%llx, which VM %u holds alone",
					    ull(va), a->vmid);
		}
		claimed[a->vmid] += a->npages;
	}
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++)
		if (kc.vms[id].state != VM_FREE && claimed[id] != dev_pages[id])
			return fail(c, 4, "VM %u maps %llu device pages, but claims %llu", id,
				    ull(dev_pages[id]), ull(claimed[id]));
	return true;
}

/* 2, 4 and 5 for one frame; counts CORE frames, each VM's frames and host DMA counts. */
bool check_frame(struct check *c, uint64_t i, uint64_t *owned, uint64_t *core, uint64_t *dma)
{
	frame_t f = kc.frames[i];
	unsigned owner = frame_owner(f);

	if (owner == OWNER_CORE) {
		(*core)++;
		if (f != frame_make(OWNER_CORE, 0, 0))
			return fail(c, 2, "CORE frame 0x%llx has a count or gfn", ull(frame_pa(i)));
	} else if (owner == OWNER_HOST) {
		/* Its DMA mappings: check_iodom_counts compares them leaf by leaf. */
		*dma += frame_count(f);
	} else if (owner > kc.cfg.max_vms || kc.vms[owner].state == VM_FREE) {
		return fail(c, 4, "frame 0x%llx is owned by VM %u, which does not exist",
			    ull(frame_pa(i)), owner);
	} else {
		owned[owner]++;
	}
	return true;
}

/*
 * Frames check_frames takes at once.  Nearly every frame is either the
 * host's with no count (all bits above the gfn zero) or a plain CORE frame,
 * and a block of either passes with two vectorised tests; any other block
 * goes through check_frame one frame at a time.
 */
#define CHECK_FRAME_BLOCK 16u
_Static_assert(OWNER_HOST == 0, "check_frames' host test needs OWNER_HOST == 0");

/* 2, 4 and 5 from the frame table's side: counts agree with the tables. */
static bool check_frames(struct check *c, const uint64_t *vm_mapped, uint64_t *owned, uint64_t *dma)
{
	uint64_t core = 0, n = kc.total_frames;
	const frame_t core_frame = frame_make(OWNER_CORE, 0, 0);

	for (uint64_t i = 0; i < n; i += CHECK_FRAME_BLOCK) {
		uint64_t end = n - i < CHECK_FRAME_BLOCK ? n : i + CHECK_FRAME_BLOCK;
		if (end - i == CHECK_FRAME_BLOCK) {
			const frame_t *b = &kc.frames[i];
			uint64_t host = 0, other = 0;
			for (unsigned k = 0; k < CHECK_FRAME_BLOCK; k++) {
				host |= b[k] >> FRAME_OWNER_SHIFT;
				other |= b[k] ^ core_frame;
			}
			if (!host)
				continue;
			if (!other) {
				core += CHECK_FRAME_BLOCK;
				continue;
			}
		}
		for (uint64_t j = i; j < end; j++)
			if (!check_frame(c, j, owned, &core, dma))
				return false;
	}
	if (core != kc.core_frames)
		return fail(c, 2, "%llu CORE frames, not the %llu kcore took at boot", ull(core),
			    ull(kc.core_frames));
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++)
		if (kc.vms[id].state != VM_FREE &&
		    !check_vm_counts(c, id, owned[id], vm_mapped[id]))
			return false;
	return true;
}

bool check_vm_counts(struct check *c, unsigned id, uint64_t owned, uint64_t mapped)
{
	const struct kc_vm *vm = &kc.vms[id];
	uint64_t pending = 0; /* image frames not mapped into the VM yet */

	for (unsigned i = 0; !vm->images_mapped && i < vm->nimages; i++)
		pending += vm->images[i].loaded - vm->images[i].reclaimed;
	if (owned != vm->nframes || mapped + pending != vm->nframes)
		return fail(c, 4, "VM %u owns %llu frames, maps %llu (+%llu image), counts %llu",
			    id, ull(owned), ull(mapped), ull(pending), ull(vm->nframes));
	return true;
}

/* ---- 5: IO domains (core/iodom.c) ---------------------------------------- */

/* Whether some VM holds device page `pa` alone (ioclaim_host_denied_locked, lock-free). */
static bool io_held_alone(kc_paddr_t pa)
{
	for (unsigned i = 0; i < ioclaims.n && i < KC_IOCLAIMS_MAX; i++) {
		const struct ioclaim *a = &ioclaims.runs[i];
		if (!a->shared && pa - a->pa < ((uint64_t)a->npages << PGT_PAGE_SHIFT))
			return true;
	}
	return false;
}

struct iodom_walk {
	struct check *c;
	const struct kc_iodom *d;
	unsigned id;
	uint64_t leaves;
	uint64_t host_leaves; /* leaves to host RAM frames */
	/* check_iodom_counts: count the leaves to frames [lo, lo + IODOM_CHUNK) only. */
	uint32_t *tally;
	kc_paddr_t lo;
};

/* Frames whose host-domain leaves one pass of check_iodom_counts tallies. */
#define IODOM_CHUNK 2048u
static uint32_t iodom_tally[IODOM_CHUNK];

static bool iodom_entry(void *arg, uint64_t va, uint64_t desc, unsigned level)
{
	struct iodom_walk *w = arg;
	struct check *c = w->c;
	unsigned owner = w->d->owner;
	kc_paddr_t pa;
	pgt_prot_t prot;

	if (w->tally) {
		/* Second pass: the tree already passed the first. */
		pgt_decode_leaf(PGT_S2, desc, level, &pa, &prot);
		if (pa - w->lo < (uint64_t)IODOM_CHUNK << PGT_PAGE_SHIFT)
			w->tally[(pa - w->lo) >> PGT_PAGE_SHIFT]++;
		return true;
	}
	if (pgt_is_mark(desc, level) || level != PGT_LEAF_LEVEL ||
	    !pgt_decode_leaf(PGT_S2, desc, level, &pa, &prot))
		return fail(c, 5, "IO domain %u maps 0x%llx with something other than a page",
			    w->id, ull(va));
	if ((prot & PGT_PROT_X) || va >= kc.iova_limit)
		return fail(c, 5, "IO domain %u leaf 0x%llx is executable or beyond the IOVA space",
			    w->id, ull(va));
	const frame_t *f = frame_peek(pa);
	if (f && frame_owner(*f) == OWNER_CORE)
		return fail(c, 5, "IO domain %u maps CORE frame 0x%llx", w->id, ull(pa));
	if (owner != OWNER_HOST) {
		if (!f || frame_owner(*f) != owner)
			return fail(c, 5, "IO domain %u of VM %u maps 0x%llx, not the VM's frame",
				    w->id, owner, ull(pa));
		if (frame_gfn(*f) != va >> PGT_PAGE_SHIFT)
			return fail(c, 5,
				    "IO domain %u of VM %u maps frame 0x%llx at IOVA 0x%llx, its "
				    "gfn is 0x%llx",
				    w->id, owner, ull(pa), ull(va), ull(frame_gfn(*f)));
		if (prot & PGT_PROT_DEVICE)
			return fail(c, 5, "IO domain %u maps RAM 0x%llx as a device", w->id,
				    ull(pa));
	} else if (!f) {
		if (!frame_is_io(pa) || io_held_alone(pa) || !(prot & PGT_PROT_DEVICE))
			return fail(c, 5, "host IO domain %u maps 0x%llx, neither RAM nor its IO",
				    w->id, ull(pa));
	} else {
		if (frame_owner(*f) != OWNER_HOST)
			return fail(c, 5, "host IO domain %u maps frame 0x%llx of VM %u", w->id,
				    ull(pa), frame_owner(*f));
		if (prot & PGT_PROT_DEVICE)
			return fail(c, 5, "IO domain %u maps RAM 0x%llx as a device", w->id,
				    ull(pa));
		if (!frame_count(*f))
			return fail(c, 5, "host IO domain %u maps frame 0x%llx, whose count is 0",
				    w->id, ull(pa));
		w->host_leaves++;
	}
	w->leaves++;
	return true;
}

/*
 * 5: each live domain's table is well formed, in its own pool (CORE frames
 * inside kcore's pool), and maps what its owner may; the stream table
 * names only live domains, and their attach counts agree.  *host_leaves =
 * the leaves to host frames, over all domains.
 */
bool check_iodoms(struct check *c, uint64_t *host_leaves)
{
	uint32_t attached[KC_MAX_IODOMS + 1] = { 0 };

	*host_leaves = 0;
	if (kc.cfg.max_iodoms > KC_MAX_IODOMS)
		return fail(c, 5, "max_iodoms %u is beyond KC_MAX_IODOMS", kc.cfg.max_iodoms);
	/* Most states attach nothing: one pass of wide ORs says so (the checker runs per op). */
	uint64_t any = 0;
	for (unsigned i = 0; i < sizeof(kc.streams) / sizeof(uint64_t); i++) {
		uint64_t w;
		memcpy(&w, (const uint8_t *)kc.streams + i * sizeof(w), sizeof(w));
		any |= w;
	}
	for (unsigned s = 0; s < KC_MAX_SMMUS && any; s++) {
		for (unsigned sid = 0; sid < KC_SMMU_MAX_STREAMS; sid++) {
			unsigned id = kc.streams[s][sid];
			if (!id)
				continue;
			if (s >= kc.layout.nsmmus || sid >= kc.layout.smmus[s].nstreams ||
			    id > kc.cfg.max_iodoms || kc.iodoms[id].state != IODOM_LIVE)
				return fail(c, 5,
					    "SMMU %u stream %u translates through domain %u, "
					    "which is not live (or no such stream)",
					    s, sid, id);
			attached[id]++;
		}
	}
	for (unsigned id = 1; id <= kc.cfg.max_iodoms; id++) {
		const struct kc_iodom *d = &kc.iodoms[id];
		if (d->state == IODOM_FREE) {
			if (d->pgt.root || d->mapped || d->attached)
				return fail(c, 5, "free IO domain %u still has a table or counts",
					    id);
			continue;
		}
		if (d->state != IODOM_LIVE)
			return fail(c, 5, "IO domain %u is in no state", id);
		kc_paddr_t base = kc.iodom_pools +
				  ((uint64_t)(id - 1) * kc.cfg.iodom_pool_pages << PGT_PAGE_SHIFT);
		if (d->pool.base != base || d->pool.npages != kc.cfg.iodom_pool_pages ||
		    d->pgt.pool != &d->pool || d->pgt.fmt != PGT_S2 || d->pgt.vmid != 0)
			return fail(c, 5, "IO domain %u's table is not in its own pool", id);
		for (uint64_t p = 0; p < d->pool.npages; p += 1) {
			const frame_t *f = frame_peek(base + (p << PGT_PAGE_SHIFT));
			if (!f || frame_owner(*f) != OWNER_CORE)
				return fail(c, 5, "IO domain %u's pool page 0x%llx is not CORE", id,
					    ull(base + (p << PGT_PAGE_SHIFT)));
		}
		if (d->owner != OWNER_HOST &&
		    (d->owner > kc.cfg.max_vms || kc.vms[d->owner].state == VM_FREE))
			return fail(c, 5, "IO domain %u belongs to VM %u, which does not exist", id,
				    d->owner);
		if (attached[id] != d->attached)
			return fail(c, 5, "IO domain %u counts %u streams, the stream table %u", id,
				    d->attached, attached[id]);
		uint64_t tables;
		const char *why = pgt_check(&d->pgt, &tables);
		if (why)
			return fail(c, 5, "IO domain %u tables: %s", id, why);
		struct iodom_walk w = { c, d, id, 0, 0, NULL, 0 };
		if (!pgt_for_each_entry(&d->pgt, iodom_entry, &w))
			return false;
		if (w.leaves != d->mapped)
			return fail(c, 5, "IO domain %u maps %llu pages, counts %llu", id,
				    ull(w.leaves), ull(d->mapped));
		*host_leaves += w.host_leaves;
	}
	return true;
}

/*
 * 5: every host frame's DMA count is exactly the number of host-domain
 * leaves that map it.  Every such leaf's frame has a count (iodom_entry),
 * so only the stretches of frames with counts need a tally: one walk of the
 * host domains per IODOM_CHUNK frames that hold a counted frame.
 */
static bool check_iodom_counts(struct check *c)
{
	for (uint64_t i = 0; i < kc.total_frames; i++) {
		frame_t f = kc.frames[i];
		if (frame_owner(f) != OWNER_HOST || !frame_count(f))
			continue;
		/* A chunk of frames from this one, inside its region. */
		kc_paddr_t lo = frame_pa(i);
		uint64_t n = 1;
		while (n < IODOM_CHUNK && i + n < kc.total_frames &&
		       frame_pa(i + n) == lo + (n << PGT_PAGE_SHIFT))
			n++;
		memset(iodom_tally, 0, sizeof(iodom_tally));
		for (unsigned id = 1; id <= kc.cfg.max_iodoms; id++) {
			const struct kc_iodom *d = &kc.iodoms[id];
			struct iodom_walk w = { c, d, id, 0, 0, iodom_tally, lo };
			if (d->state == IODOM_LIVE && d->owner == OWNER_HOST)
				pgt_for_each_entry(&d->pgt, iodom_entry, &w);
		}
		for (uint64_t k = 0; k < n; k++) {
			frame_t g = kc.frames[i + k];
			unsigned want = frame_owner(g) == OWNER_HOST ? frame_count(g) : 0;
			if (iodom_tally[k] != want)
				return fail(c, 5,
					    "host frame 0x%llx counts %u DMA mappings, its IO "
					    "domains map it %u times",
					    ull(lo + (k << PGT_PAGE_SHIFT)), want, iodom_tally[k]);
		}
		i += n - 1;
	}
	return true;
}

bool check_dma_counts(struct check *c, uint64_t dma, uint64_t host_leaves)
{
	/* Totals agree in the common case of no DMA at all: no tally needed then. */
	if ((dma || host_leaves) && check_iodom_counts(c) && dma != host_leaves)
		return fail(c, 5, "host frames count %llu DMA mappings, IO domains hold %llu",
			    ull(dma), ull(host_leaves));
	return !c->failed;
}

int kcore_check(char *why, size_t size)
{
	struct check c = { why, size, 0 };
	struct touch_log *t = &touch_log;
	/* The counts go straight into the shadow: a walk that passes is the new baseline. */
	uint64_t *vm_mapped = t->mapped, *dev_pages = t->dev_pages;

	if (size)
		why[0] = '\0';
	t->stats.full++;
	t->baseline = false;
	if (!kc.up)
		return 0;
	memset(t->owned, 0, sizeof(t->owned));
	memset(t->mapped, 0, sizeof(t->mapped));
	memset(t->dev_pages, 0, sizeof(t->dev_pages));
	memset(t->tables, 0, sizeof(t->tables));
	if (!check_tree(&c, &kc.coremap, "core map", 0, &t->tables[0]) ||
	    !check_tree(&c, &kc.host_s2, "host", 0, &t->tables[TOUCH_TREE_HOST]))
		return c.failed;
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++)
		if (kc.vms[id].state != VM_FREE &&
		    !check_tree(&c, &kc.vms[id].s2, "VM", id, &t->tables[id]))
			return c.failed;
	if (!check_coremap(&c) || !check_host(&c))
		return c.failed;
	for (unsigned id = 1; id <= kc.cfg.max_vms; id++)
		if (kc.vms[id].state != VM_FREE &&
		    !check_vm(&c, &kc.vms[id], &vm_mapped[id], &dev_pages[id]))
			return c.failed;
	if (!check_claims(&c, dev_pages))
		return c.failed;
	uint64_t dma = 0, host_leaves = 0;
	if (!check_iodoms(&c, &host_leaves) || !check_frames(&c, vm_mapped, t->owned, &dma) ||
	    !check_dma_counts(&c, dma, host_leaves))
		return c.failed;
	/* All hold: the log so far is covered. */
	t->core = kc.core_frames;
	t->filled = kc.remap_filled;
	t->sum = kc.remap_sum;
	t->dma = dma;
	check_log_clear();
	/* A baseline only if every change since is recorded. */
	t->baseline = __atomic_load_n(&t->on, __ATOMIC_RELAXED);
	return 0;
}

/* ---- the digest ---------------------------------------------------------- */

static void digest_u64(struct crypto_sha256 *h, uint64_t v)
{
	crypto_sha256_update(h, &v, sizeof(v));
}

static bool digest_entry(void *arg, uint64_t va, uint64_t desc, unsigned level)
{
	(void)level;
	digest_u64(arg, va);
	digest_u64(arg, desc);
	return true;
}

/* A tree's contents: every leaf (address and descriptor) and its pool. */
static void digest_tree(struct crypto_sha256 *h, const struct pgt *t)
{
	uint64_t tables;

	digest_u64(h, t->root);
	digest_u64(h, t->pool->bump);
	digest_u64(h, t->pool->nfree);
	if (pgt_check(t, &tables)) {
		digest_u64(h, ~0ull); /* malformed: do not follow it */
		return;
	}
	digest_u64(h, tables);
	pgt_for_each_entry(t, digest_entry, h);
}

void kcore_digest(uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256 h;

	crypto_sha256_init(&h);
	digest_u64(&h, kc.up);
	if (kc.up) {
		crypto_sha256_update(&h, kc.frames, kc.total_frames * sizeof(frame_t));
		digest_u64(&h, kc.remap_next);
		digest_u64(&h, kc.remap_filled);
		digest_u64(&h, kc.remap_sum);
		digest_u64(&h, kc.host_io_tables);
		digest_tree(&h, &kc.coremap);
		digest_tree(&h, &kc.host_s2);
		/* Field by field: a run's padding is not state. */
		digest_u64(&h, ioclaims.n);
		for (unsigned i = 0; i < ioclaims.n && i < KC_IOCLAIMS_MAX; i++) {
			const struct ioclaim *c = &ioclaims.runs[i];
			digest_u64(&h, c->pa);
			digest_u64(&h, c->gpa);
			digest_u64(&h,
				   (uint64_t)c->npages << 32 | (uint64_t)c->vmid << 1 | c->shared);
		}
		/* IO domains and the stream table (core/iodom.c). */
		crypto_sha256_update(&h, kc.streams, sizeof(kc.streams));
		crypto_sha256_update(&h, &kc.smmu_evq, sizeof(kc.smmu_evq));
		for (unsigned id = 1; id <= kc.cfg.max_iodoms && id <= KC_MAX_IODOMS; id++) {
			const struct kc_iodom *d = &kc.iodoms[id];
			digest_u64(&h, d->state);
			if (d->state == IODOM_FREE)
				continue;
			digest_u64(&h, d->owner);
			digest_u64(&h, d->attached);
			digest_u64(&h, d->mapped);
			digest_tree(&h, &d->pgt);
		}
		for (unsigned id = 1; id <= kc.cfg.max_vms; id++) {
			const struct kc_vm *vm = &kc.vms[id];
			digest_u64(&h, vm->state);
			if (vm->state == VM_FREE)
				continue;
			/* Field by field: the lock's tickets move even when nothing changes. */
			digest_u64(&h, vm->images_mapped);
			digest_u64(&h, vm->nimages);
			digest_u64(&h, vm->nframes);
			digest_u64(&h, vm->reclaim_cursor);
			crypto_sha256_update(&h, vm->images, sizeof(vm->images));
			crypto_sha256_update(&h, &vm->layout, sizeof(vm->layout));
			for (unsigned i = 0; i < KC_MAX_VCPUS; i++) {
				const struct kc_vcpu *v = &vm->vcpus[i];
				digest_u64(&h, vcpu_state(v));
				digest_u64(&h, v->pending);
				digest_u64(&h, v->fault_ipa);
				digest_u64(&h, v->fault_esr);
				crypto_sha256_update(&h, &v->regs, sizeof(v->regs));
			}
			digest_tree(&h, &vm->s2);
			/* The session, key included (a digest shows nothing of it). */
			digest_u64(&h, vm->xfer.sid);
			crypto_sha256_update(&h, vm->xfer.salt, sizeof(vm->xfer.salt));
			crypto_sha256_update(&h, vm->xfer.key, sizeof(vm->xfer.key));
			digest_u64(&h, vm->xfer.counter);
			digest_u64(&h, vm->xfer.next_gfn);
			digest_u64(&h, vm->xfer.pages);
			digest_u64(&h, vm->xfer.guards);
			digest_u64(&h, vm->xfer.vcpus);
			for (unsigned i = 0; i < KC_MAX_VCPUS; i++)
				digest_u64(&h, vm->vcpus[i].power);
		}
		digest_u64(&h, kc.xfer_next_sid);
		for (unsigned i = 0; i < KC_XFER_READY; i++) {
			digest_u64(&h, kc.xfer_ready[i].sid);
			crypto_sha256_update(&h, kc.xfer_ready[i].salt,
					     sizeof(kc.xfer_ready[i].salt));
		}
	}
	crypto_sha256_final(&h, out);
}
