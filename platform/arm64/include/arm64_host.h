/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The EL1 host: how kcore enters it and what happens when it traps to EL2.
 * Boot protocol (docs/ARCHITECTURE.md, "arm64"): the host is an arm64
 * Linux Image (header with "ARM\x64" magic, text_offset 0) loaded at RAM
 * base + ARM64_HOST_OFFSET, e.g. QEMU
 *   -kernel kcore.bin -device loader,file=host.bin,addr=0x42000000,force-raw=on
 */
#ifndef KCORE_ARM64_HOST_H
#define KCORE_ARM64_HOST_H

/* Where the host Image is loaded: 2 MiB aligned, clear of kcore's image. */
#define ARM64_HOST_OFFSET 0x02000000ull

/* The host's registers kcore saves on a trap: x0..x18 and x30 (C keeps the rest). */
#define HOST_REGS_X30	  152
#define HOST_REGS_SIZE	  160

#ifndef __ASSEMBLER__
#include <kcore/kcore.h>
#include <stdbool.h>
#include <stdint.h>

#include "sysreg.h"

struct arm64_host_regs {
	uint64_t x[19];
	uint64_t x30;
};
_Static_assert(sizeof(struct arm64_host_regs) == HOST_REGS_SIZE, "host frame layout");
/* vectors.S hands the frame to kcore_host_call as a struct kc_hcall: x0..x6 first. */
_Static_assert(sizeof(struct kc_hcall) == 7 * sizeof(uint64_t), "kc_hcall is x0..x6");

/*
 * Is there a host Image at `base`?  Reads its header: the magic, a zero
 * text_offset and an image_size that ends inside `ram_end`.  *size is set
 * to the bytes it occupies (image_size).
 */
bool arm64_host_present(uint64_t base, uint64_t ram_end, uint64_t *size);

/* Can this CPU run the host under core's stage-2 tables (48-bit PAs)? */
bool arm64_host_stage2_ok(void);

/*
 * Set up EL2 for an EL1 host on this CPU (HCR, timers, traps, GIC system
 * register access, ID registers, its stage 2 on core's tables with VMID 0)
 * and enter it at `entry` with x0 = `x0`,
 * at EL1h with DAIF masked and the EL1 MMU off (booting.rst).  SP_EL2 is
 * reset to `stack_top`: every later trap starts from an empty stack.
 */
_Noreturn void arm64_host_enter(uint64_t entry, uint64_t x0, uint64_t stack_top);

/*
 * CPTR_EL2 (E2H = 0) for the host: the RES1 bits (13, 9, 7:0) and nothing
 * else, so TFP, TZ, TSM, TTA, TAM, TCPAC are 0: no FP/SIMD, SVE or SME trap.
 * A guest's is this with its traps on top (guest.c).
 */
#define ARM64_HOST_CPTR_EL2    ((1ull << 13) | (1ull << 9) | 0xffull)

/* CNTHCTL_EL2 (E2H = 0) for the host: EL1PCTEN | EL1PCEN, EL1 reads the counter and uses its timer. */
#define ARM64_HOST_CNTHCTL_EL2 0x3ull

/*
 * HCR_EL2 and VTTBR_EL2 (core's host stage 2, VMID 0) as arm64_host_enter
 * set them: the same on every CPU once the first one entered the host.
 */
extern uint64_t arm64_host_hcr, arm64_host_vttbr;

/*
 * After a guest ran on this CPU: HCR_EL2, VTTBR_EL2, CPTR_EL2, CNTHCTL_EL2
 * and VMPIDR_EL2 back to what arm64_host_enter set, from kcore's own values
 * (nothing is read back).  Inline: it is on every guest exit.
 */
static inline void arm64_host_el2_resume(void)
{
	write_sysreg(hcr_el2, arm64_host_hcr);
	write_sysreg(vttbr_el2, arm64_host_vttbr);
	write_sysreg(cptr_el2, ARM64_HOST_CPTR_EL2);
	write_sysreg(cnthctl_el2, ARM64_HOST_CNTHCTL_EL2);
	write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
}

/*
 * One host call through core (kcore_host_call): x0..x6 in, x0..x3 out.  For
 * `hvc #0`, and for SMCCC's discovery calls when a host makes them by SMC
 * (its PSCI conduit: psci.c).
 */
void arm64_host_call(struct arm64_host_regs *regs);

/* vectors.S: lower-EL synchronous exceptions from the host. */
void arm64_host_sync(struct arm64_host_regs *regs);

/* host_entry (vectors.S): eret to EL1 at ELR_EL2 with x0 = arg0, sp = stack. */
_Noreturn void arm64_host_eret(uint64_t x0, uint64_t stack_top);

#endif

#endif /* KCORE_ARM64_HOST_H */
