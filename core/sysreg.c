/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Trapped system register accesses (ESR_EL2.EC 0x18).  The registers a
 * guest owns are switched with it and never trap; what traps is what
 * kcore keeps from guests (implementation details behind TID3/TACR/TIDCP,
 * debug and PMU state behind MDCR_EL2, as pKVM does).  kcore answers each
 * such access itself — never an exit the host could only loop on, never a
 * value the host chose: reads of the registers below see the fixed values
 * listed, every other read sees zero (RAZ) and every write is ignored
 * (WI), and the guest goes on at the next instruction.
 */
#include "vcpu.h"

/* ID_AA64PFR0_EL1: EL0 and EL1 AArch64 only, FP and AdvSIMD implemented (fields 0). */
#define SYSREG_ID_AA64PFR0_EL1	KC_SYSREG_ENC(3, 0, 0, 4, 0)
#define ID_AA64PFR0_VALUE	0x11ull
/* ID_AA64MMFR0_EL1: 48-bit PA, 16-bit ASIDs, 4 KiB granule only (TGran16/64 not implemented). */
#define SYSREG_ID_AA64MMFR0_EL1 KC_SYSREG_ENC(3, 0, 0, 7, 0)
#define ID_AA64MMFR0_VALUE	((0xfull << 24) | (0x0ull << 20) | (0x2ull << 4) | 0x5ull)

static uint64_t sysreg_read_value(uint32_t enc)
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
	if (ti->sys_read && ti->rt != 31)
		v->regs.x[ti->rt] = sysreg_read_value(ti->sysreg);
	v->regs.pc += ti->insn_len;
}
