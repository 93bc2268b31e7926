/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ci/demo's narration (bootarg kcore-host.demo): the signed hello VM's
 * whole life on the real world switch, told from both sides — what the
 * host asks kcore and sees back, and what the guest prints on the UART the
 * host emulates — and one refused attack: the host reading the VM's memory.
 * It checks what it narrates (the run ends with "demo: ok" or
 * "demo: FAILED"), but the tests proper are test_guest.c and the others.
 */
#include <string.h>

#include "hello.h"
#include "host.h"

extern const uint8_t guest_hello_image[], guest_hello_image_end[];
extern const uint8_t guest_hello_manifest[], guest_hello_manifest_end[];

static bool demo_ok = true;

static void say(const char *s)
{
	puts_("demo: ");
	puts_(s);
}

static void say_hex(const char *s, uint64_t v, const char *end)
{
	say(s);
	puthex(v);
	puts_(end);
}

/* A call the demo needs to succeed: narrated, and remembered if it did not. */
static uint64_t step(const char *what, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4)
{
	uint64_t r1 = 0;
	int64_t rc = call(fn, a1, a2, a3, a4, 0, 0, &r1);

	say(what);
	if (rc != KC_OK) {
		puts_(" -> error ");
		putdec((uint64_t)-rc);
		demo_ok = false;
	} else {
		puts_(" -> OK");
	}
	putc_('\n');
	return r1;
}

/* The host tries to read a frame that is the VM's: kcore refuses with an abort. */
static void demo_attack(uint64_t pa)
{
	uint64_t v = 0;

	say_hex("[host] attack: read the VM's memory at ", pa, " ...\n");
	if (host_load(pa, &v, NULL)) {
		say_hex("[host]   read it: ", v, "  <- kcore let it through\n");
		demo_ok = false;
		return;
	}
	say_hex("[host]   refused: kcore injected a synchronous external abort (ESR_EL1 ",
		abort_esr, ", FAR_EL1 ");
	puthex(abort_far);
	puts_("); the host goes on\n");
}

void run_demo(void)
{
	size_t image_len = (size_t)(guest_hello_image_end - guest_hello_image);
	size_t manifest_len = (size_t)(guest_hello_manifest_end - guest_hello_manifest);
	uint64_t vm, idx, finish = KC_RUN_RESUME, left = 1;
	char line[64];
	unsigned n = 0;
	bool off = false;

	say("a protected VM's life on arm64, from the host's side ([host]) and the guest's "
	    "([guest])\n");
	if (!HOST_GUEST_KEY_TRUSTED) {
		say("FAILED: this image does not trust tests/arm64/guests/test-guest.pub\n");
		return;
	}
	host_fill_page(VMG_IMAGE, guest_hello_image, image_len);
	host_fill_page(VMG_MANIFEST, guest_hello_manifest, manifest_len);
	vm = step("[host] VM_CREATE", KC_HC_VM_CREATE, 0, 0, 0, 0);
	step("[host] VCPU_CREATE vCPU 0", KC_HC_VCPU_CREATE, vm, 0, 0, 0);
	idx = step("[host] VM_SET_IMAGE at IPA 0x80000000, one page", KC_HC_VM_SET_IMAGE, vm,
		   HELLO_BASE, 0x1000, 0);
	step("[host] VM_LOAD_IMAGE_PAGE: host frame 0x4c000000 becomes the VM's",
	     KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, VMG_IMAGE >> 12, 0);
	step("[host] VM_VERIFY: kcore hashes the image and checks the manifest's ECDSA signature",
	     KC_HC_VM_VERIFY, vm, VMG_MANIFEST >> 12, 0, 0);
	demo_attack(VMG_IMAGE);

	for (unsigned runs = 0; runs < 64 && !off; runs++) {
		uint64_t r[4] = { 0 };
		struct host_call c = { { KC_HC_VCPU_RUN, vm, 0, finish, 0, 0, 0 } };

		finish = KC_RUN_RESUME;
		hvc(&c);
		memcpy(r, c.x, sizeof(r));
		if ((int64_t)r[0] != KC_OK) {
			say("[host] VCPU_RUN failed\n");
			demo_ok = false;
			break;
		}
		switch (KC_EXIT_KIND(r[1])) {
		case KC_EXIT_MMIO:
			/* One byte of the guest's UART: a line is told when it ends. */
			if ((r[1] & KC_EXIT_F_WRITE) && r[2] == HELLO_UART && n < sizeof(line) - 1)
				line[n++] = (char)r[3];
			if (n && line[n - 1] == '\n') {
				line[n] = '\0';
				say("[host] VCPU_RUN -> MMIO exits: byte stores to the guarded UART page "
				    "0x09000000, emulated\n");
				say("[guest] ");
				puts_(line);
				n = 0;
			}
			finish = KC_RUN_MMIO_DONE;
			break;
		case KC_EXIT_FAULT:
			say_hex("[host] VCPU_RUN -> FAULT exit: the guest wrote to IPA ", r[2],
				", unbacked (the host learns the page, not the data)\n");
			step("[host] VM_MAP_FAULT with host frame 0x4c002000: it becomes the VM's",
			     KC_HC_VM_MAP_FAULT, vm, 0, VMG_BACKING >> 12, 3);
			demo_attack(VMG_BACKING);
			if (!demo_ok)
				runs = 64;
			break;
		case KC_EXIT_POWEROFF:
			say("[host] VCPU_RUN -> POWEROFF exit: the guest called PSCI SYSTEM_OFF\n");
			off = true;
			break;
		default:
			say_hex("[host] VCPU_RUN -> unexpected exit ", r[1], "\n");
			demo_ok = false;
			runs = 64;
			break;
		}
	}
	for (unsigned i = 0; i < 8 && left; i++)
		left = step("[host] VM_RECLAIM: the VM's frames back to the host, scrubbed",
			    KC_HC_VM_RECLAIM, vm, 16, 0, 0);
	step("[host] VM_DESTROY", KC_HC_VM_DESTROY, vm, 0, 0, 0);
	{
		uint64_t v = 1;
		bool back = host_load(VMG_BACKING, &v, NULL);

		say_hex("[host] the guest's page 0x4c002000 is the host's again and reads ", v,
			back && v == 0 ? " (scrubbed)\n" : "  <- not scrubbed\n");
		demo_ok = demo_ok && back && v == 0 && off;
	}
	say(demo_ok ? "ok\n" : "FAILED\n");
}
