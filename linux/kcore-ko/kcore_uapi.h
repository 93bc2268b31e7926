/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * kcore_uapi.h — /dev/kcore's ioctls (kcore.ko), shared by the module and
 * Linux userspace (kcore-vm).
 *
 * One open file is one VM: KCORE_VM_CREATE makes it, every other ioctl acts
 * on it, and closing the last reference tears it down (POWEROFF, RECLAIM
 * until nothing is left, DESTROY).  Each ioctl is one call of kcore's ABI
 * (core/include/kcore/abi.h), except that userspace never names a physical
 * address: the module allocates, pins and frees every host frame a VM gets
 * (image pages, the manifest page, fault backing).
 *
 * kcore's statuses come back as errno values, one each (and no other
 * errno comes from kcore): KC_ENOTSUP EOPNOTSUPP, KC_EINVAL EINVAL,
 * KC_EPERM EPERM, KC_ESTATE EBADFD, KC_ENOMEM ENOMEM, KC_EEXIST EEXIST,
 * KC_ENOENT ENOENT, KC_EAUTH EKEYREJECTED, KC_EBUSY EBUSY.
 */
#ifndef KCORE_UAPI_H
#define KCORE_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KCORE_PAGE_SIZE 4096

/* VM_SET_IMAGE: declare an image slot; index out. */
struct kcore_image {
	__u64 guest_base; /* in */
	__u64 size;	  /* in: bytes, page multiple */
	__u64 index;	  /* out */
};

/* VM_LOAD_IMAGE_PAGE: the module copies one page from `data` into a frame of its own. */
struct kcore_image_page {
	__u64 index; /* the slot VM_SET_IMAGE returned: its pages go in order, one per call */
	__u64 data;  /* user pointer to KCORE_PAGE_SIZE bytes */
};

/* VM_VERIFY: the manifest's bytes (<= one page; the rest of the page is zero). */
struct kcore_manifest {
	__u64 data; /* user pointer */
	__u64 size;
};

/*
 * VCPU_RUN: `finish` and `value` as kcore's KC_RUN_*; on return the exit
 * (x1: kind | flags) and x2, x3 as docs/VCPU.md says.  The module handles
 * FAULT exits itself (it backs the page and runs the vCPU again), and IRQ
 * and YIELD exits (it lets Linux take its interrupt or reschedule); a
 * signal ends the call with -EINTR before the vCPU runs, or with a YIELD
 * exit after (run again with KC_RUN_RESUME).
 */
struct kcore_run {
	__u32 vcpu;
	__u32 pad;
	__u64 finish;
	__u64 value;
	__u64 exit; /* out */
	__u64 x2;   /* out */
	__u64 x3;   /* out */
};

struct kcore_irq {
	__u32 vcpu;
	__u32 intid;
	__u32 priority;
	__u32 pad;
};

/* VM_RECLAIM: up to `max` frames back to the host; `left` out. */
struct kcore_reclaim {
	__u64 max;
	__u64 left;
};

#define KCORE_IOC		 0xCC
#define KCORE_VERSION		 _IOR(KCORE_IOC, 0x00, __u64) /* KC_HC_VERSION */
#define KCORE_VM_CREATE		 _IOR(KCORE_IOC, 0x01, __u64) /* out: the VM's id */
#define KCORE_VCPU_CREATE	 _IOW(KCORE_IOC, 0x02, __u32)
#define KCORE_VM_SET_IMAGE	 _IOWR(KCORE_IOC, 0x03, struct kcore_image)
#define KCORE_VM_LOAD_IMAGE_PAGE _IOW(KCORE_IOC, 0x04, struct kcore_image_page)
#define KCORE_VM_VERIFY		 _IOW(KCORE_IOC, 0x05, struct kcore_manifest)
#define KCORE_VCPU_RUN		 _IOWR(KCORE_IOC, 0x06, struct kcore_run)
#define KCORE_VM_POWEROFF	 _IO(KCORE_IOC, 0x09)
#define KCORE_VM_RECLAIM	 _IOWR(KCORE_IOC, 0x0A, struct kcore_reclaim)
#define KCORE_VM_DESTROY	 _IO(KCORE_IOC, 0x0B)
#define KCORE_VCPU_INJECT_IRQ	 _IOW(KCORE_IOC, 0x0C, struct kcore_irq)

/*
 * TEST HOOK, only when the module is loaded with test_hooks=1 (ci/linux-run
 * does; nothing else should): mmap() of /dev/kcore maps, read-only, page 0 =
 * the manifest frame (still the host's: the control) and page 1 + i = the
 * i-th frame the caller's own VM holds (image pages in load order, then
 * fault backing).  It names no other frame and tells no physical address;
 * it exists so a test can show that a VM's frame aborts a Linux process's
 * load (SIGBUS) while the host's own frame reads.
 */
/*
 * TEST HOOK too (test_hooks=1): mmap() at KCORE_MMAP_GUEST + IPA maps, read-write,
 * the page of the caller's VM at that guest physical address, if the module
 * backed it (an image page or a fault).  A load or store succeeds only
 * while the guest shares the page (KC_GC_SHARE): else SIGBUS.  Test-only
 * because the kernel itself must never touch such a mapping (a write(2)
 * from it while the page is the VM's would be an external abort in kernel
 * mode, an oops): a real VMM interface needs the module to know which
 * pages are shared, or Linux to recover from that abort in its uaccess.
 */
#define KCORE_MMAP_GUEST	 (1ull << 40)
#define KCORE_TEST_FRAMES	 _IOR(KCORE_IOC, 0x40, __u64) /* out: how many VM frames */

/*
 * TEST HOOK too (test_hooks=1), for ./ci/bench's linux_vm_fault4k_instr
 * (docs/BENCHMARKS.md): runs `vcpu` of the caller's VM (the `touch` guest,
 * which faults on page after page) to its first FAULT exit, then `rounds`
 * times `faults` round trips {back the fault as VCPU_RUN does; VCPU_RUN to
 * the next FAULT exit}, each round counted with PMU event counter 0
 * (INST_RETIRED at EL1 and EL2, not EL0) and counter 1 (at EL2 alone: kcore's
 * share).  `out` points at rounds x 3 u64s: the round's two counts, and how many interrupts (or non-FAULT exits) it saw:
 * a round with one is not exact.  Exact only on one CPU under -icount.
 */
struct kcore_fault_bench {
	__u32 vcpu;
	__u32 faults; /* per round */
	__u32 rounds;
	__u32 pad;
	__u64 out; /* user pointer: __u64[rounds][3] */
};

#define KCORE_TEST_FAULT_BENCH _IOW(KCORE_IOC, 0x41, struct kcore_fault_bench)

#endif
