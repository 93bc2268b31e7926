/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL2 exception vectors: 16 entries of 0x80 bytes, the table 2 KiB aligned
 * (VBAR_EL2[10:0] are RES0).  Each entry saves x0/x1, puts its own index in
 * x0 and joins el2_vector_common, which saves the rest of the context into
 * a struct el2_frame on the current stack and calls the C handler.
 * The one exception: a synchronous exception from the EL1 host (entry 8)
 * is a host call, SMC or fault, and comes back (el2_host_sync below).
 */
#include "arm64_asm.h"
#include "arm64_host.h"
#include "el2_exception.h"

	.macro	el2_vector index
	.balign	0x80
	sub	sp, sp, #EL2_FRAME_SIZE
	stp	x0, x1, [sp, #EL2_FRAME_X + 0]
	mov	x0, #\index
	b	el2_vector_common
	.endm

	.section .text.el2_vectors, "ax"
	.balign	0x800
	.global	el2_vectors
el2_vectors:
	el2_vector 0		/* current EL, SP_EL0: sync, IRQ, FIQ, SError */
	el2_vector 1
	el2_vector 2
	el2_vector 3
	el2_vector 4		/* current EL, SP_EL2 (kcore runs here) */
	el2_vector 5
	el2_vector 6
	el2_vector 7
	.balign	0x80		/* 8: lower EL, AArch64, synchronous: the host */
	sub	sp, sp, #HOST_REGS_SIZE
	stp	x0, x1, [sp, #0]
	b	el2_host_sync
	el2_vector 9
	el2_vector 10
	el2_vector 11
	el2_vector 12		/* lower EL, AArch32 */
	el2_vector 13
	el2_vector 14
	el2_vector 15

el2_vector_common:
	stp	x2, x3, [sp, #EL2_FRAME_X + 16]
	stp	x4, x5, [sp, #EL2_FRAME_X + 32]
	stp	x6, x7, [sp, #EL2_FRAME_X + 48]
	stp	x8, x9, [sp, #EL2_FRAME_X + 64]
	stp	x10, x11, [sp, #EL2_FRAME_X + 80]
	stp	x12, x13, [sp, #EL2_FRAME_X + 96]
	stp	x14, x15, [sp, #EL2_FRAME_X + 112]
	stp	x16, x17, [sp, #EL2_FRAME_X + 128]
	stp	x18, x19, [sp, #EL2_FRAME_X + 144]
	stp	x20, x21, [sp, #EL2_FRAME_X + 160]
	stp	x22, x23, [sp, #EL2_FRAME_X + 176]
	stp	x24, x25, [sp, #EL2_FRAME_X + 192]
	stp	x26, x27, [sp, #EL2_FRAME_X + 208]
	stp	x28, x29, [sp, #EL2_FRAME_X + 224]
	add	x1, sp, #EL2_FRAME_SIZE		/* SP before the entry pushed the frame */
	stp	x30, x1, [sp, #EL2_FRAME_X + 240]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [sp, #EL2_FRAME_ELR]
	mrs	x1, esr_el2
	mrs	x2, far_el2
	stp	x1, x2, [sp, #EL2_FRAME_ESR]
	mov	x1, sp
	/* A frame record pointing at the faulting PC, for a debugger's backtrace. */
	ldr	x2, [sp, #EL2_FRAME_ELR]
	stp	x29, x2, [sp, #-16]!
	mov	x29, sp
	bl	el2_exception_handler		/* does not return (unexpected exception) */
1:	wfi
	b	1b

/*
 * A synchronous exception from the host.  Saves only what the C handler
 * may change (x0..x18, x30: AAPCS64 makes it keep x19..x29 and SP), calls
 * arm64_host_sync with the frame, puts the (possibly changed) registers
 * back and returns to the host at ELR_EL2 (which the handler may move).
 */
el2_host_sync:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
	mov	x0, sp
#if KCORE_EL2_CHECK != 1
	/*
	 * The fast path for `hvc #0` (ESR_EL2 = EC 0x16, IL, ISS 0): the
	 * frame's first seven words are x0..x6, exactly a struct kc_hcall,
	 * so core reads its arguments from the frame and writes x0..x3 back
	 * into it.  The incremental checker locks and checks around it
	 * (arm64_check_host_call); the full checker takes the C path.
	 */
	mrs	x1, esr_el2
	mov	x2, #0x5a000000
	cmp	x1, x2
	b.ne	1f
#if KCORE_EL2_CHECK == 2
	bl	arm64_check_host_call
#else
	bl	kcore_host_call
#endif
	b	2f
#endif
1:	bl	arm64_host_sync
2:
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x30, [sp, #144]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #HOST_REGS_SIZE
	eret

/*
 * arm64_host_eret(x0, stack_top): the first entry into the host.  SP_EL2
 * starts empty for the traps to come; x1..x30 are zeroed (booting.rst
 * wants x1..x3 = 0, and no kcore value may leak to the host).
 */
	.global	arm64_host_eret
arm64_host_eret:
	mov	sp, x1
	zero_xregs 1, 30
	eret
