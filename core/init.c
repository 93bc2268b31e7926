/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore_init: take over a machine.  Lays out kcore's metadata in the
 * platform-provided pool of frames,
 *
 *     layout->pool:  [frame table][core pool][host pool][VM pool 1]...[VM pool n]
 *                    [IO domain pool 1]...[IO domain pool m]
 *
 * marks kcore's frames CORE before any host stage-2 entry exists (SeKVM's
 * W15: everything of kcore's, image included, is CORE from the start), and
 * builds the EL2 core map.  Every size is derived from the layout and the
 * config here, in one place.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>
#include <stddef.h>

#include "ioclaim.h"
#include "state.h"
#include "vm.h"

struct kcore kc;

/* Core-map tables for the identity part: root, L1s and the split edges. */
#define COREMAP_TABLES_BOUND (2 + KC_MAX_RAM_REGIONS * 6 + KC_MAX_DEVICES * 3 + 6)
/* The window lives in one 512 GiB L0 slot: its L1 and L2s plus L3s. */
#define WINDOW_MAX_PAGES     (1ull << 26) /* 256 GiB of image pages, ever */

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

struct init_sizes {
	uint64_t frames;      /* RAM frames in all regions */
	uint64_t table_pages; /* frame table */
	uint64_t core_pages;
	uint64_t host_pages;
	uint64_t vm_pages;    /* all VM pools */
	uint64_t iodom_pages; /* all IO domain pools (core/iodom.c) */
};

static void init_sizes(const struct kc_boot_layout *l, const struct kc_config *cfg,
		       struct init_sizes *s)
{
	s->frames = 0;
	for (unsigned i = 0; i < l->nram && i < KC_MAX_RAM_REGIONS; i++)
		s->frames += l->ram[i].size >> PGT_PAGE_SHIFT;
	s->table_pages = div_up(s->frames * sizeof(frame_t), PGT_PAGE_SIZE);
	s->core_pages = COREMAP_TABLES_BOUND + 2 + div_up(cfg->remap_pages, 512) +
			div_up(cfg->remap_pages, 512 * 512);
	/*
	 * The host maps RAM 4 KiB at a time: per region, one L3 per 2 MiB, one
	 * L2 per GiB and an L1 per 512 GiB, each plus one for an unaligned
	 * edge; the root; and the IO share (KC_HOST_IO_TABLES).
	 */
	s->host_pages = 1 + KC_HOST_IO_TABLES;
	for (unsigned i = 0; i < l->nram && i < KC_MAX_RAM_REGIONS; i++) {
		uint64_t pages = l->ram[i].size >> PGT_PAGE_SHIFT;
		s->host_pages += div_up(pages, 512) + 1 + div_up(pages, 512 * 512) + 1 +
				 div_up(pages, 512ull * 512 * 512) + 1;
	}
	s->vm_pages = (uint64_t)cfg->max_vms * cfg->vm_pool_pages;
	s->iodom_pages = (uint64_t)cfg->max_iodoms * cfg->iodom_pool_pages;
}

uint64_t kcore_core_bytes(const struct kc_boot_layout *l, const struct kc_config *cfg)
{
	struct init_sizes s;

	init_sizes(l, cfg, &s);
	return (s.table_pages + s.core_pages + s.host_pages + s.vm_pages + s.iodom_pages)
	       << PGT_PAGE_SHIFT;
}

/* Whether r reaches into the window's VA space (a wrapping r is refused either way). */
static bool init_in_window(const struct kc_region *r)
{
	return r->base >= KC_REMAP_BASE || r->base + r->size > KC_REMAP_BASE;
}

static bool config_valid(const struct kc_boot_layout *l, const struct kc_config *cfg)
{
	if (cfg->ncpus < 1 || cfg->ncpus > KC_MAX_CPUS || cfg->max_vms < 1 ||
	    cfg->max_vms > KC_MAX_VMS || cfg->vm_pool_pages < 4 ||
	    cfg->vm_pool_pages > (1u << 20) || cfg->remap_pages > WINDOW_MAX_PAGES ||
	    cfg->ntrusted_keys > KC_MAX_TRUSTED_KEYS || cfg->max_iodoms > KC_MAX_IODOMS)
		return false;
	/* A domain's pool holds its root and one path of tables, at least. */
	if (cfg->max_iodoms && (cfg->iodom_pool_pages < 4 || cfg->iodom_pool_pages > (1u << 20)))
		return false;
	for (unsigned i = 0; i < cfg->ntrusted_keys; i++)
		if (cfg->trusted_keys[i][0] != 0x04) /* uncompressed points only */
			return false;
	/*
	 * Nothing of the machine may sit where the window goes: from
	 * KC_REMAP_BASE up, EL2's VA space is the window's (the checker takes
	 * every core-map entry there for a window slot), not only the part
	 * remap_pages will use.
	 */
	for (unsigned i = 0; i < l->nram && i < KC_MAX_RAM_REGIONS; i++)
		if (init_in_window(&l->ram[i]))
			return false;
	for (unsigned i = 0; i < l->ndevices && i < KC_MAX_DEVICES; i++)
		if (init_in_window(&l->devices[i]))
			return false;
	return true;
}

static void mark_core(kc_paddr_t base, uint64_t size)
{
	uint64_t n = size >> PGT_PAGE_SHIFT;
	/* Inside one RAM region: kcore_coremap_build checked the layout. */
	frame_t *f = frame_run_locked(base, n);

	if (!f)
		plat_panic("kcore_init: kcore's image or pool is not inside one RAM region");
	for (uint64_t i = 0; i < n; i++) {
		if (frame_owner(f[i]) != OWNER_CORE) { /* the image and the pool may overlap */
			frame_set(&f[i], frame_make(OWNER_CORE, 0, 0));
			kc.core_frames++;
		}
	}
}

int kcore_init(const struct kc_boot_layout *l, const struct kc_config *cfg)
{
	struct init_sizes s;

	/* kcore_coremap_build validates the layout itself; check what it can't. */
	if (l->nram < 1 || l->nram > KC_MAX_RAM_REGIONS || l->ndevices > KC_MAX_DEVICES ||
	    !config_valid(l, cfg))
		return KC_EINVAL;
	init_sizes(l, cfg, &s);
	uint64_t need = s.table_pages + s.core_pages + s.host_pages + s.vm_pages + s.iodom_pages;
	if ((l->pool.size >> PGT_PAGE_SHIFT) < need)
		return KC_ENOMEM;

	/* Every field, and the VM slots this config can use (a fuzzer boots per input). */
	memset(&kc, 0, offsetof(struct kcore, vms));
	touch_reset(); /* recording off, no baseline: the first check walks everything */
	memset(kc.vms, 0, (cfg->max_vms + 1) * sizeof(kc.vms[0]));
	ioclaim_reset();
	kc.cfg = *cfg;
	kc.layout = *l;
	lock_init(&kc.frames_lock, LOCK_CLASS_FRAMES);
	lock_init(&kc.core_lock, LOCK_CLASS_CORE);
	lock_init(&kc.smmu_lock, LOCK_CLASS_SMMU);
	lock_order_reset();
	/*
	 * The root of every export key (core/xfer.c): fresh each boot, never
	 * leaves kcore.  RNDR may fail for a while when entropy runs short
	 * (Armv8.5 says retry), so a few tries; then kcore does not start
	 * rather than derive keys from nothing.
	 */
	bool root = false;
	for (unsigned i = 0; i < 4 && !root; i++)
		root = plat_entropy(kc.xfer_root, sizeof(kc.xfer_root));
	if (!root)
		return KC_EBUSY;
	kc.xfer_next_sid = 1;

	kc_paddr_t at = l->pool.base;
	kc.frames = plat_phys_to_virt(at);
	at += s.table_pages << PGT_PAGE_SHIFT;
	pgt_pool_init(&kc.core_pool, at, s.core_pages);
	at += s.core_pages << PGT_PAGE_SHIFT;
	pgt_pool_init(&kc.host_pool, at, s.host_pages);
	at += s.host_pages << PGT_PAGE_SHIFT;
	kc.vm_pools = at;
	at += s.vm_pages << PGT_PAGE_SHIFT;
	kc.iodom_pools = at;

	int rc = kcore_coremap_build(l, &kc.core_pool, &kc.coremap);
	if (rc)
		return rc;
	/* IOVAs every SMMU translates; no SMMU (or no domain) turns the calls off. */
	kc.iova_limit = 0;
	for (unsigned i = 0; i < l->nsmmus && cfg->max_iodoms; i++) {
		uint64_t lim = 1ull
			       << l->smmus[i].ia_bits; /* 32..48: kcore_coremap_build checked */
		if (!kc.iova_limit || lim < kc.iova_limit)
			kc.iova_limit = lim;
	}

	uint64_t first = 0;
	for (unsigned i = 0; i < l->nram; i++) {
		kc.ram[i].base = l->ram[i].base;
		kc.ram[i].npages = l->ram[i].size >> PGT_PAGE_SHIFT;
		kc.ram[i].first = first;
		first += kc.ram[i].npages;
	}
	kc.nram = l->nram;
	kc.total_frames = first;
	/* Every frame starts as the host's (owner 0, count 0, gfn 0)... */
	memset(kc.frames, 0, s.frames * sizeof(frame_t));
	/* ...except kcore's own, which no host table will ever map. */
	lock_acquire(&kc.frames_lock);
	mark_core(l->image.base, l->image.size);
	mark_core(l->pool.base, need << PGT_PAGE_SHIFT);
	lock_release(&kc.frames_lock);

	rc = pgt_init(&kc.host_s2, PGT_S2, 0, &kc.host_pool);
	if (rc)
		return rc;
	for (unsigned id = 1; id <= cfg->max_vms; id++) {
		lock_init(&kc.vms[id].lock, LOCK_CLASS_VM);
		kc.vms[id].id = (uint16_t)id;
	}
	kc.up = true;
	hc_open_calls();
	return KC_OK;
}

const struct pgt *kcore_coremap(void)
{
	return &kc.coremap;
}

kc_paddr_t kcore_host_s2_root(void)
{
	return kc.host_s2.root;
}

const struct pgt *kcore_host_s2(void)
{
	return &kc.host_s2;
}
