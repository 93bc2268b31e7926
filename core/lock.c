/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The out-of-line parts of core/lock.h: the contended wait, and the
 * lock-order check's per-CPU state (which lock classes each CPU holds now;
 * outside struct kcore because lock.h comes before it, but reset with it by
 * kcore_init).
 */
#include "lock.h"

#include <kcore/mem.h>

uint16_t lock_order_held[KC_MAX_CPUS];

void lock_order_reset(void)
{
	memset(lock_order_held, 0, sizeof(lock_order_held));
}

void lock_wait(struct kc_lock *l, uint32_t ticket)
{
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		plat_spin_wait();
}
