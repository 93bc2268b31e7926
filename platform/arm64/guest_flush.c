/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * plat_guest_flush_local: this CPU's TLB entries of one VM's EL1&0 regime,
 * and its I-cache, before another vCPU of that VM runs here (core/vcpu.c
 * decides when; KVM's __kvm_flush_cpu_context does the same).
 *
 * TLBI VMALLE1 from EL2 (E2H = 0) acts on the VMID in VTTBR_EL2, so the
 * guest's is put there for the duration and the host's (VMID 0) back.
 * Local, not inner shareable: the entries to drop are this CPU's own (the
 * other CPUs' are their vCPUs' business), and a broadcast would cost every
 * CPU.  IC IALLU for the same reason as the TLB: the guest's IC IVAU/IALLU
 * reach every CPU (HCR_EL2.FB), but a line fetched here by one vCPU is
 * not the next one's to find.  DSB NSH completes both before the ERET
 * into the guest.
 */
#include <kcore/platform.h>

#include "sysreg.h"

void plat_guest_flush_local(const struct kc_guest *g)
{
	uint64_t host_vttbr = read_sysreg(vttbr_el2);

	write_sysreg(vttbr_el2, g->s2_root | ((uint64_t)g->vmid << VTTBR_VMID_SHIFT));
	isb();
	__asm__ volatile("tlbi vmalle1\n\tic iallu" : : : "memory");
	dsb(nsh);
	write_sysreg(vttbr_el2, host_vttbr);
	isb();
}
