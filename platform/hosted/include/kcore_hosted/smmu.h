/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_hosted/smmu.h — the model's SMMUs and the DMA-capable devices
 * behind them (docs/SMMU.md).
 *
 * hm_config.nsmmus SMMUs, each with hm_config.smmu_streams stream ids and
 * its registers at HM_SMMU_MMIO_BASE + i * HM_SMMU_MMIO_SIZE (a device range
 * hm_kcore_boot lists as kcore's own and as kc_boot_layout.smmus[i]).  Each
 * has what makes a missing invalidation in core visible:
 *  - a stream table (what kcore's driver, plat_smmu_stream_set, wrote);
 *  - a configuration cache per stream, filled by the first transaction of
 *    the stream and kept until plat_smmu_stream_set invalidates it;
 *  - an IOTLB of 4 KiB entries (tag, IOVA page -> PA, r/w), filled by a
 *    successful walk of the stage-2 descriptors core wrote (the MMU
 *    model's walker, hm_mmu_walk) and kept, however the tables change,
 *    until a plat_smmu_tlbi_* or a stream_set to abort drops it;
 *  - an event queue of the transactions it stopped (plat_smmu_event_next).
 * DMA is IO-coherent: it sees and writes RAM as the CPUs' caches do.
 */
#ifndef KCORE_HOSTED_SMMU_H
#define KCORE_HOSTED_SMMU_H

#include <kcore_hosted/machine.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HM_MAX_SMMUS	    2u
#define HM_SMMU_MAX_STREAMS 256u
#define HM_SMMU_MMIO_BASE   0x0A000000ull
#define HM_SMMU_MMIO_SIZE   0x00020000ull
#define HM_IOTLB_ENTRIES    32u /* per SMMU; first free, else round robin */
#define HM_SMMU_EVENTS	    64u /* queue depth; when full, new events are lost (counted) */

/* What stopped a DMA (the event queue says the same, as kc_smmu_fault). */
enum hm_dma_fault {
	HM_DMA_OK = 0,
	HM_DMA_TRANSLATION, /* no valid leaf for the IOVA (or IOVA beyond ia_bits) */
	HM_DMA_PERMISSION,  /* the leaf does not allow the access */
	HM_DMA_STREAM,	    /* the stream translates nothing: aborted */
};

/*
 * A device behind stream `sid` of SMMU `smmu` reads / writes `len` bytes at
 * `iova`, a page at a time; stops at the first page that faults (earlier
 * pages are done, as hm_load) and returns why.  Output addresses that are
 * not RAM (IO) read zeros and drop writes.
 */
enum hm_dma_fault hm_dma_read(struct hm_machine *m, unsigned smmu, uint32_t sid, uint64_t iova,
			      void *buf, size_t len);
enum hm_dma_fault hm_dma_write(struct hm_machine *m, unsigned smmu, uint32_t sid, uint64_t iova,
			       const void *buf, size_t len);

/* Valid IOTLB entries of SMMU `smmu`. */
unsigned hm_iotlb_count(struct hm_machine *m, unsigned smmu);
/* Events queued and not yet taken by core; events lost to a full queue. */
unsigned hm_smmu_events_pending(struct hm_machine *m);
uint64_t hm_smmu_events_lost(struct hm_machine *m);

/* Calls core made into the SMMUs, for tests that check an invalidation came. */
struct hm_smmu_stats {
	uint64_t stream_sets, tlbi_range, tlbi_tag;
	uint64_t iotlb_hits, iotlb_misses;
};
void hm_smmu_stats_read(struct hm_machine *m, struct hm_smmu_stats *out);

/*
 * The SMMU half of invariant 7 (hm_tlb_coherent calls it): every cached
 * stream configuration is the stream table's, and every IOTLB entry, walked
 * again at the root it was filled from, still translates to the same PA
 * with the same rights.  False with the first disagreement in `why`.
 */
bool hm_smmu_coherent(struct hm_machine *m, char *why, size_t why_size);

/* Every stream aborts, caches and queue empty (hm_kcore_boot: a fresh SMMU). */
void hm_smmu_reset(struct hm_machine *m);

#endif /* KCORE_HOSTED_SMMU_H */
