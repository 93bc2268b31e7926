/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Trapped system register accesses (ESR_EL2.EC 0x18).  The registers a
 * guest owns are switched with it and never trap; what traps is what
 * kcore keeps from guests (implementation details behind TID3/TACR/TIDCP,
 * debug and PMU state behind MDCR_EL2, LORegions, RAS records, pointer
 * authentication keys, SCXTNUM and MTE behind HCR_EL2, the physical timer
 * behind CNTHCTL_EL2).  kcore answers each such access itself — never an
 * exit the host could only loop on, never a value the host chose — the
 * way pKVM answers a protected VM (nvhe/sys_regs.c), docs/VCPU.md:
 *  - the feature ID space (Op0 3, Op1 0, CRn 0): reads see the fixed
 *    values below, or zero ("not implemented"); a write is UNDEFINED, as
 *    on hardware (they are read-only);
 *  - debug registers (Op0 2, Op1 0 or 3; MDSCR_EL1 and the OS lock
 *    included), ACTLR_EL1 and the physical timer (CNTP_*): RAZ/WI, since
 *    an Armv8 CPU always has them and a guest may touch them blindly;
 *  - everything else (PMU, IMPLEMENTATION DEFINED, trace, LOR, RAS, keys,
 *    ...): UNDEFINED, as on a CPU without the feature the ID registers
 *    deny it: the guest takes an Unknown-reason exception at the access.
 * The guest goes on at the next instruction, or at its own vector.
 */
#include "inject.h"
#include "vcpu.h"

/*
 * ID_AA64PFR0_EL1: EL0 and EL1 AArch64 only, FP and AdvSIMD implemented
 * (fields 0), GIC = 1: the GICv3 CPU interface's system registers (the
 * virtual one, platform/arm64/vgic.c; a GICv3 driver needs to be told).
 */
#define SYSREG_ID_AA64PFR0_EL1	KC_SYSREG_ENC(3, 0, 0, 4, 0)
#define ID_AA64PFR0_VALUE	0x01000011ull
/* ID_AA64MMFR0_EL1: 48-bit PA, 16-bit ASIDs, 4 KiB granule only (TGran16/64 not implemented). */
#define SYSREG_ID_AA64MMFR0_EL1 KC_SYSREG_ENC(3, 0, 0, 7, 0)
#define ID_AA64MMFR0_VALUE	((0xfull << 24) | (0x0ull << 20) | (0x2ull << 4) | 0x5ull)
#define SYSREG_ACTLR_EL1	KC_SYSREG_ENC(3, 0, 1, 0, 1)

#define SYSREG_OP0(e)		((e) >> 14)
#define SYSREG_OP1(e)		(((e) >> 11) & 7)
#define SYSREG_CRN(e)		(((e) >> 7) & 0xf)
#define SYSREG_CRM(e)		(((e) >> 3) & 0xf)
#define SYSREG_OP2(e)		((e) & 7)

enum sysreg_class { SYSREG_ID, SYSREG_RAZ_WI, SYSREG_UNDEF };

static enum sysreg_class sysreg_class_of(uint32_t enc)
{
	if (SYSREG_OP0(enc) == 3 && SYSREG_OP1(enc) == 0 && SYSREG_CRN(enc) == 0)
		return SYSREG_ID;
	if (SYSREG_OP0(enc) == 2 && (SYSREG_OP1(enc) == 0 || SYSREG_OP1(enc) == 3))
		return SYSREG_RAZ_WI; /* debug: MDSCR, DBGB/W*, OSLAR/OSLSR/OSDLR, MDCCSR, DBGDTR */
	if (enc == SYSREG_ACTLR_EL1)
		return SYSREG_RAZ_WI;
	/* CNTP_TVAL_EL0, CNTP_CTL_EL0, CNTP_CVAL_EL0. */
	if (SYSREG_OP0(enc) == 3 && SYSREG_OP1(enc) == 3 && SYSREG_CRN(enc) == 14 &&
	    SYSREG_CRM(enc) == 2 && SYSREG_OP2(enc) <= 2)
		return SYSREG_RAZ_WI;
	return SYSREG_UNDEF;
}

static uint64_t sysreg_id_value(uint32_t enc)
{
	switch (enc) {
	case SYSREG_ID_AA64PFR0_EL1:
		return ID_AA64PFR0_VALUE;
	case SYSREG_ID_AA64MMFR0_EL1:
		return ID_AA64MMFR0_VALUE;
	default:
		return 0;
	}
}

void sysreg_handle(struct kc_vcpu *v, const struct trap_info *ti)
{
	enum sysreg_class c = sysreg_class_of(ti->sysreg);

	if (c == SYSREG_UNDEF || (c == SYSREG_ID && !ti->sys_read)) {
		inject_undef(&v->regs, ti); /* ELR_EL2 is the access itself */
		return;
	}
	if (ti->sys_read && ti->rt != 31)
		v->regs.x[ti->rt] = c == SYSREG_ID ? sysreg_id_value(ti->sysreg) : 0;
	v->regs.pc += ti->insn_len;
}
