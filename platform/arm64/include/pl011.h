/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PL011 UART, transmit only: kcore's console.  Until the DTB is read the
 * driver writes to QEMU virt's UART at 0x09000000, so a missing or broken
 * DTB can still be reported.
 */
#ifndef KCORE_ARM64_PL011_H
#define KCORE_ARM64_PL011_H

#include <stddef.h>
#include <stdint.h>

#define PL011_VIRT_DEFAULT_BASE 0x09000000ull
#define PL011_MMIO_SIZE		0x1000ull

/* Use the UART at physical (= virtual, identity map) address `base`. */
void pl011_set_base(uint64_t base);
uint64_t pl011_base(void);

/* Write `len` bytes; "\n" goes out as "\r\n" (a serial terminal's newline). */
void pl011_write(const char *s, size_t len);
void pl011_puts(const char *s);
void pl011_put_hex(uint64_t v);

#endif /* KCORE_ARM64_PL011_H */
