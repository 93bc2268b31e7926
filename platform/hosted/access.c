/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * access.c — loads, stores and fetches by a CPU through the MMU + TLB model.
 *
 * This is how tests play the host (through its stage 2), a guest (through
 * its VM's stage 2) or kcore itself (through the EL2 map): every access is
 * translated the way the hardware would, stale TLB entries included, so an
 * isolation bug in core shows up as data reaching the wrong frame.
 */
#include "hm_internal.h"

#include <string.h>

enum hm_fault hm_access(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx, uint64_t addr,
			enum hm_access_kind kind, struct hm_walk *out)
{
	enum hm_fault f;
	bool ok;

	if (cpu >= m->cfg.ncpus)
		hm_bug("hm_access: CPU %u of %u", cpu, m->cfg.ncpus);
	f = hm_tlb_translate(m, cpu, ctx, addr, out);
	if (f != HM_FAULT_NONE)
		return f;
	switch (kind) {
	case HM_READ:
		ok = out->r;
		break;
	case HM_WRITE:
		ok = out->w;
		break;
	case HM_EXEC:
		ok = out->x;
		break;
	default:
		hm_bug("hm_access: bad access kind %d", (int)kind);
	}
	if (!ok) {
		out->fault = HM_FAULT_PERMISSION;
		out->fault_level = out->leaf_level;
	}
	return out->fault;
}

/* Copy through the model one page at a time (each page translates anew). */
static enum hm_fault copy(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			  uint64_t addr, void *host, size_t len, bool store, struct hm_walk *out)
{
	struct hm_walk w = { .fault_level = -1, .leaf_level = -1 };
	uint8_t *h = host;

	while (len) {
		size_t chunk = HM_PAGE_SIZE - (addr & (HM_PAGE_SIZE - 1));
		uint8_t *p;

		if (chunk > len)
			chunk = len;
		if (hm_access(m, cpu, ctx, addr, store ? HM_WRITE : HM_READ, &w) != HM_FAULT_NONE)
			break;
		/* No device models yet: an access that leaves RAM aborts. */
		p = hm_phys(m, w.pa, chunk);
		if (!p) {
			w.fault = HM_FAULT_EXTERNAL;
			w.fault_level = -1;
			break;
		}
		if (store)
			memcpy(p, h, chunk);
		else
			memcpy(h, p, chunk);
		h += chunk;
		addr += chunk;
		len -= chunk;
	}
	if (out)
		*out = w;
	return w.fault;
}

enum hm_fault hm_load(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx, uint64_t addr,
		      void *buf, size_t len, struct hm_walk *out)
{
	return copy(m, cpu, ctx, addr, buf, len, false, out);
}

enum hm_fault hm_store(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx, uint64_t addr,
		       const void *buf, size_t len, struct hm_walk *out)
{
	/* copy() only reads from the host buffer when storing. */
	return copy(m, cpu, ctx, addr, (void *)(uintptr_t)buf, len, true, out);
}
