/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The UART is left as firmware (or QEMU) configured it: kcore only
 * transmits, and reprogramming the baud rate would garble the output of
 * whoever shares the line.
 *
 * The host shares this UART (docs/ARCHITECTURE.md "kcore's devices"):
 * Linux programs it, may disable it and fills its FIFO.  kcore must never
 * hang on that state, so waiting for room is bounded: at most
 * PL011_WAIT_US per character, and once a wait has run out, no wait at all
 * (one look at the FIFO) until a character goes out again.  A host that
 * keeps the UART full or off only loses kcore's characters.
 */
#include "pl011.h"

#include "sysreg.h"

#include <stdbool.h>

#define PL011_DR      0x00u
#define PL011_FR      0x18u
#define PL011_FR_TXFF (1u << 5) /* transmit FIFO full */
#define PL011_WAIT_US 1000u	/* a character at 9600 baud takes about 1 ms */

/* A wait ran out and no character went out since: do not wait again. */
static bool pl011_stuck;

static uint64_t pl011_mmio = PL011_VIRT_DEFAULT_BASE;

void pl011_set_base(uint64_t base)
{
	pl011_mmio = base;
}

uint64_t pl011_base(void)
{
	return pl011_mmio;
}

static void pl011_putc(char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(uintptr_t)(pl011_mmio + PL011_FR);
	volatile uint32_t *dr = (volatile uint32_t *)(uintptr_t)(pl011_mmio + PL011_DR);

	if (*fr & PL011_FR_TXFF) {
		if (__atomic_load_n(&pl011_stuck, __ATOMIC_RELAXED))
			return;
		/* CNTPCT_EL0 and CNTFRQ_EL0 read at EL2 whatever the host set. */
		uint64_t start = read_sysreg(cntpct_el0);
		uint64_t ticks = read_sysreg(cntfrq_el0) / 1000000u * PL011_WAIT_US;
		while (*fr & PL011_FR_TXFF) {
			if (read_sysreg(cntpct_el0) - start > ticks) {
				__atomic_store_n(&pl011_stuck, true, __ATOMIC_RELAXED);
				return;
			}
		}
	}
	__atomic_store_n(&pl011_stuck, false, __ATOMIC_RELAXED);
	*dr = (uint32_t)(unsigned char)c;
}

void pl011_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			pl011_putc('\r');
		pl011_putc(s[i]);
	}
}

void pl011_puts(const char *s)
{
	while (*s)
		pl011_write(s++, 1);
}

/* Needs no printf: the exception handler and early boot use it. */
void pl011_put_hex(uint64_t v)
{
	char buf[18] = "0x";

	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	pl011_write(buf, sizeof(buf));
}
