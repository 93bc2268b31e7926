/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ticket spinlocks with an owner, so code can assert "I hold this lock".
 *
 * The lock order (a CPU holding a lock may only take locks further down):
 *
 *     vm->lock            one VM: state, vCPUs, images, its stage-2 and pool
 *       smmu_lock         the IO domains, their tables and pools, and the
 *                         stream table (core/iodom.c); taken before
 *                         frames_lock since a DMA mapping changes a frame's
 *                         count, and after vm->lock since IODOM_ALLOC and
 *                         VM_RECLAIM read a VM's state with it
 *         frames_lock     the frame table, the host's stage 2 (which
 *                         changes exactly when a frame changes hands) and
 *                         the device-page claims (core/ioclaim.h)
 *           core_lock     the remap window, kcore's own map
 *
 * Two VM locks are never held at once.  Acquire and release are full
 * barriers (acquire/release ordering on the ticket), as SeKVM's proofs
 * require of every lock around shared state.  The owner checks below cost
 * a load and a compare; a kcore that touches shared state without its lock
 * must stop rather than go on.
 */
#ifndef KCORE_LOCK_H
#define KCORE_LOCK_H

#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

#define LOCK_NO_OWNER (-1)

/*
 * Owner tracking — a lock taken twice by one CPU, released by another, or
 * a *_locked function entered without its lock all fail-stop — is on in
 * every build except a release build (NDEBUG: -Db_ndebug=if-release with
 * --buildtype=release), where the lock is a bare ticket lock.  Tests,
 * fuzzers and the default debugoptimized build all keep it.
 */
#ifdef NDEBUG
#define LOCK_OWNER_CHECKS 0
#else
#define LOCK_OWNER_CHECKS 1
#endif

struct kc_lock {
	uint32_t next;	  /* next ticket to hand out */
	uint32_t serving; /* ticket now holding the lock */
	int32_t owner;	  /* CPU holding it, LOCK_NO_OWNER if free */
};

static inline void lock_init(struct kc_lock *l)
{
	l->next = 0;
	l->serving = 0;
	l->owner = LOCK_NO_OWNER;
}

static inline bool lock_held(const struct kc_lock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == (int32_t)plat_cpu_id();
}

static inline void lock_acquire(struct kc_lock *l)
{
	int32_t me = LOCK_OWNER_CHECKS ? (int32_t)plat_cpu_id() : 0;

	if (LOCK_OWNER_CHECKS && __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me)
		plat_panic("lock: taken twice by one CPU (a kcore bug, not an input)");
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket)
		;
	if (LOCK_OWNER_CHECKS)
		__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
}

static inline void lock_release(struct kc_lock *l)
{
	if (LOCK_OWNER_CHECKS) {
		if (!lock_held(l))
			plat_panic("lock: released by a CPU that does not hold it");
		__atomic_store_n(&l->owner, LOCK_NO_OWNER, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

/* For functions whose name ends in _locked: the caller holds `l`. */
#define LOCK_ASSERT_HELD(l)                                                                        \
	do {                                                                                       \
		if (LOCK_OWNER_CHECKS && !lock_held(l))                                            \
			plat_panic("lock: " #l " not held in " __FILE__);                          \
	} while (0)

#endif /* KCORE_LOCK_H */
