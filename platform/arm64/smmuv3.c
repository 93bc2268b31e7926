/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMMUv3 driver (platform.h, "the SMMUs"): programs the SMMUs the boot
 * layout lists.  This first version drives none: main.c lists no SMMU yet,
 * so core refuses every SMMU index (KC_EINVAL) and there is no stream to
 * program, no IOTLB to invalidate and no event to take.  The driver proper
 * (stage 2 only, linear stream table and queues in CORE frames, GBPA =
 * abort) replaces these with issue 13's arm64 part.
 */
#include <kcore/platform.h>

void plat_smmu_stream_set(unsigned smmu, uint32_t sid, uint16_t tag, kc_paddr_t root)
{
	(void)sid;
	(void)tag;
	(void)root;
	(void)smmu;
	plat_panic("smmuv3: stream_set on an SMMU the layout does not list");
}

void plat_smmu_tlbi_range(uint16_t tag, uint64_t iova, uint64_t size)
{
	(void)tag;
	(void)iova;
	(void)size;
}

void plat_smmu_tlbi_tag(uint16_t tag)
{
	(void)tag;
}

bool plat_smmu_event_next(struct kc_smmu_event *ev)
{
	(void)ev;
	return false;
}
