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
 *
 * The order is checked, not only written down (as Linux's lockdep does,
 * but static: the order is a total one, so a rank per lock is enough).
 * Every lock has a class, enum lock_class, whose position IS its rank in
 * the order above; each CPU keeps the set of classes it holds
 * (lock_order_held[], core/lock.c), and an acquire while the CPU holds a
 * lock of the same or a later class fail-stops.  A wrong order that never
 * deadlocks in a test (it needs two CPUs to meet) is caught on the first
 * run that takes it.  Adding a lock is one line in enum lock_class.
 */
#ifndef KCORE_LOCK_H
#define KCORE_LOCK_H

#include <kcore/kcore.h>
#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

#define LOCK_NO_OWNER (-1)

/*
 * Lock classes, in the lock order: a CPU holding a lock of class c may
 * only take locks of a class after c.  One line per class; a new lock goes
 * where it sits in the order (the SMMU's smmu_lock between VM and FRAMES).
 */
enum lock_class {
	LOCK_CLASS_VM,	   /* vm->lock (any VM's: two at once are out of order too) */
	LOCK_CLASS_SMMU,   /* kc.smmu_lock (core/iodom.c) */
	LOCK_CLASS_FRAMES, /* kc.frames_lock */
	LOCK_CLASS_CORE,   /* kc.core_lock */
	LOCK_CLASSES
};
_Static_assert(LOCK_CLASSES <= 16, "a CPU's held classes are a 16-bit set");

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
/* The order check: the same builds as the owner checks (its cost: docs/ARCHITECTURE.md). */
#define LOCK_ORDER_CHECKS LOCK_OWNER_CHECKS

struct kc_lock {
	uint32_t next;	  /* next ticket to hand out */
	uint32_t serving; /* ticket now holding the lock */
	int32_t owner;	  /* CPU holding it, LOCK_NO_OWNER if free */
	uint32_t class;	  /* enum lock_class */
};

/*
 * Per CPU, the set of lock classes it holds (bit c: class c).  Only the CPU
 * itself reads or writes its entry, so plain accesses are enough.
 */
extern uint16_t lock_order_held[KC_MAX_CPUS];
/* Forget every CPU's held set (kcore_init: a fresh machine holds nothing). */
void lock_order_reset(void);

/*
 * Wait for `ticket` to be served (another CPU holds the lock): out of line,
 * so the uncontended acquire stays a fetch-add and one compare.
 */
void lock_wait(struct kc_lock *l, uint32_t ticket);

static inline void lock_init(struct kc_lock *l, enum lock_class class)
{
	l->next = 0;
	l->serving = 0;
	l->owner = LOCK_NO_OWNER;
	l->class = class;
}

/*
 * Before an acquire by CPU `me`: no lock of this class or a later one may
 * be held.  One load, a shift and a compare; the set is updated on acquire
 * and release.
 */
static inline void lock_order_acquire(const struct kc_lock *l, uint32_t me)
{
	if (lock_order_held[me] >> l->class)
		plat_panic("lock: taken out of order (vm -> frames -> core, one VM at a time)");
	lock_order_held[me] |= (uint16_t)(1u << l->class);
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
	if (LOCK_ORDER_CHECKS)
		lock_order_acquire(l, (uint32_t)me);
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket, 0))
		lock_wait(l, ticket);
	if (LOCK_OWNER_CHECKS)
		__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
}

static inline void lock_release(struct kc_lock *l)
{
	if (LOCK_OWNER_CHECKS) {
		uint32_t me = plat_cpu_id();

		if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != (int32_t)me)
			plat_panic("lock: released by a CPU that does not hold it");
		__atomic_store_n(&l->owner, LOCK_NO_OWNER, __ATOMIC_RELAXED);
		if (LOCK_ORDER_CHECKS)
			lock_order_held[me] &= (uint16_t)~(1u << l->class);
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
