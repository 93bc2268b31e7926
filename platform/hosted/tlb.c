/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tlb.c — per-CPU TLBs that keep a translation until the matching TLBI.
 *
 * This is what makes a missing or mis-aimed invalidation in core visible: an
 * access that hits uses the cached translation however the tables changed.
 * Entries are tagged as on hardware: EL2 stage-1 entries by nothing but the
 * regime (no ASID without VHE), stage-2 entries by VMID — never by the root
 * table, so switching roots without a TLBI also shows stale entries.  Only
 * successful walks are cached (no translation, address size, external or
 * access-flag fault); a permission fault is decided against the cached
 * entry, as hardware does.  Combined stage-1+2 entries are not modelled yet.
 *
 * Size and replacement: HM_TLB_ENTRIES per CPU; a fill takes the lowest
 * free slot, else the slot after the last one evicted (round robin).  Both
 * are deterministic so that a test of eviction can predict the victim;
 * other tests must not depend on eviction.
 *
 * Every plat_tlbi_* is inner shareable: it reaches every CPU's TLB, and is
 * logged with a sequence number so tests can check that core invalidated
 * what it changed.
 */
#include "hm_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hm_tlb_init(struct hm_machine *m)
{
	m->tlbs = calloc(m->cfg.ncpus, sizeof(*m->tlbs));
	if (!m->tlbs)
		return -ENOMEM;
	for (unsigned i = 0; i < m->cfg.ncpus; i++) {
		pthread_mutex_init(&m->tlbs[i].lock, NULL);
		pthread_mutex_init(&m->tlbs[i].inflight, NULL);
	}
	pthread_mutex_init(&m->log_lock, NULL);
	return 0;
}

void hm_tlb_fini(struct hm_machine *m)
{
	for (unsigned i = 0; i < m->cfg.ncpus; i++) {
		pthread_mutex_destroy(&m->tlbs[i].lock);
		pthread_mutex_destroy(&m->tlbs[i].inflight);
	}
	pthread_mutex_destroy(&m->log_lock);
	free(m->tlbs);
	free(m->log);
	m->tlbs = NULL;
	m->log = NULL;
}

static bool covers(const struct hm_tlb_entry *e, uint64_t addr)
{
	return addr - e->in_base < e->size;
}

static bool same_tag(const struct hm_tlb_entry *e, const struct hm_ctx *ctx)
{
	return e->regime == ctx->regime && (ctx->regime != HM_REGIME_S2 || e->vmid == ctx->vmid);
}

static struct hm_tlb_entry *lookup(struct hm_tlb *t, const struct hm_ctx *ctx, uint64_t addr)
{
	for (unsigned i = 0; i < HM_TLB_ENTRIES; i++)
		if (t->e[i].valid && same_tag(&t->e[i], ctx) && covers(&t->e[i], addr))
			return &t->e[i];
	return NULL;
}

static void fill(struct hm_machine *m, struct hm_tlb *t, const struct hm_ctx *ctx, uint64_t addr,
		 const struct hm_walk *w)
{
	struct hm_tlb_entry *e = NULL;

	for (unsigned i = 0; i < HM_TLB_ENTRIES && !e; i++)
		if (!t->e[i].valid)
			e = &t->e[i];
	if (!e) {
		e = &t->e[t->next_victim];
		t->next_victim = (t->next_victim + 1) % HM_TLB_ENTRIES;
		hm_stat_add(m, tlb_evictions);
	}
	e->valid = true;
	e->regime = ctx->regime;
	e->vmid = ctx->regime == HM_REGIME_S2 ? ctx->vmid : 0;
	e->size = w->leaf_size;
	e->in_base = addr & ~(w->leaf_size - 1);
	e->walk = *w;
	e->walk.pa = w->pa & ~(w->leaf_size - 1);
	e->ctx = *ctx;
}

enum hm_fault hm_tlb_translate(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			       uint64_t addr, struct hm_walk *out)
{
	struct hm_tlb *t = &m->tlbs[cpu];
	struct hm_tlb_entry *e;
	enum hm_fault f = HM_FAULT_NONE;

	pthread_mutex_lock(&t->lock);
	e = lookup(t, ctx, addr);
	if (e) {
		hm_stat_add(m, tlb_hits);
		*out = e->walk;
		out->pa = e->walk.pa + (addr - e->in_base);
		out->tlb_hit = true;
	} else {
		hm_stat_add(m, tlb_misses);
		f = hm_mmu_walk(m, ctx, addr, out);
		if (f == HM_FAULT_NONE)
			fill(m, t, ctx, addr, out);
	}
	pthread_mutex_unlock(&t->lock);
	return f;
}

static bool tlbi_matches(const struct hm_tlb_entry *e, enum hm_tlbi_kind kind, uint16_t vmid,
			 uint64_t addr, uint64_t size)
{
	switch (kind) {
	case HM_TLBI_EL2_VA:
		return e->regime == HM_REGIME_S1_EL2 && covers(e, addr);
	case HM_TLBI_EL2_ALL:
		return e->regime == HM_REGIME_S1_EL2;
	case HM_TLBI_S2_IPA:
		return e->regime == HM_REGIME_S2 && e->vmid == vmid && covers(e, addr);
	case HM_TLBI_S2_RANGE:
		/* Any entry overlapping [addr, addr + size): blocks included. */
		return e->regime == HM_REGIME_S2 && e->vmid == vmid && e->in_base < addr + size &&
		       addr < e->in_base + e->size;
	case HM_TLBI_S2_VMID:
		return e->regime == HM_REGIME_S2 && e->vmid == vmid;
	}
	return false;
}

static void log_append(struct hm_machine *m, const struct hm_tlbi_rec *r)
{
	pthread_mutex_lock(&m->log_lock);
	if (m->log_len == m->log_cap) {
		size_t cap = m->log_cap ? 2 * m->log_cap : 64;
		struct hm_tlbi_rec *n = realloc(m->log, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&m->log_lock);
			hm_bug("TLBI log: out of host memory");
		}
		m->log = n;
		m->log_cap = cap;
	}
	m->log[m->log_len] = *r;
	m->log[m->log_len].seq = ++m->log_seq;
	m->log_len++;
	pthread_mutex_unlock(&m->log_lock);
}

void hm_tlbi(struct hm_machine *m, enum hm_tlbi_kind kind, uint16_t vmid, uint64_t addr,
	     uint64_t size)
{
	struct hm_tlbi_rec r = {
		.kind = kind, .vmid = vmid, .addr = addr, .size = size, .cpu = hm_cpu_current()
	};

	for (unsigned c = 0; c < m->cfg.ncpus; c++) {
		struct hm_tlb *t = &m->tlbs[c];

		pthread_mutex_lock(&t->lock);
		for (unsigned i = 0; i < HM_TLB_ENTRIES; i++) {
			if (t->e[i].valid && tlbi_matches(&t->e[i], kind, vmid, addr, size)) {
				t->e[i].valid = false;
				r.dropped++;
			}
		}
		pthread_mutex_unlock(&t->lock);
	}
	/*
	 * The TLBI completes (as after DSB) only once every access that
	 * translated through a dropped entry is done: wait out each other
	 * CPU's data access in flight (hm_data_access holds `inflight` from
	 * translation to the end of the copy).
	 */
	for (unsigned c = 0; c < m->cfg.ncpus; c++) {
		if (c == r.cpu)
			continue;
		pthread_mutex_lock(&m->tlbs[c].inflight);
		pthread_mutex_unlock(&m->tlbs[c].inflight);
	}
	log_append(m, &r);
}

void hm_tlb_flush_local(struct hm_machine *m, unsigned cpu, uint16_t vmid)
{
	struct hm_tlb *t;

	if (cpu >= m->cfg.ncpus)
		hm_bug("hm_tlb_flush_local: CPU %u of %u", cpu, m->cfg.ncpus);
	t = &m->tlbs[cpu];
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < HM_TLB_ENTRIES; i++)
		if (t->e[i].valid && tlbi_matches(&t->e[i], HM_TLBI_S2_VMID, vmid, 0, 0))
			t->e[i].valid = false;
	t->guest_flushes++;
	pthread_mutex_unlock(&t->lock);
}

unsigned long hm_guest_flush_count(struct hm_machine *m, unsigned cpu)
{
	unsigned long n;

	if (cpu >= m->cfg.ncpus)
		hm_bug("hm_guest_flush_count: CPU %u of %u", cpu, m->cfg.ncpus);
	pthread_mutex_lock(&m->tlbs[cpu].lock);
	n = m->tlbs[cpu].guest_flushes;
	pthread_mutex_unlock(&m->tlbs[cpu].lock);
	return n;
}

unsigned hm_tlb_count(struct hm_machine *m, unsigned cpu)
{
	unsigned n = 0;

	if (cpu >= m->cfg.ncpus)
		hm_bug("hm_tlb_count: CPU %u of %u", cpu, m->cfg.ncpus);
	pthread_mutex_lock(&m->tlbs[cpu].lock);
	for (unsigned i = 0; i < HM_TLB_ENTRIES; i++)
		n += m->tlbs[cpu].e[i].valid;
	pthread_mutex_unlock(&m->tlbs[cpu].lock);
	return n;
}

void hm_tlb_reset(struct hm_machine *m)
{
	for (unsigned c = 0; c < m->cfg.ncpus; c++) {
		pthread_mutex_lock(&m->tlbs[c].lock);
		memset(m->tlbs[c].e, 0, sizeof(m->tlbs[c].e));
		m->tlbs[c].next_victim = 0;
		pthread_mutex_unlock(&m->tlbs[c].lock);
	}
}

size_t hm_tlbi_log_read(struct hm_machine *m, struct hm_tlbi_rec *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&m->log_lock);
	n = m->log_len;
	if (out && max && n) /* an empty log may have no buffer at all */
		memcpy(out, m->log, (max < n ? max : n) * sizeof(*out));
	pthread_mutex_unlock(&m->log_lock);
	return n;
}

void hm_tlbi_log_clear(struct hm_machine *m)
{
	pthread_mutex_lock(&m->log_lock);
	m->log_len = 0;
	pthread_mutex_unlock(&m->log_lock);
}

/* ---- invariant 7: cached translations agree with the tables ------------ */

static const char *size_name(uint64_t size)
{
	switch (size) {
	case 1ull << 12:
		return "4 KiB";
	case 1ull << 21:
		return "2 MiB";
	case 1ull << 30:
		return "1 GiB";
	}
	return "? size";
}

static const char *fault_name(enum hm_fault f)
{
	switch (f) {
	case HM_FAULT_NONE:
		return "no fault";
	case HM_FAULT_TRANSLATION:
		return "translation fault";
	case HM_FAULT_ADDR_SIZE:
		return "address size fault";
	case HM_FAULT_EXTERNAL:
		return "external abort";
	case HM_FAULT_ACCESS_FLAG:
		return "access flag fault";
	case HM_FAULT_PERMISSION:
		return "permission fault";
	case HM_FAULT_REFUSED:
		return "refused";
	}
	return "unknown fault";
}

/* "PA 0x40200000 (2 MiB, rw-, Normal 0xf)" */
static void describe(char *buf, size_t size, const struct hm_walk *w)
{
	snprintf(buf, size, "PA 0x%" PRIx64 " (%s, %c%c%c, %s 0x%x)", w->pa,
		 size_name(w->leaf_size), w->r ? 'r' : '-', w->w ? 'w' : '-', w->x ? 'x' : '-',
		 w->device ? "Device" : "Normal", (unsigned)w->attr);
}

static bool same_translation(const struct hm_walk *a, const struct hm_walk *b)
{
	return a->pa == b->pa && a->leaf_size == b->leaf_size && a->r == b->r && a->w == b->w &&
	       a->x == b->x && a->device == b->device && a->attr == b->attr;
}

bool hm_tlb_coherent(struct hm_machine *m, char *why, size_t why_size)
{
	for (unsigned c = 0; c < m->cfg.ncpus; c++) {
		struct hm_tlb *t = &m->tlbs[c];

		/* Under the lock: a concurrent fill or TLBI cannot tear an entry. */
		pthread_mutex_lock(&t->lock);
		for (unsigned i = 0; i < HM_TLB_ENTRIES; i++) {
			const struct hm_tlb_entry *e = &t->e[i];
			struct hm_walk now;
			char held[96], tables[96];

			if (!e->valid)
				continue;
			hm_mmu_walk(m, &e->ctx, e->in_base, &now);
			if (now.fault == HM_FAULT_NONE) {
				now.pa &= ~(now.leaf_size - 1);
				if (same_translation(&e->walk, &now))
					continue;
				describe(tables, sizeof(tables), &now);
			} else {
				snprintf(tables, sizeof(tables), "%s at level %d",
					 fault_name(now.fault), now.fault_level);
			}
			describe(held, sizeof(held), &e->walk);
			if (why && why_size) {
				if (e->regime == HM_REGIME_S2)
					snprintf(why, why_size,
						 "CPU %u TLB holds S2 VMID %u IPA 0x%" PRIx64
						 " -> %s, tables now: %s",
						 c, (unsigned)e->vmid, e->in_base, held, tables);
				else
					snprintf(why, why_size,
						 "CPU %u TLB holds EL2 VA 0x%" PRIx64
						 " -> %s, tables now: %s",
						 c, e->in_base, held, tables);
			}
			pthread_mutex_unlock(&t->lock);
			return false;
		}
		pthread_mutex_unlock(&t->lock);
	}
	/* The SMMUs' caches are TLBs too: what they hold must still be what the tables say. */
	return hm_smmu_coherent(m, why, why_size);
}
