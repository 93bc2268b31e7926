/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stand-in host's output: characters by semihosting, and one TAP-like
 * line per check ("ok N - name" / "not ok N - name: why").
 */
#include "host.h"
#include <stdbool.h>
#include <stdint.h>

unsigned passed, failed, ntest;

/* ---- console ------------------------------------------------------------ */

/*
 * The host prints through semihosting (SYS_WRITEC, QEMU -semihosting), not
 * the PL011: the UART is kcore's own device, which core keeps out of the
 * host's stage 2.  The character is passed by address, on the stack, which
 * the store just before the call has mapped in the host's stage 2.
 */
void putc_(char c)
{
	volatile char ch = c;
	register uint64_t x0 __asm__("x0") = 0x03; /* SYS_WRITEC */
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)&ch;

	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}

void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

void puthex(uint64_t v)
{
	puts_("0x");
	for (int s = 60; s >= 0; s -= 4)
		putc_("0123456789abcdef"[(v >> s) & 0xf]);
}

void putdec(uint64_t v)
{
	char b[21];
	int i = 20;

	b[i] = '\0';
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(&b[i]);
}

/* ---- the tests ------------------------------------------------------------ */

void result(const char *name, bool ok, const char *why)
{
	ntest++;
	if (ok) {
		passed++;
		puts_("ok ");
	} else {
		failed++;
		puts_("not ok ");
	}
	putdec(ntest);
	puts_(" - ");
	puts_(name);
	if (!ok && why) {
		puts_(": ");
		puts_(why);
	}
	putc_('\n');
}

void expect(const char *name, int64_t got, int64_t want)
{
	ntest++;
	if (got == want) {
		passed++;
		puts_("ok ");
	} else {
		failed++;
		puts_("not ok ");
	}
	putdec(ntest);
	puts_(" - ");
	puts_(name);
	if (got != want) {
		puts_(": got ");
		puthex((uint64_t)got);
		puts_(", want ");
		puthex((uint64_t)want);
	}
	putc_('\n');
}
