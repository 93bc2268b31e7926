/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ESR_EL2 decoding (Arm ARM D17.2.37): EC [31:26], IL [25], ISS [24:0].
 * For data aborts: ISV [24], SAS [23:22], SRT [20:16], SF [15], WnR [6],
 * DFSC [5:0]; instruction aborts: IFSC [5:0].  HPFAR_EL2.FIPA [43:4] holds
 * IPA[51:12]; the page offset comes from FAR_EL2, which holds the guest's
 * VA: translation never changes the low 12 bits, so they are the IPA's.
 */
#include "trap.h"

void trap_decode(const struct kc_trap *t, struct trap_info *out)
{
	unsigned ec = (unsigned)(t->esr >> 26) & 0x3f;
	uint64_t iss = t->esr & 0x1ffffff;

	*out = (struct trap_info){ .kind = TRAP_OTHER };
	switch (ec) {
	case ESR_EC_WFX:
		out->kind = TRAP_WFX;
		return;
	case ESR_EC_HVC64:
		out->kind = TRAP_HVC;
		return;
	case ESR_EC_IABT_LOW:
	case ESR_EC_DABT_LOW:
		break;
	default:
		return;
	}
	out->kind = ec == ESR_EC_DABT_LOW ? TRAP_DABT : TRAP_IABT;
	unsigned fsc = (unsigned)iss & 0x3f;
	out->fsc = (fsc >> 2) <= FSC_PERMISSION ? (enum trap_fsc)(fsc >> 2) : FSC_OTHER;
	out->level = fsc & 3;
	out->ipa = (((t->hpfar >> 4) & ((1ull << 40) - 1)) << 12) | (t->far & 0xfff);
	if (out->kind == TRAP_DABT) {
		out->write = (iss >> 6) & 1;
		out->isv = (iss >> 24) & 1;
		out->size_log2 = (unsigned)(iss >> 22) & 3;
		out->srt = (unsigned)(iss >> 16) & 0x1f;
		out->sf = (iss >> 15) & 1;
	}
}
