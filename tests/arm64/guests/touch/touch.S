/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The "touch" guest, for ./ci/bench: loads from one page after another,
 * from TOUCH_FIRST (the page after its image) on, so every iteration is a
 * first touch of a 4 KiB page: a FAULT exit -> the host's VM_MAP_FAULT ->
 * VCPU_RUN -> the retried load.  Three guest instructions per page, of
 * which the load is the access measured.  It never stops: the host stops
 * running it.
 */
	.section .text.entry, "ax"
	.global	_start
_start:
	movz	x1, #0x1000
	movk	x1, #0x8000, lsl #16	/* TOUCH_FIRST: 0x80001000 */
1:	ldr	x2, [x1]
	add	x1, x1, #0x1000
	b	1b
