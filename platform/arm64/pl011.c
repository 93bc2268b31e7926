/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The UART is left as firmware (or QEMU) configured it: kcore only
 * transmits, and reprogramming the baud rate would garble the output of
 * whoever shares the line.
 */
#include "pl011.h"

#define PL011_DR      0x00u
#define PL011_FR      0x18u
#define PL011_FR_TXFF (1u << 5) /* transmit FIFO full */

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

	while (*fr & PL011_FR_TXFF) {
	}
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
