/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/mem.h — the only C library functions core calls.
 *
 * Standard prototypes, so the compiler recognises them; the hosted build
 * links the C library's (which the sanitizers intercept), the arm64 image
 * links platform/arm64/libc.  Core never includes <string.h>: it is an OS
 * header on the hosted build.
 */
#ifndef KCORE_MEM_H
#define KCORE_MEM_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* KCORE_MEM_H */
