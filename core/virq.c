/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual interrupts (docs/VCPU.md, "Interrupts").  A guest has a GICv3
 * virtual CPU interface and nothing else from kcore: the host emulates
 * whatever distributor it offers and says, with VCPU_INJECT_IRQ, which
 * interrupt a vCPU should see.  kcore keeps the vCPU's list registers in
 * its shadow context (struct kc_vgic), so the host names an INTID and a
 * priority and never writes a list register: it cannot set the HW bit
 * (which would let a guest's EOI deactivate a physical interrupt of the
 * host's choice), a physical INTID, a state or a group, and it never
 * reads back what the guest has taken, acknowledged or masked.
 *
 * The pending set is bounded by the list registers (KC_VGIC_LRS): an
 * interrupt already pending is pending once (as in a GIC), and when every
 * slot holds one the guest has not finished, the call is KC_EBUSY and the
 * host injects again after the guest ran.
 */
#include "virq.h"

#include <kcore/abi.h>

#include "vm.h"

/* The slot holding `intid` in a state the guest has not finished, or -1. */
static int virq_find(const struct kc_vgic *g, uint64_t intid)
{
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		if ((g->lr[i] & VIRQ_LR_STATE) && VIRQ_LR_INTID(g->lr[i]) == intid)
			return (int)i;
	return -1;
}

static int virq_free_slot(const struct kc_vgic *g)
{
	for (unsigned i = 0; i < KC_VGIC_LRS; i++)
		if (!(g->lr[i] & VIRQ_LR_STATE))
			return (int)i;
	return -1;
}

/*
 * Pend `intid` at `prio` in `g`: KC_OK (also when it was pending already),
 * or KC_EBUSY with nothing changed when no slot is free.
 */
static int virq_pend(struct kc_vgic *g, uint64_t intid, uint64_t prio)
{
	int i = virq_find(g, intid);

	if (i >= 0) {
		/* Active (in the guest's handler): pending again, taken after its EOI. */
		g->lr[i] |= VIRQ_LR_PENDING;
		return KC_OK;
	}
	i = virq_free_slot(g);
	if (i < 0)
		return KC_EBUSY;
	g->lr[i] = intid | prio << VIRQ_LR_PRIO_SHIFT | VIRQ_LR_GROUP1 | VIRQ_LR_PENDING;
	return KC_OK;
}

int hc_vcpu_inject_irq(const uint64_t *args, uint64_t *res)
{
	uint64_t vcpu_id = args[1], intid = args[2], prio = args[3];
	struct kc_vm *vm;
	(void)res;

	/*
	 * Decode: an INTID a virtual interface can hold (no special INTID, no
	 * LPI, no bit beyond the INTID: no HW bit, pINTID or state), a
	 * priority every virtual interface implements.
	 */
	if (vcpu_id >= KC_MAX_VCPUS || intid > KC_IRQ_MAX_INTID ||
	    (prio & ~(uint64_t)KC_IRQ_PRIO_MASK))
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_VERIFIED, &vm);
	if (rc)
		return rc;
	struct kc_vcpu *v = &vm->vcpus[vcpu_id];
	enum vcpu_state st = vcpu_state(v);
	if (st == VCPU_FREE)
		rc = KC_ENOENT;
	else if (st == VCPU_RUNNING)
		rc = KC_EBUSY; /* its registers are another CPU's: interrupt the host's CPU, then inject */
	else if (v->power != VCPU_ON)
		rc = KC_ESTATE; /* CPU_ON resets it: nothing pending would survive */
	else
		rc = virq_pend(&v->regs.vgic, intid, prio);
	lock_release(&vm->lock);
	return rc;
}

/* ICC_SGI1R_EL1, and its fields: Aff3, RS, IRM, Aff2, INTID, Aff1, TargetList. */
#define VIRQ_SYSREG_ICC_SGI1R KC_SYSREG_ENC(3, 0, 12, 11, 5)
#define VIRQ_SGI1R_FIELDS     0x00fff1ff0fffffffull

bool virq_sgi_exit(struct kc_vcpu_regs *r, const struct trap_info *ti, uint64_t res[3])
{
	if (ti->sysreg != VIRQ_SYSREG_ICC_SGI1R || ti->sys_read)
		return false; /* a read of it is RAZ, as any register kcore hides */
	/*
	 * The request as the guest wrote it, its defined fields only: which
	 * SGI to which of its vCPUs is what the host needs to deliver it
	 * (VCPU_INJECT_IRQ on each target), and the guest's to hand over.
	 */
	res[0] = KC_EXIT_SGI;
	res[1] = (ti->rt == 31 ? 0 : r->x[ti->rt]) & VIRQ_SGI1R_FIELDS;
	r->pc += ti->insn_len;
	return true;
}

void virq_sync_timer(struct kc_vcpu_regs *r)
{
	uint64_t ctl = r->cntv_ctl;

	if ((ctl & (VIRQ_CNTV_ENABLE | VIRQ_CNTV_ISTATUS | VIRQ_CNTV_IMASK)) ==
	    (VIRQ_CNTV_ENABLE | VIRQ_CNTV_ISTATUS)) {
		r->cntv_ctl = ctl | VIRQ_CNTV_IMASK;
		r->vgic.timer_irq = 1;
	}
	if (r->vgic.timer_irq && virq_pend(&r->vgic, VIRQ_TIMER_INTID, VIRQ_TIMER_PRIO) == KC_OK)
		r->vgic.timer_irq = 0;
}

uint64_t virq_wfi_deadline(const struct kc_vcpu_regs *r)
{
	return (r->cntv_ctl & (VIRQ_CNTV_ENABLE | VIRQ_CNTV_IMASK)) == VIRQ_CNTV_ENABLE
		       ? r->cntv_cval
		       : 0;
}
