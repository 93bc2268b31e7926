/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arena.c — the machine's physical memory: one anonymous mapping.
 *
 * MAP_NORESERVE + lazily faulted pages make a 64 GiB machine cost nothing
 * until touched, so tests can use realistic memory maps.  A PROT_NONE guard
 * page on each side turns an off-by-one past RAM into a SIGSEGV instead of
 * a silent write into some neighbouring heap object.
 */
#define _DEFAULT_SOURCE /* MAP_NORESERVE, MAP_ANONYMOUS, madvise */

#include "hm_internal.h"

#include <errno.h>
#include <sys/mman.h>

#define GUARD HM_PAGE_SIZE

int hm_arena_map(struct hm_machine *m)
{
	size_t size = (size_t)m->cfg.ram_size + 2 * GUARD;
	void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -ENOMEM;
	if (mprotect((uint8_t *)p + GUARD, m->cfg.ram_size, PROT_READ | PROT_WRITE) != 0) {
		munmap(p, size);
		return -ENOMEM;
	}
	/*
	 * Tests touch pages scattered over a large RAM (tables, frames at both
	 * ends); with transparent huge pages each touch could cost 2 MiB.
	 * Advisory only, so a failure changes nothing but the RSS.
	 */
	(void)madvise((uint8_t *)p + GUARD, m->cfg.ram_size, MADV_NOHUGEPAGE);
	m->map = p;
	m->map_size = size;
	m->ram = (uint8_t *)p + GUARD;
	return 0;
}

void hm_arena_unmap(struct hm_machine *m)
{
	if (m->map)
		munmap(m->map, m->map_size);
	m->map = NULL;
	m->ram = NULL;
}

static bool range_inside(uint64_t pa, uint64_t len, uint64_t base, uint64_t size)
{
	if (len == 0)
		len = 1;
	/* Written to avoid overflow of pa + len for hostile inputs. */
	return pa >= base && pa - base < size && len <= size - (pa - base);
}

bool hm_is_ram(const struct hm_machine *m, uint64_t pa, uint64_t len)
{
	return range_inside(pa, len, m->cfg.ram_base, m->cfg.ram_size);
}

bool hm_is_device(const struct hm_machine *m, uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < m->cfg.ndevices; i++)
		if (range_inside(pa, len, m->cfg.devices[i].base, m->cfg.devices[i].size))
			return true;
	return false;
}

void *hm_phys(struct hm_machine *m, uint64_t pa, size_t len)
{
	if (!hm_is_ram(m, pa, len))
		return NULL;
	return m->ram + (pa - m->cfg.ram_base);
}
