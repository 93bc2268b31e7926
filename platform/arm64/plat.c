/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform.h on Armv8-A at EL2 (non-VHE): address translation, TLB and
 * cache maintenance, barriers and the CPU id.  Every TLB function follows
 * the contract in platform.h: DSB ISHST first (the descriptor writes reach
 * the table walkers), TLBI ...IS (all CPUs of the inner shareable domain),
 * then DSB ISH (the invalidation completed everywhere) and ISB (this CPU
 * refetches with the new translations).
 */
#include <kcore/platform.h>

#include "arm64_percpu.h"
#include "arm64_plat.h"
#include "sysreg.h"

static const struct kc_boot_layout *plat_layout;

void arm64_plat_set_ram(const struct kc_boot_layout *layout)
{
	plat_layout = layout;
}

void *plat_phys_to_virt(kc_paddr_t pa)
{
	/*
	 * Identity: kcore's map has VA = PA for all RAM.  Anything outside
	 * the RAM declared at boot is a core bug (core checks ranges first),
	 * so stop rather than hand out a pointer to MMIO or nothing.
	 */
	if (plat_layout) {
		for (unsigned i = 0; i < plat_layout->nram; i++) {
			const struct kc_region *r = &plat_layout->ram[i];

			if (pa >= r->base && pa - r->base < r->size)
				return (void *)(uintptr_t)pa;
		}
	}
	plat_panic("plat_phys_to_virt: address outside the RAM declared at boot");
}

void plat_tlbi_el2_va(uint64_t va)
{
	/* TLBI VAE2IS takes VA[55:12] in bits [43:0]. */
	uint64_t arg = (va >> 12) & ((1ull << 44) - 1);

	__asm__ volatile("dsb ishst\n\t"
			 "tlbi vae2is, %0\n\t"
			 "dsb ish\n\t"
			 "isb"
			 :
			 : "r"(arg)
			 : "memory");
}

void plat_tlbi_el2_all(void)
{
	__asm__ volatile("dsb ishst\n\t"
			 "tlbi alle2is\n\t"
			 "dsb ish\n\t"
			 "isb"
			 :
			 :
			 : "memory");
}

/*
 * Stage-2 invalidations are tagged by the VMID in VTTBR_EL2: the TLBI
 * instructions take no VMID operand, they act on "the current VMID".  So
 * the VMID field is switched to `vmid` for the duration and put back.  This
 * is safe at EL2: EL2's own accesses never go through stage 2, and kcore
 * runs no EL1/EL0 code between the two writes (interrupts are masked at
 * EL2).  The world switch will write VTTBR_EL2 itself before entering a
 * guest, so the value restored here only has to be the one found.
 */
static uint64_t plat_vttbr_switch(uint16_t vmid)
{
	uint64_t old = read_sysreg(vttbr_el2);

	write_sysreg(vttbr_el2, (old & ~VTTBR_VMID_MASK) | ((uint64_t)vmid << VTTBR_VMID_SHIFT));
	isb();
	return old;
}

static void plat_vttbr_restore(uint64_t old)
{
	write_sysreg(vttbr_el2, old);
	isb();
}

void plat_tlbi_s2_ipa(uint16_t vmid, uint64_t ipa)
{
	/* TLBI IPAS2E1IS takes IPA[47:12] in bits [35:0]. */
	uint64_t arg = (ipa >> 12) & ((1ull << 36) - 1);
	uint64_t old;

	dsb(ishst);
	old = plat_vttbr_switch(vmid);
	/*
	 * IPAS2E1IS drops only the stage-2 entry; combined stage-1+2 entries
	 * for that VMID may still hold the old output address and cannot be
	 * found by IPA, so after the first completes (DSB ISH) every stage-1
	 * entry of the VMID goes too (VMALLE1IS) — the sequence the Arm ARM
	 * gives for changing a stage-2 entry.
	 */
	__asm__ volatile("tlbi ipas2e1is, %0\n\t"
			 "dsb ish\n\t"
			 "tlbi vmalle1is\n\t"
			 "dsb ish\n\t"
			 "isb"
			 :
			 : "r"(arg)
			 : "memory");
	plat_vttbr_restore(old);
}

void plat_tlbi_s2_range(uint16_t vmid, uint64_t ipa, uint64_t size)
{
	uint64_t old;

	dsb(ishst);
	old = plat_vttbr_switch(vmid);
	/*
	 * One IPAS2E1IS per page, then a single DSB and VMALLE1IS for the
	 * combined stage-1+2 entries (as in plat_tlbi_s2_ipa), instead of the
	 * whole sequence per page.  TLBI RIPAS2E1IS (FEAT_TLBIRANGE) would do
	 * it in one instruction where the CPU has it.
	 */
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t arg = ((ipa + off) >> 12) & ((1ull << 36) - 1);
		__asm__ volatile("tlbi ipas2e1is, %0" : : "r"(arg) : "memory");
	}
	__asm__ volatile("dsb ish\n\t"
			 "tlbi vmalle1is\n\t"
			 "dsb ish\n\t"
			 "isb"
			 :
			 :
			 : "memory");
	plat_vttbr_restore(old);
}

void plat_tlbi_s2_vmid(uint16_t vmid)
{
	uint64_t old;

	dsb(ishst);
	old = plat_vttbr_switch(vmid);
	__asm__ volatile("tlbi vmalls12e1is\n\t"
			 "dsb ish\n\t"
			 "isb"
			 :
			 :
			 : "memory");
	plat_vttbr_restore(old);
}

void plat_dcache_clean_inval_poc(const void *va, size_t len)
{
	/* CTR_EL0.DminLine: the smallest line, so no line is skipped. */
	uint64_t line = 4ull << CTR_DMINLINE(read_sysreg(ctr_el0));
	uint64_t p = (uint64_t)(uintptr_t)va & ~(line - 1);
	uint64_t end = (uint64_t)(uintptr_t)va + len;

	if (len == 0)
		return;
	for (; p < end; p += line)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	/* Complete before anyone (a device, a CPU with caches off) reads memory. */
	dsb(sy);
}

void plat_icache_inval_all(void)
{
	/*
	 * With CTR_EL0.DIC the I-caches are coherent with the data side, so
	 * no stale instruction can outlive the cleans before this call.
	 */
	if (read_sysreg(ctr_el0) & CTR_DIC)
		return;
	__asm__ volatile("ic ialluis\n\t"
			 "dsb ish\n\t"
			 "isb"
			 :
			 :
			 : "memory");
}

void plat_barrier_tables(void)
{
	dsb(ishst);
}

void plat_barrier_full(void)
{
	dsb(ish);
	isb();
}

unsigned plat_cpu_id(void)
{
	return arm64_cpu_index();
}

void plat_spin_wait(void)
{
	__asm__ volatile("yield" ::: "memory");
}
