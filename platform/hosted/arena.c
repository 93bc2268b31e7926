/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arena.c — the machine's physical memory: one anonymous mapping.
 *
 * MAP_NORESERVE + lazily faulted pages make a 64 GiB machine cost nothing
 * until touched, so tests can use realistic memory maps.  A PROT_NONE guard
 * page on each side turns an off-by-one past RAM into a SIGSEGV instead of
 * a silent write into some neighbouring heap object.
 *
 * Fuzzers boot a fresh small machine for every input; mapping, protecting
 * and unmapping a new arena each time, and faulting in the same pages of
 * kcore's metadata again, were a fifth of their time.  So the arena a
 * destroyed machine leaves behind is kept (the last one of each of a few
 * small sizes) and handed to the next machine of the same size, all zero
 * again: the pages still resident (mincore says which) are cleared with
 * memset while they are few, and all dropped at once (MADV_DONTNEED, which
 * zero-fills a private anonymous mapping) once they are not.  A machine
 * starts with all-zero RAM either way, exactly as from a new mapping.
 */
#define _DEFAULT_SOURCE /* MAP_NORESERVE, MAP_ANONYMOUS, madvise */

#include "hm_internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#define GUARD		  HM_PAGE_SIZE

#define HM_ARENA_KEEP_MAX (64ull << 20) /* larger arenas are unmapped as before */
#define HM_ARENA_KEPT	  4		/* fuzz_hcall's machines come in three sizes */
#define HM_ARENA_ZERO_MAX 256		/* resident pages cleared by memset, at most */

static pthread_mutex_t hm_arena_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hm_arena_kept {
	void *map; /* NULL: an empty slot */
	uint64_t ram_size;
} hm_arena_kept[HM_ARENA_KEPT];

/* Make every byte of a kept arena's RAM zero again; false if it cannot. */
static bool arena_zero(uint8_t *ram, uint64_t size)
{
	static unsigned char vec[HM_ARENA_KEEP_MAX / HM_PAGE_SIZE]; /* under hm_arena_lock */
	size_t pages = size / HM_PAGE_SIZE, resident = 0;
	bool ok = true;

	pthread_mutex_lock(&hm_arena_lock);
	if (mincore(ram, size, vec) != 0) {
		ok = false;
	} else {
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
		if (resident > HM_ARENA_ZERO_MAX) {
			ok = madvise(ram, size, MADV_DONTNEED) == 0;
		} else {
			for (size_t i = 0; i < pages; i++)
				if (vec[i] & 1)
					memset(ram + i * HM_PAGE_SIZE, 0, HM_PAGE_SIZE);
		}
	}
	pthread_mutex_unlock(&hm_arena_lock);
	return ok;
}

/* A kept arena of this size, zeroed, or NULL. */
static void *arena_take_kept(uint64_t ram_size)
{
	void *p = NULL;

	pthread_mutex_lock(&hm_arena_lock);
	for (unsigned i = 0; i < HM_ARENA_KEPT && !p; i++) {
		if (hm_arena_kept[i].map && hm_arena_kept[i].ram_size == ram_size) {
			p = hm_arena_kept[i].map;
			hm_arena_kept[i].map = NULL;
		}
	}
	pthread_mutex_unlock(&hm_arena_lock);
	if (p && !arena_zero((uint8_t *)p + GUARD, ram_size)) {
		munmap(p, (size_t)ram_size + 2 * GUARD);
		p = NULL;
	}
	return p;
}

/* Keep a small arena for the next machine of its size; true if kept. */
static bool arena_keep(void *map, uint64_t ram_size)
{
	struct hm_arena_kept old = { NULL, 0 };
	unsigned slot = 0;

	if (ram_size > HM_ARENA_KEEP_MAX)
		return false;
	pthread_mutex_lock(&hm_arena_lock);
	/* The slot of this size, else an empty one, else slot 0. */
	for (unsigned i = HM_ARENA_KEPT; i-- > 0;)
		if (!hm_arena_kept[i].map)
			slot = i;
	for (unsigned i = 0; i < HM_ARENA_KEPT; i++)
		if (hm_arena_kept[i].map && hm_arena_kept[i].ram_size == ram_size)
			slot = i;
	old = hm_arena_kept[slot];
	hm_arena_kept[slot] = (struct hm_arena_kept){ map, ram_size };
	pthread_mutex_unlock(&hm_arena_lock);
	if (old.map)
		munmap(old.map, (size_t)old.ram_size + 2 * GUARD);
	return true;
}

int hm_arena_map(struct hm_machine *m)
{
	size_t size = (size_t)m->cfg.ram_size + 2 * GUARD;
	void *p = arena_take_kept(m->cfg.ram_size);

	if (p) {
		m->map = p;
		m->map_size = size;
		m->ram = (uint8_t *)p + GUARD;
		return 0;
	}
	p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

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
	if (m->map && !arena_keep(m->map, m->cfg.ram_size))
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
	/* The SMMUs' registers: reached only by kcore's driver (which the model does in C). */
	for (unsigned i = 0; i < m->cfg.nsmmus; i++)
		if (range_inside(pa, len, HM_SMMU_MMIO_BASE + i * HM_SMMU_MMIO_SIZE,
				 HM_SMMU_MMIO_SIZE))
			return true;
	return false;
}

void *hm_phys(struct hm_machine *m, uint64_t pa, size_t len)
{
	if (!hm_is_ram(m, pa, len))
		return NULL;
	return m->ram + (pa - m->cfg.ram_base);
}
