/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * model.h — the reference model of frame ownership (docs/REPLAY.md), on its
 * own so the executor's oracle (exec.c, after every operation) and the
 * concurrency stress test (tests/kcore/test_stress.c, at quiescent points)
 * judge kcore by the same rules.
 *
 * It knows only what the ABI promises (docs/ARCHITECTURE.md, "Frame
 * states"): at boot kcore's image and metadata pool are CORE and the rest
 * is HOST; a successful VM_LOAD_IMAGE_PAGE or VM_MAP_FAULT moves the named
 * host frame(s) to the VM; VM_RECLAIM moves VM frames back, scrubbed, and
 * says how many remain; nothing else changes an owner.  Compared with
 * kcore's frame table: each frame's owner must be the model's, a frame may
 * go to a VM only from the host, a destroyed VM owns nothing, VM ids are
 * the lowest free (when calls are not racing), and the host may touch a VM
 * frame only while the VM shares it.
 *
 * The model reads kcore's frame table (core/state.h) only to compare: it
 * never copies from it.  Calls must be fed in an order consistent with how
 * kcore ordered them; one caller at a time.
 */
#ifndef KCORE_REPLAY_MODEL_H
#define KCORE_REPLAY_MODEL_H

#include "replay.h"

#include <kcore_hosted/smmu.h>

#include <stdbool.h>
#include <stdint.h>

/* One page an IO domain maps, as the model has it (docs/SMMU.md). */
struct rp_iomap {
	unsigned dom;
	uint64_t iova, pa; /* pages */
	bool w;
};
#define RP_DOM_FREE	     (-1)
#define RP_MODEL_CHANGED_MAX 16u

struct rp_model {
	struct hm_machine *m;
	uint64_t ram_pfn, nframes; /* one RAM region (rp_model_init checks kcore agrees) */
	unsigned vms;		   /* kc_config.max_vms */
	uint16_t *owner;	   /* by frame index: OWNER_HOST, a VM id or OWNER_CORE */
	bool alive[KC_MAX_VMS + 1];
	/*
	 * VM_CREATE must return the lowest free id.  Only meaningful when calls
	 * are fed as they happen: a stress test whose CPUs race turns it off.
	 */
	bool ids_in_order;
	/*
	 * Frames VM_RECLAIM returned must be zero at the next compare.  Off
	 * when the host may have written them between the call and the compare.
	 */
	bool check_scrub;
	/*
	 * VM_RECLAIM does not say which frames it returned: VMs it ran on since
	 * the last compare, and how many frames each then owns (its answer,
	 * plus frames claimed since).  The compare settles them.
	 */
	bool reclaimed[KC_MAX_VMS + 1];
	uint64_t remain[KC_MAX_VMS + 1];
	/*
	 * IO domains, from the IODOM_* calls that returned OK: each domain's
	 * owner (RP_DOM_FREE, 0 = the host, else a VM id), the domain each
	 * stream is attached to (0: none), every mapped page, and per frame
	 * the host DMA mappings (compared with kcore's count of host frames).
	 */
	int dom_owner[KC_MAX_IODOMS + 1];
	unsigned stream_dom[HM_MAX_SMMUS][RP_SMMU_STREAMS];
	struct rp_iomap *iomaps;
	size_t niomaps, iomaps_cap;
	uint16_t *dma;
	/*
	 * The frames (indexes) whose owner or DMA count the model changed since
	 * the last compare, as runs, so rp_model_compare_at can look only where
	 * kcore or the model changed something; nchanged past
	 * RP_MODEL_CHANGED_MAX: more than fit, compare every frame.
	 */
	struct {
		uint64_t first, n;
	} changed[RP_MODEL_CHANGED_MAX];
	unsigned nchanged;
};

/* After kcore booted on `m` with max_vms `vms`: CORE and HOST as the boot left them. */
bool rp_model_init(struct rp_model *md, struct hm_machine *m, uint64_t ram_base, uint64_t ram_size,
		   unsigned vms, char *err, size_t err_size);
void rp_model_free(struct rp_model *md);

/* What a host call (in = x0..x6 as issued, out = as returned) means for the model. */
void rp_model_call(struct rp_model *md, const uint64_t in[7], const uint64_t out[7],
		   struct rp_result *r);
/* kcore's frame owners against the model's (an oracle failure in r if not). */
void rp_model_compare(struct rp_model *md, struct rp_result *r);
/*
 * rp_model_compare over the frames kcore changed in this operation
 * (`touched`: frame indexes from its touch log, `ntouched` of them; ~0u:
 * unknown, compare every frame) and those the model changed: the same
 * verdict as the whole compare when kcore's log is complete, which the
 * incremental checker's cross-check keeps honest (docs/FUZZING.md).
 */
void rp_model_compare_at(struct rp_model *md, const uint64_t *touched, unsigned ntouched,
			 struct rp_result *r);
/* A host access to [pa, pa + len) that succeeded: the host may touch each page. */
void rp_model_host_access(const struct rp_model *md, uint64_t pa, uint64_t len,
			  struct rp_result *r);
/*
 * What a DMA at `iova` through stream `dev` of SMMU `smmu` may reach per the
 * model: the page's mapping (NULL if the stream's domain maps nothing
 * there, or the stream has none) and the domain's owner in *owner.
 */
const struct rp_iomap *rp_model_iova(const struct rp_model *md, unsigned smmu, unsigned dev,
				     uint64_t iova, unsigned *owner);
/* The model's owner of frame `pa` (RP_MODEL_HOST for IO), for messages and checks. */
unsigned rp_model_owner_of(const struct rp_model *md, uint64_t pa, bool *ram);

/* Live VM ids per the model. */
static inline bool rp_model_alive(const struct rp_model *md, uint64_t id)
{
	return id >= 1 && id <= md->vms && md->alive[id];
}

#endif /* KCORE_REPLAY_MODEL_H */
