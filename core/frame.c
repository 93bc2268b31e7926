/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The frame table: owner, share count and guest frame of every RAM frame,
 * 8 bytes each (core/state.h has the encoding).  Every table update in
 * kcore is derived from and checked against it, under frames_lock.
 */
#include <kcore/mem.h>

#include "state.h"

/*
 * Below a region's base, pa - base wraps to a huge index, which the one
 * compare with npages rejects as well (regions are far smaller than 2^52
 * pages): one test per region on the fault path.
 */
static const frame_t *frame_find(kc_paddr_t pa)
{
	for (unsigned i = 0; i < kc.nram; i++) {
		const struct kc_ram *r = &kc.ram[i];
		uint64_t idx = (pa - r->base) >> PGT_PAGE_SHIFT;
		if (idx < r->npages)
			return &kc.frames[r->first + idx];
	}
	return NULL;
}

frame_t *frame_of_locked(kc_paddr_t pa)
{
	LOCK_ASSERT_HELD(&kc.frames_lock);
	return (frame_t *)frame_find(pa);
}

const frame_t *frame_peek(kc_paddr_t pa)
{
	return frame_find(pa);
}

kc_paddr_t frame_pa(uint64_t i)
{
	for (unsigned r = 0; r < kc.nram; r++)
		if (i >= kc.ram[r].first && i - kc.ram[r].first < kc.ram[r].npages)
			return kc.ram[r].base + ((i - kc.ram[r].first) << PGT_PAGE_SHIFT);
	plat_panic("frame: index beyond the frame table");
}

bool frame_is_io(kc_paddr_t pa)
{
	if (pa >= (1ull << PGT_OA_BITS) || frame_find(pa))
		return false;
	for (unsigned i = 0; i < kc.layout.ndevices; i++) {
		const struct kc_region *d = &kc.layout.devices[i];
		if (pa >= d->base && pa - d->base < d->size)
			return false; /* kcore's own: no VM's, the host's only if shared */
	}
	return true;
}

bool frame_is_host_shared_device(kc_paddr_t pa)
{
	for (unsigned i = 0; i < kc.layout.ndevices && i < KC_MAX_DEVICES; i++) {
		const struct kc_region *d = &kc.layout.devices[i];
		if (pa >= d->base && pa - d->base < d->size)
			return (kc.layout.devices_host_shared >> i) & 1;
	}
	return false;
}

void frame_scrub(kc_paddr_t pa, uint64_t n)
{
	/* Callers pass runs of one RAM region, which are contiguous here too. */
	void *p = plat_phys_to_virt(pa);

	memset(p, 0, n << PGT_PAGE_SHIFT);
	/* The next owner may map it non-cacheable: no old line may survive. */
	plat_dcache_clean_inval_poc(p, n << PGT_PAGE_SHIFT);
}
