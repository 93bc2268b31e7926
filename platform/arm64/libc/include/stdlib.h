/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's freestanding <stdlib.h>: present only because libfdt's
 * libfdt_env.h includes it.  The libfdt files the EL2 image compiles
 * (fdt.c, fdt_ro.c, fdt_addresses.c, fdt_strerror.c) call no stdlib
 * function, so nothing is declared: a new caller shows up as an implicit
 * declaration error instead of a silent link to nothing.
 */
#ifndef KCORE_ARM64_STDLIB_H
#define KCORE_ARM64_STDLIB_H

#include <stddef.h>

#endif /* KCORE_ARM64_STDLIB_H */
