/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cache.c — the machine's write-back data cache (kcore_hosted/cache.h has
 * the semantics): a bounded, set-associative table of dirty lines, each
 * holding the bytes memory still has under it.
 *
 * The arena is the cached view, so a line leaves the table (a clean, an
 * eviction) without copying anything: writing it back makes memory what
 * the arena holds, and memory is only ever visible through the table.
 * Every change to the table and every access that consults it happen under
 * cache_lock; cache_ndirty is also read without it, so that a clean or a
 * non-cacheable access on a machine with no dirty line costs one load.
 */
#include "hm_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

_Static_assert((HM_CACHE_SETS & (HM_CACHE_SETS - 1)) == 0, "sets: a power of two");
_Static_assert(HM_CACHE_WAYS <= 255, "the victim counter is a byte");
_Static_assert(HM_PAGE_SIZE % HM_CACHE_LINE == 0, "lines do not cross pages");

#define LINE_MASK ((uint64_t)HM_CACHE_LINE - 1)

struct hm_cache_line {
	uint64_t tag;		    /* the line's PA | 1 while dirty, 0 for a free way */
	uint8_t mem[HM_CACHE_LINE]; /* what memory holds under it */
};

void hm_cache_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->cache_lock, NULL);
}

void hm_cache_fini(struct hm_machine *m)
{
	free(m->cache_lines);
	m->cache_lines = NULL;
	m->cache_ndirty = 0;
	pthread_mutex_destroy(&m->cache_lock);
}

static struct hm_cache_line *set_of(struct hm_machine *m, uint64_t line)
{
	return &m->cache_lines[((line / HM_CACHE_LINE) & (HM_CACHE_SETS - 1)) * HM_CACHE_WAYS];
}

static struct hm_cache_line *find_locked(struct hm_machine *m, uint64_t line)
{
	struct hm_cache_line *set;

	if (!m->cache_lines)
		return NULL;
	set = set_of(m, line);
	for (unsigned w = 0; w < HM_CACHE_WAYS; w++)
		if (set[w].tag == (line | 1))
			return &set[w];
	return NULL;
}

/* Write a dirty line back: memory takes the arena's bytes, i.e. the record goes. */
static void writeback_locked(struct hm_machine *m, struct hm_cache_line *l)
{
	l->tag = 0;
	__atomic_fetch_sub(&m->cache_ndirty, 1, __ATOMIC_RELEASE);
	hm_stat_add(m, cache_writebacks);
}

/*
 * The arena's bytes of one line, word by word: CPUs store into the arena
 * with single-copy atomic accesses (hm_ram_copy), so read it the same way.
 */
static void line_read_arena(uint8_t *dst, const uint8_t *ram_line)
{
	for (unsigned i = 0; i < HM_CACHE_LINE; i += 8) {
		uint64_t v = __atomic_load_n((const uint64_t *)(const void *)(ram_line + i),
					     __ATOMIC_RELAXED);
		memcpy(dst + i, &v, 8);
	}
}

/* Make `line` (whose arena bytes are at ram_line) dirty, memory = its bytes now. */
static void make_dirty_locked(struct hm_machine *m, uint64_t line, const uint8_t *ram_line)
{
	struct hm_cache_line *set, *l = NULL;

	if (find_locked(m, line))
		return;
	if (!m->cache_lines) {
		m->cache_lines =
			calloc((size_t)HM_CACHE_SETS * HM_CACHE_WAYS, sizeof(*m->cache_lines));
		if (!m->cache_lines) {
			pthread_mutex_unlock(&m->cache_lock);
			hm_bug("the cache model: out of host memory");
		}
	}
	set = set_of(m, line);
	for (unsigned w = 0; w < HM_CACHE_WAYS && !l; w++)
		if (!set[w].tag)
			l = &set[w];
	if (!l) {
		/* A full set: evict one line (written back), round robin. */
		uint8_t *v = &m->cache_victim[(line / HM_CACHE_LINE) & (HM_CACHE_SETS - 1)];

		l = &set[*v % HM_CACHE_WAYS];
		*v = (uint8_t)((*v + 1) % HM_CACHE_WAYS);
		writeback_locked(m, l);
		hm_stat_add(m, cache_evictions);
	}
	line_read_arena(l->mem, ram_line);
	l->tag = line | 1;
	__atomic_fetch_add(&m->cache_ndirty, 1, __ATOMIC_RELEASE);
}

void hm_cache_access(struct hm_machine *m, uint64_t pa, uint8_t *ram, void *buf, size_t len,
		     bool write, bool cacheable)
{
	uint8_t *b = buf;

	pthread_mutex_lock(&m->cache_lock);
	if (cacheable) {
		/* Loads read the arena without coming here: this is a store. */
		uint64_t first = pa & ~LINE_MASK;
		uint8_t *ram_first = ram - (pa - first);

		for (uint64_t line = first; line < pa + len; line += HM_CACHE_LINE)
			make_dirty_locked(m, line, ram_first + (line - first));
		hm_ram_copy(ram, buf, len, true);
	} else {
		for (uint64_t a = pa; a < pa + len;) {
			uint64_t line = a & ~LINE_MASK;
			size_t seg = (size_t)(line + HM_CACHE_LINE - a);
			struct hm_cache_line *l = find_locked(m, line);

			if (seg > pa + len - a)
				seg = (size_t)(pa + len - a);
			if (l && write)
				memcpy(l->mem + (a - line), b + (a - pa), seg);
			else if (l)
				memcpy(b + (a - pa), l->mem + (a - line), seg);
			else
				hm_ram_copy(ram + (a - pa), b + (a - pa), seg, write);
			a += seg;
		}
	}
	pthread_mutex_unlock(&m->cache_lock);
}

void hm_cache_clean(struct hm_machine *m, uint64_t pa, uint64_t len)
{
	uint64_t first = pa & ~LINE_MASK, end = pa + len;

	if (!hm_cache_any(m) || !len)
		return;
	pthread_mutex_lock(&m->cache_lock);
	if (m->cache_lines && (end - first) / HM_CACHE_LINE > HM_CACHE_SETS * HM_CACHE_WAYS) {
		/* A range larger than the cache (a 2 MiB block): visit the table once. */
		for (unsigned i = 0; i < HM_CACHE_SETS * HM_CACHE_WAYS; i++) {
			struct hm_cache_line *l = &m->cache_lines[i];
			uint64_t line = l->tag & ~LINE_MASK;

			if (l->tag && line >= first && line < end)
				writeback_locked(m, l);
		}
	} else {
		for (uint64_t line = first; line < end; line += HM_CACHE_LINE) {
			struct hm_cache_line *l = find_locked(m, line);

			if (l)
				writeback_locked(m, l);
		}
	}
	pthread_mutex_unlock(&m->cache_lock);
}

uint64_t hm_cache_dirty(struct hm_machine *m, uint64_t pa, uint64_t len)
{
	uint64_t first = pa & ~LINE_MASK, end = pa + len, n = 0;

	if (!len)
		return 0;
	pthread_mutex_lock(&m->cache_lock);
	for (unsigned i = 0; m->cache_lines && i < HM_CACHE_SETS * HM_CACHE_WAYS; i++) {
		uint64_t line = m->cache_lines[i].tag & ~LINE_MASK;

		n += m->cache_lines[i].tag && line >= first && line < end;
	}
	pthread_mutex_unlock(&m->cache_lock);
	return n;
}

static bool mem_access(struct hm_machine *m, uint64_t pa, void *buf, size_t len, bool write,
		       bool cacheable)
{
	uint8_t *ram = hm_phys(m, pa, len);

	if (!ram || !len)
		return ram != NULL;
	if (cacheable ? !write : !hm_cache_any(m))
		hm_ram_copy(ram, buf, len, write);
	else
		hm_cache_access(m, pa, ram, buf, len, write, cacheable);
	return true;
}

bool hm_mem_read(struct hm_machine *m, uint64_t pa, void *buf, size_t len, bool cacheable)
{
	return mem_access(m, pa, buf, len, false, cacheable);
}

bool hm_mem_write(struct hm_machine *m, uint64_t pa, const void *buf, size_t len, bool cacheable)
{
	/* A store only reads the buffer. */
	return mem_access(m, pa, (void *)(uintptr_t)buf, len, true, cacheable);
}

uint64_t hm_virt_to_phys(struct hm_machine *m, const void *va, size_t len)
{
	uint64_t off = (uint64_t)((uintptr_t)va - (uintptr_t)m->ram);

	/* Below the arena, off wraps to a huge value: one compare for both ends. */
	if (off >= m->cfg.ram_size || len > m->cfg.ram_size - off)
		hm_bug("%p (+%zu) is not an address plat_phys_to_virt gave", va, len);
	return m->cfg.ram_base + off;
}
