/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host DMA through kcore's SMMU (docs/SMMU.md, "On arm64"), with a real DMA
 * engine: QEMU's edu device behind QEMU virt's SMMUv3 (tests/qemu
 * host-smmu).  Every refusal has its control in the same run: the same
 * DMA into a host frame mapped in the host's domain lands.  Runs only on
 * a machine with an SMMU and an edu; elsewhere it says so and adds nothing.
 */
#include <libfdt.h>
#include <string.h>

#include "host.h"

/* Host frames of this test (clear of the other tests' and of the DTB at 0x48000000). */
#define SM_A	       0x47000000ull /* DMA target, mapped at SM_IOVA */
#define SM_B	       0x47001000ull /* DMA source, mapped at SM_IOVA + 0x1000 */
#define SM_VM	       0x47002000ull /* becomes a VM's image page */
#define SM_UNMAP       0x47003000ull /* never mapped: its PA used as an IOVA */
#define SM_STALE       0x47004000ull /* mapped, DMA'd, unmapped */
#define SM_DON	       0x47005000ull /* DMA-mapped, then offered to a VM */
#define SM_CTL	       0x47006000ull /* control mappings */
#define SM_IOVA	       0x100000ull
#define SM_LEN	       256u /* bytes per DMA */
/* SMMU_EVENT's x3 fault kinds (platform.h enum kc_smmu_fault): the ABI's values. */
#define EV_TRANSLATION 1u

static struct host_edu edu;
static uint64_t smmu_base;

static void fill(uint64_t pa, uint64_t seed)
{
	for (unsigned i = 0; i < SM_LEN / 8; i++)
		((volatile uint64_t *)(uintptr_t)pa)[i] = seed + i;
}

static bool holds(uint64_t pa, uint64_t seed)
{
	for (unsigned i = 0; i < SM_LEN / 8; i++)
		if (((volatile uint64_t *)(uintptr_t)pa)[i] != seed + i)
			return false;
	return true;
}

/* DMA the edu's buffer (SM_LEN bytes) to `iova` / from `iova` into it. */
static bool to_ram(uint64_t iova)
{
	return edu_dma(&edu, EDU_BUF, iova, SM_LEN, true);
}

static bool from_ram(uint64_t iova)
{
	return edu_dma(&edu, iova, EDU_BUF, SM_LEN, false);
}

/* Load the edu's buffer with `seed`'s pattern, through a host frame mapped at SM_IOVA + 0x1000. */
static bool load_buffer(uint64_t seed)
{
	fill(SM_B, seed);
	return from_ram(SM_IOVA + 0x1000);
}

static int64_t io_map(uint64_t dom, uint64_t iova, uint64_t pa, uint64_t pages)
{
	return call(KC_HC_IODOM_MAP, dom, iova, pa, pages, KC_IO_R | KC_IO_W, 0, NULL);
}

static int64_t io_unmap(uint64_t dom, uint64_t iova, uint64_t pages)
{
	return call(KC_HC_IODOM_UNMAP, dom, iova, pages, 0, 0, 0, NULL);
}

static void drain_events(void)
{
	for (unsigned i = 0; i < 256; i++)
		if (call(KC_HC_SMMU_EVENT, 0, 0, 0, 0, 0, 0, NULL) != KC_OK)
			return;
}

/* Is there, among the events not yet taken, one for the edu at `iova`? */
static bool event_seen(uint64_t iova, bool write, uint64_t kind)
{
	bool seen = false;

	for (unsigned i = 0; i < 256; i++) {
		struct host_call c = { { KC_HC_SMMU_EVENT } };

		hvc(&c);
		if ((int64_t)c.x[0] != KC_OK)
			break;
		if (c.x[1] == edu.sid && c.x[2] == iova &&
		    c.x[3] == (kind | (write ? (uint64_t)KC_IO_W << 8 : 0)))
			seen = true;
	}
	return seen;
}

static bool find_smmu(const void *fdt)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,smmu-v3"), len;
	const fdt32_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;

	if (!reg || len < 16)
		return false;
	smmu_base = ((uint64_t)fdt32_to_cpu(reg[0]) << 32) | fdt32_to_cpu(reg[1]);
	return true;
}

/* What kcore left of the SMMU in the host's DTB: a disabled node, no references. */
static void test_smmu_dtb(const void *fdt)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,smmu-v3"), len;
	const char *status = fdt_getprop(fdt, node, "status", &len);
	bool refs = false;

	result("smmu: DTB: the SMMU node is status = \"disabled\"",
	       status && len == 9 && memcmp(status, "disabled", 9) == 0, "not disabled");
	for (int n = fdt_next_node(fdt, -1, NULL); n >= 0; n = fdt_next_node(fdt, n, NULL))
		if (fdt_getprop(fdt, n, "iommu-map", NULL) || fdt_getprop(fdt, n, "iommus", NULL))
			refs = true;
	result("smmu: DTB: no iommu-map or iommus left", !refs, "a device still names the SMMU");
	result("smmu: DTB: the PCIe bridge is still there (control)",
	       fdt_node_offset_by_compatible(fdt, -1, "pci-host-ecam-generic") >= 0,
	       "no pci-host-ecam-generic node");
}

/* The SMMU's registers are kcore's: a host access aborts, its own RAM does not. */
static void test_smmu_mmio(void)
{
	uint64_t v = 0;

	result("smmu: host RAM load (control)", host_load(SM_A, &v, NULL), "aborted");
	result("smmu: load from the SMMU's registers (IDR0) aborts",
	       !host_load(smmu_base, &v, NULL), "the host read the SMMU");
	expect_abort("smmu: ... a data abort, FAR = IDR0", smmu_base, EC_DABT_CUR, false);
	result("smmu: store to the SMMU's CR0 aborts", !host_store(smmu_base + 0x20, 0),
	       "the host wrote SMMUEN");
	expect_abort("smmu: ... FAR = CR0, WnR = 1", smmu_base + 0x20, EC_DABT_CUR, true);
	result("smmu: store to GBPA aborts", !host_store(smmu_base + 0x44, 0),
	       "the host wrote GBPA");
	expect_abort("smmu: ... FAR = GBPA", smmu_base + 0x44, EC_DABT_CUR, true);
}

/* The VM whose frame the host tries to reach: a two-page image slot. */
static uint64_t vm, slot;

static void test_smmu_vm_frame(uint64_t dom)
{
	fill(SM_VM, 0x766d0000);
	expect("smmu: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("smmu: VM_SET_IMAGE (2 pages)",
	       call(KC_HC_VM_SET_IMAGE, vm, 0x80000000, 0x2000, 0, 0, 0, &slot), KC_OK);
	expect("smmu: VM_LOAD_IMAGE_PAGE: the frame is the VM's",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, slot, SM_VM >> 12, 0, 0, 0, NULL), KC_OK);
	expect("smmu: MAP of the VM's frame into the host's domain: EPERM",
	       io_map(dom, SM_IOVA + 0x2000, SM_VM, 1), KC_EPERM);
	expect("smmu: MAP of a host frame at that IOVA (control)",
	       io_map(dom, SM_IOVA + 0x2000, SM_CTL, 1), KC_OK);
	expect("smmu: ... UNMAP it", io_unmap(dom, SM_IOVA + 0x2000, 1), KC_OK);

	/* The device aims at the VM's frame by its PA: nothing maps that IOVA. */
	drain_events();
	result("smmu: buffer loaded", load_buffer(0x61616100), "DMA did not finish");
	result("smmu: DMA write to IOVA = the VM frame's PA finishes", to_ram(SM_VM), "DMA hung");
	result("smmu: ... stopped: the SMMU reports a translation fault there, a write",
	       event_seen(SM_VM, true, EV_TRANSLATION), "no such event");
	/* Reading it: the VM's contents must not reach the device. */
	fill(SM_A, 0x5a5a0000);
	result("smmu: DMA read from IOVA = the VM frame's PA finishes", from_ram(SM_VM),
	       "DMA hung");
	result("smmu: ... stopped: a translation fault, a read",
	       event_seen(SM_VM, false, EV_TRANSLATION), "no such event");
	result("smmu: ... and the buffer (copied out to a host frame) is not the VM's data",
	       to_ram(SM_IOVA) && !holds(SM_A, 0x766d0000), "the VM's frame leaked to the device");
}

static void test_smmu_core_frame(uint64_t dom)
{
	uint64_t core = nkc_ranges ? kc_ranges[0].base : 0x40080000ull;
	uint64_t pool = nkc_ranges > 1 ? kc_ranges[1].base : core;

	expect("smmu: MAP of kcore's image into the host's domain: EPERM",
	       io_map(dom, SM_IOVA + 0x2000, core, 1), KC_EPERM);
	expect("smmu: MAP of kcore's pool: EPERM", io_map(dom, SM_IOVA + 0x2000, pool, 1),
	       KC_EPERM);
	drain_events();
	result("smmu: DMA write to IOVA = kcore's image finishes", to_ram(core), "DMA hung");
	result("smmu: ... stopped: a translation fault at that IOVA",
	       event_seen(core, true, EV_TRANSLATION), "no such event");
}

/* The IOTLB: a warm entry must not outlive UNMAP. */
static void test_smmu_stale(uint64_t dom)
{
	expect("smmu: MAP a host frame", io_map(dom, SM_IOVA + 0x3000, SM_STALE, 1), KC_OK);
	fill(SM_STALE, 0);
	result("smmu: DMA into it lands (the IOTLB now holds the IOVA)",
	       load_buffer(0x71000000) && to_ram(SM_IOVA + 0x3000) && holds(SM_STALE, 0x71000000),
	       "data not there");
	expect("smmu: UNMAP it", io_unmap(dom, SM_IOVA + 0x3000, 1), KC_OK);
	fill(SM_STALE, 0x72000000);
	drain_events();
	result("smmu: the same DMA after UNMAP",
	       load_buffer(0x73000000) && to_ram(SM_IOVA + 0x3000), "DMA hung");
	result("smmu: ... is stopped: the frame is unchanged", holds(SM_STALE, 0x72000000),
	       "a stale IOTLB entry let the DMA through");
	result("smmu: ... and reported (translation fault, that IOVA)",
	       event_seen(SM_IOVA + 0x3000, true, EV_TRANSLATION), "no such event");
}

/* A frame with live DMA cannot be given to a VM. */
static void test_smmu_donation(uint64_t dom)
{
	expect("smmu: MAP a host frame", io_map(dom, SM_IOVA + 0x4000, SM_DON, 1), KC_OK);
	expect("smmu: LOOKUP finds it",
	       call(KC_HC_IODOM_LOOKUP, dom, SM_IOVA + 0x4000, 0, 0, 0, 0, NULL), KC_OK);
	expect("smmu: VM_LOAD_IMAGE_PAGE of the DMA-mapped frame: EBUSY",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, slot, SM_DON >> 12, 0, 0, 0, NULL), KC_EBUSY);
	result("smmu: ... and it is still the host's (DMA into it lands)",
	       load_buffer(0x74000000) && to_ram(SM_IOVA + 0x4000) && holds(SM_DON, 0x74000000),
	       "data not there");
	expect("smmu: UNMAP it", io_unmap(dom, SM_IOVA + 0x4000, 1), KC_OK);
	expect("smmu: VM_LOAD_IMAGE_PAGE after UNMAP (control)",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, slot, SM_DON >> 12, 0, 0, 0, NULL), KC_OK);
}

void test_smmu(const void *fdt)
{
	uint64_t dom = 0;

	if (!find_smmu(fdt)) {
		puts_("host: no SMMU in the DTB: smmu tests skipped\n");
		return;
	}
	test_smmu_dtb(fdt);
	test_smmu_mmio();
	if (!edu_find(fdt, &edu)) {
		/* tests/qemu's SMMU runs forbid this line: there the edu must be found. */
		puts_("host: no edu device on PCIe bus 0: smmu tests skipped (the DMA part)\n");
		return;
	}
	result("smmu: edu found on bus 0, BAR0 assigned, bus master on", true, "");

	/* Before any domain: every stream aborts (kcore's boot state). */
	fill(SM_A, 0x11110000);
	result("smmu: DMA with no domain finishes", to_ram(SM_A), "DMA hung");
	result("smmu: ... stopped: the target frame is unchanged", holds(SM_A, 0x11110000),
	       "DMA reached host RAM without a domain");

	expect("smmu: IODOM_ALLOC for the host", call(KC_HC_IODOM_ALLOC, 0, 0, 0, 0, 0, 0, &dom),
	       KC_OK);
	expect("smmu: IODOM_ATTACH the edu's stream",
	       call(KC_HC_IODOM_ATTACH, dom, 0, edu.sid, 0, 0, 0, NULL), KC_OK);
	expect("smmu: MAP the target frame", io_map(dom, SM_IOVA, SM_A, 1), KC_OK);
	expect("smmu: MAP the source frame", io_map(dom, SM_IOVA + 0x1000, SM_B, 1), KC_OK);

	/* Controls: both directions through the domain, data checked. */
	fill(SM_A, 0);
	result("smmu: DMA RAM -> device from a mapped host frame", load_buffer(0x22220000),
	       "DMA hung");
	result("smmu: DMA device -> RAM into a mapped host frame",
	       to_ram(SM_IOVA) && holds(SM_A, 0x22220000), "data not there");

	fill(SM_UNMAP, 0x33330000);
	drain_events();
	result("smmu: DMA to an unmapped IOVA finishes", to_ram(SM_UNMAP), "DMA hung");
	result("smmu: ... stopped: memory unchanged", holds(SM_UNMAP, 0x33330000),
	       "DMA reached an unmapped IOVA");
	result("smmu: ... reported: translation fault, the edu's stream, that IOVA, a write",
	       event_seen(SM_UNMAP, true, EV_TRANSLATION), "no such event");
	expect("smmu: no event left", call(KC_HC_SMMU_EVENT, 0, 0, 0, 0, 0, 0, NULL), KC_ENOENT);

	test_smmu_vm_frame(dom);
	test_smmu_core_frame(dom);
	test_smmu_stale(dom);
	test_smmu_donation(dom);

	result("smmu: IODOM_FREE with a stream attached: refused",
	       call(KC_HC_IODOM_FREE, dom, 0, 0, 0, 0, 0, NULL) != KC_OK, "freed");
	expect("smmu: IODOM_DETACH", call(KC_HC_IODOM_DETACH, dom, 0, edu.sid, 0, 0, 0, NULL),
	       KC_OK);
	/* The buffer still holds an earlier pattern, never this one. */
	fill(SM_A, 0x44440000);
	result("smmu: DMA to a still-mapped IOVA after DETACH finishes", to_ram(SM_IOVA),
	       "DMA hung");
	result("smmu: ... stopped (the stream aborts): memory unchanged", holds(SM_A, 0x44440000),
	       "DMA through a detached stream");
	expect("smmu: IODOM_FREE", call(KC_HC_IODOM_FREE, dom, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("smmu: VM_POWEROFF", call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("smmu: VM_RECLAIM", call(KC_HC_VM_RECLAIM, vm, 16, 0, 0, 0, 0, NULL), KC_OK);
	expect("smmu: VM_DESTROY", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
}
