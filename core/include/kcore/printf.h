/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/printf.h — formatted output to the platform console.
 *
 * A small, freestanding printf: conversions %s %c %d %i %u %x %X %p %%, the
 * length modifiers l, ll and z, a field width and the '0' and '-' flags.
 * Anything else is printed literally, so a bad format never reads past the
 * arguments it was given.  No floating point.
 */
#ifndef KCORE_PRINTF_H
#define KCORE_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

#define KC_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Print to the console (plat_console_write). */
void kc_printf(const char *fmt, ...) KC_PRINTF(1, 2);

/*
 * Format into buf (always NUL-terminated when size > 0).  Returns the length
 * the full output would have, like snprintf.
 */
size_t kc_snprintf(char *buf, size_t size, const char *fmt, ...) KC_PRINTF(3, 4);
size_t kc_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif /* KCORE_PRINTF_H */
