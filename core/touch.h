/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The touch log: what every operation changed, for the incremental checker
 * (core/check_incr.c, kcore_check_incremental).
 *
 * Each entry names one piece of state and its value before the change:
 *   - a frame-table entry (tree NULL, at = frame index, old = the frame_t);
 *   - a table descriptor (tree = the pgt, at = va | level with va aligned
 *     to the level's size, old = the descriptor) — pgt.c's desc_set is the
 *     one descriptor store that records.
 * VMs whose metadata (state, images, layout, device claims) changed are a
 * bitmap beside it.  An IO domain's table would be one more tree here, and
 * a DMA count is already a frame-table entry.
 *
 * Recording is off until the first incremental check turns it on (and off
 * again at kcore_init), so a kcore nobody checks pays one load and one
 * branch per store.  A full log sets `overflow`: the next check is a full
 * walk (counted).  Writers are serialised by the lock of what they write,
 * but two VMs' tables change under two different locks: the slot is taken
 * with an atomic add.
 */
#ifndef KCORE_TOUCH_H
#define KCORE_TOUCH_H

#include <kcore/kcore.h>
#include <stdbool.h>
#include <stdint.h>

#define TOUCH_LOG_MAX	 4096u
/*
 * Trees by number: the core map (0), VMs 1..KC_MAX_VMS, the host, and the
 * IO domains 1..KC_MAX_IODOMS after it (TOUCH_TREE_IODOM + id).
 */
#define TOUCH_TREE_HOST	 (KC_MAX_VMS + 1)
#define TOUCH_TREE_IODOM (KC_MAX_VMS + 1)
#define TOUCH_NTREES	 (KC_MAX_VMS + 2 + KC_MAX_IODOMS)

struct touch_entry {
	const struct pgt *tree; /* NULL: a frame */
	uint64_t at;		/* frame index, or va | level */
	uint64_t old;		/* the value before the change */
};

struct touch_log {
	bool on;       /* recording */
	bool baseline; /* the shadow counts below hold (a full walk passed since init) */
	bool overflow; /* some touch did not fit: the next check walks everything */
	bool any_vm;   /* some bit of vms[] is set */
	bool io;       /* an IO domain or the stream table changed (core/iodom.c) */
	uint32_t n;
	uint64_t vms[(KC_MAX_VMS + 1 + 63) / 64]; /* VMs whose metadata changed */
	/*
	 * The checker's own counts, kept by delta from the log between full
	 * walks (which set them from scratch): per VM the frames it owns, the
	 * RAM and device pages its stage 2 maps; per tree its table pages; the
	 * CORE frames; the remap window's slots and their hash sum.
	 */
	uint64_t owned[KC_MAX_VMS + 1];
	uint64_t mapped[KC_MAX_VMS + 1];
	uint64_t dev_pages[KC_MAX_VMS + 1];
	uint64_t tables[TOUCH_NTREES];
	uint64_t core, filled, sum;
	uint64_t dma; /* the host frames' DMA counts, summed */
	struct kcore_check_stats stats;
	struct touch_entry e[TOUCH_LOG_MAX];
};

extern struct touch_log touch_log;

/*
 * Out of line and cold: only runs with recording on, and the hot path
 * passes what it has in registers anyway (the slot, not its value).
 */
void touch_record(const struct pgt *tree, uint64_t at, uint64_t old);
__attribute__((cold, noinline)) void touch_frame_record(const uint64_t *f);
__attribute__((cold, noinline)) void touch_desc_record(const struct pgt *tree, uint64_t va,
						       unsigned level, const uint64_t *slot);
void touch_vm_record(unsigned id);

/*
 * Recording is compiled out of a release build (NDEBUG) unless KCORE_TOUCH
 * is 1 (core/meson.build builds such a core for the arm64 image with the
 * incremental checker): there a store costs nothing at all, and
 * kcore_check_incremental is the full walk.  In every other build (tests,
 * fuzzers, debug images) a store costs a load and a branch while recording
 * is off.
 */
#if defined(NDEBUG) && !defined(KCORE_TOUCH)
#define TOUCH_COMPILED 0
#else
#define TOUCH_COMPILED 1
#endif

static inline bool touch_on(void)
{
	return TOUCH_COMPILED &&
	       __builtin_expect(__atomic_load_n(&touch_log.on, __ATOMIC_RELAXED), 0);
}

/* A VM's state, images, layout or device claims changed. */
static inline void touch_vm(unsigned id)
{
	if (touch_on())
		touch_vm_record(id);
}

/* An IO domain's state, owner or streams changed: the IO part is checked whole. */
static inline void touch_io(void)
{
	if (touch_on())
		__atomic_store_n(&touch_log.io, true, __ATOMIC_RELAXED);
}

/* kcore_init: a new machine, nothing recorded, no shadow counts yet. */
void touch_reset(void);

#endif /* KCORE_TOUCH_H */
