/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's freestanding <string.h> for the EL2 image.  The image, BearSSL
 * and libfdt share it (the subprojects get this directory through their
 * libc_include option).  Compilers also emit calls to memcpy/memset/
 * memmove on their own (struct copies, zero-initialisation), even with
 * -ffreestanding, so these must exist whether or not a source file calls
 * them.
 */
#ifndef KCORE_ARM64_STRING_H
#define KCORE_ARM64_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
int strcmp(const char *a, const char *b);

#endif /* KCORE_ARM64_STRING_H */
