/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading a guest's trap syndrome (ESR_EL2, FAR_EL2, HPFAR_EL2), the same
 * on both targets: the platform passes the raw registers (kc_trap) and
 * core decides what they mean.  Core-private.
 */
#ifndef KCORE_TRAP_H
#define KCORE_TRAP_H

#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

/* Exception classes kcore handles (ESR_EL2.EC). */
#define ESR_EC_WFX	0x01u
#define ESR_EC_HVC64	0x16u
#define ESR_EC_SMC64	0x17u
#define ESR_EC_SYS64	0x18u
#define ESR_EC_IABT_LOW 0x20u
#define ESR_EC_DABT_LOW 0x24u
#define ESR_EC_SERROR	0x2fu
/* Instructions of features a guest is told it does not have, trapped by kcore's settings. */
#define ESR_EC_PAUTH	0x09u /* pointer authentication (HCR_EL2.API clear) */
#define ESR_EC_SVE	0x19u /* SVE (CPTR_EL2.TZ) */
#define ESR_EC_SME	0x1du /* SME (CPTR_EL2.TSM) */
#define ESR_EC(esr)	((unsigned)((esr) >> 26) & 0x3fu)

enum trap_kind {
	TRAP_DABT,
	TRAP_IABT,
	TRAP_HVC,
	TRAP_SMC,
	TRAP_WFX,
	TRAP_SYSREG,
	TRAP_IRQ, /* a physical IRQ or FIQ: no syndrome, nothing of the guest in it */
	TRAP_OTHER,
	TRAP_SPURIOUS, /* kc_trap.spurious: the guest retries, nothing to handle */
	TRAP_SERROR, /* a physical SError while the guest ran (asynchronous: ELR is where it was) */
	TRAP_UNDEF,  /* an instruction of a feature the guest is told is absent: it is UNDEFINED */
};

/* Fault status (DFSC/IFSC[5:2]) groups. */
enum trap_fsc {
	FSC_ADDR_SIZE = 0x0,
	FSC_TRANSLATION = 0x1,
	FSC_ACCESS_FLAG = 0x2,
	FSC_PERMISSION = 0x3,
	FSC_OTHER = 0xf,
};

struct trap_info {
	enum trap_kind kind;
	unsigned insn_len; /* ESR.IL: 4 (32-bit instruction) or 2 */
	/* Aborts: */
	uint64_t ipa; /* HPFAR page | FAR page offset (offset 0 when FnV) */
	enum trap_fsc fsc;
	unsigned level; /* fault level for the groups above */
	bool write;	/* WnR */
	bool s1ptw;	/* on the guest's own stage-1 table walk, not the access */
	bool cm;	/* a cache maintenance or address translation instruction */
	bool fnv;	/* FAR is not valid: the page offset is unknown */
	bool isv;	/* the fields below are valid (a plain load/store) */
	unsigned size_log2;
	bool sse;     /* a load sign-extends */
	unsigned srt; /* register transferred (31: xzr) */
	bool sf;      /* 64-bit register (else W, upper half zero) */
	bool ar;      /* acquire/release semantics */
	/* HVC, SMC: the immediate.  SYSREG: */
	uint16_t imm;
	uint32_t sysreg; /* Op0:Op1:CRn:CRm:Op2, as KC_SYSREG_ENC below */
	bool sys_read;	 /* MRS (else MSR) */
	unsigned rt;	 /* the general register of an MRS/MSR (31: xzr) */
};

/* A system register's encoding as trap_info.sysreg holds it. */
#define KC_SYSREG_ENC(op0, op1, crn, crm, op2)                                                     \
	(((uint32_t)(op0) << 14) | ((uint32_t)(op1) << 11) | ((uint32_t)(crn) << 7) |              \
	 ((uint32_t)(crm) << 3) | (uint32_t)(op2))

/*
 * Whether the abort can be emulated as one load or store: ISV set, on the
 * access itself (not a stage-1 walk, not a cache maintenance op) and with
 * a valid FAR.  Anything else can only be backed with memory or retried.
 */
static inline bool trap_is_emulable(const struct trap_info *ti)
{
	return ti->kind == TRAP_DABT && ti->isv && !ti->s1ptw && !ti->cm && !ti->fnv;
}

void trap_decode(const struct kc_trap *t, struct trap_info *out);

#endif /* KCORE_TRAP_H */
