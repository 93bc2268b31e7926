/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SMMUv3 event queue: each transaction an SMMU stopped with a record
 * (a stage-2 fault of an attached stream, S2R = 1; a stream id past the
 * table, CR2.RECINVSID) is one 32-byte record.  plat_smmu_event_next takes
 * the oldest one and says what it was in platform.h's terms; core decides
 * what the host sees.  Streams that abort (Config = abort: not attached)
 * stop their transactions without a record, as the architecture says.
 */
#include "smmuv3.h"
#include "sysreg.h"

static uint32_t smmuv3_fault_kind(uint32_t type)
{
	switch (type) {
	case EVT_F_TRANSLATION:
		return KC_SMMU_F_TRANSLATION;
	case EVT_F_PERMISSION:
		return KC_SMMU_F_PERMISSION;
	case EVT_C_BAD_STREAMID:
	case EVT_C_BAD_STE:
	case EVT_F_STREAM_DISABLED:
		return KC_SMMU_F_STREAM;
	default:
		return KC_SMMU_F_OTHER;
	}
}

/* Records whose InputAddr and RnW fields are meaningful. */
static bool smmuv3_has_addr(uint32_t type)
{
	return type == EVT_F_UUT || type == EVT_F_TRANSL_FORBIDDEN ||
	       (type >= EVT_F_TRANSLATION && type <= EVT_F_PERMISSION);
}

static bool smmuv3_event_take(struct smmuv3 *s, unsigned idx, struct kc_smmu_event *ev)
{
	uint32_t mask = (2u << s->evtq_log2) - 1u;
	uint32_t prod = smmuv3_read32(s, SMMU_EVENTQ_PROD);
	uint32_t cons = smmuv3_read32(s, SMMU_EVENTQ_CONS);
	const volatile uint64_t *rec;
	uint64_t d0, d1, d2;

	if ((prod & mask) == (cons & mask))
		return false;
	/* PROD read (device) before the record (memory) it covers. */
	dsb(ld);
	rec = &s->evtq[(cons & ((1u << s->evtq_log2) - 1u)) * 4u];
	d0 = rec[0];
	d1 = rec[1];
	d2 = rec[2];
	ev->smmu = idx;
	ev->sid = (uint32_t)(d0 >> 32);
	ev->fault = smmuv3_fault_kind((uint32_t)(d0 & 0xffu));
	ev->write = smmuv3_has_addr((uint32_t)(d0 & 0xffu)) && !((d1 >> 35) & 1u);
	ev->iova = smmuv3_has_addr((uint32_t)(d0 & 0xffu)) ? d2 : 0;
	/* The record is read before the SMMU may reuse its slot; acknowledge an overflow. */
	dsb(sy);
	smmuv3_write32(s, SMMU_EVENTQ_CONS, ((cons + 1u) & mask) | (prod & Q_OVFLG));
	return true;
}

bool plat_smmu_event_next(struct kc_smmu_event *ev)
{
	for (unsigned i = 0; i < smmuv3_count; i++) {
		struct smmuv3 *s = &smmuv3_units[i];
		bool got;

		smmuv3_lock(s);
		got = smmuv3_event_take(s, i, ev);
		smmuv3_unlock(s);
		if (got)
			return true;
	}
	return false;
}
