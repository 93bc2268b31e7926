/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The touch log (core/touch.h): what kcore changed since the last check.
 */
#include <kcore/mem.h>
#include <stddef.h>

#include "state.h"

struct touch_log touch_log;

void touch_record(const struct pgt *tree, uint64_t at, uint64_t old)
{
	uint32_t i = __atomic_fetch_add(&touch_log.n, 1u, __ATOMIC_RELAXED);

	if (i >= TOUCH_LOG_MAX) {
		/* Two CPUs may both overflow it: the flag only ever goes to true. */
		__atomic_store_n(&touch_log.overflow, true, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&touch_log.n, 1u, __ATOMIC_RELAXED); /* n stays bounded */
		return;
	}
	touch_log.e[i] = (struct touch_entry){ tree, at, old };
}

void touch_frame_record(const uint64_t *f)
{
	touch_record(NULL, (uint64_t)(f - kc.frames), *f);
}

void touch_desc_record(const struct pgt *tree, uint64_t va, unsigned level, const uint64_t *slot)
{
	touch_record(tree, (va & ~(pgt_level_size(level) - 1)) | level,
		     __atomic_load_n(slot, __ATOMIC_RELAXED));
}

void touch_vm_record(unsigned id)
{
	if (id <= KC_MAX_VMS) {
		__atomic_fetch_or(&touch_log.vms[id / 64], 1ull << (id % 64), __ATOMIC_RELAXED);
		__atomic_store_n(&touch_log.any_vm, true, __ATOMIC_RELAXED);
	}
}

void touch_reset(void)
{
	struct kcore_check_stats stats = touch_log.stats; /* counted over the process */

	memset(&touch_log, 0, offsetof(struct touch_log, e));
	touch_log.stats = stats;
}

void kcore_touch_frame(kc_paddr_t pa, uint64_t old)
{
	const frame_t *f = frame_peek(pa);

	if (f && touch_on())
		touch_record(NULL, (uint64_t)(f - kc.frames), old);
}

void kcore_touch_desc(const struct pgt *tree, uint64_t va, unsigned level, uint64_t old)
{
	if (level <= PGT_LEAF_LEVEL && touch_on())
		touch_record(tree, (va & ~(pgt_level_size(level) - 1)) | level, old);
}

void kcore_touch_vm(unsigned id)
{
	touch_vm(id);
}

void kcore_touch_io(void)
{
	touch_io();
}

static bool touch_usable(void)
{
	return touch_on() && !touch_log.overflow && touch_log.n <= TOUCH_LOG_MAX;
}

unsigned kcore_touch_mark(void)
{
	return touch_usable() ? touch_log.n : 0;
}

/* The value (tree, at) names now: a frame-table entry, or a descriptor (0 if none). */
static uint64_t touch_now(const struct touch_entry *e)
{
	uint64_t d;

	if (!e->tree)
		return kc.frames[e->at];
	pgt_entry_at(e->tree, e->at & ~(PGT_PAGE_SIZE - 1), (unsigned)(e->at & (PGT_PAGE_SIZE - 1)),
		     &d);
	return d;
}

int kcore_touch_unchanged(unsigned since)
{
	unsigned n = touch_log.n;

	if (!touch_usable() || since > n || n - since > KC_TOUCH_UNCHANGED_MAX)
		return -1;
	for (unsigned i = since; i < n; i++) {
		const struct touch_entry *e = &touch_log.e[i];
		bool first = true;
		for (unsigned j = since; j < i && first; j++)
			first = touch_log.e[j].tree != e->tree || touch_log.e[j].at != e->at;
		if (first && touch_now(e) != e->old)
			return 0;
	}
	return 1;
}

unsigned kcore_touch_frames(uint64_t *idx, unsigned max)
{
	unsigned k = 0;

	if (!touch_usable())
		return ~0u;
	for (unsigned i = 0; i < touch_log.n; i++) {
		if (touch_log.e[i].tree)
			continue;
		if (k == max)
			return ~0u;
		idx[k++] = touch_log.e[i].at;
	}
	return k;
}

void kcore_check_stats(struct kcore_check_stats *out)
{
	*out = touch_log.stats;
}
