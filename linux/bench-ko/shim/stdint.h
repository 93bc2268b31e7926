/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * kcore's ABI header (core/include/kcore/abi.h) includes <stdint.h>, which a
 * kernel module cannot: the kernel's own types give the same names.
 */
#include <linux/types.h>
