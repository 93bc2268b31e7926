/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_hosted/guest.h — what a guest vCPU does when kcore runs it.
 *
 * plat_guest_run (kcore/platform.h) executes a "guest program": an array of
 * ops the test installs for a (VMID, vCPU), op i at guest PC base_pc + 4*i.
 * The guest runs with its stage 1 off, so VA = IPA, and every fetch, load
 * and store goes through the VM's stage 2 at the kc_guest's root, as the
 * CPU that calls plat_guest_run, TLB included.  Stage 1 off also makes
 * every load and store non-cacheable: they read and write memory, under
 * any dirty line the host left there (kcore_hosted/cache.h).  A fetch
 * translates and checks the stage 2 but reads no bytes, since the ops are
 * installed apart from memory; what an MMU-off guest would execute at an
 * address is what its LOAD of that address returns (memory), and tests
 * show it that way.  It runs until something
 * traps to EL2 and reports that trap as the hardware would (ESR_EL2,
 * FAR_EL2, HPFAR_EL2, ELR_EL2 in regs->pc):
 *
 *   fetch fault       EC 0x20 (IABT, lower EL), IFSC; pc unchanged
 *   LOAD/STORE fault  EC 0x24 (DABT, lower EL), ISV=1 with SAS/SSE/SRT/SF/WnR,
 *                     DFSC; pc unchanged, so the access re-executes
 *   HVC               EC 0x16 (HVC64), ISS = imm16; pc = next op (ELR of an
 *                     HVC is the following instruction)
 *   SMC               EC 0x17 (SMC64, trapped by HCR_EL2.TSC), ISS = imm16;
 *                     pc unchanged (ELR of a trapped SMC is the SMC itself)
 *   MRS/MSR           of a register the guest does not own: EC 0x18 (SYS64),
 *                     ISS Op0/Op2/Op1/CRn/Rt/CRm/Direction; pc unchanged
 *                     (ELR points at it, the hypervisor steps over it)
 *   WFI               EC 0x01, ISS CV=1 COND=0b1110 TI=0 (WFI), as taken
 *                     from AArch64; pc = the WFI itself: ELR of a trapped
 *                     instruction points at it, and the hypervisor steps
 *                     over it (KVM: kvm_incr_pc), so core must add 4
 *
 *   physical IRQ      raised with hm_guest_irq for the CPU: the run stops
 *                     before its next op, trap kind KC_TRAP_IRQ, no syndrome
 *                     (ESR/FAR/HPFAR 0); pc unchanged
 *
 * Interrupts (the GICv3 virtual CPU interface, regs->vgic): MRS of
 * ICC_IAR1_EL1 acknowledges the pending list register of highest priority
 * (lowest value; the first on a tie), making it active, and reads its
 * INTID (1023 if none is pending); MSR ICC_EOIR1_EL1 with an INTID
 * finishes the active one (EOImode 0: priority drop and deactivation).
 * The model checks no PMR, group enable or running priority: a test reads
 * what kcore put in the list registers.  The virtual timer: CNTV_CTL_EL0
 * and CNTV_CVAL_EL0 are the guest's (regs->cntv_*), and the model's
 * virtual counter reads 0 forever, so an enabled timer fires (ISTATUS)
 * exactly when its CVAL is 0.
 *
 * A PC outside the program (or a vCPU with no program) executes WFI: a
 * guest with nothing left to do idles.  So does a PC that is misaligned or
 * at or above 2^48: on hardware that is a fault taken to the guest's own
 * EL1, which the model does not run.  Programs have no branches, so a run
 * ends after at most n + 1 ops; the length cap bounds every run.
 *
 * Fault status codes (IFSC/DFSC): address size 0b0000LL, translation
 * 0b0001LL, access flag 0b0010LL, permission 0b0011LL (LL = level),
 * synchronous external abort on the stage-2 walk 0b0101LL, and on the
 * access itself (output address neither RAM nor device) 0b010000 with
 * ISS.EA = 1.  HPFAR_EL2 = IPA[47:12] << 4 for every stage-2 fault and 0 for
 * an external abort on the access (UNKNOWN there) and for HVC/WFI; FAR_EL2
 * is the faulting address (the pc for an instruction abort), else 0.
 *
 * Threading: programs may be installed and failures read while CPUs run;
 * a program being replaced stays alive until runs using it finish.
 */
#ifndef KCORE_HOSTED_GUEST_H
#define KCORE_HOSTED_GUEST_H

#include <kcore_hosted/machine.h>

#include <stddef.h>
#include <stdint.h>

/* The longest program hm_guest_program accepts (also the bound on one run). */
#define HM_GUEST_MAX_OPS 65536u

enum hm_gop {
	HM_GOP_LOAD,   /* x[reg] = zero-extended `size` bytes at IPA `addr` */
	HM_GOP_STORE,  /* `size` bytes at IPA `addr` = low bytes of x[reg] */
	HM_GOP_SET,    /* x[reg] (or V[reg - HM_REG_V0] bits 63:0) = value (no trap) */
	HM_GOP_HVC,    /* hvc #value (value <= 0xffff) */
	HM_GOP_EXPECT, /* record a failure if x[reg] (or V...) != value (no trap) */
	HM_GOP_WFI,    /* wfi */
	HM_GOP_MRS,    /* x[reg] = system register `value` (HM_SYSREG); reg 31 = xzr */
	HM_GOP_MSR,    /* system register `value` = x[reg]; reg 31 = xzr */
	HM_GOP_LOADS,  /* LDRSB/LDRSH/LDRSW Xt: sign-extended to 64 bits (ESR SSE, SF) */
	HM_GOP_LOADSW, /* LDRSB/LDRSH Wt: sign-extended to 32 bits, upper half 0 (SSE, !SF) */
	HM_GOP_SMC,    /* smc #value (value <= 0xffff): trapped to EL2 (HCR_EL2.TSC) */
};

/* SET/EXPECT registers past x30: the low 64 bits of V0..V31. */
#define HM_REG_V0 32u

/*
 * LOAD of 8 bytes is LDR Xt; a smaller one is LDR/LDRH/LDRB Wt
 * (zero-extended, ESR SF = 0).  LOADS and LOADSW are the sign-extending
 * loads, of 1, 2 or 4 (LOADS only) bytes.
 */

/*
 * A system register as MRS/MSR name it: op0 [20:19], op1 [18:16],
 * CRn [15:12], CRm [11:8], op2 [7:5] (the layout Linux's sys_reg() uses).
 * The registers a guest owns (kcore/platform.h enum kc_sysreg) are
 * accessed directly in the vCPU's context, as on hardware where they are
 * switched with the guest; any other one traps to EL2 (EC 0x18, ELR at the
 * instruction), as the registers kcore hides (TID3 and friends) do.
 */
#define HM_SYSREG(op0, op1, crn, crm, op2)                                                         \
	(((uint64_t)(op0) << 19) | ((uint64_t)(op1) << 16) | ((uint64_t)(crn) << 12) |             \
	 ((uint64_t)(crm) << 8) | ((uint64_t)(op2) << 5))

struct hm_guest_op {
	enum hm_gop op;
	uint8_t reg;   /* x0..x30 (LOAD, STORE, SET, EXPECT), V0.. (SET, EXPECT), 31 (MRS, MSR) */
	uint8_t size;  /* 1, 2, 4 or 8 (LOAD, STORE) */
	uint64_t addr; /* IPA, aligned to size, below 2^48 (LOAD, STORE) */
	uint64_t value;
};

/*
 * Install a copy of `ops` as the program of (vmid, vcpu), op i at
 * base_pc + 4*i, replacing any old one; n = 0 removes it.  A program the
 * architecture would not let a guest express that way is refused with
 * -EINVAL and the reason on stderr: base_pc not 4-aligned or the program
 * not below 2^48, an unknown op, reg > 30, size not 1/2/4/8, addr not
 * aligned to size (stage 1 off makes every access Device, where a
 * misaligned one is an alignment fault taken to the guest's EL1, never to
 * EL2) or not below 2^48, an HVC immediate above 0xffff.  -E2BIG for more
 * than HM_GUEST_MAX_OPS ops, -ENOMEM.
 */
int hm_guest_program(struct hm_machine *m, uint16_t vmid, uint16_t vcpu, uint64_t base_pc,
		     const struct hm_guest_op *ops, size_t n);

/*
 * A physical IRQ for CPU `cpu`: the next plat_guest_run there (or the one
 * in progress, at its next op) stops with an IRQ exit, once.
 */
void hm_guest_irq(struct hm_machine *m, unsigned cpu);

/*
 * EXPECT mismatches on `m` so far (all vCPUs); the last one's message is
 * copied to last_msg (may be NULL), "" if none.
 */
unsigned hm_guest_failures(struct hm_machine *m, char *last_msg, size_t msg_size);

#endif /* KCORE_HOSTED_GUEST_H */
