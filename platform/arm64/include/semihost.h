/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Arm semihosting: the only way an EL2 image can hand QEMU an exit status
 * (QEMU needs -semihosting).  Without -semihosting the HLT below is an
 * UNDEF at EL2 (toolchain-notes §3 gotcha 4); the exception handler
 * recognises that case and parks instead of recursing.
 */
#ifndef KCORE_ARM64_SEMIHOST_H
#define KCORE_ARM64_SEMIHOST_H

#include <stdint.h>

/* HLT #0xF000, the A64 semihosting trap, as an instruction word. */
#define SEMIHOST_HLT_INSN 0xd45e0000u

/*
 * The image's exit statuses: the QEMU tests assert on them, so each way of
 * stopping has its own value.
 */
enum kcore_exit_status {
	KCORE_EXIT_OK = 0,	  /* booted, MMU on, every KAT passed */
	KCORE_EXIT_BOOT = 1,	  /* boot failed: no/bad DTB, layout, core map, MMU check */
	KCORE_EXIT_KAT = 2,	  /* a crypto known-answer test failed */
	KCORE_EXIT_EXCEPTION = 3, /* unexpected exception at EL2 */
	KCORE_EXIT_NOT_EL2 = 4,	  /* entered at an exception level other than EL2 */
	KCORE_EXIT_CHECK = 5,	  /* the EL2 checker found an invariant violated */
	KCORE_EXIT_PANIC = 99,	  /* plat_panic: kcore found itself inconsistent */
};

/* SYS_EXIT with ADP_Stopped_ApplicationExit: QEMU exits with `status`. */
_Noreturn void semihost_exit(int status);

#endif /* KCORE_ARM64_SEMIHOST_H */
