/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/* kcore's abi.h includes <stdint.h>; in the kernel the same types come from linux/types.h. */
#include <linux/types.h>
