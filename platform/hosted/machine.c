/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * machine.c — building, selecting and tearing down a hosted machine.
 *
 * Core has no machine parameter (the real hardware is implicit), so the
 * plat_* functions act on one "current" machine.  A bad config is a test
 * bug that must be explained, not guessed at: every rejection says why.
 */
#include "hm_internal.h"

#include <kcore/platform.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct hm_machine *hm_cur;
static _Thread_local char hm_err[160];

struct hm_machine *hm_machine_current(void)
{
	return __atomic_load_n(&hm_cur, __ATOMIC_ACQUIRE);
}

void hm_machine_select(struct hm_machine *m)
{
	__atomic_store_n(&hm_cur, m, __ATOMIC_RELEASE);
}

struct hm_machine *hm_current_or_panic(const char *who)
{
	struct hm_machine *m = hm_machine_current();

	if (!m)
		hm_bug("%s: no hosted machine selected (hm_machine_create/hm_machine_select)", who);
	return m;
}

_Noreturn void hm_bug(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	plat_panic(msg);
}

const char *hm_last_error(void)
{
	return hm_err;
}

__attribute__((format(printf, 1, 2))) static int reject(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(hm_err, sizeof(hm_err), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hm_machine_create: %s\n", hm_err);
	return -EINVAL;
}

static bool page_aligned(uint64_t x)
{
	return (x & (HM_PAGE_SIZE - 1)) == 0;
}

/* [base, base + size) is a non-empty, page-aligned range below 2^48. */
static bool range_ok(uint64_t base, uint64_t size)
{
	const uint64_t top = 1ull << HM_VA_BITS;

	return size != 0 && page_aligned(base) && page_aligned(size) && base < top &&
	       size <= top - base;
}

static bool overlap(uint64_t a, uint64_t asz, uint64_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

static int validate(const struct hm_config *c)
{
	if (!range_ok(c->ram_base, c->ram_size))
		return reject("RAM [0x%" PRIx64 ", +0x%" PRIx64 ") must be non-empty, "
			      "page aligned and below 2^48",
			      c->ram_base, c->ram_size);
	if (c->ram_size > SIZE_MAX / 2)
		return reject("RAM size 0x%" PRIx64 " does not fit this host", c->ram_size);
	if (c->ncpus == 0 || c->ncpus > HM_MAX_CPUS)
		return reject("%u CPUs: need 1..%u", c->ncpus, HM_MAX_CPUS);
	if (c->ndevices > HM_MAX_DEVICES)
		return reject("%u device ranges: at most %u", c->ndevices, HM_MAX_DEVICES);
	for (unsigned i = 0; i < c->ndevices; i++) {
		const struct hm_range *d = &c->devices[i];

		if (!range_ok(d->base, d->size))
			return reject("device %u [0x%" PRIx64 ", +0x%" PRIx64 ") must be "
				      "non-empty, page aligned and below 2^48",
				      i, d->base, d->size);
		if (overlap(d->base, d->size, c->ram_base, c->ram_size))
			return reject("device %u [0x%" PRIx64 ", +0x%" PRIx64 ") overlaps RAM", i,
				      d->base, d->size);
		for (unsigned j = 0; j < i; j++)
			if (overlap(d->base, d->size, c->devices[j].base, c->devices[j].size))
				return reject("device %u overlaps device %u", i, j);
		if (c->nsmmus &&
		    overlap(d->base, d->size, HM_SMMU_MMIO_BASE, HM_SMMU_MMIO_SIZE * c->nsmmus))
			return reject("device %u overlaps the SMMUs' registers", i);
	}
	if (c->nsmmus > HM_MAX_SMMUS || c->smmu_streams > HM_SMMU_MAX_STREAMS ||
	    (c->smmu_ia_bits && (c->smmu_ia_bits < 32 || c->smmu_ia_bits > HM_VA_BITS)))
		return reject("%u SMMUs, %u streams, %u IOVA bits: need 0..%u, 0..%u, 0 or 32..%u",
			      c->nsmmus, c->smmu_streams, c->smmu_ia_bits, HM_MAX_SMMUS,
			      HM_SMMU_MAX_STREAMS, HM_VA_BITS);
	if (c->nsmmus &&
	    overlap(c->ram_base, c->ram_size, HM_SMMU_MMIO_BASE, HM_SMMU_MMIO_SIZE * c->nsmmus))
		return reject("RAM overlaps the SMMUs' registers");
	return 0;
}

int hm_machine_create(const struct hm_config *cfg, struct hm_machine **out)
{
	struct hm_machine *m;
	int rc;

	*out = NULL;
	hm_err[0] = '\0';
	rc = validate(cfg);
	if (rc)
		return rc;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	if (!m->cfg.smmu_streams)
		m->cfg.smmu_streams = 64;
	if (!m->cfg.smmu_ia_bits)
		m->cfg.smmu_ia_bits = HM_VA_BITS;
	rc = hm_arena_map(m);
	if (rc) {
		snprintf(hm_err, sizeof(hm_err), "cannot map 0x%" PRIx64 " bytes of RAM",
			 cfg->ram_size);
		fprintf(stderr, "hm_machine_create: %s\n", hm_err);
		free(m);
		return rc;
	}
	rc = hm_tlb_init(m);
	if (rc) {
		hm_arena_unmap(m);
		free(m);
		return rc;
	}
	hm_console_init(m);
	hm_entropy_init(m);
	hm_data_init(m);
	hm_guest_init(m);
	hm_cache_init(m);
	hm_smmu_init(m);
	hm_machine_select(m);
	*out = m;
	return 0;
}

void hm_machine_destroy(struct hm_machine *m)
{
	if (!m)
		return;
	if (hm_machine_current() == m)
		hm_machine_select(NULL);
	hm_smmu_fini(m);
	hm_cache_fini(m);
	hm_guest_fini(m);
	hm_data_fini(m);
	hm_entropy_fini(m);
	hm_console_fini(m);
	hm_tlb_fini(m);
	hm_arena_unmap(m);
	free(m);
}

const struct hm_config *hm_machine_config(const struct hm_machine *m)
{
	return &m->cfg;
}

void hm_stats_read(struct hm_machine *m, struct hm_stats *out)
{
	out->dcache_clean_inval = __atomic_load_n(&m->stats.dcache_clean_inval, __ATOMIC_RELAXED);
	out->icache_inval_all = __atomic_load_n(&m->stats.icache_inval_all, __ATOMIC_RELAXED);
	out->cache_writebacks = __atomic_load_n(&m->stats.cache_writebacks, __ATOMIC_RELAXED);
	out->cache_evictions = __atomic_load_n(&m->stats.cache_evictions, __ATOMIC_RELAXED);
	out->barrier_tables = __atomic_load_n(&m->stats.barrier_tables, __ATOMIC_RELAXED);
	out->barrier_full = __atomic_load_n(&m->stats.barrier_full, __ATOMIC_RELAXED);
	out->entropy_calls = __atomic_load_n(&m->stats.entropy_calls, __ATOMIC_RELAXED);
	out->tlb_hits = __atomic_load_n(&m->stats.tlb_hits, __ATOMIC_RELAXED);
	out->tlb_misses = __atomic_load_n(&m->stats.tlb_misses, __ATOMIC_RELAXED);
	out->tlb_evictions = __atomic_load_n(&m->stats.tlb_evictions, __ATOMIC_RELAXED);
}
