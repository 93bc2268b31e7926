/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stand-in host's entry and EL1 vectors.  It is an arm64 Linux Image
 * (same header as Linux's booting.rst), so kcore boots it exactly as it
 * will boot Linux: at EL1, MMU off, x0 = the DTB kcore edited.
 */
	.section .text.head, "ax"
	.global	_start
_start:
	b	host_entry
	.long	0
	.quad	0			/* text_offset: kcore requires 0, as Linux >= 5.8 */
	.quad	__host_size		/* image_size */
	.quad	0x2			/* little-endian, 4 KiB pages */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"
	.long	0

host_entry:
	mov	x19, x0
	adrp	x1, host_stack_top
	add	x1, x1, :lo12:host_stack_top
	mov	sp, x1
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	adrp	x1, host_vectors
	add	x1, x1, :lo12:host_vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	host_main
3:	wfi
	b	3b

/*
 * A secondary CPU, started by the host's PSCI CPU_ON through kcore:
 * x0 = the context id the host passed, here the CPU's number (1..7).
 */
	.global	host_secondary_entry
host_secondary_entry:
	mov	x19, x0
	adrp	x1, host_cpu_stacks
	add	x1, x1, :lo12:host_cpu_stacks
	add	x2, x19, #1
	mov	x3, #0x4000
	madd	x1, x2, x3, x1
	mov	sp, x1
	adrp	x1, host_vectors
	add	x1, x1, :lo12:host_vectors
	msr	vbar_el1, x1
	isb
	mov	x0, x19
	bl	host_secondary
4:	wfi
	b	4b

/*
 * host_el0_load(addr): load from `addr` at EL0 and come back.  The EL0
 * code is a load then `svc #0`; either the SVC or an abort of the load
 * lands on the lower-EL vector (VBAR_EL1 + 0x400), whose handler resumes
 * at EL1 at host_el0_back with SP_EL1 as it was here.
 */
	.global	host_el0_load
host_el0_load:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	adr	x1, 1f
	msr	elr_el1, x1
	mov	x1, #0x3c0		/* EL0t, DAIF masked */
	msr	spsr_el1, x1
	isb
	eret
1:	ldr	x1, [x0]
	svc	#0
	.global	host_el0_back
host_el0_back:
	ldp	x29, x30, [sp], #16
	ret

/*
 * Every vector saves x0..x18 and x30 in a struct host_frame and calls
 * host_exception(index, frame); if it returns, the frame goes back and
 * the host erets (ELR_EL1 possibly moved past a faulting access).
 */
	.macro	host_vector index
	.balign	0x80
	sub	sp, sp, #176
	stp	x0, x1, [sp, #0]
	mov	x0, #\index
	b	host_vector_common
	.endm

	.balign	0x800
	.global	host_vectors
host_vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	host_vector \i
	.endr

host_vector_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	str	x30, [sp, #160]
	mov	x1, sp
	bl	host_exception
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x29, [sp, #144]
	ldr	x30, [sp, #160]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #176
	eret

	.section .bss.stack, "aw", %nobits
	.balign	16
	.space	0x4000
	.global	host_stack_top
host_stack_top:

	.balign	16
	.global	host_cpu_stacks
host_cpu_stacks:
	.space	0x4000 * 8
