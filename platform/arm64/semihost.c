/* SPDX-License-Identifier: BSD-2-Clause */
#include "semihost.h"

#define SEMIHOST_SYS_EXIT	     0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uint64_t semihost_call(uint64_t op, uint64_t arg)
{
	register uint64_t x0 __asm__("x0") = op;
	register uint64_t x1 __asm__("x1") = arg;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
	return x0;
}

_Noreturn void semihost_exit(int status)
{
	/* A64 SYS_EXIT takes a pointer to {reason, subcode}; the subcode is the status. */
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)(int64_t)status };

	semihost_call(SEMIHOST_SYS_EXIT, (uint64_t)(uintptr_t)block);
	/* Only reached if the debugger ignored the request: stop here for good. */
	for (;;)
		__asm__ volatile("wfi");
}
