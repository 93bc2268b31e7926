/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ci/demo's DMA part (bootarg kcore-host.dma-demo, on QEMU virt with
 * iommu=smmuv3 and -device edu): the host programs a real DMA engine to
 * write into a VM's frame and kcore's SMMU stops it, after the same DMA
 * into a host frame of the host's IO domain has landed (the control).  It
 * checks what it narrates ("demo-dma: ok" / "demo-dma: FAILED"); the tests
 * proper are test_smmu.c.
 */
#include "host.h"

#define DD_HOST 0x47000000ull /* a host frame, mapped at DD_IOVA */
#define DD_SRC	0x47001000ull /* the pattern's source, mapped at DD_IOVA + 0x1000 */
#define DD_VM	0x47002000ull /* becomes the VM's */
#define DD_IOVA 0x100000ull
#define DD_LEN	64u

static bool dd_ok = true;

static void dd_say(const char *s)
{
	puts_("demo-dma: ");
	puts_(s);
}

static void dd_hex(const char *s, uint64_t v, const char *end)
{
	dd_say(s);
	puthex(v);
	puts_(end);
}

static void dd_fill(uint64_t pa, uint64_t seed)
{
	for (unsigned i = 0; i < DD_LEN / 8; i++)
		((volatile uint64_t *)(uintptr_t)pa)[i] = seed + i;
}

static bool dd_holds(uint64_t pa, uint64_t seed)
{
	for (unsigned i = 0; i < DD_LEN / 8; i++)
		if (((volatile uint64_t *)(uintptr_t)pa)[i] != seed + i)
			return false;
	return true;
}

static int64_t dd_call(const char *what, int64_t want, uint64_t fn, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4, uint64_t a5, uint64_t *r1)
{
	int64_t rc = call(fn, a1, a2, a3, a4, a5, 0, r1);

	dd_say(what);
	puts_(rc == KC_OK ? " -> OK" : rc == KC_EPERM ? " -> refused: EPERM" : " -> error ");
	if (rc != KC_OK && rc != KC_EPERM)
		putdec((uint64_t)-rc);
	putc_('\n');
	if (rc != want)
		dd_ok = false;
	return rc;
}

void run_dma_demo(const void *fdt)
{
	struct host_edu edu;
	uint64_t dom = 0, vm = 0, slot = 0;
	struct host_call ev = { { KC_HC_SMMU_EVENT } };

	dd_say("a device's DMA into a VM's memory, stopped by kcore's SMMU\n");
	if (!edu_find(fdt, &edu)) {
		dd_say("FAILED: no edu device (-device edu) on PCIe\n");
		return;
	}
	dd_hex("[host]   edu DMA engine on PCIe, stream id (requester id) ", edu.sid, "\n");
	dd_call("[host]   IODOM_ALLOC: an IO domain for the host", KC_OK, KC_HC_IODOM_ALLOC, 0, 0,
		0, 0, 0, &dom);
	dd_call("[host]   IODOM_ATTACH the edu's stream", KC_OK, KC_HC_IODOM_ATTACH, dom, 0,
		edu.sid, 0, 0, NULL);
	dd_call("[host]   IODOM_MAP IOVA 0x100000 -> host frame 0x47000000", KC_OK, KC_HC_IODOM_MAP,
		dom, DD_IOVA, DD_HOST, 1, KC_IO_R | KC_IO_W, NULL);
	dd_call("[host]   IODOM_MAP IOVA 0x101000 -> host frame 0x47001000", KC_OK, KC_HC_IODOM_MAP,
		dom, DD_IOVA + 0x1000, DD_SRC, 1, KC_IO_R | KC_IO_W, NULL);
	dd_fill(DD_SRC, 0x6b636f7265000000ull);
	dd_fill(DD_HOST, 0);
	if (edu_dma(&edu, DD_IOVA + 0x1000, EDU_BUF, DD_LEN, false) &&
	    edu_dma(&edu, EDU_BUF, DD_IOVA, DD_LEN, true) &&
	    dd_holds(DD_HOST, 0x6b636f7265000000ull))
		dd_say("[device] DMA 64 bytes to IOVA 0x100000: landed in host frame 0x47000000 "
		       "(control)\n");
	else {
		dd_say("[device] DMA into the host's own mapped frame did not land\n");
		dd_ok = false;
	}

	dd_call("[host]   VM_CREATE", KC_OK, KC_HC_VM_CREATE, 0, 0, 0, 0, 0, &vm);
	dd_call("[host]   VM_SET_IMAGE", KC_OK, KC_HC_VM_SET_IMAGE, vm, 0x80000000, 0x1000, 0, 0,
		&slot);
	dd_call("[host]   VM_LOAD_IMAGE_PAGE: host frame 0x47002000 becomes the VM's", KC_OK,
		KC_HC_VM_LOAD_IMAGE_PAGE, vm, slot, DD_VM >> 12, 0, 0, NULL);
	dd_call("[host]   attack: IODOM_MAP IOVA 0x102000 -> the VM's frame", KC_EPERM,
		KC_HC_IODOM_MAP, dom, DD_IOVA + 0x2000, DD_VM, 1, KC_IO_R | KC_IO_W, NULL);
	while (call(KC_HC_SMMU_EVENT, 0, 0, 0, 0, 0, 0, NULL) == KC_OK)
		;
	dd_say("[device] attack: DMA to IOVA 0x47002000, the VM frame's own address ...\n");
	if (!edu_dma(&edu, EDU_BUF, DD_VM, DD_LEN, true))
		dd_ok = false;
	hvc(&ev);
	if ((int64_t)ev.x[0] == KC_OK && ev.x[1] == edu.sid && ev.x[2] == DD_VM &&
	    ev.x[3] == (1u | (uint64_t)KC_IO_W << 8)) {
		dd_hex("[kcore]  stopped by the SMMU: SMMU_EVENT = translation fault, write, IOVA ",
		       ev.x[2], "\n");
	} else {
		dd_say("[kcore]  no SMMU event for it  <- the DMA was not stopped\n");
		dd_ok = false;
	}
	while (call(KC_HC_SMMU_EVENT, 0, 0, 0, 0, 0, 0, NULL) == KC_OK)
		;
	dd_call("[host]   IODOM_DETACH", KC_OK, KC_HC_IODOM_DETACH, dom, 0, edu.sid, 0, 0, NULL);
	dd_call("[host]   IODOM_FREE", KC_OK, KC_HC_IODOM_FREE, dom, 0, 0, 0, 0, NULL);
	dd_call("[host]   VM_POWEROFF", KC_OK, KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, NULL);
	dd_call("[host]   VM_RECLAIM", KC_OK, KC_HC_VM_RECLAIM, vm, 16, 0, 0, 0, NULL);
	dd_call("[host]   VM_DESTROY", KC_OK, KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, NULL);
	dd_say(dd_ok ? "ok\n" : "FAILED\n");
}
