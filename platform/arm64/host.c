/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The EL1 host: entering it, and the synchronous exceptions it takes to
 * EL2.  Only register work lives here: whether a call or an access is
 * allowed is core's decision (kcore_host_call, kcore_host_fault).
 *
 * The EL2 settings for the host follow Linux's booting.rst and what an EL1
 * Linux needs under a hypervisor (../shared/reference/arm64-host-notes.md
 * §3; pKVM's hyp-init.S and Hafnium's cpu.c set the same registers).
 */
#include "arm64_host.h"

#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore/printf.h>

#include "arm64_check.h"
#include "arm64_psci.h"
#include "el2_exception.h"
#include "sysreg.h"

/* arm64 Image header (booting.rst): text_offset at 8, image_size at 16, magic at 56. */
#define ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" */

/* Registers named by encoding: not every assembler knows their names. */
#define ICC_SRE_EL2	  "S3_4_C12_C9_5"
#define ICH_HCR_EL2	  "S3_4_C12_C11_0"
#define ZCR_EL2		  "S3_4_C1_C2_0"
#define SMCR_EL2	  "S3_4_C1_C2_6"
#define HCRX_EL2	  "S3_4_C1_C2_2"
#define HFGRTR_EL2	  "S3_4_C1_C1_4"
#define HFGWTR_EL2	  "S3_4_C1_C1_5"
#define HFGITR_EL2	  "S3_4_C1_C1_6"
#define HDFGRTR_EL2	  "S3_4_C3_C1_4"
#define HDFGWTR_EL2	  "S3_4_C3_C1_5"

#define write_sysreg_s(enc, val)                                                                   \
	__asm__ volatile("msr " enc ", %0" : : "r"((uint64_t)(val)) : "memory")

/* ICC_SRE_EL2: SRE | DFB | DIB | Enable (EL1 may use the GIC system registers). */
#define ICC_SRE_EL2_VALUE 0xfull
/* SCTLR_EL1 with its RES1 bits only: MMU and caches off, little-endian. */
#define SCTLR_EL1_VALUE	  0x30d00800ull
/* SPSR_EL2 for the entry: EL1h, D, A, I, F masked (booting.rst). */
#define SPSR_EL1H_DAIF	  0x3c5ull

#define HOST_HCR	  (HCR_EL2_RW | HCR_EL2_API | HCR_EL2_APK | HCR_EL2_TSC)

/*
 * VTCR_EL2 for core's stage-2 tables (pgt.h: 4 KiB granule, 48-bit IPA,
 * start at level 0): T0SZ 16, SL0 = 2 (level 0), tables walked inner and
 * outer write-back write-allocate, inner shareable, PS = 48 bits, RES1 bit 31.
 */
#define VTCR_EL2_HOST	  0x80053590ull

/* SPSR / PSTATE bits an exception entry to EL1 sets (Arm ARM, AArch64.TakeException). */
#define SPSR_M_AARCH32	  (1ull << 4)
#define SPSR_PAN	  (1ull << 22)
#define SPSR_DIT	  (1ull << 24)
#define SPSR_SSBS	  (1ull << 12)
#define SCTLR_SPAN	  (1ull << 23)
#define SCTLR_DSSBS	  (1ull << 44)

/* ESR fields for aborts. */
#define ESR_EC_IABT_LOW	  0x20u
#define ESR_EC_IABT_CUR	  0x21u
#define ESR_EC_DABT_LOW	  0x24u
#define ESR_EC_DABT_CUR	  0x25u
#define ESR_FSC(esr)	  ((unsigned)(esr) & 0x3fu)
#define ESR_WNR		  (1ull << 6)
#define ESR_S1PTW	  (1ull << 7)
#define ESR_FNV		  (1ull << 10)
#define FSC_SEA		  0x10u /* synchronous external abort, not on a table walk */
/* HPFAR_EL2.FIPA [43:4] (48-bit IPAs) = IPA[47:12] */
#define HPFAR_FIPA_MASK	  0x00000fffffffff0ull

uint64_t arm64_host_hcr = HOST_HCR;
uint64_t arm64_host_vttbr;

static unsigned host_field(uint64_t reg, unsigned shift)
{
	return (unsigned)((reg >> shift) & 0xfu);
}

bool arm64_host_present(uint64_t base, uint64_t ram_end, uint64_t *size)
{
	const volatile uint64_t *h = (const volatile uint64_t *)(uintptr_t)base;
	uint64_t text_offset = h[1], image_size = h[2];
	uint32_t magic = (uint32_t)h[7];

	if (magic != ARM64_IMAGE_MAGIC || text_offset != 0 || image_size == 0 ||
	    image_size > ram_end - base)
		return false;
	*size = image_size;
	return true;
}

/* Everything EL2 sets for an EL1 host on this CPU (every CPU runs this). */
static void host_el2_setup(void)
{
	uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
	uint64_t pfr1 = read_sysreg(id_aa64pfr1_el1);
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	uint64_t mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned pmuver = host_field(dfr0, 8);
	uint64_t mdcr = 0;

	write_sysreg(hcr_el2, arm64_host_hcr);
	/* EL1 reads MPIDR/MIDR through these: the real values. */
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
	write_sysreg(cnthctl_el2, ARM64_HOST_CNTHCTL_EL2);
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(cptr_el2, ARM64_HOST_CPTR_EL2);
	write_sysreg(hstr_el2, 0);
	/* Every PMU counter belongs to EL1 (HPMN = PMCR_EL0.N), no debug traps. */
	if (pmuver != 0 && pmuver != 0xf)
		mdcr = (read_sysreg(pmcr_el0) >> 11) & 0x1f;
	write_sysreg(mdcr_el2, mdcr);
	if (host_field(pfr0, 24) != 0) { /* GICv3 system registers */
		write_sysreg_s(ICC_SRE_EL2, ICC_SRE_EL2_VALUE);
		isb();
		write_sysreg_s(ICH_HCR_EL2, 0);
	}
	if (host_field(pfr0, 32) != 0) /* SVE: the longest vector length */
		write_sysreg_s(ZCR_EL2, 0x1ff);
	if (host_field(pfr1, 24) != 0) /* SME: likewise */
		write_sysreg_s(SMCR_EL2, 0x1ff);
	if (host_field(mmfr0, 56) != 0) { /* FEAT_FGT: no fine-grained traps */
		write_sysreg_s(HFGRTR_EL2, 0);
		write_sysreg_s(HFGWTR_EL2, 0);
		write_sysreg_s(HFGITR_EL2, 0);
		write_sysreg_s(HDFGRTR_EL2, 0);
		write_sysreg_s(HDFGWTR_EL2, 0);
	}
	if (host_field(mmfr1, 40) != 0) /* FEAT_HCX: nothing extra for EL1 */
		write_sysreg_s(HCRX_EL2, 0);
	/* The host's stage 2 (VMID 0), with nothing cached from before. */
	write_sysreg(vtcr_el2, VTCR_EL2_HOST);
	arm64_host_vttbr = kcore_host_s2_root();
	write_sysreg(vttbr_el2, arm64_host_vttbr);
	isb();
	__asm__ volatile("tlbi vmalls12e1\n\tdsb nsh" : : : "memory");
	write_sysreg(sctlr_el1, SCTLR_EL1_VALUE);
	isb();
}

bool arm64_host_stage2_ok(void)
{
	/* Core's tables output 48-bit PAs: the CPU must take them all. */
	return MMFR0_PARANGE(read_sysreg(id_aa64mmfr0_el1)) >= PARANGE_48;
}

_Noreturn void arm64_host_enter(uint64_t entry, uint64_t x0, uint64_t stack_top)
{
	arm64_host_hcr = HOST_HCR | HCR_EL2_VM;
	host_el2_setup();
	write_sysreg(elr_el2, entry);
	write_sysreg(spsr_el2, SPSR_EL1H_DAIF);
	arm64_host_eret(x0, stack_top);
}

/*
 * An exception kcore has no business receiving from the host: report it
 * as the unexpected-exception handler does and stop (a harness sees exit
 * status 3).  x19..x29 are not saved on this path: they print as 0.
 */
static _Noreturn void host_unexpected(const struct arm64_host_regs *r)
{
	struct el2_frame f = { 0 };

	for (unsigned i = 0; i < 19; i++)
		f.x[i] = r->x[i];
	f.x[30] = r->x30;
	f.sp = read_sysreg(sp_el1);
	f.elr = read_sysreg(elr_el2);
	f.spsr = read_sysreg(spsr_el2);
	f.esr = read_sysreg(esr_el2);
	f.far = read_sysreg(far_el2);
	el2_exception_handler(8, &f);
}

/* `hvc #0`: a host call, registers in and out; never reads host memory. */
static void host_hvc(struct arm64_host_regs *r, uint64_t esr)
{
	if ((esr & 0xffffu) != 0) { /* SMCCC: only HVC #0 carries calls */
		r->x[0] = (uint64_t)(int64_t)KC_ENOTSUP;
		return;
	}
	arm64_host_call(r);
}

void arm64_host_call(struct arm64_host_regs *r)
{
	struct kc_hcall c;

	for (unsigned i = 0; i < 7; i++)
		c.x[i] = r->x[i];
	kcore_host_call(&c);
	for (unsigned i = 0; i < 4; i++)
		r->x[i] = c.x[i];
}

/*
 * Refuse a host access the way hardware refuses one: a synchronous external
 * abort taken to EL1, as if the memory system had answered with an error.
 * ESR_EL1 keeps the class (data or instruction, from EL0 or EL1), IL and
 * WnR, with DFSC/IFSC = 0x10; FAR_EL1 is the address the host used (FnV
 * copied: when FAR_EL2 is not valid neither is this one); ELR_EL1 and
 * SPSR_EL1 are where the host was; the host resumes at its vector for a
 * synchronous exception from its current mode, with DAIF masked, at EL1h.
 * Linux turns that into a SIGBUS for a process or an oops for itself.
 */
static void host_inject_abort(uint64_t esr, uint64_t far)
{
	uint64_t spsr = read_sysreg(spsr_el2);
	uint64_t sctlr = read_sysreg(sctlr_el1);
	unsigned mode = (unsigned)spsr & 0xfu;
	bool from_el1 = !(spsr & SPSR_M_AARCH32) && (mode >> 2) == 1;
	bool data = ESR_EC(esr) == ESR_EC_DABT_LOW;
	uint64_t offset, ec, iss, pstate;

	if (spsr & SPSR_M_AARCH32)
		offset = 0x600; /* lower EL, AArch32 */
	else if (!from_el1)
		offset = 0x400; /* lower EL (EL0), AArch64 */
	else if (mode & 1)
		offset = 0x200; /* current EL with SP_EL1 */
	else
		offset = 0x000; /* current EL with SP_EL0 */
	if (data)
		ec = from_el1 ? ESR_EC_DABT_CUR : ESR_EC_DABT_LOW;
	else
		ec = from_el1 ? ESR_EC_IABT_CUR : ESR_EC_IABT_LOW;
	iss = FSC_SEA | (esr & ESR_FNV) | (data ? (esr & ESR_WNR) : 0);

	write_sysreg(esr_el1, (ec << 26) | (esr & ESR_IL) | iss);
	write_sysreg(far_el1, far);
	write_sysreg(elr_el1, read_sysreg(elr_el2));
	write_sysreg(spsr_el1, spsr);
	/* PSTATE on entry to EL1: EL1h, DAIF set; PAN set unless SCTLR_EL1.SPAN. */
	pstate = SPSR_EL1H_DAIF | (spsr & SPSR_DIT);
	if (host_field(read_sysreg(id_aa64mmfr1_el1), 20) != 0)
		pstate |= (sctlr & SCTLR_SPAN) ? (spsr & SPSR_PAN) : SPSR_PAN;
	if (sctlr & SCTLR_DSSBS)
		pstate |= SPSR_SSBS;
	write_sysreg(spsr_el2, pstate);
	write_sysreg(elr_el2, read_sysreg(vbar_el1) + offset);
}

/*
 * A host stage-2 abort.  For a translation, access-flag or permission
 * fault the IPA (HPFAR_EL2 page, FAR_EL2 offset) goes to core, which maps
 * it (retry the access: ELR is unchanged) or refuses it (inject an abort).
 * Any other fault status is the host's problem: an injected abort too.
 */
static void host_abort(uint64_t esr)
{
	uint64_t far = read_sysreg(far_el2);
	unsigned fsc = ESR_FSC(esr) & 0x3cu;

	if (fsc == 0x04 || fsc == 0x08 || fsc == 0x0c) {
		uint64_t ipa = ((read_sysreg(hpfar_el2) & HPFAR_FIPA_MASK) << 8) | (far & 0xfffu);
		bool write =
			ESR_EC(esr) == ESR_EC_DABT_LOW && (esr & ESR_WNR) && !(esr & ESR_S1PTW);

		if (kcore_host_fault(ipa, write) == KC_OK)
			return;
	}
	host_inject_abort(esr, far);
}

#define ESR_EC_HVC64 0x16u
#define ESR_EC_SMC64 0x17u

void arm64_host_sync(struct arm64_host_regs *r)
{
	uint64_t esr = read_sysreg(esr_el2);

	switch (ESR_EC(esr)) {
	case ESR_EC_HVC64: /* ELR already points after the HVC */
		arm64_check_enter();
		host_hvc(r, esr);
		arm64_check_leave("host call");
		return;
	case ESR_EC_SMC64: /* ELR points at the trapped SMC itself */
		write_sysreg(elr_el2, read_sysreg(elr_el2) + 4);
		arm64_psci_host_smc(r);
		return;
	case ESR_EC_DABT_LOW:
	case ESR_EC_IABT_LOW:
		arm64_check_enter();
		host_abort(esr);
		arm64_check_leave("host fault");
		return;
	default:
		host_unexpected(r);
	}
}
