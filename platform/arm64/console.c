/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform.h console and fail-stop on arm64: the PL011 found in the DTB,
 * and a semihosting exit with its own status so a test can tell a panic
 * from every other way of stopping.
 */
#include <kcore/platform.h>

#include "pl011.h"
#include "semihost.h"

void plat_console_write(const char *s, size_t len)
{
	pl011_write(s, len);
}

_Noreturn void plat_panic(const char *why)
{
	pl011_puts("kcore: PANIC: ");
	pl011_puts(why);
	pl011_puts("\n");
	semihost_exit(KCORE_EXIT_PANIC);
}
