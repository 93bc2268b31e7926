/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest world switch (plat_guest_run), system-register half; the
 * general registers, the FP/SIMD registers and the ERET are switch.S.
 *
 * Rules (KVM/pKVM's nVHE __kvm_vcpu_run and sysreg-sr.h, Hafnium's
 * cpu.c/exceptions.S; docs/VCPU.md, "The shadow context"):
 *  - the host's EL1 context is kept here, per CPU, in kcore's memory: it is
 *    read from the registers when VCPU_RUN enters and written back when the
 *    guest leaves, never taken from anything the host passes;
 *  - the guest's context comes only from its kc_vcpu_regs and goes back
 *    there, every register of it, on every exit: nothing of the guest is
 *    left in a register the host can read (EL1 system registers, SP_EL0/1,
 *    V0-V31/FPSR/FPCR, the virtual timer, x0-x30);
 *  - EL2's own settings for the host (HCR, VTTBR with VMID 0, CPTR,
 *    CNTHCTL, VMPIDR: arm64_host_el2_resume; MDCR, VBAR, ELR/SPSR of the
 *    host's HVC) are kcore's and are put back as they were;
 *  - nothing is decided here: the syndrome goes to core raw (core/trap.c).
 */
#include "arm64_guest.h"

#include <kcore/platform.h>

#include "arm64_check.h"
#include "arm64_host.h"
#include "arm64_percpu.h"
#include "arm64_vgic.h"
#include "sysreg.h"

/*
 * HCR_EL2 while a guest runs.  VM: its stage 2.  RW: AArch64 EL1.
 * FMO/IMO/AMO: physical FIQ/IRQ/SError come to EL2 (an exit; the host
 * takes them once it runs again) and the guest's GIC CPU interface is the
 * virtual one.  FB, BSU=IS: its TLB and I-cache maintenance reaches every
 * CPU it may move to.  TWI: WFI is an exit.  TID3, TACR, TIDCP: feature ID
 * registers, ACTLR_EL1 and IMPLEMENTATION DEFINED registers trap, and core
 * answers them (core/sysreg.c), so a guest learns the implementation only
 * through what core shows.  TSC: its SMCs trap.  TLOR, TERR: LORegion and
 * RAS error-record registers, which would otherwise be shared with the
 * host, trap.  API and APK clear: pointer authentication traps, so the
 * host's keys are never the guest's (nor the guest's the host's) and need
 * no switching.  EnSCXT, ATA clear: SCXTNUM and MTE trap.
 */
#define HCR_EL2_FMO    (1ull << 3)
#define HCR_EL2_VSE    (1ull << 8)
#define HCR_EL2_IMO    (1ull << 4)
#define HCR_EL2_AMO    (1ull << 5)
#define HCR_EL2_FB     (1ull << 9)
#define HCR_EL2_BSU_IS (1ull << 10)
#define HCR_EL2_TWI    (1ull << 13)
#define HCR_EL2_TID3   (1ull << 18)
#define HCR_EL2_TIDCP  (1ull << 20)
#define HCR_EL2_TACR   (1ull << 21)
#define HCR_EL2_TLOR   (1ull << 35)
#define HCR_EL2_TERR   (1ull << 36)
#define GUEST_HCR                                                                                  \
	(HCR_EL2_VM | HCR_EL2_RW | HCR_EL2_FMO | HCR_EL2_IMO | HCR_EL2_AMO | HCR_EL2_FB |          \
	 HCR_EL2_BSU_IS | HCR_EL2_TWI | HCR_EL2_TID3 | HCR_EL2_TSC | HCR_EL2_TIDCP |               \
	 HCR_EL2_TACR | HCR_EL2_TLOR | HCR_EL2_TERR)

/*
 * MDCR_EL2 on top of the host's HPMN: TPMCR, TPM (every PMU register),
 * TDA (debug registers, MDSCR_EL1 included), TDOSA (OS lock), TDRA (debug
 * ROM) trap, so the guest can neither program nor read state the host
 * reads back.  core answers RAZ/WI.  The host's counters keep counting
 * while the guest runs (as on KVM): what a guest costs is the host's to
 * measure.
 */
#define MDCR_EL2_TPMCR (1ull << 5)
#define MDCR_EL2_TPM   (1ull << 6)
#define MDCR_EL2_TDA   (1ull << 9)
#define MDCR_EL2_TDOSA (1ull << 10)
#define MDCR_EL2_TDRA  (1ull << 11)
#define GUEST_MDCR_TRAPS                                                                           \
	(MDCR_EL2_TPMCR | MDCR_EL2_TPM | MDCR_EL2_TDA | MDCR_EL2_TDOSA | MDCR_EL2_TDRA)

/*
 * CPTR_EL2 on top of the host's: TZ (SVE), TSM (SME), TTA (trace), TAM
 * (activity monitors) trap.  SVE/SME state is not switched, so the guest
 * must not reach the upper bits of the Z registers the host left there.
 * TFP: FP/SIMD is switched lazily.  A run starts with the host's V0-V31,
 * FPSR and FPCR still in the registers and the guest's first FP/SIMD
 * instruction trapping (EC 0x07); kcore then saves the host's, loads the
 * guest's, stops trapping and retries the instruction, all without an
 * exit.  A run in which the guest touches no FP register (most exits of an
 * OS kernel) moves none of the 66 words either way; the guest can never
 * read the host's values, since every access traps until its own are in.
 */
#define CPTR_EL2_TZ	   (1ull << 8)
#define CPTR_EL2_TFP	   (1ull << 10)
#define CPTR_EL2_TSM	   (1ull << 12)
#define CPTR_EL2_TTA	   (1ull << 20)
#define CPTR_EL2_TAM	   (1ull << 30)
#define GUEST_CPTR_TRAPS   (CPTR_EL2_TZ | CPTR_EL2_TSM | CPTR_EL2_TTA | CPTR_EL2_TAM)

/*
 * CNTHCTL_EL2 (E2H = 0) for a guest: EL1PCTEN only.  The physical counter
 * reads, the physical timer traps (RAZ/WI): a guest has the virtual timer,
 * whose offset (CNTVOFF_EL2) is kcore's 0, never the host's choice.
 */
#define GUEST_CNTHCTL	   0x1ull

/* VMPIDR_EL2: RES1 bit 31, Aff0 = the vCPU index (what PSCI CPU_ON names). */
#define GUEST_VMPIDR(vcpu) ((1ull << 31) | (uint64_t)(vcpu))

/*
 * The EL1 registers a guest owns, in enum kc_sysreg's order, two adjacent
 * slots at a time where they can be (each pair is one stp or ldp: the
 * memory half of the switch costs half as much).  Not ACTLR_EL1: TACR
 * traps every guest access to it (core/sysreg.c: RAZ/WI), so the host's
 * value stays in the register, which the guest can neither read nor
 * change (KVM does not switch it either).
 */
#define GUEST_SYSREGS(ONE, TWO)                                                                    \
	ONE(KC_SYS_SCTLR_EL1, sctlr_el1)                                                           \
	TWO(KC_SYS_CPACR_EL1, cpacr_el1, KC_SYS_TTBR0_EL1, ttbr0_el1)                              \
	TWO(KC_SYS_TTBR1_EL1, ttbr1_el1, KC_SYS_TCR_EL1, tcr_el1)                                  \
	TWO(KC_SYS_MAIR_EL1, mair_el1, KC_SYS_AMAIR_EL1, amair_el1)                                \
	TWO(KC_SYS_VBAR_EL1, vbar_el1, KC_SYS_CONTEXTIDR_EL1, contextidr_el1)                      \
	TWO(KC_SYS_TPIDR_EL0, tpidr_el0, KC_SYS_TPIDRRO_EL0, tpidrro_el0)                          \
	TWO(KC_SYS_TPIDR_EL1, tpidr_el1, KC_SYS_ESR_EL1, esr_el1)                                  \
	TWO(KC_SYS_FAR_EL1, far_el1, KC_SYS_AFSR0_EL1, afsr0_el1)                                  \
	TWO(KC_SYS_AFSR1_EL1, afsr1_el1, KC_SYS_PAR_EL1, par_el1)                                  \
	TWO(KC_SYS_ELR_EL1, elr_el1, KC_SYS_SPSR_EL1, spsr_el1)                                    \
	TWO(KC_SYS_CNTKCTL_EL1, cntkctl_el1, KC_SYS_CSSELR_EL1, csselr_el1)                        \
	ONE(KC_SYS_MDSCR_EL1, mdscr_el1)

#define GUEST_SYSREG_COUNT1(i, r)	+1
#define GUEST_SYSREG_COUNT2(i, r, j, s) +2
_Static_assert(0 GUEST_SYSREGS(GUEST_SYSREG_COUNT1, GUEST_SYSREG_COUNT2) == KC_SYS_COUNT - 1,
	       "every register of enum kc_sysreg is switched, but ACTLR_EL1");
#define GUEST_SYSREG_ADJACENT1(i, r)
#define GUEST_SYSREG_ADJACENT2(i, r, j, s)                                                         \
	_Static_assert((j) == (i) + 1, #r " and " #s " adjacent");
GUEST_SYSREGS(GUEST_SYSREG_ADJACENT1, GUEST_SYSREG_ADJACENT2)

/*
 * msr without a memory clobber, for the EL1 context only: nothing in
 * memory depends on these registers, so the compiler may pair the loads
 * that feed them (the ERET or an ISB synchronises them, not program order).
 */
#define write_el1_sysreg(reg, val) __asm__ volatile("msr " #reg ", %0" : : "r"((uint64_t)(val)))

/*
 * One CPU's host context while a guest runs on it.  The registers moved on
 * every run come first: stp/ldp reach only 504 bytes from their base, so
 * the FP/SIMD block (528 bytes, moved only when the guest uses it) is last.
 */
struct guest_host_ctx {
	uint64_t sys[KC_SYS_COUNT];
	uint64_t sp_el0, sp_el1;
	uint64_t cntv_ctl, cntv_cval;
	/* Where its VCPU_RUN call returns, and its MDCR_EL2 (HPMN). */
	uint64_t elr_el2, spsr_el2;
	uint64_t mdcr;
	uint64_t fp[66] __attribute__((aligned(16))); /* V0..V31, FPSR, FPCR */
};

static struct guest_host_ctx guest_host[ARM64_MAX_CPUS];

static void guest_sysregs_save(uint64_t *s)
{
#define GUEST_SYSREG_SAVE1(i, r) s[i] = read_sysreg(r);
#define GUEST_SYSREG_SAVE2(i, r, j, q)                                                             \
	{                                                                                          \
		uint64_t a = read_sysreg(r), b = read_sysreg(q);                                   \
		s[i] = a;                                                                          \
		s[j] = b;                                                                          \
	}
	GUEST_SYSREGS(GUEST_SYSREG_SAVE1, GUEST_SYSREG_SAVE2)
#undef GUEST_SYSREG_SAVE1
#undef GUEST_SYSREG_SAVE2
}

static void guest_sysregs_load(const uint64_t *s)
{
#define GUEST_SYSREG_LOAD1(i, r) write_el1_sysreg(r, s[i]);
#define GUEST_SYSREG_LOAD2(i, r, j, q)                                                             \
	{                                                                                          \
		uint64_t a = s[i], b = s[j];                                                       \
		write_el1_sysreg(r, a);                                                            \
		write_el1_sysreg(q, b);                                                            \
	}
	GUEST_SYSREGS(GUEST_SYSREG_LOAD1, GUEST_SYSREG_LOAD2)
#undef GUEST_SYSREG_LOAD1
#undef GUEST_SYSREG_LOAD2
}

/* The EL1 context either side keeps: system registers, stack pointers, virtual timer. */
static void guest_el1_save(uint64_t *sys, uint64_t *sp_el0, uint64_t *sp_el1, uint64_t *cntv_ctl,
			   uint64_t *cntv_cval)
{
	uint64_t sp0 = read_sysreg(sp_el0), sp1 = read_sysreg(sp_el1);
	uint64_t ctl = read_sysreg(cntv_ctl_el0), cval = read_sysreg(cntv_cval_el0);

	guest_sysregs_save(sys);
	*sp_el0 = sp0;
	*sp_el1 = sp1;
	*cntv_ctl = ctl;
	*cntv_cval = cval;
}

static void guest_el1_load(const uint64_t *sys, uint64_t sp_el0, uint64_t sp_el1, uint64_t cntv_ctl,
			   uint64_t cntv_cval)
{
	guest_sysregs_load(sys);
	write_el1_sysreg(sp_el0, sp_el0);
	write_el1_sysreg(sp_el1, sp_el1);
	/* The compare value first: enabling with the other side's CVAL could fire at once. */
	write_el1_sysreg(cntv_ctl_el0, 0);
	write_el1_sysreg(cntv_cval_el0, cntv_cval);
	write_el1_sysreg(cntv_ctl_el0, cntv_ctl);
}

#define ESR_EL2_EC(esr)	 (((esr) >> 26) & 0x3fu)
#define ESR_EC_FP_ACCESS 0x07u

/*
 * The guest's first FP/SIMD access of this run trapped: its registers in,
 * the host's out (into kcore's per-CPU context), the trap off.  ELR_EL2
 * still points at the instruction, which runs again.
 */
static void guest_fp_switch_in(struct guest_host_ctx *h, const struct kc_vcpu_regs *regs)
{
	/* TFP traps EL2's own accesses too (E2H = 0): off first. */
	write_sysreg(cptr_el2, ARM64_HOST_CPTR_EL2 | GUEST_CPTR_TRAPS);
	isb();
	arm64_fp_save(h->fp);
	arm64_fp_load(&regs->v[0][0]);
}

/*
 * Whether ESR_EL2 is a data or instruction abort whose HPFAR_EL2 the
 * hardware does not promise: it is valid only for a stage-2 translation or
 * access-flag fault, or one on the guest's stage-1 walk (S1PTW); for a
 * permission fault, an external abort, an address size fault... it is
 * UNKNOWN (and erratum 834220 makes it wrong even for some translation
 * faults on Cortex-A57/A72: KVM then translates all of them; kcore runs on
 * no such part yet).  The one piece of the syndrome the platform reads:
 * only here, with the guest's stage 1 still loaded, can the IPA be found.
 */
#define ESR_EL2_FNV	    (1ull << 10)
#define ESR_EL2_S1PTW	    (1ull << 7)
#define ESR_EL2_FSC_TYPE(e) (((e) >> 2) & 0xfu) /* 1 translation, 2 access flag */
#define PAR_EL1_F	    1ull
#define PAR_EL1_PA	    0x000ffffffffff000ull /* PA[51:12] */

static bool guest_hpfar_unknown(uint64_t esr)
{
	if (ESR_EL2_EC(esr) != 0x20 && ESR_EL2_EC(esr) != 0x24)
		return false; /* not an abort from the guest */
	if (esr & ESR_EL2_S1PTW)
		return false;
	return ESR_EL2_FSC_TYPE(esr) != 1 && ESR_EL2_FSC_TYPE(esr) != 2;
}

/*
 * FAR_EL2 through the guest's stage 1 (AT S1E1R at EL2 walks the EL1&0
 * regime with the guest's registers and stage 2), in HPFAR_EL2's format —
 * KVM's __translate_far_to_hpfar.  PAR_EL1 is the guest's: kept.  False if
 * it does not translate: the guest changed its tables since the abort.
 */
static bool guest_far_to_hpfar(uint64_t far, uint64_t *hpfar)
{
	uint64_t guest_par = read_sysreg(par_el1), par;

	__asm__ volatile("at s1e1r, %0" : : "r"(far) : "memory");
	isb();
	par = read_sysreg(par_el1);
	write_sysreg(par_el1, guest_par);
	if (par & PAR_EL1_F)
		return false;
	*hpfar = ((par & PAR_EL1_PA) >> 12) << 4;
	return true;
}

void plat_guest_run(const struct kc_guest *g, struct kc_vcpu_regs *regs, struct kc_trap *trap)
{
	unsigned cpu = arm64_cpu_index();
	struct guest_host_ctx *h = &guest_host[cpu];
	uint64_t reason;
	bool fp_loaded = false;

	/* The host's side, from the registers (its call's return included). */
	h->elr_el2 = read_sysreg(elr_el2);
	h->spsr_el2 = read_sysreg(spsr_el2);
	h->mdcr = read_sysreg(mdcr_el2);
	guest_el1_save(h->sys, &h->sp_el0, &h->sp_el1, &h->cntv_ctl, &h->cntv_cval);

	/* The guest's, from its shadow context only (FP/SIMD when it first uses it). */
	guest_el1_load(regs->sys, regs->sp_el0, regs->sp_el1, regs->cntv_ctl, regs->cntv_cval);
	unsigned lrs = arm64_vgic_load(&regs->vgic, cpu);
	/* VSE: a virtual SError core made pending (kc_vcpu_regs.vserror). */
	write_sysreg(hcr_el2, GUEST_HCR | (regs->vserror ? HCR_EL2_VSE : 0));
	write_sysreg(vttbr_el2, g->s2_root | ((uint64_t)g->vmid << VTTBR_VMID_SHIFT));
	write_sysreg(mdcr_el2, (h->mdcr & 0x1f) | GUEST_MDCR_TRAPS);
	write_sysreg(cptr_el2, ARM64_HOST_CPTR_EL2 | GUEST_CPTR_TRAPS | CPTR_EL2_TFP);
	write_sysreg(cnthctl_el2, GUEST_CNTHCTL);
	write_sysreg(vmpidr_el2, GUEST_VMPIDR(g->vcpu));
	write_sysreg(vbar_el2, (uint64_t)(uintptr_t)arm64_guest_vectors);
	write_sysreg(elr_el2, regs->pc);
	write_sysreg(spsr_el2, regs->pstate);

	if (KCORE_EL2_CHECK)
		arm64_check_pause(); /* other CPUs' host calls go on while the guest runs */
	/* The ERET is the context synchronisation. */
	for (;;) {
		reason = arm64_guest_enter(regs);
		if (reason != GUEST_EXIT_SYNC || fp_loaded ||
		    ESR_EL2_EC(read_sysreg(esr_el2)) != ESR_EC_FP_ACCESS)
			break;
		guest_fp_switch_in(h, regs);
		fp_loaded = true;
	}
	if (KCORE_EL2_CHECK)
		arm64_check_resume();

	/* The syndrome, raw: core decodes it.  An interrupt has none. */
	trap->kind = reason; /* GUEST_EXIT_* are enum kc_trap_kind's values */
	if (reason == GUEST_EXIT_SYNC || reason == GUEST_EXIT_SERROR) {
		trap->esr = read_sysreg(esr_el2);
		trap->far = read_sysreg(far_el2);
		trap->hpfar = read_sysreg(hpfar_el2);
		if (reason == GUEST_EXIT_SYNC && guest_hpfar_unknown(trap->esr)) {
			/* Before the host's EL1 registers come back: the guest's stage 1 is live. */
			if (trap->esr & ESR_EL2_FNV)
				trap->hpfar = 0; /* no address at all: core sees IPA 0 */
			else
				trap->spurious = !guest_far_to_hpfar(trap->far, &trap->hpfar);
		}
	} else {
		trap->esr = 0; /* core reports an IRQ exit, the host takes the interrupt */
		trap->far = 0;
		trap->hpfar = 0;
	}

	/* Every guest register back into its shadow context... */
	regs->vserror = (read_sysreg(hcr_el2) & HCR_EL2_VSE) != 0; /* cleared once taken */
	regs->pc = read_sysreg(elr_el2);
	regs->pstate = read_sysreg(spsr_el2);
	guest_el1_save(regs->sys, &regs->sp_el0, &regs->sp_el1, &regs->cntv_ctl, &regs->cntv_cval);
	if (fp_loaded)
		arm64_fp_save(&regs->v[0][0]);
	arm64_vgic_save(&regs->vgic, lrs);

	/* ...and the host's back in every register. */
	write_sysreg(vbar_el2, (uint64_t)(uintptr_t)el2_vectors);
	arm64_host_el2_resume();
	write_sysreg(mdcr_el2, h->mdcr);
	guest_el1_load(h->sys, h->sp_el0, h->sp_el1, h->cntv_ctl, h->cntv_cval);
	if (fp_loaded)
		arm64_fp_load(h->fp);
	write_sysreg(elr_el2, h->elr_el2);
	write_sysreg(spsr_el2, h->spsr_el2);
	isb();
}
