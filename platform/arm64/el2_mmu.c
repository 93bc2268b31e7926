/* SPDX-License-Identifier: BSD-2-Clause */
#include "el2_mmu.h"

#include "sysreg.h"

static uint64_t el2_mmu_tcr(void)
{
	/*
	 * Output size: what the CPU implements, but no more than the 48 bits
	 * a 4 KiB-granule descriptor holds without FEAT_LPA2.
	 */
	uint64_t ps = MMFR0_PARANGE(read_sysreg(id_aa64mmfr0_el1));

	if (ps > PARANGE_48)
		ps = PARANGE_48;
	/* Walks are cacheable and inner shareable, matching the Normal memory pgt maps. */
	return TCR_EL2_RES1 | TCR_EL2_T0SZ(PGT_IA_BITS) | TCR_EL2_IRGN0_WBWA | TCR_EL2_ORGN0_WBWA |
	       TCR_EL2_SH0_INNER | TCR_EL2_TG0_4K | (ps << TCR_EL2_PS_SHIFT);
}

/*
 * With the MMU off every data access was non-cacheable, so memory holds
 * what kcore wrote, but the caches may still hold lines from before kcore
 * ran (a boot loader's).  Invalidate them, or the first cacheable reads of
 * the tables (by the walker), .data or the stack could see stale bytes.
 * Nothing of ours can be dirty in the cache, so invalidating loses nothing.
 */
static void el2_dcache_inval_poc(uint64_t start, uint64_t end)
{
	uint64_t line = 4ull << CTR_DMINLINE(read_sysreg(ctr_el0));

	for (uint64_t p = start & ~(line - 1); p < end; p += line)
		__asm__ volatile("dc ivac, %0" : : "r"(p) : "memory");
	dsb(sy);
}

void el2_mmu_enable(kc_paddr_t root, const struct kc_region *image)
{
	uint64_t sctlr;

	el2_dcache_inval_poc(image->base, image->base + image->size);

	write_sysreg(mair_el2, PGT_MAIR_EL2);
	write_sysreg(tcr_el2, el2_mmu_tcr());
	write_sysreg(ttbr0_el2, root);
	isb();
	/* Nothing from before may survive in the TLBs or the I-cache. */
	__asm__ volatile("tlbi alle2\n\t"
			 "ic iallu\n\t"
			 "dsb nsh\n\t"
			 "isb"
			 :
			 :
			 : "memory");

	/*
	 * A whole value, not read-modify-write: the reset value of
	 * SCTLR_EL2 is architecturally UNKNOWN outside its RES1 bits.
	 * M: translate.  C, I: cache data and instructions.  WXN: a writable
	 * page is never executable, whatever its descriptor says (core maps
	 * W^X already; this makes the hardware hold it too).  SA: SP must be
	 * 16-byte aligned.  A = 0: Normal memory allows unaligned accesses
	 * once the MMU is on.  EE = 0: little-endian tables and data.
	 */
	sctlr = SCTLR_EL2_RES1 | SCTLR_EL2_M | SCTLR_EL2_C | SCTLR_EL2_I | SCTLR_EL2_WXN |
		SCTLR_EL2_SA;
	write_sysreg(sctlr_el2, sctlr);
	isb();
}

bool el2_mmu_is_on(void)
{
	return (read_sysreg(sctlr_el2) & SCTLR_EL2_M) != 0;
}

bool el2_mmu_translate(uint64_t va, uint64_t *pa)
{
	uint64_t par;

	__asm__ volatile("at s1e2r, %0\n\t"
			 "isb"
			 :
			 : "r"(va)
			 : "memory");
	par = read_sysreg(par_el1);
	if (par & PAR_F)
		return false;
	*pa = PAR_PA(par) | (va & 0xfffu);
	return true;
}
