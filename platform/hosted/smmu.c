/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smmu.c — the model's SMMUs (kcore_hosted/smmu.h) and platform.h's
 * plat_smmu_* for them.
 *
 * Stage 2 only, as kcore programs SMMUv3: a stream's configuration is a
 * stage-2 root and a tag (S2VMID).  What an SMMU keeps between a change of
 * core's tables and the invalidation that should follow is kept here too,
 * so a missing invalidation shows as a DMA that still reaches a frame:
 * the configuration cache keeps a stream's old root until stream_set, the
 * IOTLB keeps (tag, IOVA page) -> (PA, r/w) until a TLBI of that tag, or a
 * stream_set to abort, drops it.  Walks use the MMU model's walker on the
 * descriptors core wrote in modelled RAM (an independent decoding of the
 * stage-2 format, mmu.c).
 *
 * One mutex guards every SMMU: a DMA's lookup + walk + fill is atomic
 * against a TLBI, as the per-CPU TLBs' are (tlb.c).
 */
#include "hm_internal.h"

#include <kcore/platform.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void hm_smmu_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->smmu_lock, NULL);
	hm_smmu_reset(m);
}

void hm_smmu_fini(struct hm_machine *m)
{
	pthread_mutex_destroy(&m->smmu_lock);
}

void hm_smmu_reset(struct hm_machine *m)
{
	pthread_mutex_lock(&m->smmu_lock);
	memset(m->smmus, 0, sizeof(m->smmus));
	m->ev_head = m->ev_len = 0;
	m->ev_lost = 0;
	memset(&m->smmu_stats, 0, sizeof(m->smmu_stats));
	pthread_mutex_unlock(&m->smmu_lock);
}

static struct hm_smmu *smmu_of(struct hm_machine *m, unsigned smmu, uint32_t sid, const char *who)
{
	if (smmu >= m->cfg.nsmmus || sid >= m->cfg.smmu_streams)
		hm_bug("%s: SMMU %u stream %u: the machine has %u SMMUs of %u streams", who, smmu,
		       sid, m->cfg.nsmmus, m->cfg.smmu_streams);
	return &m->smmus[smmu];
}

/* Drop the IOTLB entries of `tag` in [iova, iova + size) of one SMMU; smmu_lock held. */
static void iotlb_drop(struct hm_smmu *s, uint16_t tag, uint64_t iova, uint64_t size)
{
	for (unsigned i = 0; i < HM_IOTLB_ENTRIES; i++) {
		struct hm_iotlb_entry *e = &s->iotlb[i];
		if (e->valid && e->tag == tag && e->iova - iova < size)
			e->valid = false;
	}
}

/* ---- platform.h ---------------------------------------------------------- */

void plat_smmu_stream_set(unsigned smmu, uint32_t sid, uint16_t tag, kc_paddr_t root)
{
	struct hm_machine *m = hm_current_or_panic("plat_smmu_stream_set");
	struct hm_smmu *s = smmu_of(m, smmu, sid, "plat_smmu_stream_set");

	pthread_mutex_lock(&m->smmu_lock);
	uint16_t old = s->table[sid].tag;
	bool was = s->table[sid].valid;
	/* The stream table entry, then CFGI_STE (and, to abort, TLBI of the old tag). */
	s->table[sid].valid = root != 0;
	s->table[sid].tag = root ? tag : 0;
	s->table[sid].root = root;
	s->cached[sid] = false;
	if (!root && was)
		iotlb_drop(s, old, 0, ~0ull);
	m->smmu_stats.stream_sets++;
	pthread_mutex_unlock(&m->smmu_lock);
}

void plat_smmu_tlbi_range(uint16_t tag, uint64_t iova, uint64_t size)
{
	struct hm_machine *m = hm_current_or_panic("plat_smmu_tlbi_range");

	pthread_mutex_lock(&m->smmu_lock);
	for (unsigned i = 0; i < m->cfg.nsmmus; i++)
		iotlb_drop(&m->smmus[i], tag, iova, size);
	m->smmu_stats.tlbi_range++;
	pthread_mutex_unlock(&m->smmu_lock);
}

void plat_smmu_tlbi_tag(uint16_t tag)
{
	struct hm_machine *m = hm_current_or_panic("plat_smmu_tlbi_tag");

	pthread_mutex_lock(&m->smmu_lock);
	for (unsigned i = 0; i < m->cfg.nsmmus; i++)
		iotlb_drop(&m->smmus[i], tag, 0, ~0ull);
	m->smmu_stats.tlbi_tag++;
	pthread_mutex_unlock(&m->smmu_lock);
}

bool plat_smmu_event_next(struct kc_smmu_event *ev)
{
	struct hm_machine *m = hm_current_or_panic("plat_smmu_event_next");
	bool got = false;

	pthread_mutex_lock(&m->smmu_lock);
	if (m->ev_len) {
		const struct hm_smmu_event_rec *r = &m->events[m->ev_head];
		static const uint32_t kind[] = {
			[HM_DMA_TRANSLATION] = KC_SMMU_F_TRANSLATION,
			[HM_DMA_PERMISSION] = KC_SMMU_F_PERMISSION,
			[HM_DMA_STREAM] = KC_SMMU_F_STREAM,
		};
		ev->smmu = r->smmu;
		ev->sid = r->sid;
		ev->fault = r->fault < sizeof(kind) / sizeof(kind[0]) && kind[r->fault]
				    ? kind[r->fault]
				    : KC_SMMU_F_OTHER;
		ev->write = r->write;
		ev->iova = r->iova;
		m->ev_head = (m->ev_head + 1) % HM_SMMU_EVENTS;
		m->ev_len--;
		got = true;
	}
	pthread_mutex_unlock(&m->smmu_lock);
	return got;
}

/* ---- DMA ----------------------------------------------------------------- */

/* Record a stopped transaction; smmu_lock held. */
static enum hm_dma_fault dma_fault(struct hm_machine *m, unsigned smmu, uint32_t sid,
				   enum hm_dma_fault f, bool write, uint64_t iova)
{
	if (m->ev_len == HM_SMMU_EVENTS) {
		m->ev_lost++;
		return f;
	}
	struct hm_smmu_event_rec *r = &m->events[(m->ev_head + m->ev_len) % HM_SMMU_EVENTS];
	r->smmu = smmu;
	r->sid = sid;
	r->fault = f;
	r->write = write;
	r->iova = iova;
	m->ev_len++;
	return f;
}

/* Translate one page of a DMA: configuration cache, IOTLB, walk.  smmu_lock held. */
static enum hm_dma_fault dma_translate(struct hm_machine *m, unsigned smmu, uint32_t sid,
				       uint64_t iova, bool write, uint64_t *pa)
{
	struct hm_smmu *s = &m->smmus[smmu];
	uint64_t page = iova & ~(uint64_t)(HM_PAGE_SIZE - 1);

	if (!s->cached[sid]) {
		s->cfg_cache[sid] = s->table[sid];
		s->cached[sid] = true;
	}
	const struct hm_ste *c = &s->cfg_cache[sid];
	if (!c->valid)
		return dma_fault(m, smmu, sid, HM_DMA_STREAM, write, iova);
	struct hm_iotlb_entry *e = NULL;
	for (unsigned i = 0; i < HM_IOTLB_ENTRIES && !e; i++)
		if (s->iotlb[i].valid && s->iotlb[i].tag == c->tag && s->iotlb[i].iova == page)
			e = &s->iotlb[i];
	if (e) {
		m->smmu_stats.iotlb_hits++;
	} else {
		struct hm_walk w;
		struct hm_ctx ctx = hm_ctx_s2(c->tag, c->root);
		m->smmu_stats.iotlb_misses++;
		if (iova >> m->cfg.smmu_ia_bits || hm_mmu_walk(m, &ctx, page, &w) != HM_FAULT_NONE)
			return dma_fault(m, smmu, sid, HM_DMA_TRANSLATION, write, iova);
		for (unsigned i = 0; i < HM_IOTLB_ENTRIES && !e; i++)
			if (!s->iotlb[i].valid)
				e = &s->iotlb[i];
		if (!e) {
			e = &s->iotlb[s->next_victim];
			s->next_victim = (s->next_victim + 1) % HM_IOTLB_ENTRIES;
		}
		*e = (struct hm_iotlb_entry){ .valid = true,
					      .tag = c->tag,
					      .iova = page,
					      .pa = w.pa,
					      .r = w.r,
					      .w = w.w,
					      .root = c->root };
	}
	if (write ? !e->w : !e->r)
		return dma_fault(m, smmu, sid, HM_DMA_PERMISSION, write, iova);
	*pa = e->pa | (iova & (HM_PAGE_SIZE - 1));
	return HM_DMA_OK;
}

static enum hm_dma_fault dma(struct hm_machine *m, unsigned smmu, uint32_t sid, uint64_t iova,
			     void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	smmu_of(m, smmu, sid, write ? "hm_dma_write" : "hm_dma_read");
	while (len) {
		size_t chunk = HM_PAGE_SIZE - (iova & (HM_PAGE_SIZE - 1));
		uint64_t pa;
		if (chunk > len)
			chunk = len;
		/*
		 * Translation and access under smmu_lock: an invalidation
		 * (plat_smmu_tlbi_*, stream_set) completes only after every
		 * transaction that used the old entry, as CMD_SYNC does, so a
		 * DMA that translated before an UNMAP cannot land after it.
		 */
		pthread_mutex_lock(&m->smmu_lock);
		enum hm_dma_fault f = dma_translate(m, smmu, sid, iova, write, &pa);
		uint8_t *ram = f ? NULL : hm_phys(m, pa, chunk);
		if (ram) /* IO-coherent: the view the CPUs' caches give */
			hm_ram_copy(ram, p, chunk, write);
		else if (!f && !write)
			memset(p, 0, chunk); /* IO (peer to peer): reads zeros, drops writes */
		pthread_mutex_unlock(&m->smmu_lock);
		if (f)
			return f;
		iova += chunk;
		p += chunk;
		len -= chunk;
	}
	return HM_DMA_OK;
}

enum hm_dma_fault hm_dma_read(struct hm_machine *m, unsigned smmu, uint32_t sid, uint64_t iova,
			      void *buf, size_t len)
{
	return dma(m, smmu, sid, iova, buf, len, false);
}

enum hm_dma_fault hm_dma_write(struct hm_machine *m, unsigned smmu, uint32_t sid, uint64_t iova,
			       const void *buf, size_t len)
{
	/* dma() only reads buf for a write. */
	return dma(m, smmu, sid, iova, (void *)(uintptr_t)buf, len, true);
}

/* ---- inspection ---------------------------------------------------------- */

unsigned hm_iotlb_count(struct hm_machine *m, unsigned smmu)
{
	unsigned n = 0;

	if (smmu >= m->cfg.nsmmus)
		return 0;
	pthread_mutex_lock(&m->smmu_lock);
	for (unsigned i = 0; i < HM_IOTLB_ENTRIES; i++)
		n += m->smmus[smmu].iotlb[i].valid;
	pthread_mutex_unlock(&m->smmu_lock);
	return n;
}

unsigned hm_smmu_events_pending(struct hm_machine *m)
{
	pthread_mutex_lock(&m->smmu_lock);
	unsigned n = m->ev_len;
	pthread_mutex_unlock(&m->smmu_lock);
	return n;
}

uint64_t hm_smmu_events_lost(struct hm_machine *m)
{
	pthread_mutex_lock(&m->smmu_lock);
	uint64_t n = m->ev_lost;
	pthread_mutex_unlock(&m->smmu_lock);
	return n;
}

void hm_smmu_stats_read(struct hm_machine *m, struct hm_smmu_stats *out)
{
	pthread_mutex_lock(&m->smmu_lock);
	*out = m->smmu_stats;
	pthread_mutex_unlock(&m->smmu_lock);
}

bool hm_smmu_coherent(struct hm_machine *m, char *why, size_t why_size)
{
	bool ok = true;

	pthread_mutex_lock(&m->smmu_lock);
	for (unsigned i = 0; i < m->cfg.nsmmus && ok; i++) {
		const struct hm_smmu *s = &m->smmus[i];
		for (uint32_t sid = 0; sid < m->cfg.smmu_streams && ok; sid++) {
			const struct hm_ste *c = &s->cfg_cache[sid], *t = &s->table[sid];
			if (s->cached[sid] &&
			    (c->valid != t->valid || c->tag != t->tag || c->root != t->root)) {
				snprintf(why, why_size,
					 "SMMU %u caches stream %u as root 0x%" PRIx64
					 " tag %u, its table entry says root 0x%" PRIx64 " tag %u",
					 i, sid, c->root, c->tag, t->root, t->tag);
				ok = false;
			}
		}
		for (unsigned k = 0; k < HM_IOTLB_ENTRIES && ok; k++) {
			const struct hm_iotlb_entry *e = &s->iotlb[k];
			struct hm_walk w;
			struct hm_ctx ctx;
			if (!e->valid)
				continue;
			ctx = hm_ctx_s2(e->tag, e->root);
			if (hm_mmu_walk(m, &ctx, e->iova, &w) == HM_FAULT_NONE && w.pa == e->pa &&
			    w.r == e->r && w.w == e->w)
				continue;
			snprintf(why, why_size,
				 "SMMU %u IOTLB holds tag %u IOVA 0x%" PRIx64 " -> PA 0x%" PRIx64
				 " (%c%c), tables now: %s 0x%" PRIx64,
				 i, e->tag, e->iova, e->pa, e->r ? 'r' : '-', e->w ? 'w' : '-',
				 w.fault ? "fault, PA" : "PA", w.fault ? 0 : w.pa);
			ok = false;
		}
	}
	pthread_mutex_unlock(&m->smmu_lock);
	if (ok && why && why_size)
		why[0] = '\0';
	return ok;
}
