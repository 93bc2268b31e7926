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

/* The most arguments a host call takes (x1..x5: IODOM_MAP, IMPORT_*): x6 is always must-be-zero. */
#define HC_MAX_ARGS 5u

/*
 * One call, whole: the must-be-zero registers past its `nargs` arguments
 * (KC_EINVAL), the handler, and the results (x1..x3 zero on any error).
 * Inlined into one small function per call (HC_CALL below), so `nargs` is a
 * constant the loop unrolls away and a static handler (hc_version) is
 * inlined too: the dispatcher's last act is a jump to it.
 */
static inline __attribute__((always_inline)) void hc_invoke(struct kc_hcall *r, hc_handler h,
							    unsigned nargs)
{
	uint64_t res[3] = { 0, 0, 0 };
	/* x5 apart: only IODOM_MAP takes it, and the rest keep the 4-wide OR of x1..x4. */
	uint64_t mbz = r->x[6] | (nargs < 5 ? r->x[5] : 0);

	for (unsigned i = nargs + 1; i <= 4; i++)
		mbz |= r->x[i];
	int rc = mbz ? KC_EINVAL : h(&r->x[1], res);
	uint64_t keep = rc ? 0 : ~0ull;

	r->x[0] = (uint64_t)(int64_t)rc;
	r->x[1] = res[0] & keep;
	r->x[2] = res[1] & keep;
	r->x[3] = res[2] & keep;
}

typedef void (*hc_call)(struct kc_hcall *r);

#define HC_CALL(name, nargs)                                                                       \
	_Static_assert((nargs) <= HC_MAX_ARGS, #name ": at most HC_MAX_ARGS arguments");           \
	static void name##_call(struct kc_hcall *r)                                                \
	{                                                                                          \
		hc_invoke(r, name, (nargs));                                                       \
	}

HC_CALL(hc_version, 0)
HC_CALL(hc_vm_create, 0)
HC_CALL(hc_vcpu_create, 2)
HC_CALL(hc_vm_set_image, 3)
HC_CALL(hc_vm_load_image_page, 3)
HC_CALL(hc_vm_verify, 2)
HC_CALL(hc_vcpu_run, 4)
HC_CALL(hc_vm_map_fault, 4)
HC_CALL(hc_vm_map_io, 4)
HC_CALL(hc_vm_poweroff, 1)
HC_CALL(hc_vm_reclaim, 2)
HC_CALL(hc_vm_destroy, 1)
HC_CALL(hc_vcpu_inject_irq, 4)
HC_CALL(hc_iodom_alloc, 1)
HC_CALL(hc_iodom_free, 1)
HC_CALL(hc_iodom_attach, 3)
HC_CALL(hc_iodom_detach, 3)
HC_CALL(hc_iodom_map, 5)
HC_CALL(hc_iodom_unmap, 3)
HC_CALL(hc_iodom_lookup, 2)
HC_CALL(hc_smmu_event, 0)
HC_CALL(hc_export_begin, 1)
HC_CALL(hc_export_page, 2)
HC_CALL(hc_export_vcpu, 3)
HC_CALL(hc_export_end, 2)
HC_CALL(hc_export_abort, 1)
HC_CALL(hc_import_begin, 4)
HC_CALL(hc_import_page, 5)
HC_CALL(hc_import_vcpu, 5)
HC_CALL(hc_import_end, 5)

/* A number kcore keeps free for a later call: what an unknown id gets. */
static void hc_reserved_call(struct kc_hcall *r)
{
	r->x[0] = (uint64_t)(int64_t)KC_ENOTSUP;
	r->x[1] = 0;
	r->x[2] = 0;
	r->x[3] = 0;
}

/*
 * Indexed by function number, one dense table for every call: the null
 * call is a bounds check, a load and a jump.
 */
static const hc_call hc_table[] = {
	[KC_FN_NUM(KC_HC_VERSION)] = hc_version_call,
	[KC_FN_NUM(KC_HC_VM_CREATE)] = hc_vm_create_call,
	[KC_FN_NUM(KC_HC_VCPU_CREATE)] = hc_vcpu_create_call,
	[KC_FN_NUM(KC_HC_VM_SET_IMAGE)] = hc_vm_set_image_call,
	[KC_FN_NUM(KC_HC_VM_LOAD_IMAGE_PAGE)] = hc_vm_load_image_page_call,
	[KC_FN_NUM(KC_HC_VM_VERIFY)] = hc_vm_verify_call,
	[KC_FN_NUM(KC_HC_VCPU_RUN)] = hc_vcpu_run_call,
	[KC_FN_NUM(KC_HC_VM_MAP_FAULT)] = hc_vm_map_fault_call,
	[KC_FN_NUM(KC_HC_VM_MAP_IO)] = hc_vm_map_io_call,
	[KC_FN_NUM(KC_HC_VM_POWEROFF)] = hc_vm_poweroff_call,
	[KC_FN_NUM(KC_HC_VM_RECLAIM)] = hc_vm_reclaim_call,
	[KC_FN_NUM(KC_HC_VM_DESTROY)] = hc_vm_destroy_call,
	[KC_FN_NUM(KC_HC_VCPU_INJECT_IRQ)] = hc_vcpu_inject_irq_call,
	[KC_FN_NUM(KC_HC_IODOM_ALLOC)] = hc_iodom_alloc_call,
	[KC_FN_NUM(KC_HC_IODOM_FREE)] = hc_iodom_free_call,
	[KC_FN_NUM(KC_HC_IODOM_ATTACH)] = hc_iodom_attach_call,
	[KC_FN_NUM(KC_HC_IODOM_DETACH)] = hc_iodom_detach_call,
	[KC_FN_NUM(KC_HC_IODOM_MAP)] = hc_iodom_map_call,
	[KC_FN_NUM(KC_HC_IODOM_UNMAP)] = hc_iodom_unmap_call,
	[KC_FN_NUM(KC_HC_IODOM_LOOKUP)] = hc_iodom_lookup_call,
	[KC_FN_NUM(KC_HC_SMMU_EVENT)] = hc_smmu_event_call,
	/* Spare numbers between the SMMU's calls and export's: not (yet) calls. */
	[KC_FN_NUM(KC_HC_SMMU_EVENT) + 1] = hc_reserved_call,
	[KC_FN_NUM(KC_HC_SMMU_EVENT) + 2] = hc_reserved_call,
	[KC_FN_NUM(KC_HC_SMMU_EVENT) + 3] = hc_reserved_call,
	[KC_FN_NUM(KC_HC_EXPORT_BEGIN)] = hc_export_begin_call,
	[KC_FN_NUM(KC_HC_EXPORT_PAGE)] = hc_export_page_call,
	[KC_FN_NUM(KC_HC_EXPORT_VCPU)] = hc_export_vcpu_call,
	[KC_FN_NUM(KC_HC_EXPORT_END)] = hc_export_end_call,
	[KC_FN_NUM(KC_HC_EXPORT_ABORT)] = hc_export_abort_call,
	[KC_FN_NUM(KC_HC_IMPORT_BEGIN)] = hc_import_begin_call,
	[KC_FN_NUM(KC_HC_IMPORT_PAGE)] = hc_import_page_call,
	[KC_FN_NUM(KC_HC_IMPORT_VCPU)] = hc_import_vcpu_call,
	[KC_FN_NUM(KC_HC_IMPORT_END)] = hc_import_end_call,
};
_Static_assert(KC_FN_NUM(KC_HC_EXPORT_BEGIN) == KC_FN_NUM(KC_HC_SMMU_EVENT) + 4,
	       "the spare slots fill exactly the gap before the export calls");

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

/* A refusal before any handler ran: x0 = rc, x1..x3 zero. */
static void hc_refuse(struct kc_hcall *r, int rc)
{
	r->x[0] = (uint64_t)(int64_t)rc;
	r->x[1] = 0;
	r->x[2] = 0;
	r->x[3] = 0;
}

void hc_open_calls(void)
{
	/* The dispatcher jumps through any slot below hc_open: a gap would be kcore's bug. */
	for (unsigned i = 0; i < sizeof(hc_table) / sizeof(hc_table[0]); i++)
		if (!hc_table[i])
			plat_panic("host-call table has a gap");
	kc.hc_open = sizeof(hc_table) / sizeof(hc_table[0]);
}

void kcore_host_call(struct kc_hcall *r)
{
	/*
	 * One compare finds every id that is not one of kcore's calls, or any
	 * call before kcore is up (hc_open is 0 then): the subtraction wraps.
	 */
	uint64_t num = r->x[0] - KC_FN_BASE;

	if (num < kc.hc_open)
		hc_table[num](r);
	else if (num < sizeof(hc_table) / sizeof(hc_table[0]))
		hc_refuse(r, KC_ESTATE);
	else if (!hc_smccc_discovery(r))
		hc_refuse(r, KC_ENOTSUP);
}
