/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lock-order check's per-CPU state (core/lock.h): which lock classes
 * each CPU holds now.  Outside struct kcore because lock.h comes before it,
 * but reset with it by kcore_init.
 */
#include "lock.h"

#include <kcore/mem.h>

uint16_t lock_order_held[KC_MAX_CPUS];

void lock_order_reset(void)
{
	memset(lock_order_held, 0, sizeof(lock_order_held));
}
