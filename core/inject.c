/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exception entry to a guest's EL1, written into its shadow context as the
 * hardware would write it (Arm ARM D1.3 "Exception entry", D17.2.40
 * ESR_EL1; KVM's enter_exception64 and inject_abt64 are the model).  kcore
 * uses it where an exit would only let the host loop on something it can
 * never fix: the guest sees what a machine without memory or without the
 * register there would give it.
 */
#include <kcore/pgt.h>

#include "inject.h"

/* PSTATE (SPSR_ELx) fields. */
#define PSR_M_MASK	0xfull /* M[3:0]: EL and SP */
#define PSR_M_EL1T	0x4ull /* EL1 with SP_EL0 */
#define PSR_M_EL1H	0x5ull /* EL1 with SP_EL1 */
#define PSR_M_EL(m)	(((m) >> 2) & 3)
#define PSR_AARCH32	(1ull << 4)   /* M[4]: from AArch32 (EL0 only: HCR_EL2.RW) */
#define PSR_DAIF	(0xfull << 6) /* D, A, I, F */
#define PSR_SSBS	(1ull << 12)
#define PSR_PAN		(1ull << 22)
#define PSR_DIT		(1ull << 24)
#define PSR_NZCV	(0xfull << 28)

/* SCTLR_EL1 bits that shape exception entry. */
#define SCTLR_SPAN	(1ull << 23) /* 0: PSTATE.PAN is set on entry to EL1 */
#define SCTLR_DSSBS	(1ull << 44) /* PSTATE.SSBS on entry */

/* Vector offsets from VBAR_EL1: synchronous exceptions. */
#define VEC_CUR_SP0	0x000u
#define VEC_CUR_SPX	0x200u
#define VEC_LOW_A64	0x400u
#define VEC_LOW_A32	0x600u
#define VBAR_MASK	(~0x7ffull) /* VBAR_EL1[10:0] are RES0 */

/* ESR_EL1. */
#define ESR_EC_SHIFT	26
#define ESR_IL		(1ull << 25)
#define ESR_EC_UNKNOWN	0x00u
#define ESR_EC_IABT_CUR 0x21u /* ..._LOW + 1: from EL1 itself */
#define ESR_EC_DABT_CUR 0x25u
#define ESR_ISS_FNV	(1ull << 10)
#define ESR_ISS_CM	(1ull << 8)
#define ESR_ISS_WNR	(1ull << 6)
#define ESR_FSC_SEA	0x10u /* synchronous external abort, not on a table walk */

bool inject_abort_wanted_locked(const struct kc_vm *vm, const struct trap_info *ti)
{
	const struct kc_manifest_layout *l = &vm->layout;
	uint64_t page = ti->ipa & ~(PGT_PAGE_SIZE - 1);

	if (ti->ipa >> PGT_IA_BITS)
		return true; /* no stage 2 can map it */
	if (!vm->images_mapped || !l->nram)
		return false; /* v1: any other page may still be backed */
	return !manifest_overlaps_ram(l, page, PGT_PAGE_SIZE) &&
	       !manifest_window_of(l, page, PGT_PAGE_SIZE);
}

/* Exception entry, synchronous, to EL1: everything but the syndrome. */
static void inject_enter(struct kc_vcpu_regs *r, uint64_t esr)
{
	uint64_t old = r->pstate, sctlr = r->sys[KC_SYS_SCTLR_EL1], off, new;

	if (old & PSR_AARCH32)
		off = VEC_LOW_A32;
	else if ((old & PSR_M_MASK) == PSR_M_EL1T)
		off = VEC_CUR_SP0;
	else if ((old & PSR_M_MASK) == PSR_M_EL1H)
		off = VEC_CUR_SPX;
	else
		off = VEC_LOW_A64;
	/* Flags and DIT are kept, PAN unless SPAN says set it; SS, IL, BTYPE, UAO clear. */
	new = (old & (PSR_NZCV | PSR_DIT | PSR_PAN)) | PSR_DAIF | PSR_M_EL1H;
	if (!(sctlr & SCTLR_SPAN))
		new |= PSR_PAN;
	if (sctlr & SCTLR_DSSBS)
		new |= PSR_SSBS;
	r->sys[KC_SYS_ESR_EL1] = esr;
	r->sys[KC_SYS_ELR_EL1] = r->pc;
	r->sys[KC_SYS_SPSR_EL1] = old;
	r->pc = (r->sys[KC_SYS_VBAR_EL1] & VBAR_MASK) + off;
	r->pstate = new;
}

/* EL1 itself or below (EL0): the exception class is the "current EL" one or the "lower". */
static bool inject_from_el1(const struct kc_vcpu_regs *r)
{
	return !(r->pstate & PSR_AARCH32) && PSR_M_EL(r->pstate) == 1;
}

void inject_sea(struct kc_vcpu_regs *r, const struct trap_info *ti, uint64_t far)
{
	unsigned ec = ti->kind == TRAP_IABT ? ESR_EC_IABT_LOW : ESR_EC_DABT_LOW;
	uint64_t iss = ESR_FSC_SEA;

	if (inject_from_el1(r))
		ec++; /* ..._CUR */
	if (ti->kind == TRAP_DABT) {
		if (ti->write)
			iss |= ESR_ISS_WNR;
		if (ti->cm)
			iss |= ESR_ISS_CM;
	}
	/* FAR_EL1 is the VA the guest used; when EL2's was not valid, neither is EL1's. */
	if (ti->fnv)
		iss |= ESR_ISS_FNV;
	r->sys[KC_SYS_FAR_EL1] = ti->fnv ? 0 : far;
	/* IL: an instruction abort's is 1; a data abort's is the instruction's length. */
	bool il = ti->kind == TRAP_IABT || ti->insn_len == 4;
	inject_enter(r, ((uint64_t)ec << ESR_EC_SHIFT) | (il ? ESR_IL : 0) | iss);
}

void inject_undef(struct kc_vcpu_regs *r, const struct trap_info *ti)
{
	inject_enter(r,
		     ((uint64_t)ESR_EC_UNKNOWN << ESR_EC_SHIFT) | (ti->insn_len == 4 ? ESR_IL : 0));
}

void inject_vserror(struct kc_vcpu_regs *r)
{
	r->vserror = 1;
}
