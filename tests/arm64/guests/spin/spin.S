/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "spin" guest, for ./ci/bench: a loop of guest calls kcore forwards
 * to the host (a SiP SMC64 id, which kcore does not answer itself), so
 * every iteration is one exit round trip: guest hvc -> kcore -> the host's
 * VCPU_RUN returns a CALL exit -> the host answers CALL_DONE -> kcore ->
 * the guest's next instruction.  Four guest instructions per round.
 */
	.section .text.entry, "ax"
	.global	_start
_start:
1:	movz	x0, #0x0001
	movk	x0, #0xc200, lsl #16	/* 0xC2000001: SiP, forwarded */
	hvc	#0
	b	1b
