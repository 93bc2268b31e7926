/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IO domains and the SMMU's stream table (docs/SMMU.md): the host calls
 * KC_HC_IODOM_* and KC_HC_SMMU_EVENT.
 *
 * A domain belongs to the host or to one VM and has an IO page table of
 * kcore's, in the stage-2 format, from the domain's own pool of CORE
 * frames.  A host domain maps host frames and IO, and each leaf to a host
 * frame raises the frame's DMA count (core/state.h), which keeps the frame
 * from going to a VM or to kcore while a device may reach it.  A VM domain
 * maps only that VM's frames, at IOVA = the IPA kcore recorded for each.
 * Every leaf is a 4 KiB page and never executable; unmapping one, and
 * detaching or freeing, invalidates the SMMUs before the call returns.
 *
 * Each handler decodes, validates, takes its locks (vm->lock -> smmu_lock
 * -> frames_lock), checks everything, then commits: a refusal changes
 * nothing.  No SMMU in the layout, or max_iodoms 0: every call KC_ENOTSUP.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>

#include "ioclaim.h"
#include "vm.h"

#define IODOM_L3_SPAN (1ull << (PGT_PAGE_SHIFT + 9)) /* what one last-level table maps */

static bool iodom_enabled(void)
{
	return kc.iova_limit != 0;
}

/* The live domain `id`, locked under smmu_lock: KC_EINVAL / KC_ENOENT otherwise. */
static int iodom_lock(uint64_t id, struct kc_iodom **out)
{
	if (!iodom_enabled())
		return KC_ENOTSUP;
	if (id - 1 >= kc.cfg.max_iodoms)
		return KC_EINVAL;
	lock_acquire(&kc.smmu_lock);
	struct kc_iodom *d = &kc.iodoms[id];
	if (d->state != IODOM_LIVE) {
		lock_release(&kc.smmu_lock);
		return KC_ENOENT;
	}
	*out = d;
	return KC_OK;
}

static uint16_t iodom_id(const struct kc_iodom *d)
{
	return (uint16_t)(d - kc.iodoms);
}

bool iodom_vm_has_domains(uint16_t id)
{
	bool has = false;

	lock_acquire(&kc.smmu_lock);
	for (unsigned i = 1; i <= kc.cfg.max_iodoms && !has; i++)
		has = kc.iodoms[i].state == IODOM_LIVE && kc.iodoms[i].owner == id;
	lock_release(&kc.smmu_lock);
	return has;
}

int hc_iodom_alloc(const uint64_t *args, uint64_t *res)
{
	uint64_t owner = args[0];
	struct kc_vm *vm = NULL;

	if (!iodom_enabled())
		return KC_ENOTSUP;
	if (owner != OWNER_HOST) {
		/* A VM that can still run; never a dying one (RECLAIM waits for its domains). */
		int rc = vm_lock_in(owner, (1u << VM_CREATED) | (1u << VM_VERIFIED), &vm);
		if (rc)
			return rc;
	}
	int rc = KC_ENOMEM;
	lock_acquire(&kc.smmu_lock);
	for (unsigned id = 1; id <= kc.cfg.max_iodoms; id++) {
		struct kc_iodom *d = &kc.iodoms[id];
		if (d->state != IODOM_FREE)
			continue;
		/* Each id owns a fixed run of CORE frames, left scrubbed by IODOM_FREE. */
		pgt_pool_init(&d->pool,
			      kc.iodom_pools + ((uint64_t)(id - 1) * kc.cfg.iodom_pool_pages
						<< PGT_PAGE_SHIFT),
			      kc.cfg.iodom_pool_pages);
		if (pgt_init(&d->pgt, PGT_S2, 0, &d->pool) != KC_OK)
			plat_panic("iodom: an empty domain pool has no page for a root");
		d->owner = (uint16_t)owner;
		d->attached = 0;
		d->mapped = 0;
		d->state = IODOM_LIVE;
		touch_io();
		res[0] = id;
		rc = KC_OK;
		break;
	}
	lock_release(&kc.smmu_lock);
	if (vm)
		lock_release(&vm->lock);
	return rc;
}

/* A host frame loses one DMA mapping.  frames_lock held. */
static void iodom_host_put_locked(kc_paddr_t pa)
{
	frame_t *f = frame_of_locked(pa);

	if (!f)
		return; /* IO: nothing counted */
	if (frame_owner(*f) != OWNER_HOST || frame_count(*f) == 0)
		plat_panic("iodom: a host IO leaf maps a frame without a DMA count");
	frame_set(f, *f - (1ull << FRAME_COUNT_SHIFT));
}

int hc_iodom_free(const uint64_t *args, uint64_t *res)
{
	struct kc_iodom *d;
	(void)res;

	int rc = iodom_lock(args[0], &d);
	if (rc)
		return rc;
	if (d->attached) {
		lock_release(&kc.smmu_lock);
		return KC_EBUSY; /* DETACH every stream first */
	}
	uint16_t tag = iodom_id(d);
	uint64_t va, from = 0;
	struct pgt_leaf leaf;
	lock_acquire(&kc.frames_lock);
	/* No stream uses the table: leaves go without an invalidation each, in IOVA order. */
	while (pgt_take_next(&d->pgt, from, &va, &leaf)) {
		if (d->owner == OWNER_HOST)
			iodom_host_put_locked(leaf.pa);
		from = va + PGT_PAGE_SIZE;
	}
	/*
	 * Whatever an SMMU cached under the tag goes before a frame whose count
	 * reached 0 can change hands (under frames_lock) or the id is reused.
	 */
	plat_smmu_tlbi_tag(tag);
	lock_release(&kc.frames_lock);
	/* The table pages stay CORE, scrubbed, for the id's next domain. */
	frame_scrub(d->pool.base, d->pool.bump);
	memset(&d->pgt, 0, sizeof(d->pgt));
	memset(&d->pool, 0, sizeof(d->pool));
	d->owner = 0;
	d->mapped = 0;
	d->state = IODOM_FREE;
	touch_io();
	lock_release(&kc.smmu_lock);
	return KC_OK;
}

/*
 * ATTACH's and DETACH's arguments: the live domain args[0], locked under
 * smmu_lock, and the stream table's slot of (SMMU args[1], stream args[2]).
 * KC_EINVAL for a stream the layout does not have, else as iodom_lock.
 */
static int iodom_stream_lock(const uint64_t *args, struct kc_iodom **d, uint8_t **slot)
{
	uint64_t smmu = args[1], sid = args[2];

	if (iodom_enabled() && (smmu >= kc.layout.nsmmus || sid >= kc.layout.smmus[smmu].nstreams))
		return KC_EINVAL;
	int rc = iodom_lock(args[0], d);
	if (!rc)
		*slot = &kc.streams[smmu][sid];
	return rc;
}

int hc_iodom_attach(const uint64_t *args, uint64_t *res)
{
	struct kc_iodom *d;
	uint8_t *s;
	(void)res;

	int rc = iodom_stream_lock(args, &d, &s);
	if (rc)
		return rc;
	if (*s) {
		/* One domain per stream: DETACH first, so no stream ever switches unseen. */
		rc = *s == iodom_id(d) ? KC_EEXIST : KC_EBUSY;
	} else {
		*s = (uint8_t)iodom_id(d);
		d->attached++;
		touch_io();
		plat_smmu_stream_set((unsigned)args[1], (uint32_t)args[2], iodom_id(d),
				     d->pgt.root);
	}
	lock_release(&kc.smmu_lock);
	return rc;
}

/*
 * What SMMU_EVENT may show of `ev`: its IOVA only if its stream is not in a
 * VM's domain now (a VM's DMA addresses are its own).  smmu_lock held.
 */
static void iodom_event_hide_locked(struct kc_smmu_event *ev)
{
	if (ev->smmu < kc.layout.nsmmus && ev->sid < kc.layout.smmus[ev->smmu].nstreams) {
		unsigned dom = kc.streams[ev->smmu][ev->sid];
		if (!dom || kc.iodoms[dom].owner == OWNER_HOST)
			return;
	}
	ev->iova = 0;
}

/*
 * Take every event the SMMUs hold into kc.smmu_evq, each with what the host
 * may see of it decided now.  A DETACH from a VM's domain calls it after the
 * stream aborts (so no more of its events come) and before the stream
 * forgets the domain: an event the VM's device caused cannot be read later,
 * from a stream the host has since detached or given to itself, with its
 * IOVA.  smmu_lock held.
 */
static void iodom_drain_events_locked(void)
{
	struct kc_smmu_evq *q = &kc.smmu_evq;
	struct kc_smmu_event ev;

	/* Zeroed whole, padding too: the queue is part of kcore_digest. */
	for (memset(&ev, 0, sizeof(ev)); plat_smmu_event_next(&ev); memset(&ev, 0, sizeof(ev))) {
		iodom_event_hide_locked(&ev);
		if (q->n == KC_SMMU_EVQ) {
			q->head = (q->head + 1) % KC_SMMU_EVQ;
			q->n--;
			q->lost++;
		}
		q->ev[(q->head + q->n) % KC_SMMU_EVQ] = ev;
		q->n++;
	}
}

int hc_iodom_detach(const uint64_t *args, uint64_t *res)
{
	struct kc_iodom *d;
	uint8_t *s;
	(void)res;

	int rc = iodom_stream_lock(args, &d, &s);
	if (rc)
		return rc;
	if (*s != iodom_id(d)) {
		rc = KC_ENOENT;
	} else {
		/* Abort from now on; the SMMU drops the stream's config and the tag's IOTLB. */
		plat_smmu_stream_set((unsigned)args[1], (uint32_t)args[2], iodom_id(d), 0);
		if (d->owner != OWNER_HOST)
			iodom_drain_events_locked();
		*s = 0;
		d->attached--;
		touch_io();
	}
	lock_release(&kc.smmu_lock);
	return rc;
}

/* KC_IO_* -> pgt rights: R, or R and W.  W alone has no stage-2 leaf pgt writes. */
static int iodom_prot(uint64_t io, pgt_prot_t *prot)
{
	if (io == KC_IO_R)
		*prot = PGT_PROT_R;
	else if (io == (KC_IO_R | KC_IO_W))
		*prot = PGT_PROT_R | PGT_PROT_W;
	else
		return KC_EINVAL;
	return KC_OK;
}

/* An IOVA range every SMMU translates: page aligned, 1..KC_IODOM_MAX_PAGES pages. */
static int iodom_range_valid(uint64_t iova, uint64_t pages)
{
	if (pages < 1 || pages > KC_IODOM_MAX_PAGES || (iova & (PGT_PAGE_SIZE - 1)) ||
	    iova >= kc.iova_limit || (pages << PGT_PAGE_SHIFT) > kc.iova_limit - iova)
		return KC_EINVAL;
	return KC_OK;
}

/*
 * The table pages mapping `n` pages from `iova` needs, exactly: each
 * last-level table the range enters, with the tables above it that the
 * previous one did not already bring.
 */
static uint64_t iodom_tables_needed(const struct pgt *t, uint64_t iova, uint64_t n)
{
	uint64_t need = 0, prev = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t va = iova + (i << PGT_PAGE_SHIFT);
		if (i && (va & (IODOM_L3_SPAN - 1)))
			continue; /* inside the last-level table counted before */
		unsigned missing = pgt_tables_needed(t, va, PGT_LEAF_LEVEL);
		/* Tables of this path that the previous path did not share. */
		unsigned fresh = !i || (va >> 39) != (prev >> 39) ? 3
				 : (va >> 30) != (prev >> 30)	  ? 2
								  : 1;
		need += missing < fresh ? missing : fresh;
		prev = va;
	}
	return need;
}

/* Whether domain `d` may map frame (or IO page) `pa` at `iova`.  frames_lock held. */
static int iodom_may_map_locked(const struct kc_iodom *d, uint64_t iova, kc_paddr_t pa)
{
	const frame_t *f = frame_of_locked(pa);

	if (d->owner != OWNER_HOST) {
		/* A VM's DMA reaches only its own memory, where the VM sees it. */
		if (!f || frame_owner(*f) != d->owner || frame_gfn(*f) != iova >> PGT_PAGE_SHIFT)
			return KC_EPERM;
		return KC_OK;
	}
	if (!f) /* IO no VM holds alone; never kcore's own devices (an SMMU's registers) */
		return frame_is_io(pa) && !ioclaim_host_denied_locked(pa) ? KC_OK : KC_EPERM;
	if (frame_owner(*f) != OWNER_HOST)
		return KC_EPERM; /* a VM's (shared or not) or kcore's */
	return frame_count(*f) == FRAME_COUNT_MAX ? KC_EBUSY : KC_OK;
}

int hc_iodom_map(const uint64_t *args, uint64_t *res)
{
	uint64_t iova = args[1], pa = args[2], pages = args[3];
	pgt_prot_t prot = 0;
	struct kc_iodom *d;
	(void)res;

	if (iodom_enabled() && (iodom_range_valid(iova, pages) || iodom_prot(args[4], &prot) ||
				(pa & (PGT_PAGE_SIZE - 1)) || pa >= (1ull << PGT_OA_BITS) ||
				(pages << PGT_PAGE_SHIFT) > (1ull << PGT_OA_BITS) - pa))
		return KC_EINVAL;
	int rc = iodom_lock(args[0], &d);
	if (rc)
		return rc;
	lock_acquire(&kc.frames_lock);
	if (pages == 1) {
		/* One page (a driver's buffer): one walk checks and places the leaf. */
		struct pgt_prep prep;
		frame_t *f = frame_of_locked(pa);
		pgt_prot_t p = f ? prot : prot | PGT_PROT_DEVICE;
		rc = iodom_may_map_locked(d, iova, pa);
		if (!rc)
			rc = pgt_map_prepare(&d->pgt, iova, pa, PGT_LEAF_LEVEL, p, &prep);
		if (!rc) {
			if (f && d->owner == OWNER_HOST)
				frame_set(f,
					  *f + (1ull << FRAME_COUNT_SHIFT)); /* the count first */
			pgt_map_prepared(&d->pgt, &prep, pa, p);
			d->mapped++;
		}
		lock_release(&kc.frames_lock);
		lock_release(&kc.smmu_lock);
		return rc;
	}
	for (uint64_t i = 0; i < pages && !rc; i++) {
		uint64_t off = i << PGT_PAGE_SHIFT;
		struct pgt_leaf leaf;
		rc = iodom_may_map_locked(d, iova + off, pa + off);
		if (!rc && pgt_lookup(&d->pgt, iova + off, &leaf))
			rc = KC_EEXIST;
	}
	if (!rc && iodom_tables_needed(&d->pgt, iova, pages) > pgt_pool_available(&d->pool))
		rc = KC_ENOMEM;
	if (!rc) {
		for (uint64_t i = 0; i < pages; i++) {
			uint64_t off = i << PGT_PAGE_SHIFT;
			frame_t *f = frame_of_locked(pa + off);
			pgt_prot_t p = f ? prot : prot | PGT_PROT_DEVICE;
			/* The count first: a leaf never maps a host frame it does not count. */
			if (f && d->owner == OWNER_HOST)
				frame_set(f, *f + (1ull << FRAME_COUNT_SHIFT));
			if (pgt_map(&d->pgt, iova + off, pa + off, PGT_LEAF_LEVEL, p) != KC_OK)
				plat_panic("iodom: an IO leaf failed to map after its check");
		}
		d->mapped += pages;
	}
	lock_release(&kc.frames_lock);
	lock_release(&kc.smmu_lock);
	return rc;
}

int hc_iodom_unmap(const uint64_t *args, uint64_t *res)
{
	uint64_t iova = args[1], pages = args[2];
	struct kc_iodom *d;
	struct pgt_leaf leaf;
	(void)res;

	if (iodom_enabled() && iodom_range_valid(iova, pages))
		return KC_EINVAL;
	int rc = iodom_lock(args[0], &d);
	if (rc)
		return rc;
	/* All or nothing: every page first (one page: taking it below is its check). */
	for (uint64_t i = 0; i < pages && pages > 1 && !rc; i++)
		if (!pgt_lookup(&d->pgt, iova + (i << PGT_PAGE_SHIFT), &leaf))
			rc = KC_ENOENT;
	if (!rc) {
		lock_acquire(&kc.frames_lock);
		for (uint64_t i = 0; i < pages && !rc; i++) {
			kc_paddr_t pa;
			/* No invalidation per page: one for the range follows. */
			rc = pgt_take_page(&d->pgt, iova + (i << PGT_PAGE_SHIFT), &pa);
			if (rc && pages > 1)
				plat_panic("iodom: a leaf checked under the lock went away");
			if (!rc && d->owner == OWNER_HOST)
				iodom_host_put_locked(pa);
		}
		if (!rc) {
			/*
			 * One invalidation for the range, before the call returns and
			 * before a frame whose count reached 0 can change hands (that
			 * needs frames_lock, and this holds it).
			 */
			plat_smmu_tlbi_range(iodom_id(d), iova, pages << PGT_PAGE_SHIFT);
			d->mapped -= pages;
		}
		lock_release(&kc.frames_lock);
	}
	lock_release(&kc.smmu_lock);
	return rc;
}

/* Whether a leaf of a host domain maps a page of [pa, pa + n pages).  smmu_lock held. */
static bool iodom_host_maps_locked(kc_paddr_t pa, uint64_t n)
{
	for (unsigned id = 1; id <= kc.cfg.max_iodoms; id++) {
		const struct kc_iodom *d = &kc.iodoms[id];
		uint64_t va = 0, desc;
		unsigned level;
		kc_paddr_t out;
		pgt_prot_t prot;
		if (d->state != IODOM_LIVE || d->owner != OWNER_HOST)
			continue;
		while (pgt_next_entry(&d->pgt, va, &va, &desc, &level)) {
			if (pgt_decode_leaf(PGT_S2, desc, level, &out, &prot) &&
			    out - pa < (n << PGT_PAGE_SHIFT))
				return true;
			va += PGT_PAGE_SIZE;
		}
	}
	return false;
}

int iodom_io_busy_locked(kc_paddr_t pa, uint64_t n)
{
	LOCK_ASSERT_HELD(&kc.smmu_lock);
	/* Device pages are not in the frame table, so no count: look (VM_MAP_IO is rare). */
	return iodom_enabled() && iodom_host_maps_locked(pa, n) ? KC_EBUSY : KC_OK;
}

int hc_iodom_lookup(const uint64_t *args, uint64_t *res)
{
	uint64_t iova = args[1];
	struct kc_iodom *d;

	if (iodom_enabled() && iova >= kc.iova_limit)
		return KC_EINVAL; /* any byte of the IOVA space: its PA comes back */
	int rc = iodom_lock(args[0], &d);
	if (rc)
		return rc;
	struct pgt_leaf leaf;
	if (!pgt_lookup(&d->pgt, iova, &leaf)) {
		rc = KC_ENOENT;
	} else {
		res[0] = leaf.pa;
		res[1] = KC_IO_R | (leaf.prot & PGT_PROT_W ? KC_IO_W : 0);
	}
	lock_release(&kc.smmu_lock);
	return rc;
}

int hc_smmu_event(const uint64_t *args, uint64_t *res)
{
	struct kc_smmu_event ev;
	(void)args;

	if (!iodom_enabled())
		return KC_ENOTSUP;
	lock_acquire(&kc.smmu_lock);
	/* What kcore drained at a DETACH comes first: it is older. */
	bool got = kc.smmu_evq.n > 0;
	if (got) {
		ev = kc.smmu_evq.ev[kc.smmu_evq.head];
		kc.smmu_evq.head = (kc.smmu_evq.head + 1) % KC_SMMU_EVQ;
		kc.smmu_evq.n--;
	} else if ((got = plat_smmu_event_next(&ev))) {
		iodom_event_hide_locked(&ev);
	}
	lock_release(&kc.smmu_lock);
	if (!got)
		return KC_ENOENT;
	res[0] = (uint64_t)ev.smmu << 32 | ev.sid;
	res[1] = ev.iova;
	res[2] = (ev.fault & 0xffu) | (ev.write ? KC_IO_W << 8 : 0);
	return KC_OK;
}
