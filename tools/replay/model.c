/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The reference model of frame ownership (model.h): the rules, and the
 * compare with kcore's frame table.
 */
#include "model.h"

#include "../../core/state.h"

#include <kcore/abi.h>
#include <kcore_hosted/boot.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_MODEL_HOST	 0u
#define RP_MODEL_CORE	 0xFFFu
#define RP_COMPARE_BLOCK 16u /* frames rp_model_compare tests at once */
_Static_assert(RP_MODEL_HOST == OWNER_HOST && RP_MODEL_CORE == OWNER_CORE,
	       "the model's owner values are kcore's frame-table values");

static const char *rp_owner_str(unsigned o, char *buf, size_t size)
{
	if (o == RP_MODEL_HOST)
		snprintf(buf, size, "the host");
	else if (o == RP_MODEL_CORE)
		snprintf(buf, size, "kcore");
	else
		snprintf(buf, size, "VM %u", o);
	return buf;
}

bool rp_model_init(struct rp_model *md, struct hm_machine *m, uint64_t ram_base, uint64_t ram_size,
		   unsigned vms, char *err, size_t err_size)
{
	memset(md, 0, sizeof(*md));
	md->m = m;
	md->ram_pfn = ram_base >> 12;
	md->nframes = ram_size >> 12;
	md->vms = vms;
	md->ids_in_order = true;
	md->check_scrub = true;
	if (kc.nram != 1 || kc.ram[0].first != 0 || kc.ram[0].base != ram_base) {
		snprintf(err, err_size, "kcore's frame table is not one RAM region");
		return false;
	}
	md->owner = calloc(md->nframes, sizeof(md->owner[0]));
	if (!md->owner) {
		snprintf(err, err_size, "out of memory");
		return false;
	}
	struct kc_region pool = hm_kcore_pool(m);
	for (uint64_t i = 0; i < md->nframes; i++) {
		uint64_t pa = (md->ram_pfn + i) << 12;
		bool core = pa - ram_base < HM_KCORE_IMAGE_SIZE ||
			    (pa >= pool.base && pa - pool.base < pool.size);
		md->owner[i] = core ? RP_MODEL_CORE : RP_MODEL_HOST;
	}
	return true;
}

void rp_model_free(struct rp_model *md)
{
	free(md->owner);
	md->owner = NULL;
}

/* `n` frames from `pfn` went from the host to VM `vm` (a call said OK). */
static void rp_model_claim(struct rp_model *md, const char *call, uint64_t vm, uint64_t pfn,
			   uint64_t n, struct rp_result *r)
{
	char a[32];
	for (uint64_t i = 0; i < n; i++) {
		uint64_t f = pfn + i;
		if (f < md->ram_pfn || f - md->ram_pfn >= md->nframes) {
			rp_oracle(r,
				  "model: %s gave VM %" PRIu64 " frame 0x%" PRIx64
				  ", which is not RAM",
				  call, vm, f);
			return;
		}
		uint16_t *o = &md->owner[f - md->ram_pfn];
		/* A frame of a VM reclaimed since the last compare may be the host's again. */
		bool returned = *o != RP_MODEL_HOST && *o != RP_MODEL_CORE && md->reclaimed[*o];
		if (*o != RP_MODEL_HOST && !returned) {
			rp_oracle(r,
				  "model: %s gave VM %" PRIu64 " frame 0x%" PRIx64
				  ", which belongs to %s, not the host",
				  call, vm, f, rp_owner_str(*o, a, sizeof(a)));
			return;
		}
		*o = (uint16_t)vm;
	}
	if (vm <= KC_MAX_VMS && md->reclaimed[vm])
		md->remain[vm] += n;
}

static uint64_t rp_model_count(const struct rp_model *md, unsigned vm)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < md->nframes; i++)
		n += md->owner[i] == vm;
	return n;
}

void rp_model_call(struct rp_model *md, const uint64_t in[7], const uint64_t out[7],
		   struct rp_result *r)
{
	int st = (int)(int64_t)out[0];
	uint64_t fn = in[0];
	if (fn == KC_HC_VM_CREATE) {
		unsigned lowest = 0;
		for (unsigned id = md->vms; id >= 1; id--)
			if (!md->alive[id])
				lowest = id;
		if (st == KC_OK) {
			if (out[1] < 1 || out[1] > md->vms || md->alive[out[1]] ||
			    (md->ids_in_order && out[1] != lowest))
				rp_oracle(r,
					  "model: VM_CREATE gave id %" PRIu64
					  ", the lowest free id is %u",
					  out[1], lowest);
			else
				md->alive[out[1]] = true;
		} else if (st == KC_ENOMEM && lowest && md->ids_in_order) {
			rp_oracle(r, "model: VM_CREATE said ENOMEM, but id %u is free", lowest);
		}
		return;
	}
	if (st != KC_OK)
		return;
	if (fn == KC_HC_VM_LOAD_IMAGE_PAGE)
		rp_model_claim(md, "VM_LOAD_IMAGE_PAGE", in[1], in[3], 1, r);
	else if (fn == KC_HC_VM_MAP_FAULT)
		rp_model_claim(md, "VM_MAP_FAULT", in[1], in[3], in[4] == 2 ? 512 : 1, r);
	else if (fn == KC_HC_IMPORT_PAGE && KC_XREC_KIND(in[3]) == KC_XREC_PAGE)
		rp_model_claim(md, "IMPORT_PAGE", in[1], in[2], 1, r);
	else if (fn == KC_HC_VM_RECLAIM && in[1] >= 1 && in[1] <= md->vms) {
		md->reclaimed[in[1]] = true;
		md->remain[in[1]] = out[1];
	} else if (fn == KC_HC_VM_DESTROY) {
		if (!rp_model_alive(md, in[1])) {
			rp_oracle(r, "model: VM_DESTROY of %" PRIu64 " succeeded, no such VM",
				  in[1]);
			return;
		}
		unsigned id = (unsigned)in[1];
		uint64_t left = md->reclaimed[id] ? md->remain[id] : rp_model_count(md, id);
		if (left)
			rp_oracle(r,
				  "model: VM_DESTROY of %" PRIu64 " succeeded while it still owns "
				  "%" PRIu64 " frames",
				  in[1], left);
		if (md->reclaimed[id]) {
			/* All came back (to be confirmed against kcore's table by the compare). */
			for (uint64_t i = 0; i < md->nframes; i++)
				if (md->owner[i] == id)
					md->owner[i] = RP_MODEL_HOST;
			md->reclaimed[id] = false;
		}
		md->alive[id] = false;
	}
}

/*
 * Frame i's owner in kcore's table against the model's; false (and an oracle
 * failure) if they differ, except for a frame VM_RECLAIM returned.
 */
static bool rp_model_compare_frame(struct rp_model *md, uint64_t i, struct rp_result *r)
{
	char a[32], b[32];
	uint64_t pa = (md->ram_pfn + i) << 12;
	/* One RAM region (rp_model_init checked it): frame i is kc.frames[i]. */
	unsigned k = frame_owner(kc.frames[i]), mo = md->owner[i];
	if (k == mo)
		return true;
	if (k == OWNER_HOST && mo != RP_MODEL_CORE && md->reclaimed[mo]) {
		/* VM_RECLAIM returned it: it must come back scrubbed. */
		const uint8_t *p = md->check_scrub ? hm_phys(md->m, pa, 4096) : NULL;
		for (unsigned j = 0; p && j < 4096; j++)
			if (p[j])
				return rp_oracle(r,
						 "model: frame 0x%" PRIx64 " came back from VM %u "
						 "with byte %u = 0x%02x (not scrubbed)",
						 pa >> 12, mo, j, p[j]);
		md->owner[i] = RP_MODEL_HOST;
		return true;
	}
	return rp_oracle(r,
			 "model: frame 0x%" PRIx64 " belongs to %s in kcore's table, to %s in "
			 "the model",
			 pa >> 12, k == ~0u ? "nobody" : rp_owner_str(k, a, sizeof(a)),
			 rp_owner_str(mo, b, sizeof(b)));
}

void rp_model_compare(struct rp_model *md, struct rp_result *r)
{
	uint64_t n = md->nframes;
	if (kc.total_frames != n) {
		rp_oracle(r, "model: kcore has %" PRIu64 " frames, the machine %" PRIu64,
			  kc.total_frames, n);
		return;
	}
	/* Blocks that agree pass with one vectorised test; others frame by frame. */
	for (uint64_t i = 0; i < n; i += RP_COMPARE_BLOCK) {
		uint64_t end = n - i < RP_COMPARE_BLOCK ? n : i + RP_COMPARE_BLOCK;
		if (end - i == RP_COMPARE_BLOCK) {
			const frame_t *kf = &kc.frames[i];
			const uint16_t *mf = &md->owner[i];
			uint64_t diff = 0;
			for (unsigned j = 0; j < RP_COMPARE_BLOCK; j++)
				diff |= ((kf[j] >> FRAME_OWNER_SHIFT) & FRAME_OWNER_MASK) ^ mf[j];
			if (!diff)
				continue;
		}
		for (uint64_t j = i; j < end; j++)
			if (!rp_model_compare_frame(md, j, r))
				return;
	}
	for (unsigned id = 1; id <= md->vms; id++) {
		if (!md->reclaimed[id])
			continue;
		uint64_t left = rp_model_count(md, id);
		if (left != md->remain[id])
			rp_oracle(r,
				  "model: VM_RECLAIM said %" PRIu64 " frames remain, VM %u owns "
				  "%" PRIu64,
				  md->remain[id], id, left);
		md->reclaimed[id] = false;
	}
}

void rp_model_host_access(const struct rp_model *md, uint64_t pa, uint64_t len, struct rp_result *r)
{
	for (uint64_t p = pa >> 12; p <= (pa + len - 1) >> 12; p++) {
		if (p < md->ram_pfn || p - md->ram_pfn >= md->nframes)
			continue; /* IO */
		unsigned o = md->owner[p - md->ram_pfn];
		if (o == RP_MODEL_CORE) {
			rp_oracle(r, "model: the host touched kcore's frame 0x%" PRIx64, p);
			return;
		}
		const frame_t *f = frame_peek(p << 12);
		if (o != RP_MODEL_HOST && (!f || frame_count(*f) == 0)) {
			rp_oracle(r,
				  "model: the host touched frame 0x%" PRIx64 " of VM %u, which "
				  "the VM does not share",
				  p, o);
			return;
		}
	}
}
