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
	md->dma = calloc(md->nframes, sizeof(md->dma[0]));
	for (unsigned d = 0; d <= KC_MAX_IODOMS; d++)
		md->dom_owner[d] = RP_DOM_FREE;
	if (!md->owner || !md->dma) {
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
	free(md->dma);
	free(md->iomaps);
	md->owner = NULL;
	md->dma = NULL;
	md->iomaps = NULL;
}

/* The model changed frames [first, first + n) (indexes): compare them next. */
static void rp_model_changed(struct rp_model *md, uint64_t first, uint64_t n)
{
	if (md->nchanged < RP_MODEL_CHANGED_MAX) {
		md->changed[md->nchanged].first = first;
		md->changed[md->nchanged].n = n;
	}
	if (md->nchanged <= RP_MODEL_CHANGED_MAX)
		md->nchanged++;
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
		if (md->dma[f - md->ram_pfn]) {
			rp_oracle(r,
				  "model: %s gave VM %" PRIu64 " frame 0x%" PRIx64
				  ", which %u host DMA mappings still reach",
				  call, vm, f, md->dma[f - md->ram_pfn]);
			return;
		}
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
	rp_model_changed(md, pfn - md->ram_pfn, n);
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

/* ---- IO domains (docs/SMMU.md) ---- */

static struct rp_iomap *rp_iomap_find(const struct rp_model *md, unsigned dom, uint64_t iova)
{
	for (size_t i = 0; i < md->niomaps; i++)
		if (md->iomaps[i].dom == dom && md->iomaps[i].iova == iova)
			return &md->iomaps[i];
	return NULL;
}

/* The model's frame index of `pa`, or -1 if it is not RAM. */
static int64_t rp_frame_index(const struct rp_model *md, uint64_t pa)
{
	uint64_t pfn = pa >> 12;
	return pfn >= md->ram_pfn && pfn - md->ram_pfn < md->nframes ? (int64_t)(pfn - md->ram_pfn)
								     : -1;
}

unsigned rp_model_owner_of(const struct rp_model *md, uint64_t pa, bool *ram)
{
	int64_t i = rp_frame_index(md, pa);
	*ram = i >= 0;
	return i >= 0 ? md->owner[i] : RP_MODEL_HOST;
}

const struct rp_iomap *rp_model_iova(const struct rp_model *md, unsigned smmu, unsigned dev,
				     uint64_t iova, unsigned *owner)
{
	unsigned dom = smmu < HM_MAX_SMMUS && dev < RP_SMMU_STREAMS ? md->stream_dom[smmu][dev] : 0;
	if (!dom)
		return NULL;
	*owner = (unsigned)md->dom_owner[dom];
	return rp_iomap_find(md, dom, iova & ~0xFFFull);
}

static void rp_iomap_drop(struct rp_model *md, struct rp_iomap *m)
{
	int64_t i = rp_frame_index(md, m->pa);
	if (i >= 0 && md->dom_owner[m->dom] == 0) {
		md->dma[i]--;
		rp_model_changed(md, (uint64_t)i, 1);
	}
	*m = md->iomaps[--md->niomaps];
}

static bool rp_dom_live(const struct rp_model *md, uint64_t dom)
{
	return dom >= 1 && dom <= KC_MAX_IODOMS && md->dom_owner[dom] != RP_DOM_FREE;
}

/* What an IODOM_* or SMMU_EVENT call that returned OK means for the model. */
static void rp_model_iodom(struct rp_model *md, const uint64_t in[7], const uint64_t out[7],
			   struct rp_result *r)
{
	uint64_t fn = in[0], dom = in[1];
	char a[32];
	if (fn == KC_HC_IODOM_ALLOC) {
		if (out[1] < 1 || out[1] > KC_MAX_IODOMS || rp_dom_live(md, out[1])) {
			rp_oracle(r, "model: IODOM_ALLOC gave domain %" PRIu64 ", not a free one",
				  out[1]);
			return;
		}
		md->dom_owner[out[1]] = (int)in[1];
		return;
	}
	if (fn == KC_HC_SMMU_EVENT)
		return;
	if (!rp_dom_live(md, dom)) {
		rp_oracle(r,
			  "model: IODOM call 0x%" PRIx64 " on domain %" PRIu64
			  " succeeded, no such domain",
			  fn, dom);
		return;
	}
	unsigned owner = (unsigned)md->dom_owner[dom];
	if (fn == KC_HC_IODOM_FREE) {
		for (unsigned s = 0; s < HM_MAX_SMMUS; s++)
			for (unsigned sid = 0; sid < RP_SMMU_STREAMS; sid++)
				if (md->stream_dom[s][sid] == dom)
					rp_oracle(r,
						  "model: IODOM_FREE of %" PRIu64
						  " succeeded while "
						  "SMMU %u stream %u is attached",
						  dom, s, sid);
		for (size_t i = md->niomaps; i-- > 0;)
			if (md->iomaps[i].dom == dom)
				rp_iomap_drop(md, &md->iomaps[i]);
		md->dom_owner[dom] = RP_DOM_FREE;
	} else if (fn == KC_HC_IODOM_ATTACH || fn == KC_HC_IODOM_DETACH) {
		bool attach = fn == KC_HC_IODOM_ATTACH;
		if (in[2] >= HM_MAX_SMMUS || in[3] >= RP_SMMU_STREAMS) {
			rp_oracle(r, "model: IODOM_%s of a stream the machine lacks",
				  attach ? "ATTACH" : "DETACH");
			return;
		}
		unsigned *sd = &md->stream_dom[in[2]][in[3]];
		if (attach ? *sd != 0 : *sd != dom)
			rp_oracle(r,
				  "model: IODOM_%s succeeded, but the stream translates through %u",
				  attach ? "ATTACH" : "DETACH", *sd);
		*sd = attach ? (unsigned)dom : 0;
	} else if (fn == KC_HC_IODOM_MAP) {
		for (uint64_t p = 0; p < in[4]; p++) {
			uint64_t iova = in[2] + (p << 12), pa = in[3] + (p << 12);
			int64_t i = rp_frame_index(md, pa);
			if (rp_iomap_find(md, (unsigned)dom, iova)) {
				rp_oracle(r,
					  "model: IODOM_MAP over IOVA 0x%" PRIx64
					  ", mapped already",
					  iova);
				return;
			}
			unsigned fo = i >= 0 ? md->owner[i] : RP_MODEL_HOST;
			/*
			 * A frame of a VM reclaimed since the last compare may be
			 * the host's again (as rp_model_claim): a host domain
			 * mapping it says it is.
			 */
			if (i >= 0 && owner == 0 && fo != RP_MODEL_HOST && fo != RP_MODEL_CORE &&
			    md->reclaimed[fo]) {
				md->owner[i] = RP_MODEL_HOST;
				fo = RP_MODEL_HOST;
				rp_model_changed(md, (uint64_t)i, 1);
			}
			if (i >= 0 ? fo != owner : owner != 0) {
				rp_oracle(r,
					  "model: IODOM_MAP gave domain %" PRIu64
					  " of %s 0x%" PRIx64 ", which belongs to %s",
					  dom, owner ? "a VM" : "the host", pa,
					  i >= 0 ? rp_owner_str(fo, a, sizeof(a)) : "IO");
				return;
			}
			if (md->niomaps == md->iomaps_cap) {
				md->iomaps_cap = md->iomaps_cap ? 2 * md->iomaps_cap : 64;
				md->iomaps =
					realloc(md->iomaps, md->iomaps_cap * sizeof(*md->iomaps));
				if (!md->iomaps)
					abort();
			}
			md->iomaps[md->niomaps++] = (struct rp_iomap){ (unsigned)dom, iova, pa,
								       (in[5] & KC_IO_W) != 0 };
			if (i >= 0 && owner == 0) {
				md->dma[i]++;
				rp_model_changed(md, (uint64_t)i, 1);
			}
		}
	} else if (fn == KC_HC_IODOM_UNMAP) {
		for (uint64_t p = 0; p < in[3]; p++) {
			struct rp_iomap *m = rp_iomap_find(md, (unsigned)dom, in[2] + (p << 12));
			if (!m) {
				rp_oracle(r, "model: IODOM_UNMAP of IOVA 0x%" PRIx64 ", not mapped",
					  in[2] + (p << 12));
				return;
			}
			rp_iomap_drop(md, m);
		}
	} else if (fn == KC_HC_IODOM_LOOKUP) {
		struct rp_iomap *m = rp_iomap_find(md, (unsigned)dom, in[2] & ~0xFFFull);
		if (!m || out[1] != (m->pa | (in[2] & 0xFFF)))
			rp_oracle(r, "model: IODOM_LOOKUP of 0x%" PRIx64 " said 0x%" PRIx64, in[2],
				  out[1]);
	}
}

/* Whether VM `vm` owns a live IO domain in the model. */
static bool rp_model_vm_has_dom(const struct rp_model *md, uint64_t vm)
{
	for (unsigned d = 1; d <= KC_MAX_IODOMS && vm; d++)
		if (md->dom_owner[d] != RP_DOM_FREE && (uint64_t)md->dom_owner[d] == vm)
			return true;
	return false;
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
	if (fn >= KC_HC_IODOM_ALLOC && fn <= KC_HC_SMMU_EVENT) {
		rp_model_iodom(md, in, out, r);
		return;
	}
	if ((fn == KC_HC_VM_RECLAIM || fn == KC_HC_VM_DESTROY || fn == KC_HC_EXPORT_BEGIN) &&
	    rp_model_vm_has_dom(md, in[1])) {
		rp_oracle(r,
			  "model: call 0x%" PRIx64 " on VM %" PRIu64
			  " succeeded while it owns an IO domain",
			  fn, in[1]);
		return;
	}
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
	if (k == mo && k == OWNER_HOST && frame_count(kc.frames[i]) != md->dma[i])
		return rp_oracle(r,
				 "model: host frame 0x%" PRIx64 " has %u DMA mappings in kcore's "
				 "table, %u in the model",
				 pa >> 12, frame_count(kc.frames[i]), md->dma[i]);
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

static void rp_model_settle(struct rp_model *md, struct rp_result *r);

void rp_model_compare_at(struct rp_model *md, const uint64_t *touched, unsigned ntouched,
			 struct rp_result *r)
{
	if (ntouched == ~0u || md->nchanged > RP_MODEL_CHANGED_MAX ||
	    kc.total_frames != md->nframes) {
		rp_model_compare(md, r);
		return;
	}
	for (unsigned k = 0; k < ntouched; k++)
		if (touched[k] < md->nframes && !rp_model_compare_frame(md, touched[k], r))
			return;
	for (unsigned k = 0; k < md->nchanged; k++)
		for (uint64_t i = md->changed[k].first;
		     i < md->changed[k].first + md->changed[k].n && i < md->nframes; i++)
			if (!rp_model_compare_frame(md, i, r))
				return;
	rp_model_settle(md, r);
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
			const uint16_t *mf = &md->owner[i], *md_dma = &md->dma[i];
			uint64_t diff = 0;
			for (unsigned j = 0; j < RP_COMPARE_BLOCK; j++) {
				diff |= ((kf[j] >> FRAME_OWNER_SHIFT) & FRAME_OWNER_MASK) ^ mf[j];
				/* A host frame's count is its DMA mappings (VM frames: shares). */
				diff |= mf[j] == RP_MODEL_HOST
						? (kf[j] >> FRAME_COUNT_SHIFT) ^ md_dma[j]
						: 0;
			}
			if (!diff)
				continue;
		}
		for (uint64_t j = i; j < end; j++)
			if (!rp_model_compare_frame(md, j, r))
				return;
	}
	rp_model_settle(md, r);
}

/* VM_RECLAIMs since the last compare: what each said remains, against the model. */
static void rp_model_settle(struct rp_model *md, struct rp_result *r)
{
	md->nchanged = 0;
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
