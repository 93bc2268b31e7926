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
		touch_log.overflow = true;
		return;
	}
	touch_log.e[i] = (struct touch_entry){ tree, at, old };
}

void touch_vm_record(unsigned id)
{
	if (id <= KC_MAX_VMS)
		__atomic_fetch_or(&touch_log.vms[id / 64], 1ull << (id % 64), __ATOMIC_RELAXED);
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

void kcore_check_stats(struct kcore_check_stats *out)
{
	*out = touch_log.stats;
}
