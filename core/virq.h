/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A vCPU's virtual interrupts (core/virq.c): the pending set the host
 * fills with VCPU_INJECT_IRQ, and the virtual timer's PPI, which kcore
 * raises itself.  Core-private.
 */
#ifndef KCORE_VIRQ_H
#define KCORE_VIRQ_H

#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

#include "trap.h"

/* ICH_LR<n>_EL2 (GICv3 12.5.9): vINTID [31:0], Priority [55:48], Group [60], HW [61], State [63:62]. */
#define VIRQ_LR_INTID(lr)  ((lr) & 0xffffffffull)
#define VIRQ_LR_PRIO_SHIFT 48
#define VIRQ_LR_GROUP1	   (1ull << 60)
#define VIRQ_LR_HW	   (1ull << 61)
#define VIRQ_LR_PENDING	   (1ull << 62)
#define VIRQ_LR_ACTIVE	   (1ull << 63)
#define VIRQ_LR_STATE	   (VIRQ_LR_PENDING | VIRQ_LR_ACTIVE)

/* The virtual timer's PPI (the one a device tree names for it on QEMU virt and most boards). */
#define VIRQ_TIMER_INTID   27u
/* ... and the priority kcore gives it: the middle of the range, as a host GIC driver would. */
#define VIRQ_TIMER_PRIO	   0xa0u

/* CNTV_CTL_EL0 */
#define VIRQ_CNTV_ENABLE   (1ull << 0)
#define VIRQ_CNTV_IMASK	   (1ull << 1)
#define VIRQ_CNTV_ISTATUS  (1ull << 2)

/*
 * After every exit of a vCPU (its registers are the caller's): a virtual
 * timer that fired (ENABLE, ISTATUS, not IMASK) is masked in the guest's
 * CNTV_CTL and its PPI pended, so the physical interrupt it raises stops
 * coming back while the guest takes the virtual one (the guest unmasks
 * when it re-arms, as Linux's timer handler does); a PPI still waiting for
 * a slot takes the first one the guest freed.  Nothing else frees a slot,
 * so before an entry there is nothing to do.  Inline: on every exit, and
 * almost always only the test.
 */
void virq_sync_timer(struct kc_vcpu_regs *r);
static inline void virq_sync(struct kc_vcpu_regs *r)
{
	if ((r->cntv_ctl & VIRQ_CNTV_ENABLE) || r->vgic.timer_irq)
		virq_sync_timer(r);
}

/*
 * A trapped system register access of the vCPU with registers `r`: if it
 * is the guest sending an SGI (a write of ICC_SGI1R_EL1, which
 * HCR_EL2.IMO traps), the exit that hands the request to the host (res:
 * x1..x3 of VCPU_RUN; the guest goes on after the MSR) and true; else
 * false, for core/sysreg.c.
 */
bool virq_sgi_exit(struct kc_vcpu_regs *r, const struct trap_info *ti, uint64_t res[3]);

/*
 * What a WFI exit tells the host (docs/VCPU.md): when the guest's virtual
 * timer is due (CNTV_CVAL_EL0, in ticks of the counter every CPU shares)
 * if it is armed and unmasked, else 0 (only an injected interrupt wakes it).
 */
uint64_t virq_wfi_deadline(const struct kc_vcpu_regs *r);

#endif /* KCORE_VIRQ_H */
