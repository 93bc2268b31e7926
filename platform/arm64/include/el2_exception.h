/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * EL2 exceptions.  vectors.S saves the interrupted context in this frame
 * (layout shared with the assembly: keep the offsets in step) and calls
 * el2_exception_handler.  So far every exception taken to EL2 is
 * unexpected: there is no host or guest yet whose calls would arrive here.
 */
#ifndef KCORE_ARM64_EL2_EXCEPTION_H
#define KCORE_ARM64_EL2_EXCEPTION_H

#define EL2_FRAME_X    0   /* x0..x30 */
#define EL2_FRAME_SP   248 /* SP at the time of the exception */
#define EL2_FRAME_ELR  256
#define EL2_FRAME_SPSR 264
#define EL2_FRAME_ESR  272
#define EL2_FRAME_FAR  280
#define EL2_FRAME_SIZE 288 /* a multiple of 16: SP stays aligned */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct el2_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
};

_Static_assert(__builtin_offsetof(struct el2_frame, sp) == EL2_FRAME_SP, "frame layout");
_Static_assert(__builtin_offsetof(struct el2_frame, far) == EL2_FRAME_FAR, "frame layout");
_Static_assert(sizeof(struct el2_frame) == EL2_FRAME_SIZE, "frame layout");

/*
 * `vector` is the entry's index in the table (0..15): group (current EL
 * with SP_EL0, current EL with SP_EL2, lower EL AArch64, lower EL AArch32)
 * times 4, plus the type (synchronous, IRQ, FIQ, SError).
 */
_Noreturn void el2_exception_handler(unsigned vector, struct el2_frame *frame);
#endif

#endif /* KCORE_ARM64_EL2_EXCEPTION_H */
