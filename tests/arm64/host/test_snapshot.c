/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encrypted export and import at EL2 (docs/EXPORT.md): the signed hello
 * guest is stopped half-way through "hello\n" (its last UART store still
 * waiting for MMIO_DONE), exported into host frames, taken apart, imported
 * into a new VM, and goes on: the rest of its output, its fault, its own
 * checks of the canaries it keeps in x19..x28 and V0..V31 (it writes '!'
 * and a letter if one changed), its power-off.  No record holds a canary.
 */
#include "hello.h"
#include "host.h"
#include <string.h>

extern const uint8_t guest_hello_image[], guest_hello_image_end[];
extern const uint8_t guest_hello_manifest[], guest_hello_manifest_end[];

#define SNAP_RECORDS 0x4c020000ull /* host frames for the records, one each */
#define SNAP_MAX     8

struct snap_rec {
	uint64_t fn, pfn, meta, tlo, thi;
};

static volatile uint64_t snap_tag = HELLO_CANARY >> 16;

/* Canaries of the guest's (HELLO_CANARY | n, 0 < n < 0xf000) in one frame. */
static unsigned snap_canaries(uint64_t pa)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)pa;
	uint64_t tag = snap_tag;
	unsigned k = 0;

	for (unsigned i = 0; i < 512; i++)
		k += (w[i] >> 16) == tag && (w[i] & 0xffff) && (w[i] & 0xffff) < 0xf000;
	return k;
}

/* Run `vm` until its next exit that is not an MMIO store to the UART, collecting those. */
static uint64_t snap_run(uint64_t vm, uint64_t *finish, char *out, unsigned *nout,
			 unsigned stop_after)
{
	for (unsigned runs = 0; runs < 32; runs++) {
		struct host_call c = { { KC_HC_VCPU_RUN, vm, 0, *finish, 0, 0, 0 } };
		hvc(&c);
		*finish = KC_RUN_RESUME;
		if ((int64_t)c.x[0] != KC_OK)
			return ~0ull;
		if (KC_EXIT_KIND(c.x[1]) != KC_EXIT_MMIO)
			return c.x[1];
		if ((c.x[1] & KC_EXIT_F_WRITE) && c.x[2] == HELLO_UART && *nout < 15)
			out[(*nout)++] = (char)c.x[3];
		*finish = KC_RUN_MMIO_DONE;
		if (*nout == stop_after)
			return c.x[1]; /* paused with the MMIO exit pending */
	}
	return ~0ull;
}

void test_snapshot(void)
{
	size_t image_len = (size_t)(guest_hello_image_end - guest_hello_image);
	size_t manifest_len = (size_t)(guest_hello_manifest_end - guest_hello_manifest);
	uint64_t vm = 0, vm2 = 0, idx = 0, left = 1, finish = KC_RUN_RESUME;
	struct snap_rec rec[SNAP_MAX];
	unsigned n = 0, nout = 0, leaks = 0;
	char out[16];

	if (!HOST_GUEST_KEY_TRUSTED) {
		result("snapshot: # SKIP the image does not trust the guest key", true, NULL);
		return;
	}
	host_fill_page(VMG_IMAGE, guest_hello_image, image_len);
	host_fill_page(VMG_MANIFEST, guest_hello_manifest, manifest_len);
	expect("snapshot: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("snapshot: VCPU_CREATE", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("snapshot: VM_SET_IMAGE",
	       call(KC_HC_VM_SET_IMAGE, vm, HELLO_BASE, 0x1000, 0, 0, 0, &idx), KC_OK);
	expect("snapshot: VM_LOAD_IMAGE_PAGE",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, VMG_IMAGE >> 12, 0, 0, 0, NULL), KC_OK);
	expect("snapshot: VM_VERIFY",
	       call(KC_HC_VM_VERIFY, vm, VMG_MANIFEST >> 12, 0, 0, 0, 0, NULL), KC_OK);

	/* "hel", and the 'l' still waits for MMIO_DONE: paused there. */
	snap_run(vm, &finish, out, &nout, 3);
	result("snapshot: the guest wrote \"hel\" and waits", nout == 3 && !memcmp(out, "hel", 3),
	       "wrong output");

	struct host_call b = { { KC_HC_EXPORT_BEGIN, vm, 0, 0, 0, 0, 0 } };
	hvc(&b);
	expect("snapshot: EXPORT_BEGIN", (int64_t)b.x[0], KC_OK);
	uint64_t sid = b.x[1], slo = b.x[2], shi = b.x[3];
	for (;;) {
		uint64_t pfn = (SNAP_RECORDS >> 12) + n;
		struct host_call c = { { KC_HC_EXPORT_PAGE, vm, pfn, 0, 0, 0, 0 } };
		hvc(&c);
		if ((int64_t)c.x[0] != KC_OK || n + 2 >= SNAP_MAX)
			break;
		rec[n++] = (struct snap_rec){ KC_HC_IMPORT_PAGE, pfn, c.x[1], c.x[2], c.x[3] };
	}
	for (unsigned k = 0; k < 2; k++) {
		uint64_t pfn = (SNAP_RECORDS >> 12) + n;
		struct host_call c = { { k ? KC_HC_EXPORT_END : KC_HC_EXPORT_VCPU, vm, k ? pfn : 0,
					 k ? 0 : pfn, 0, 0, 0 } };
		hvc(&c);
		expect(k ? "snapshot: EXPORT_END" : "snapshot: EXPORT_VCPU", (int64_t)c.x[0],
		       KC_OK);
		rec[n++] = (struct snap_rec){ k ? KC_HC_IMPORT_END : KC_HC_IMPORT_VCPU, pfn, c.x[1],
					      c.x[2], c.x[3] };
	}
	/* The guard of the UART page, the image page, vCPU 0, the end. */
	expect("snapshot: four records", n, 4);
	for (unsigned i = 0; i < n; i++)
		leaks += snap_canaries(rec[i].pfn << 12);
	result("snapshot: no canary of the guest's in any record", leaks == 0,
	       "a record shows a guest register");

	for (unsigned i = 0; i < 8 && left; i++)
		if (call(KC_HC_VM_RECLAIM, vm, 16, 0, 0, 0, 0, &left) != KC_OK)
			break;
	expect("snapshot: the source reclaimed", (int64_t)left, 0);
	expect("snapshot: ... and destroyed", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL),
	       KC_OK);

	expect("snapshot: VM_CREATE (the importer)", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm2),
	       KC_OK);
	expect("snapshot: VCPU_CREATE", call(KC_HC_VCPU_CREATE, vm2, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("snapshot: IMPORT_BEGIN", call(KC_HC_IMPORT_BEGIN, vm2, sid, slo, shi, 0, 0, NULL),
	       KC_OK);
	/* A flipped tag is refused; the genuine records are taken. */
	expect("snapshot: a changed tag -> EAUTH",
	       call(rec[0].fn, vm2, rec[0].pfn, rec[0].meta, rec[0].tlo ^ 1, rec[0].thi, 0, NULL),
	       KC_EAUTH);
	for (unsigned i = 0; i < n; i++)
		expect("snapshot: import a record",
		       call(rec[i].fn, vm2, rec[i].pfn, rec[i].meta, rec[i].tlo, rec[i].thi, 0,
			    NULL),
		       KC_OK);

	/* On it goes: "lo\n", the fault, its canary checks, the power-off. */
	uint64_t x1 = snap_run(vm2, &finish, out, &nout, 99);
	result("snapshot: the imported VM faults on its fresh page",
	       KC_EXIT_KIND(x1) == KC_EXIT_FAULT, "another exit");
	expect("snapshot: VM_MAP_FAULT",
	       call(KC_HC_VM_MAP_FAULT, vm2, 0, VMG_BACKING >> 12, 3, 0, 0, NULL), KC_OK);
	x1 = snap_run(vm2, &finish, out, &nout, 99);
	out[nout] = '\0';
	puts_("snapshot: the VM wrote, across the move: ");
	puts_(out);
	result("snapshot: it powered off", KC_EXIT_KIND(x1) == KC_EXIT_POWEROFF, "no POWEROFF");
	result("snapshot: \"hello\\n\", its canaries whole",
	       nout == 6 && memcmp(out, "hello\n", 6) == 0, "wrong output");
	left = 1;
	for (unsigned i = 0; i < 8 && left; i++)
		if (call(KC_HC_VM_RECLAIM, vm2, 16, 0, 0, 0, 0, &left) != KC_OK)
			break;
	expect("snapshot: the importer reclaimed", (int64_t)left, 0);
	expect("snapshot: ... and destroyed", call(KC_HC_VM_DESTROY, vm2, 0, 0, 0, 0, 0, NULL),
	       KC_OK);
}
