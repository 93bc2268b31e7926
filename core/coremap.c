/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's own EL2 map, built from the boot layout.  Identity (VA = PA):
 * kcore text read+execute, every other RAM byte read+write and never
 * executable, devices read+write Device-nGnRE.  W^X holds from the first
 * instruction run with the MMU on.
 *
 * The layout comes from the platform (the DTB on arm64), so it is checked
 * like any other input: a malformed one is refused, not trusted.
 */
#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore/printf.h>

static bool region_ok(const struct kc_region *r)
{
	return r->size && !((r->base | r->size) & (PGT_PAGE_SIZE - 1)) &&
	       r->base + r->size > r->base && r->base + r->size <= (1ull << PGT_IA_BITS);
}

static bool region_inside(const struct kc_region *in, const struct kc_region *out)
{
	return in->base >= out->base && in->base + in->size <= out->base + out->size;
}

static bool regions_overlap(const struct kc_region *a, const struct kc_region *b)
{
	return a->base < b->base + b->size && b->base < a->base + a->size;
}

static bool inside_ram(const struct kc_boot_layout *l, const struct kc_region *r)
{
	for (unsigned i = 0; i < l->nram; i++)
		if (region_inside(r, &l->ram[i]))
			return true;
	return false;
}

static bool layout_valid(const struct kc_boot_layout *l)
{
	if (l->nram < 1 || l->nram > KC_MAX_RAM_REGIONS || l->ndevices > KC_MAX_DEVICES)
		return false;
	/* Only listed devices can be shared (ndevices <= 8: the shift is defined). */
	if (l->devices_host_shared >> l->ndevices)
		return false;
	for (unsigned i = 0; i < l->nram; i++) {
		if (!region_ok(&l->ram[i]))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (regions_overlap(&l->ram[i], &l->ram[j]))
				return false;
	}
	for (unsigned i = 0; i < l->ndevices; i++) {
		if (!region_ok(&l->devices[i]))
			return false;
		for (unsigned j = 0; j < l->nram; j++)
			if (regions_overlap(&l->devices[i], &l->ram[j]))
				return false;
		for (unsigned j = 0; j < i; j++)
			if (regions_overlap(&l->devices[i], &l->devices[j]))
				return false;
	}
	/*
	 * Each SMMU's registers are one of kcore's devices, never shared with
	 * the host (it would program the SMMU around kcore), and one SMMU's only.
	 */
	if (l->nsmmus > KC_MAX_SMMUS)
		return false;
	for (unsigned i = 0; i < l->nsmmus; i++) {
		const struct kc_smmu_desc *d = &l->smmus[i];
		if (d->device >= l->ndevices || ((l->devices_host_shared >> d->device) & 1) ||
		    d->nstreams < 1 || d->nstreams > KC_SMMU_MAX_STREAMS || d->ia_bits < 32 ||
		    d->ia_bits > PGT_IA_BITS)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (l->smmus[j].device == d->device)
				return false;
	}
	return region_ok(&l->image) && region_ok(&l->text) && region_ok(&l->pool) &&
	       region_inside(&l->text, &l->image) && inside_ram(l, &l->image) &&
	       inside_ram(l, &l->pool) && !regions_overlap(&l->pool, &l->text);
}

/* Map [base, end) of RAM read+write, never executable; empty is fine. */
static int map_data(struct pgt *map, uint64_t base, uint64_t end)
{
	if (end <= base)
		return KC_OK;
	return pgt_map_range(map, base, base, end - base, PGT_PROT_R | PGT_PROT_W);
}

int kcore_coremap_build(const struct kc_boot_layout *l, struct pgt_pool *pool, struct pgt *map)
{
	/* The table pages must be kcore's: inside the layout's pool. */
	if (!layout_valid(l) || pool->base < l->pool.base ||
	    pool->npages > l->pool.size / PGT_PAGE_SIZE ||
	    pool->base - l->pool.base > l->pool.size - pool->npages * PGT_PAGE_SIZE)
		return KC_EINVAL;

	int rc = pgt_init(map, PGT_S1_EL2, 0, pool);
	if (rc)
		return rc;
	const struct kc_region *t = &l->text;
	for (unsigned i = 0; i < l->nram && !rc; i++) {
		const struct kc_region *r = &l->ram[i];
		uint64_t end = r->base + r->size;
		if (region_inside(t, r)) {
			rc = map_data(map, r->base, t->base);
			if (!rc)
				rc = pgt_map_range(map, t->base, t->base, t->size,
						   PGT_PROT_R | PGT_PROT_X);
			if (!rc)
				rc = map_data(map, t->base + t->size, end);
		} else {
			rc = map_data(map, r->base, end);
		}
	}
	for (unsigned i = 0; i < l->ndevices && !rc; i++)
		rc = pgt_map_range(map, l->devices[i].base, l->devices[i].base, l->devices[i].size,
				   PGT_PROT_R | PGT_PROT_W | PGT_PROT_DEVICE);
	if (rc)
		pgt_destroy(map); /* boot only: nothing has used the map yet */
	return rc;
}

static void print_region(const char *what, const struct kc_region *r)
{
	kc_printf("  %-8s 0x%012llx-0x%012llx %8llu KiB\n", what, (unsigned long long)r->base,
		  (unsigned long long)(r->base + r->size - 1), (unsigned long long)(r->size >> 10));
}

void kcore_print_layout(const struct kc_boot_layout *l)
{
	kc_printf("memory map:\n");
	for (unsigned i = 0; i < l->nram && i < KC_MAX_RAM_REGIONS; i++)
		print_region("ram", &l->ram[i]);
	for (unsigned i = 0; i < l->ndevices && i < KC_MAX_DEVICES; i++)
		print_region("device", &l->devices[i]);
	print_region("image", &l->image);
	print_region("text", &l->text);
	print_region("pool", &l->pool);
}
