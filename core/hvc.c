/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host-call dispatch (DESIGN.md §3).  Decode, then act:
 *   - x0 must be exactly one of kcore's function ids (upper 32 bits zero):
 *     anything else is KC_ENOTSUP;
 *   - every argument register past the call's count must be zero (KC_EINVAL),
 *     so a later ABI can give them meaning without old callers changing it;
 *   - the handler gets plain values, never a host pointer;
 *   - on any error x1..x3 come back zero, and nothing has changed.
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

struct hc_entry {
	hc_handler handler;
	unsigned nargs;
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
};

void kcore_host_call(struct kc_hcall *r)
{
	uint64_t fn = r->x[0], res[3] = { 0, 0, 0 };
	const struct hc_entry *e = NULL;
	int rc;

	if ((fn & ~0xFFFFull) == KC_FN_BASE &&
	    KC_FN_NUM(fn) < sizeof(hc_table) / sizeof(hc_table[0]))
		e = &hc_table[KC_FN_NUM(fn)];
	if (!e || !e->handler) {
		rc = KC_ENOTSUP;
	} else if (!kc.up) {
		rc = KC_ESTATE;
	} else {
		rc = KC_OK;
		for (unsigned i = 1 + e->nargs; i < 7; i++)
			if (r->x[i])
				rc = KC_EINVAL;
		if (!rc)
			rc = e->handler(&r->x[1], res);
	}
	r->x[0] = (uint64_t)(int64_t)rc;
	for (unsigned i = 0; i < 3; i++)
		r->x[1 + i] = rc ? 0 : res[i];
}
