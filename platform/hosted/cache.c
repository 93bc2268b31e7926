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
#define NLINES	  (HM_CACHE_SETS * HM_CACHE_WAYS)

struct hm_cache_table {
	uint64_t tag[NLINES]; /* the line's PA | 1 while dirty, 0 for a free way */
	uint8_t victim[HM_CACHE_SETS];
	uint8_t mem[NLINES][HM_CACHE_LINE]; /* what memory holds under each line */
};

/*
 * Fuzzers build a machine per input: a destroyed machine's table, all ways
 * free again, waits here for the next one instead of going back to the
 * allocator (and ASan's quarantine) each time.
 */
static pthread_mutex_t hm_cache_kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hm_cache_table *hm_cache_kept;

void hm_cache_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->cache_lock, NULL);
}

void hm_cache_fini(struct hm_machine *m)
{
	struct hm_cache_table *t = m->cache;

	m->cache = NULL;
	m->cache_ndirty = 0;
	pthread_mutex_destroy(&m->cache_lock);
	if (!t)
		return;
	memset(t->tag, 0, sizeof(t->tag));
	memset(t->victim, 0, sizeof(t->victim));
	pthread_mutex_lock(&hm_cache_kept_lock);
	if (!hm_cache_kept) {
		hm_cache_kept = t;
		t = NULL;
	}
	pthread_mutex_unlock(&hm_cache_kept_lock);
	free(t);
}

static unsigned set_of(uint64_t line)
{
	return (unsigned)(line / HM_CACHE_LINE) & (HM_CACHE_SETS - 1);
}

/* The way holding `line`, or -1. */
static int find_locked(struct hm_machine *m, uint64_t line)
{
	const uint64_t *tag;

	if (!m->cache)
		return -1;
	tag = &m->cache->tag[set_of(line) * HM_CACHE_WAYS];
	for (unsigned w = 0; w < HM_CACHE_WAYS; w++)
		if (tag[w] == (line | 1))
			return (int)(set_of(line) * HM_CACHE_WAYS + w);
	return -1;
}

/* Write a dirty line back: memory takes the arena's bytes, i.e. the record goes. */
static void writeback_locked(struct hm_machine *m, unsigned i)
{
	m->cache->tag[i] = 0;
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
	int i = -1;

	if (find_locked(m, line) >= 0)
		return;
	if (!m->cache) {
		pthread_mutex_lock(&hm_cache_kept_lock);
		m->cache = hm_cache_kept;
		hm_cache_kept = NULL;
		pthread_mutex_unlock(&hm_cache_kept_lock);
		if (!m->cache)
			m->cache = calloc(1, sizeof(*m->cache));
		if (!m->cache) {
			pthread_mutex_unlock(&m->cache_lock);
			hm_bug("the cache model: out of host memory");
		}
	}
	unsigned set = set_of(line);
	for (unsigned w = 0; w < HM_CACHE_WAYS && i < 0; w++)
		if (!m->cache->tag[set * HM_CACHE_WAYS + w])
			i = (int)(set * HM_CACHE_WAYS + w);
	if (i < 0) {
		/* A full set: evict one line (written back), round robin. */
		uint8_t *v = &m->cache->victim[set];

		i = (int)(set * HM_CACHE_WAYS + *v);
		*v = (uint8_t)((*v + 1) % HM_CACHE_WAYS);
		writeback_locked(m, (unsigned)i);
		hm_stat_add(m, cache_evictions);
	}
	line_read_arena(m->cache->mem[i], ram_line);
	m->cache->tag[i] = line | 1;
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
			int i = find_locked(m, line);

			if (seg > pa + len - a)
				seg = (size_t)(pa + len - a);
			if (i >= 0 && write)
				memcpy(m->cache->mem[i] + (a - line), b + (a - pa), seg);
			else if (i >= 0)
				memcpy(b + (a - pa), m->cache->mem[i] + (a - line), seg);
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
	if (m->cache && (end - first) / HM_CACHE_LINE > NLINES) {
		/* A range larger than the cache (a 2 MiB block): visit the table once. */
		for (unsigned i = 0; i < NLINES; i++) {
			uint64_t line = m->cache->tag[i] & ~LINE_MASK;

			if (m->cache->tag[i] && line >= first && line < end)
				writeback_locked(m, i);
		}
	} else {
		for (uint64_t line = first; line < end; line += HM_CACHE_LINE) {
			int i = find_locked(m, line);

			if (i >= 0)
				writeback_locked(m, (unsigned)i);
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
	for (unsigned i = 0; m->cache && i < NLINES; i++) {
		uint64_t line = m->cache->tag[i] & ~LINE_MASK;

		n += m->cache->tag[i] && line >= first && line < end;
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
