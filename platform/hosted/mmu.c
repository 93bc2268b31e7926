/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mmu.c — a table walker for Armv8-A VMSAv8-64 descriptors, 4 KiB granule,
 * 48-bit input, four levels starting at level 0.
 *
 * The descriptor bits are written here from the architecture (Arm ARM
 * D8.3), NOT taken from core/include/kcore/pgt.h: this walker is the
 * independent check of core's encoding, so a shared mistake would hide.
 *
 * Regimes: EL2 stage 1 without VHE (one range, TTBR0_EL2, no EL0) and
 * stage 2 with FWB off.  Not modelled: contiguous hint, nG/ASIDs, hardware
 * AF/dirty management, 52-bit addresses, SCTLR_EL2.WXN, FEAT_XNX's EL0/EL1
 * split of stage-2 XN (bit 54 alone decides), execute-never for Device.
 */
#include "hm_internal.h"

#include <string.h>

/* bits[1:0]: bit 0 = valid; bit 1 = table (levels 0-2) or page (level 3). */
#define DESC_VALID	(1ull << 0)
#define DESC_TYPE_BIT	(1ull << 1)
/* Lower attributes, shared layout. */
#define DESC_AF		(1ull << 10)
/* Output address [47:12]; bits [51:48] must be zero with a 48-bit PA size. */
#define DESC_OA_MASK	0x0000fffffffff000ull
#define DESC_OA_HIGH	0x000f000000000000ull
/* Upper attributes: XN (stage 1 EL2) / XN[1] (stage 2). */
#define DESC_XN		(1ull << 54)

/* Stage 1, EL2: AttrIndx[2:0] at [4:2], AP[2] (read-only) at 7; AP[1] is RES1. */
#define S1_ATTRINDX(d)	((unsigned)((d) >> 2) & 7u)
#define S1_AP2_RO	(1ull << 7)
/* Stage 1 table descriptors: APTable[1] (no write below) and XNTable. */
#define S1_TBL_APTABLE1 (1ull << 62)
#define S1_TBL_XNTABLE	(1ull << 60)

/* Stage 2: MemAttr[3:0] at [5:2]; S2AP[0] read at 6, S2AP[1] write at 7. */
#define S2_MEMATTR(d)	((unsigned)((d) >> 2) & 0xfu)
#define S2_AP_READ	(1ull << 6)
#define S2_AP_WRITE	(1ull << 7)

static unsigned level_shift(int level)
{
	return 12u + 9u * (unsigned)(3 - level);
}

static enum hm_fault fail(struct hm_walk *out, enum hm_fault f, int level)
{
	out->fault = f;
	out->fault_level = level;
	return f;
}

/* Fill the leaf's attributes; S1 table restrictions are passed in. */
static void decode_leaf(const struct hm_ctx *ctx, uint64_t d, bool tbl_ro, bool tbl_xn,
			struct hm_walk *out)
{
	out->desc = d;
	if (ctx->regime == HM_REGIME_S1_EL2) {
		uint8_t attr = (uint8_t)(ctx->mair >> (8 * S1_ATTRINDX(d)));

		out->attr = attr;
		/* MAIR: an attribute byte 0b0000dd00 is Device-nGnRnE..GRE. */
		out->device = (attr & 0xf0) == 0;
		out->r = true;
		out->w = !(d & S1_AP2_RO) && !tbl_ro;
		out->x = !(d & DESC_XN) && !tbl_xn;
	} else {
		unsigned memattr = S2_MEMATTR(d);

		out->attr = (uint8_t)memattr;
		/* FWB off: MemAttr[3:2] == 0b00 is Device, anything else Normal. */
		out->device = (memattr & 0xcu) == 0;
		out->r = (d & S2_AP_READ) != 0;
		out->w = (d & S2_AP_WRITE) != 0;
		out->x = !(d & DESC_XN);
	}
}

enum hm_fault hm_mmu_walk(struct hm_machine *m, const struct hm_ctx *ctx, uint64_t addr,
			  struct hm_walk *out)
{
	uint64_t table = ctx->root;
	bool tbl_ro = false, tbl_xn = false;

	memset(out, 0, sizeof(*out));
	out->fault_level = -1;
	out->leaf_level = -1;
	if (ctx->regime != HM_REGIME_S1_EL2 && ctx->regime != HM_REGIME_S2)
		hm_bug("hm_mmu_walk: bad regime %d", (int)ctx->regime);
	/* Input beyond T0SZ = 16: a level-0 translation fault. */
	if (addr >> HM_VA_BITS)
		return fail(out, HM_FAULT_TRANSLATION, 0);
	/* A root with BADDR bits below the table size or above 2^48 set. */
	if ((table & ~DESC_OA_MASK) != 0)
		return fail(out, HM_FAULT_ADDR_SIZE, 0);

	for (int level = 0; level <= 3; level++) {
		unsigned shift = level_shift(level);
		uint64_t slot = table + 8 * ((addr >> shift) & 511u);
		const uint64_t *p = hm_phys(m, slot, 8);
		uint64_t d;

		/* Tables live in RAM; anything else is an abort on the walk. */
		if (!p)
			return fail(out, HM_FAULT_EXTERNAL, level);
		/*
		 * Single-copy atomic, as the hardware walker reads it; acquire,
		 * with hm_fence_acquire: a table it links to was zeroed before
		 * the link was written (core/pgt.c pgt_commit), and this walk
		 * must see that, not the page's old contents.
		 */
		d = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		hm_fence_acquire();
		if (!(d & DESC_VALID))
			return fail(out, HM_FAULT_TRANSLATION, level);
		if (level < 3 && (d & DESC_TYPE_BIT)) {
			if (d & DESC_OA_HIGH)
				return fail(out, HM_FAULT_ADDR_SIZE, level);
			if (ctx->regime == HM_REGIME_S1_EL2) {
				tbl_ro |= (d & S1_TBL_APTABLE1) != 0;
				tbl_xn |= (d & S1_TBL_XNTABLE) != 0;
			}
			table = d & DESC_OA_MASK;
			continue;
		}
		/* A "block" at level 0 or at level 3 (0b01) is reserved: invalid. */
		if (level == 0 || (level == 3 && !(d & DESC_TYPE_BIT)))
			return fail(out, HM_FAULT_TRANSLATION, level);

		uint64_t size = 1ull << shift;
		uint64_t oa = d & DESC_OA_MASK;

		out->leaf_level = level;
		out->leaf_size = size;
		out->pa = oa | (addr & (size - 1));
		decode_leaf(ctx, d, tbl_ro, tbl_xn, out);
		if ((d & DESC_OA_HIGH) || (oa & (size - 1)))
			return fail(out, HM_FAULT_ADDR_SIZE, level);
		if (!(d & DESC_AF))
			return fail(out, HM_FAULT_ACCESS_FLAG, level);
		out->fault = HM_FAULT_NONE;
		return HM_FAULT_NONE;
	}
	/* Unreachable: level 3 always ends the loop. */
	hm_bug("hm_mmu_walk: walked past level 3");
}
