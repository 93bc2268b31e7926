/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device tree reading for the arm64 boot: RAM, the console UART and the
 * boot arguments.  Only libfdt and kcore headers, so a hosted test can feed
 * it trees made with libfdt's writers.
 *
 * Nothing here trusts the tree: every property length is checked before
 * use, address + size must not wrap, and anything kcore cannot describe
 * exactly (odd cell counts, a UART behind a translating bus, too many RAM
 * regions) is refused rather than guessed at.
 */
#include "arm64_fdt.h"

#include <kcore/abi.h>
#include <libfdt.h>
#include <string.h>

#define ARM64_FDT_PAGE 4096ull

static bool arm64_fdt_cells(const fdt32_t *p, int cells, uint64_t *out)
{
	if (cells == 1) {
		*out = fdt32_to_cpu(p[0]);
		return true;
	}
	if (cells == 2) {
		*out = ((uint64_t)fdt32_to_cpu(p[0]) << 32) | fdt32_to_cpu(p[1]);
		return true;
	}
	return false;
}

/* A node is usable unless its "status" says otherwise ("ok" is the old spelling). */
static bool arm64_fdt_node_ok(const void *fdt, int node)
{
	int len;
	const char *status = fdt_getprop(fdt, node, "status", &len);

	if (!status || len <= 0)
		return true;
	return strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
}

/*
 * The #address-cells/#size-cells that apply to `node`'s reg (its parent's).
 * Only 1 or 2 cells each: that covers every 32- and 64-bit tree.
 */
static int arm64_fdt_reg_cells(const void *fdt, int node, int *ac, int *sc, const char **why)
{
	int parent = fdt_parent_offset(fdt, node);

	if (parent < 0) {
		*why = "device tree: node without a parent";
		return KC_EINVAL;
	}
	*ac = fdt_address_cells(fdt, parent);
	*sc = fdt_size_cells(fdt, parent);
	if (*ac < 1 || *ac > 2 || *sc < 1 || *sc > 2) {
		*why = "device tree: #address-cells/#size-cells other than 1 or 2";
		return KC_EINVAL;
	}
	return KC_OK;
}

/* Entry `idx` of `node`'s reg; KC_ENOENT past the last one. */
static int arm64_fdt_reg(const void *fdt, int node, int idx, uint64_t *base, uint64_t *size,
			 const char **why)
{
	int ac, sc, len;
	int rc = arm64_fdt_reg_cells(fdt, node, &ac, &sc, why);
	const fdt32_t *reg;
	size_t entry;

	if (rc != KC_OK)
		return rc;
	reg = fdt_getprop(fdt, node, "reg", &len);
	if (!reg || len < 0) {
		*why = "device tree: node without a reg property";
		return KC_EINVAL;
	}
	entry = (size_t)(ac + sc) * sizeof(fdt32_t);
	if ((size_t)len % entry != 0) {
		*why = "device tree: reg length is not a whole number of entries";
		return KC_EINVAL;
	}
	if ((size_t)idx >= (size_t)len / entry)
		return KC_ENOENT;
	reg += (size_t)idx * (size_t)(ac + sc);
	arm64_fdt_cells(reg, ac, base);
	arm64_fdt_cells(reg + ac, sc, size);
	if (*size == 0 || *base + *size < *base) {
		*why = "device tree: reg entry that is empty or wraps around";
		return KC_EINVAL;
	}
	return KC_OK;
}

static int arm64_fdt_memory(const void *fdt, struct arm64_fdt_info *info, const char **why)
{
	static const char memory[] = "memory";
	int node = -1;

	info->nram = 0;
	for (;;) {
		node = fdt_node_offset_by_prop_value(fdt, node, "device_type", memory,
						     sizeof(memory));
		if (node == -FDT_ERR_NOTFOUND)
			break;
		if (node < 0) {
			*why = "device tree: malformed while looking for memory nodes";
			return KC_EINVAL;
		}
		if (!arm64_fdt_node_ok(fdt, node))
			continue;
		for (int i = 0;; i++) {
			uint64_t base, size, start, end;
			int rc = arm64_fdt_reg(fdt, node, i, &base, &size, why);

			if (rc == KC_ENOENT)
				break;
			if (rc != KC_OK)
				return rc;
			/* Whole pages only: kcore maps and owns RAM by 4 KiB frame. */
			start = (base + ARM64_FDT_PAGE - 1) & ~(ARM64_FDT_PAGE - 1);
			end = (base + size) & ~(ARM64_FDT_PAGE - 1);
			if (start < base || end <= start)
				continue;
			if (info->nram == KC_MAX_RAM_REGIONS) {
				*why = "device tree: more RAM regions than KC_MAX_RAM_REGIONS";
				return KC_EINVAL;
			}
			info->ram[info->nram].base = start;
			info->ram[info->nram].size = end - start;
			info->nram++;
		}
	}
	if (info->nram == 0) {
		*why = "device tree: no usable memory node";
		return KC_EINVAL;
	}
	return KC_OK;
}

/*
 * kcore maps the UART at its reg address, which is a CPU physical address
 * only if no bus in between translates: every ancestor below the root must
 * have an empty "ranges" (identity).
 */
static bool arm64_fdt_untranslated(const void *fdt, int node)
{
	for (int p = fdt_parent_offset(fdt, node); p > 0; p = fdt_parent_offset(fdt, p)) {
		int len;

		if (!fdt_getprop(fdt, p, "ranges", &len) || len != 0)
			return false;
	}
	return true;
}

/* The /chosen stdout-path node ("path[:options]" or an alias), if it is a PL011. */
static int arm64_fdt_stdout_uart(const void *fdt, int chosen)
{
	int len, node;
	const char *path;
	const char *colon;

	if (chosen < 0)
		return -FDT_ERR_NOTFOUND;
	path = fdt_getprop(fdt, chosen, "stdout-path", &len);
	if (!path || len <= 0 || path[len - 1] != '\0')
		return -FDT_ERR_NOTFOUND;
	colon = strchr(path, ':');
	node = fdt_path_offset_namelen(fdt, path, colon ? (int)(colon - path) : len - 1);
	if (node < 0 || fdt_node_check_compatible(fdt, node, "arm,pl011") != 0)
		return -FDT_ERR_NOTFOUND;
	return node;
}

static int arm64_fdt_uart(const void *fdt, int chosen, struct arm64_fdt_info *info,
			  const char **why)
{
	int node = arm64_fdt_stdout_uart(fdt, chosen);
	int rc;

	if (node < 0 || !arm64_fdt_node_ok(fdt, node)) {
		node = -1;
		do {
			node = fdt_node_offset_by_compatible(fdt, node, "arm,pl011");
		} while (node >= 0 && !arm64_fdt_node_ok(fdt, node));
	}
	if (node < 0) {
		*why = "device tree: no \"arm,pl011\" UART";
		return KC_EINVAL;
	}
	if (!arm64_fdt_untranslated(fdt, node)) {
		*why = "device tree: the UART sits behind a bus that translates addresses";
		return KC_EINVAL;
	}
	rc = arm64_fdt_reg(fdt, node, 0, &info->uart_base, &info->uart_size, why);
	if (rc == KC_ENOENT) {
		*why = "device tree: the UART has an empty reg";
		return KC_EINVAL;
	}
	return rc;
}

/*
 * The CPUs: every /cpus child with device_type "cpu", its reg the MPIDR
 * affinity (1 or 2 cells).  No /cpus at all leaves ncpus = 0 (the boot
 * CPU alone); more CPUs than kcore has room for is refused.
 */
static int arm64_fdt_cpus(const void *fdt, struct arm64_fdt_info *info, const char **why)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node, ac;

	info->ncpus = 0;
	if (cpus < 0)
		return KC_OK;
	ac = fdt_address_cells(fdt, cpus);
	if (ac < 1 || ac > 2) {
		*why = "device tree: /cpus #address-cells other than 1 or 2";
		return KC_EINVAL;
	}
	fdt_for_each_subnode(node, fdt, cpus)
	{
		int len;
		const char *type = fdt_getprop(fdt, node, "device_type", &len);
		const fdt32_t *reg;
		uint64_t mpidr;

		if (!type || len != 4 || memcmp(type, "cpu", 4) != 0 ||
		    !arm64_fdt_node_ok(fdt, node))
			continue;
		reg = fdt_getprop(fdt, node, "reg", &len);
		if (!reg || len != ac * 4 || !arm64_fdt_cells(reg, ac, &mpidr)) {
			*why = "device tree: a cpu node without a usable reg";
			return KC_EINVAL;
		}
		if (info->ncpus == ARM64_MAX_CPUS) {
			*why = "device tree: more CPUs than kcore supports (ARM64_MAX_CPUS)";
			return KC_EINVAL;
		}
		info->cpu_mpidr[info->ncpus++] = mpidr;
	}
	return KC_OK;
}

#define ARM64_FDT_SMMU "arm,smmu-v3"

/*
 * The SMMUv3s kcore drives: every usable "arm,smmu-v3" node, its first
 * reg entry its registers (both 64 KiB pages), at a CPU physical address.
 */
static int arm64_fdt_smmus(const void *fdt, struct arm64_fdt_info *info, const char **why)
{
	int node = -1;

	info->nsmmus = 0;
	for (;;) {
		uint64_t base, size;
		int rc;

		node = fdt_node_offset_by_compatible(fdt, node, ARM64_FDT_SMMU);
		if (node == -FDT_ERR_NOTFOUND)
			return KC_OK;
		if (node < 0) {
			*why = "device tree: malformed while looking for SMMUs";
			return KC_EINVAL;
		}
		if (!arm64_fdt_node_ok(fdt, node))
			continue;
		if (!arm64_fdt_untranslated(fdt, node)) {
			*why = "device tree: an SMMU sits behind a bus that translates addresses";
			return KC_EINVAL;
		}
		rc = arm64_fdt_reg(fdt, node, 0, &base, &size, why);
		if (rc == KC_ENOENT) {
			*why = "device tree: an SMMU with an empty reg";
			return KC_EINVAL;
		}
		if (rc != KC_OK)
			return rc;
		if ((base | size) & (ARM64_FDT_PAGE - 1)) {
			*why = "device tree: an SMMU's registers are not whole pages";
			return KC_EINVAL;
		}
		if (info->nsmmus == KC_MAX_SMMUS) {
			*why = "device tree: more SMMUs than KC_MAX_SMMUS";
			return KC_EINVAL;
		}
		info->smmu[info->nsmmus].base = base;
		info->smmu[info->nsmmus].size = size;
		info->nsmmus++;
	}
}

int arm64_fdt_parse(const void *fdt, struct arm64_fdt_info *info, const char **why)
{
	int chosen, len, rc;
	const char *args;

	*why = "";
	if (fdt_check_header(fdt) != 0) {
		*why = "device tree: bad header (magic, version or sizes)";
		return KC_EINVAL;
	}
	rc = arm64_fdt_memory(fdt, info, why);
	if (rc != KC_OK)
		return rc;
	rc = arm64_fdt_cpus(fdt, info, why);
	if (rc != KC_OK)
		return rc;
	rc = arm64_fdt_smmus(fdt, info, why);
	if (rc != KC_OK)
		return rc;
	chosen = fdt_path_offset(fdt, "/chosen");
	rc = arm64_fdt_uart(fdt, chosen, info, why);
	if (rc != KC_OK)
		return rc;
	info->bootargs = "";
	args = chosen >= 0 ? fdt_getprop(fdt, chosen, "bootargs", &len) : NULL;
	if (args && len > 0 && args[len - 1] == '\0')
		info->bootargs = args;
	return KC_OK;
}

bool arm64_fdt_bootarg_has(const char *bootargs, const char *arg)
{
	size_t n = strlen(arg);
	const char *p = bootargs;

	while (*p) {
		size_t w = 0;

		while (*p == ' ')
			p++;
		while (p[w] && p[w] != ' ')
			w++;
		if (w == n && memcmp(p, arg, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/* Append a 2-cell big-endian value to a reg property under construction. */
static void arm64_fdt_put64(fdt32_t *out, uint64_t v)
{
	out[0] = cpu_to_fdt32((uint32_t)(v >> 32));
	out[1] = cpu_to_fdt32((uint32_t)v);
}

/*
 * /reserved-memory, made if missing.  An existing one must use 2 address
 * and 2 size cells (what QEMU and every 64-bit firmware write): kcore
 * will not guess how to squeeze its ranges into other cell counts.
 */
static int arm64_fdt_resmem(void *fdt, const char **why)
{
	int node = fdt_path_offset(fdt, "/reserved-memory");
	fdt32_t two = cpu_to_fdt32(2);

	if (node >= 0) {
		if (fdt_address_cells(fdt, node) != 2 || fdt_size_cells(fdt, node) != 2) {
			*why = "device tree: /reserved-memory without 2 address and 2 size cells";
			return -1;
		}
		return node;
	}
	node = fdt_add_subnode(fdt, 0, "reserved-memory");
	if (node < 0 || fdt_setprop(fdt, node, "#address-cells", &two, sizeof(two)) ||
	    fdt_setprop(fdt, node, "#size-cells", &two, sizeof(two)) ||
	    fdt_setprop(fdt, node, "ranges", NULL, 0)) {
		*why = "device tree: no room for /reserved-memory";
		return -1;
	}
	return node;
}

int arm64_fdt_reserve(void *fdt, size_t bufsize, const struct kc_region *regions, unsigned n,
		      const char **why)
{
	static const char hex[] = "0123456789abcdef";
	int parent;

	*why = "";
	if (fdt_check_header(fdt) != 0) {
		*why = "device tree: bad header (magic, version or sizes)";
		return KC_EINVAL;
	}
	if (fdt_open_into(fdt, fdt, (int)bufsize) != 0) {
		*why = "device tree: no room to grow it in place";
		return KC_ENOMEM;
	}
	parent = arm64_fdt_resmem(fdt, why);
	if (parent < 0)
		return KC_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		/* "kcore@<base in hex>": unit addresses are hex without 0x. */
		char name[6 + 16 + 1] = "kcore@";
		fdt32_t reg[4];
		unsigned len = 6;
		int node, shift = 60;

		while (shift > 0 && ((regions[i].base >> shift) & 0xf) == 0)
			shift -= 4;
		for (; shift >= 0; shift -= 4)
			name[len++] = hex[(regions[i].base >> shift) & 0xf];
		name[len] = '\0';
		arm64_fdt_put64(&reg[0], regions[i].base);
		arm64_fdt_put64(&reg[2], regions[i].size);
		node = fdt_add_subnode(fdt, parent, name);
		if (node < 0 || fdt_setprop(fdt, node, "reg", reg, sizeof(reg)) ||
		    fdt_setprop(fdt, node, "no-map", NULL, 0)) {
			*why = "device tree: no room for kcore's /reserved-memory nodes";
			return KC_ENOMEM;
		}
	}
	if (fdt_pack(fdt) != 0) {
		*why = "device tree: fdt_pack failed";
		return KC_EINVAL;
	}
	return KC_OK;
}

/* Does property `name` of `node` name an SMMU phandle in cell `cell` of each `stride`? */
static bool arm64_fdt_names_smmu(const void *fdt, int node, const char *name, int cell, int stride)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len <= 0)
		return false;
	for (int i = cell; (i + 1) * 4 <= len; i += stride) {
		int target = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(p[i]));

		if (target >= 0 && fdt_node_check_compatible(fdt, target, ARM64_FDT_SMMU) == 0)
			return true;
	}
	return false;
}

int arm64_fdt_hide_smmus(void *fdt, size_t bufsize, const char **why)
{
	int node;

	*why = "";
	if (fdt_check_header(fdt) != 0) {
		*why = "device tree: bad header (magic, version or sizes)";
		return KC_EINVAL;
	}
	if (fdt_open_into(fdt, fdt, (int)bufsize) != 0) {
		*why = "device tree: no room to grow it in place";
		return KC_ENOMEM;
	}
	/*
	 * References first (the phandles still resolve to SMMU nodes), one
	 * property at a time; deleting shifts offsets, so restart the walk.
	 * iommu-map is <rid-base iommu iommu-base length>: the phandle is
	 * cell 1 of 4; iommus is <phandle specifier...>: only a one-cell
	 * specifier is checked per entry, which is what "arm,smmu-v3" uses.
	 */
	for (node = fdt_next_node(fdt, -1, NULL); node >= 0;) {
		if (arm64_fdt_names_smmu(fdt, node, "iommu-map", 1, 4)) {
			if (fdt_delprop(fdt, node, "iommu-map") ||
			    (fdt_getprop(fdt, node, "iommu-map-mask", NULL) &&
			     fdt_delprop(fdt, node, "iommu-map-mask")))
				goto bad;
			node = fdt_next_node(fdt, -1, NULL);
			continue;
		}
		if (arm64_fdt_names_smmu(fdt, node, "iommus", 0, 2)) {
			if (fdt_delprop(fdt, node, "iommus"))
				goto bad;
			node = fdt_next_node(fdt, -1, NULL);
			continue;
		}
		node = fdt_next_node(fdt, node, NULL);
	}
	for (node = fdt_node_offset_by_compatible(fdt, -1, ARM64_FDT_SMMU); node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, ARM64_FDT_SMMU)) {
		if (fdt_setprop_string(fdt, node, "status", "disabled")) {
			*why = "device tree: no room to disable the SMMU nodes";
			return KC_ENOMEM;
		}
	}
	if (fdt_pack(fdt) != 0) {
		*why = "device tree: fdt_pack failed";
		return KC_EINVAL;
	}
	return KC_OK;
bad:
	*why = "device tree: could not remove an SMMU reference";
	return KC_EINVAL;
}
