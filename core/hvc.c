/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-call dispatch (DESIGN.md §3).  Decode, then act:
 *   - x0 must be exactly one of kcore's function ids (upper 32 bits zero):
 *     anything else is KC_ENOTSUP;
 *   - every argument register past the call's count must be zero (KC_EINVAL),
 *     so a later ABI can give them meaning without old callers changing it;
 *   - the handler gets plain values, never a host pointer;
 *   - on any error x1..x3 come back zero, and nothing has changed.
 * SMCCC's own discovery calls (SMCCC_VERSION, ARCH_FEATURES, the vendor
 * hypervisor UID and revision) are answered as SMCCC defines them, with the
 * function id read from W0; every other id is NOT_SUPPORTED.
 */
#include <kcore/abi.h>
#include <kcore/kcore.h>

#include "vm.h"

static int hc_version(const uint64_t *args, uint64_t *res)
{
	(void)args;
	res[0] = KC_ABI_VERSION;
	return KC_OK;
}

/* The most arguments a host call takes (x1..x4): x5 and x6 are always must-be-zero. */
#define HC_MAX_ARGS 4u

struct hc_entry {
	hc_handler handler;
	unsigned nargs; /* 0..HC_MAX_ARGS */
};

/* Indexed by function number: the null call is a bounds check and a load. */
static const struct hc_entry hc_table[] = {
	[KC_FN_NUM(KC_HC_VERSION)] = { hc_version, 0 },
	[KC_FN_NUM(KC_HC_VM_CREATE)] = { hc_vm_create, 0 },
	[KC_FN_NUM(KC_HC_VCPU_CREATE)] = { hc_vcpu_create, 2 },
	[KC_FN_NUM(KC_HC_VM_SET_IMAGE)] = { hc_vm_set_image, 3 },
	[KC_FN_NUM(KC_HC_VM_LOAD_IMAGE_PAGE)] = { hc_vm_load_image_page, 3 },
	[KC_FN_NUM(KC_HC_VM_VERIFY)] = { hc_vm_verify, 2 },
	[KC_FN_NUM(KC_HC_VCPU_RUN)] = { hc_vcpu_run, 4 },
	[KC_FN_NUM(KC_HC_VM_MAP_FAULT)] = { hc_vm_map_fault, 4 },
	[KC_FN_NUM(KC_HC_VM_MAP_IO)] = { hc_vm_map_io, 4 },
	[KC_FN_NUM(KC_HC_VM_POWEROFF)] = { hc_vm_poweroff, 1 },
	[KC_FN_NUM(KC_HC_VM_RECLAIM)] = { hc_vm_reclaim, 2 },
	[KC_FN_NUM(KC_HC_VM_DESTROY)] = { hc_vm_destroy, 1 },
	[KC_FN_NUM(KC_HC_VCPU_INJECT_IRQ)] = { hc_vcpu_inject_irq, 4 },
};

/*
 * SMCCC discovery from the host: true if `r` was one (results set as SMCCC
 * says: x0 is a value, not a status).  Off the hot path: only ids outside
 * kcore's table get here.
 */
static bool hc_smccc_discovery(struct kc_hcall *r)
{
	uint64_t out[4] = { 0, 0, 0, 0 };

	switch ((uint32_t)r->x[0]) {
	case KC_SMCCC_VERSION:
		out[0] = KC_SMCCC_VERSION_1_1;
		break;
	case KC_SMCCC_ARCH_FEATURES:
		/*
		 * The calls SMCCC lets a caller probe; no firmware workaround
		 * (ARCH_WORKAROUND_*) is offered through kcore.
		 */
		out[0] = (uint32_t)r->x[1] == KC_SMCCC_ARCH_FEATURES
				 ? 0
				 : (uint64_t)(int64_t)KC_ENOTSUP;
		break;
	case KC_SMCCC_HYP_CALL_UID:
		out[0] = KC_HYP_UID_0;
		out[1] = KC_HYP_UID_1;
		out[2] = KC_HYP_UID_2;
		out[3] = KC_HYP_UID_3;
		break;
	case KC_SMCCC_HYP_REVISION:
		out[0] = KC_ABI_VERSION_MAJOR;
		out[1] = KC_ABI_VERSION_MINOR;
		break;
	default:
		return false;
	}
	for (unsigned i = 0; i < 4; i++)
		r->x[i] = out[i];
	return true;
}

void kcore_host_call(struct kc_hcall *r)
{
	uint64_t num = r->x[0] - KC_FN_BASE, res[3] = { 0, 0, 0 };
	int rc = KC_ENOTSUP;

	/* One compare finds every id outside kcore's (the subtraction wraps). */
	if (num < sizeof(hc_table) / sizeof(hc_table[0]) && hc_table[num].handler) {
		const struct hc_entry *e = &hc_table[num];
		/*
		 * The must-be-zero registers, unrolled: a call takes at most four
		 * arguments (HC_MAX_ARGS), so x5 and x6 are always among them.
		 */
		uint64_t mbz = r->x[5] | r->x[6];
		switch (e->nargs) {
		case 0:
			mbz |= r->x[1];
			__attribute__((fallthrough));
		case 1:
			mbz |= r->x[2];
			__attribute__((fallthrough));
		case 2:
			mbz |= r->x[3];
			__attribute__((fallthrough));
		case 3:
			mbz |= r->x[4];
			break;
		default:
			break;
		}
		if (!kc.up)
			rc = KC_ESTATE;
		else if (mbz)
			rc = KC_EINVAL;
		else
			rc = e->handler(&r->x[1], res);
	} else if (hc_smccc_discovery(r)) {
		return;
	}
	uint64_t keep = rc ? 0 : ~0ull; /* on any error x1..x3 come back zero */
	r->x[0] = (uint64_t)(int64_t)rc;
	r->x[1] = res[0] & keep;
	r->x[2] = res[1] & keep;
	r->x[3] = res[2] & keep;
}
