/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/arm64/fdt.c on the host: the device tree is firmware input, so
 * every way it can be odd or wrong is tried here with trees built by
 * libfdt's own writers — plus QEMU virt's real tree, dumped at build time
 * (argv[1]) — instead of only the one tree the QEMU boot test sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "arm64_fdt.h"
#include <kcore/abi.h>

static const char *qemu_dtb_path, *qemu_smmu_dtb_path;

/* A small tree-building vocabulary over libfdt's sequential writer. */
struct tree {
	char buf[8192];
};

static void t_begin(struct tree *t, int ac, int sc)
{
	assert_int_equal(fdt_create(t->buf, sizeof(t->buf)), 0);
	assert_int_equal(fdt_finish_reservemap(t->buf), 0);
	assert_int_equal(fdt_begin_node(t->buf, ""), 0);
	assert_int_equal(fdt_property_u32(t->buf, "#address-cells", (uint32_t)ac), 0);
	assert_int_equal(fdt_property_u32(t->buf, "#size-cells", (uint32_t)sc), 0);
}

static void t_end(struct tree *t)
{
	assert_int_equal(fdt_end_node(t->buf), 0);
	assert_int_equal(fdt_finish(t->buf), 0);
}

/* A reg of n (base, size) pairs in `cells`-wide numbers (1 or 2). */
static void t_reg(struct tree *t, int cells, const uint64_t *pairs, int n)
{
	fdt32_t v[4 * (KC_MAX_RAM_REGIONS + 1)];
	assert_true(n <= KC_MAX_RAM_REGIONS + 1);
	int k = 0;
	for (int i = 0; i < 2 * n; i++) {
		if (cells == 2)
			v[k++] = cpu_to_fdt32((uint32_t)(pairs[i] >> 32));
		v[k++] = cpu_to_fdt32((uint32_t)pairs[i]);
	}
	assert_int_equal(fdt_property(t->buf, "reg", v, k * (int)sizeof(fdt32_t)), 0);
}

static void t_memory(struct tree *t, const char *name, int cells, const uint64_t *pairs, int n)
{
	assert_int_equal(fdt_begin_node(t->buf, name), 0);
	assert_int_equal(fdt_property_string(t->buf, "device_type", "memory"), 0);
	t_reg(t, cells, pairs, n);
	assert_int_equal(fdt_end_node(t->buf), 0);
}

static void t_uart(struct tree *t, const char *name, int cells, uint64_t base, const char *status)
{
	uint64_t reg[2] = { base, 0x1000 };
	assert_int_equal(fdt_begin_node(t->buf, name), 0);
	static const char compatible[] = "arm,pl011\0arm,primecell";
	assert_int_equal(fdt_property(t->buf, "compatible", compatible, sizeof(compatible)), 0);
	t_reg(t, cells, reg, 1);
	if (status)
		assert_int_equal(fdt_property_string(t->buf, "status", status), 0);
	assert_int_equal(fdt_end_node(t->buf), 0);
}

static void t_chosen(struct tree *t, const char *bootargs, const char *stdout_path)
{
	assert_int_equal(fdt_begin_node(t->buf, "chosen"), 0);
	if (bootargs)
		assert_int_equal(fdt_property_string(t->buf, "bootargs", bootargs), 0);
	if (stdout_path)
		assert_int_equal(fdt_property_string(t->buf, "stdout-path", stdout_path), 0);
	assert_int_equal(fdt_end_node(t->buf), 0);
}

/* The usual shape: 64-bit cells, 1 GiB at 1 GiB, a PL011. */
static void t_usual(struct tree *t, const char *bootargs)
{
	uint64_t mem[2] = { 0x40000000, 0x40000000 };
	t_begin(t, 2, 2);
	t_memory(t, "memory@40000000", 2, mem, 1);
	t_uart(t, "pl011@9000000", 2, 0x9000000, NULL);
	t_chosen(t, bootargs, NULL);
	t_end(t);
}

static int parse(const struct tree *t, struct arm64_fdt_info *info, const char **why)
{
	return arm64_fdt_parse(t->buf, info, why);
}

static void test_usual_tree(void **state)
{
	(void)state;
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;

	t_usual(&t, "console=ttyAMA0 kcore.selftest=fault");
	assert_int_equal(parse(&t, &info, &why), KC_OK);
	assert_int_equal(info.nram, 1);
	assert_int_equal(info.ram[0].base, 0x40000000);
	assert_int_equal(info.ram[0].size, 0x40000000);
	assert_int_equal(info.uart_base, 0x9000000);
	assert_int_equal(info.uart_size, 0x1000);
	assert_string_equal(info.bootargs, "console=ttyAMA0 kcore.selftest=fault");
	assert_true(arm64_fdt_bootarg_has(info.bootargs, "kcore.selftest=fault"));
	assert_false(arm64_fdt_bootarg_has(info.bootargs, "kcore.selftest"));
	assert_false(arm64_fdt_bootarg_has(info.bootargs, "selftest=fault"));
	assert_false(arm64_fdt_bootarg_has("", "x"));
}

static void test_several_memory_regions_and_32bit_cells(void **state)
{
	(void)state;
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;
	/* One node with two entries, another node, unaligned edges trimmed. */
	uint64_t a[4] = { 0x40000000, 0x10000000, 0x60000800, 0x100000 };
	uint64_t b[2] = { 0x80000000, 0x2000 };

	t_begin(&t, 1, 1);
	t_memory(&t, "memory@40000000", 1, a, 2);
	t_memory(&t, "memory@80000000", 1, b, 1);
	t_uart(&t, "pl011@9000000", 1, 0x9000000, NULL);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_OK);
	assert_int_equal(info.nram, 3);
	assert_int_equal(info.ram[1].base, 0x60001000); /* rounded up */
	assert_int_equal(info.ram[1].size, 0xff000);	/* end rounded down */
	assert_int_equal(info.ram[2].base, 0x80000000);
	assert_string_equal(info.bootargs, ""); /* no /chosen */
}

static void test_refusals(void **state)
{
	(void)state;
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;
	uint64_t mem[2] = { 0x40000000, 0x40000000 };
	uint64_t wrap[2] = { 0xfffffffffffff000ull, 0x2000 };
	uint64_t tiny[2] = { 0x40000800, 0x400 }; /* not one whole page */

	/* No memory node. */
	t_begin(&t, 2, 2);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_string_equal(why, "device tree: no usable memory node");

	/* Memory with no whole page. */
	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000800", 2, tiny, 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);

	/* A region that wraps around 2^64. */
	t_begin(&t, 2, 2);
	t_memory(&t, "memory@0", 2, wrap, 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "wraps"));

	/* No UART, or only a disabled one. */
	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, mem, 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, "disabled");
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "pl011"));

	/* Cells other than 1 or 2. */
	t_begin(&t, 3, 2);
	t_memory(&t, "memory@40000000", 2, mem, 1);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);

	/* More RAM regions than kcore tracks. */
	uint64_t many[2 * (KC_MAX_RAM_REGIONS + 1)];
	for (int i = 0; i <= KC_MAX_RAM_REGIONS; i++) {
		many[2 * i] = 0x40000000ull + (uint64_t)i * 0x100000;
		many[2 * i + 1] = 0x1000;
	}
	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, many, KC_MAX_RAM_REGIONS + 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "KC_MAX_RAM_REGIONS"));

	/* Not a device tree at all. */
	memset(t.buf, 0xa5, sizeof(t.buf));
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "bad header"));
}

static void test_stdout_path_picks_the_console(void **state)
{
	(void)state;
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;
	uint64_t mem[2] = { 0x40000000, 0x40000000 };

	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, mem, 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	t_uart(&t, "pl011@9040000", 2, 0x9040000, NULL);
	t_chosen(&t, NULL, "/pl011@9040000:115200n8");
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_OK);
	assert_int_equal(info.uart_base, 0x9040000);
}

static void test_uart_behind_a_translating_bus(void **state)
{
	(void)state;
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;
	uint64_t mem[2] = { 0x40000000, 0x40000000 };
	fdt32_t ranges[6] = { 0, 0, 0, cpu_to_fdt32(0x10000000), 0, cpu_to_fdt32(0x1000000) };

	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, mem, 1);
	assert_int_equal(fdt_begin_node(t.buf, "bus"), 0);
	assert_int_equal(fdt_property_u32(t.buf, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(t.buf, "#size-cells", 2), 0);
	assert_int_equal(fdt_property(t.buf, "ranges", ranges, sizeof(ranges)), 0);
	t_uart(&t, "pl011@0", 2, 0, NULL);
	assert_int_equal(fdt_end_node(t.buf), 0);
	t_end(&t);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "translates"));
}

/* The reserved-memory child "kcore@<hex>": its reg (2+2 cells) and no-map. */
static void check_reserved(const void *fdt, const char *name, uint64_t base, uint64_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/reserved-memory/%s", name);
	int node = fdt_path_offset(fdt, path);
	assert_true(node >= 0);
	int len;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
	assert_non_null(reg);
	assert_int_equal(len, 16);
	assert_int_equal(((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]), base);
	assert_int_equal(((uint64_t)fdt32_to_cpu(reg[2]) << 32) | fdt32_to_cpu(reg[3]), size);
	assert_non_null(fdt_getprop(fdt, node, "no-map", &len));
	assert_int_equal(len, 0);
}

/* kcore's memory becomes /reserved-memory no-map children, the rest stays. */
static void test_reserve(void **state)
{
	(void)state;
	static const uint64_t ram[] = { 0x40000000, 0x40000000 };
	const struct kc_region hide[] = { { 0x40080000, 0x200000 }, { 0x7e000000, 0x2000000 } };
	struct tree t;
	const char *why;
	struct arm64_fdt_info info;

	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, ram, 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	t_end(&t);
	assert_int_equal(arm64_fdt_reserve(t.buf, sizeof(t.buf), hide, 2, &why), KC_OK);
	check_reserved(t.buf, "kcore@40080000", 0x40080000, 0x200000);
	check_reserved(t.buf, "kcore@7e000000", 0x7e000000, 0x2000000);
	/* The tree still parses the same: RAM is still all of RAM. */
	assert_int_equal(arm64_fdt_parse(t.buf, &info, &why), KC_OK);
	assert_int_equal(info.nram, 1);
	assert_int_equal(info.ram[0].size, 0x40000000);

	/* An existing /reserved-memory with 1-cell addresses: refused, not guessed at. */
	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, ram, 1);
	assert_int_equal(fdt_begin_node(t.buf, "reserved-memory"), 0);
	assert_int_equal(fdt_property_u32(t.buf, "#address-cells", 1), 0);
	assert_int_equal(fdt_property_u32(t.buf, "#size-cells", 1), 0);
	assert_int_equal(fdt_end_node(t.buf), 0);
	t_end(&t);
	assert_int_equal(arm64_fdt_reserve(t.buf, sizeof(t.buf), hide, 2, &why), KC_ENOMEM);
	assert_non_null(strstr(why, "2 address and 2 size cells"));

	/* No room to grow: refused. */
	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, ram, 1);
	t_end(&t);
	assert_int_equal(arm64_fdt_reserve(t.buf, fdt_totalsize(t.buf), hide, 2, &why), KC_ENOMEM);
}

/* /cpus: each cpu node's reg is its MPIDR; disabled ones and non-cpus are skipped. */
static void test_cpus(void **state)
{
	(void)state;
	static const uint64_t ram[] = { 0x40000000, 0x40000000 };
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;

	t_begin(&t, 2, 2);
	t_memory(&t, "memory@40000000", 2, ram, 1);
	t_uart(&t, "pl011@9000000", 2, 0x9000000, NULL);
	assert_int_equal(fdt_begin_node(t.buf, "cpus"), 0);
	assert_int_equal(fdt_property_u32(t.buf, "#address-cells", 1), 0);
	assert_int_equal(fdt_property_u32(t.buf, "#size-cells", 0), 0);
	static const char *const names[] = { "cpu@0", "cpu@1", "cpu@100", "cpu-map" };
	static const uint32_t regs[] = { 0, 1, 0x100, 0 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(fdt_begin_node(t.buf, names[i]), 0);
		if (i < 3) {
			assert_int_equal(fdt_property_string(t.buf, "device_type", "cpu"), 0);
			assert_int_equal(fdt_property_u32(t.buf, "reg", regs[i]), 0);
		}
		if (i == 1)
			assert_int_equal(fdt_property_string(t.buf, "status", "disabled"), 0);
		assert_int_equal(fdt_end_node(t.buf), 0);
	}
	assert_int_equal(fdt_end_node(t.buf), 0);
	t_end(&t);
	assert_int_equal(arm64_fdt_parse(t.buf, &info, &why), KC_OK);
	assert_int_equal(info.ncpus, 2);
	assert_int_equal(info.cpu_mpidr[0], 0);
	assert_int_equal(info.cpu_mpidr[1], 0x100);
}

static void test_qemu_virt_tree(void **state)
{
	(void)state;
	static char dtb[2 << 20]; /* QEMU pads its dump to 1 MiB */
	struct arm64_fdt_info info;
	const char *why;

	if (!qemu_dtb_path)
		skip(); /* no qemu-system-aarch64 at configure time */
	FILE *f = fopen(qemu_dtb_path, "rb");
	assert_non_null(f);
	size_t n = fread(dtb, 1, sizeof(dtb), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(dtb));
	assert_int_equal(arm64_fdt_parse(dtb, &info, &why), KC_OK);
	assert_int_equal(info.nram, 1);
	assert_int_equal(info.ram[0].base, 0x40000000);
	assert_int_equal(info.ram[0].size, 1ull << 30); /* dumped with -m 1G */
	assert_int_equal(info.uart_base, 0x9000000);
	assert_int_equal(info.nsmmus, 0); /* no iommu=: no SMMU, everything as before */
}

static void t_smmu(struct tree *t, const char *name, uint64_t base, uint64_t size,
		   const char *status)
{
	uint64_t reg[2] = { base, size };
	assert_int_equal(fdt_begin_node(t->buf, name), 0);
	assert_int_equal(fdt_property_string(t->buf, "compatible", "arm,smmu-v3"), 0);
	t_reg(t, 2, reg, 1);
	if (status)
		assert_int_equal(fdt_property_string(t->buf, "status", status), 0);
	assert_int_equal(fdt_end_node(t->buf), 0);
}

/* A tree with `n` SMMUs at 0x9050000 + i * 0x20000 of `size`, the first one `status`. */
static void t_smmus(struct tree *t, unsigned n, uint64_t size, const char *status)
{
	uint64_t mem[2] = { 0x40000000, 0x40000000 };
	char name[32];

	t_begin(t, 2, 2);
	t_memory(t, "memory@40000000", 2, mem, 1);
	t_uart(t, "pl011@9000000", 2, 0x9000000, NULL);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "smmuv3@%x", 0x9050000 + i * 0x20000);
		t_smmu(t, name, 0x9050000 + i * 0x20000ull, size, i == 0 ? status : NULL);
	}
	t_chosen(t, "", NULL);
	t_end(t);
}

static void test_smmus(void **state)
{
	(void)state;
	struct tree t;
	struct arm64_fdt_info info;
	const char *why;

	t_smmus(&t, 2, 0x20000, NULL);
	assert_int_equal(parse(&t, &info, &why), KC_OK);
	assert_int_equal(info.nsmmus, 2);
	assert_int_equal(info.smmu[0].base, 0x9050000);
	assert_int_equal(info.smmu[0].size, 0x20000);
	assert_int_equal(info.smmu[1].base, 0x9070000);
	/* A disabled SMMU is not kcore's to drive. */
	t_smmus(&t, 2, 0x20000, "disabled");
	assert_int_equal(parse(&t, &info, &why), KC_OK);
	assert_int_equal(info.nsmmus, 1);
	assert_int_equal(info.smmu[0].base, 0x9070000);
	/* Refused: more than KC_MAX_SMMUS, registers that are not whole pages. */
	t_smmus(&t, KC_MAX_SMMUS + 1, 0x20000, NULL);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "KC_MAX_SMMUS"));
	t_smmus(&t, 1, 0x1f000 + 0x800, NULL);
	assert_int_equal(parse(&t, &info, &why), KC_EINVAL);
	assert_non_null(strstr(why, "whole pages"));
}

/* QEMU's own tree with iommu=smmuv3: found, then hidden from the host. */
static void test_qemu_virt_smmu_tree(void **state)
{
	(void)state;
	static char dtb[2 << 20];
	struct arm64_fdt_info info;
	const char *why;
	int pcie, smmu, len;
	const char *status;

	if (!qemu_smmu_dtb_path)
		skip();
	FILE *f = fopen(qemu_smmu_dtb_path, "rb");
	assert_non_null(f);
	size_t n = fread(dtb, 1, sizeof(dtb) / 2, f);
	fclose(f);
	assert_true(n > 0);
	assert_int_equal(arm64_fdt_parse(dtb, &info, &why), KC_OK);
	assert_int_equal(info.nsmmus, 1);
	assert_int_equal(info.smmu[0].base, 0x9050000);
	assert_int_equal(info.smmu[0].size, 0x20000);
	pcie = fdt_node_offset_by_compatible(dtb, -1, "pci-host-ecam-generic");
	assert_true(pcie >= 0);
	assert_non_null(fdt_getprop(dtb, pcie, "iommu-map", NULL)); /* what Linux would follow */

	assert_int_equal(arm64_fdt_hide_smmus(dtb, fdt_totalsize(dtb) + 0x1000, &why), KC_OK);
	smmu = fdt_node_offset_by_compatible(dtb, -1, "arm,smmu-v3");
	assert_true(smmu >= 0);
	status = fdt_getprop(dtb, smmu, "status", &len);
	assert_non_null(status);
	assert_string_equal(status, "disabled");
	pcie = fdt_node_offset_by_compatible(dtb, -1, "pci-host-ecam-generic");
	assert_true(pcie >= 0);
	assert_null(fdt_getprop(dtb, pcie, "iommu-map", NULL));
	assert_null(fdt_getprop(dtb, pcie, "iommu-map-mask", NULL));
	assert_non_null(fdt_getprop(dtb, pcie, "ranges", NULL)); /* the rest is untouched */
	/* The host's tree, read again: no SMMU left, RAM and console as before. */
	assert_int_equal(arm64_fdt_parse(dtb, &info, &why), KC_OK);
	assert_int_equal(info.nsmmus, 0);
	assert_int_equal(info.uart_base, 0x9000000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usual_tree),
		cmocka_unit_test(test_several_memory_regions_and_32bit_cells),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_stdout_path_picks_the_console),
		cmocka_unit_test(test_uart_behind_a_translating_bus),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_qemu_virt_tree),
		cmocka_unit_test(test_smmus),
		cmocka_unit_test(test_qemu_virt_smmu_tree),
	};
	qemu_dtb_path = argc > 1 ? argv[1] : NULL;
	qemu_smmu_dtb_path = argc > 2 ? argv[2] : NULL;
	return cmocka_run_group_tests_name("arm64-fdt", tests, NULL, NULL);
}
