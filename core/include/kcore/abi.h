/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/abi.h — the ABI that the host (KServ) and guests see.
 *
 * Calls follow the Arm SMC Calling Convention: `hvc #0` with the function id
 * in x0 and arguments in x1..x6; on return x0 holds the status (0 or one of
 * the negative KC_E* values below) and x1..x3 hold results.  Every argument
 * register a call does not use must be zero, or the call fails with
 * KC_EINVAL.
 *
 * The error *names* are the contract (DESIGN.md §3); the numbers are fixed
 * here and never reused.  KC_ENOTSUP is SMCCC's NOT_SUPPORTED (-1) so that a
 * caller probing an unknown id sees the value SMCCC promises.
 *
 * This header is shared by kcore, the hosted model, tools and tests; it
 * depends only on <stdint.h>.
 */
#ifndef KCORE_ABI_H
#define KCORE_ABI_H

#include <stdint.h>

/*
 * ABI version returned by KC_HC_VERSION: major in bits [31:16], minor [15:0].
 * 0.2: the vCPU boundary (exits that show only what the guest chose, MMIO
 * guard, PSCI in kcore, manifest v2).  0.3: VCPU_INJECT_IRQ, the IRQ and
 * SGI exits, WFI's x2 = the virtual timer's deadline.
 */
#define KC_ABI_VERSION_MAJOR	 0
#define KC_ABI_VERSION_MINOR	 4 /* 0.4: the SMMU calls (0x0D-0x14) */
#define KC_ABI_VERSION		 ((KC_ABI_VERSION_MAJOR << 16) | KC_ABI_VERSION_MINOR)

/*
 * Function ids: SMC64 fast calls in the vendor-specific hypervisor service
 * range.  Bit 31 = fast call, bit 30 = SMC64, bits [29:24] = owner 6
 * (vendor-specific hypervisor service), bits [15:0] = function number.
 */
#define KC_FN_BASE		 0xC6000000u
#define KC_FN(n)		 (KC_FN_BASE | (uint32_t)(n))
#define KC_FN_NUM(id)		 ((uint32_t)(id) & 0xFFFFu)

/* Host (KServ) calls.  Numbers are stable; new calls take new numbers. */
#define KC_HC_VERSION		 KC_FN(0x00)
#define KC_HC_VM_CREATE		 KC_FN(0x01)
#define KC_HC_VCPU_CREATE	 KC_FN(0x02)
#define KC_HC_VM_SET_IMAGE	 KC_FN(0x03)
#define KC_HC_VM_LOAD_IMAGE_PAGE KC_FN(0x04)
#define KC_HC_VM_VERIFY		 KC_FN(0x05)
#define KC_HC_VCPU_RUN		 KC_FN(0x06)
#define KC_HC_VM_MAP_FAULT	 KC_FN(0x07)
#define KC_HC_VM_MAP_IO		 KC_FN(0x08)
#define KC_HC_VM_POWEROFF	 KC_FN(0x09)
#define KC_HC_VM_RECLAIM	 KC_FN(0x0A)
#define KC_HC_VM_DESTROY	 KC_FN(0x0B)
#define KC_HC_VCPU_INJECT_IRQ	 KC_FN(0x0C) /* x1 vm, x2 vcpu, x3 INTID, x4 priority (docs/VCPU.md) */

/*
 * IO domains and the SMMU (docs/SMMU.md).  A domain belongs to the host
 * (ALLOC x1 = 0) or to one VM; its IO page table is kcore's.  The host's
 * domains map host frames and IO: each live mapping of a host frame raises
 * the frame's DMA count, and a frame whose count is not 0 cannot be given
 * to a VM or to kcore (KC_EBUSY).  A VM's domains map only that VM's
 * frames, at IOVA = the IPA kcore recorded for the frame, and VM_RECLAIM /
 * VM_DESTROY of the VM are KC_EBUSY while one lives.  Every UNMAP, DETACH
 * and FREE has invalidated the IOTLB before it returns.  No SMMU in the
 * layout (or max_iodoms 0): every one of these calls is KC_ENOTSUP.
 * MAP's rights are KC_IO_R or KC_IO_R | KC_IO_W (W alone: KC_EINVAL).
 */
#define KC_HC_IODOM_ALLOC	 KC_FN(0x0D) /* x1 owner (0 = host, else VM id) -> x1 domain id */
#define KC_HC_IODOM_FREE	 KC_FN(0x0E) /* x1 domain (no stream attached): unmap all, free */
#define KC_HC_IODOM_ATTACH	 KC_FN(0x0F) /* x1 domain, x2 SMMU index, x3 stream id */
#define KC_HC_IODOM_DETACH	 KC_FN(0x10) /* x1 domain, x2 SMMU index, x3 stream id */
#define KC_HC_IODOM_MAP		 KC_FN(0x11) /* x1 domain, x2 IOVA, x3 PA, x4 pages, x5 KC_IO_* */
#define KC_HC_IODOM_UNMAP	 KC_FN(0x12) /* x1 domain, x2 IOVA, x3 pages */
#define KC_HC_IODOM_LOOKUP	 KC_FN(0x13) /* x1 domain, x2 IOVA -> x1 PA of that IOVA, x2 KC_IO_* */
/*
 * SMMU_EVENT: the oldest DMA fault not yet reported -> x1 = SMMU index << 32
 * | stream id, x2 = the IOVA (0 when the stream is a VM's: a VM's DMA
 * addresses are its own), x3 = fault kind (platform.h kc_smmu_fault) |
 * KC_IO_W << 8 for a write.  KC_ENOENT when there is none.
 */
#define KC_HC_SMMU_EVENT	 KC_FN(0x14)
#define KC_IO_R			 (1u << 0) /* devices may read */
#define KC_IO_W			 (1u << 1) /* devices may write */
#define KC_IODOM_MAX_PAGES	 512u	   /* pages one MAP or UNMAP call takes, at most */
/*
 * VCPU_INJECT_IRQ: the interrupts a virtual GICv3 CPU interface can hold:
 * SGIs 0-15, PPIs 16-31, SPIs 32-1019; never a special INTID (1020-1023)
 * or an LPI.  x3 holds the INTID only (no HW bit, no physical INTID, no
 * state: kcore builds the list register).  The priority in x4 is one of
 * the 32 levels every virtual interface implements: a multiple of 8.
 */
#define KC_IRQ_MAX_INTID	 1019u
#define KC_IRQ_PRIO_MASK	 0xf8u

/*
 * Guest calls (from a VM, `hvc #0`), docs/VCPU.md.  SMCCC: the function id
 * is W0 (bits [63:32] of x0 are ignored); kcore's own guest calls take
 * their arguments in x1.. and every unused register up to x6 must be zero
 * (else KC_EINVAL in x0, nothing changed).
 */
#define KC_GC_SHARE		 KC_FN(0x80) /* x1 gfn, x2 pages */
#define KC_GC_UNSHARE		 KC_FN(0x81) /* x1 gfn, x2 pages */
#define KC_GC_MMIO_GUARD_MAP	 KC_FN(0x82) /* x1 IPA (page aligned): the host may emulate it */
#define KC_GC_MMIO_GUARD_UNMAP	 KC_FN(0x83) /* x1 IPA (page aligned) */

/* SMCCC architecture calls, answered by kcore (to the host and to guests). */
#define KC_SMCCC_VERSION	 0x80000000u
#define KC_SMCCC_ARCH_FEATURES	 0x80000001u
#define KC_SMCCC_VERSION_1_1	 0x10001u

/*
 * SMCCC's vendor-specific hypervisor service queries (owner 6, SMC32), for
 * the host to find out it runs on kcore: the UID is kcore's UUID
 * b3662f34-2334-448b-9d0f-b6b8c2ddf3fe, returned as four little-endian
 * words in x0..x3 as SMCCC says; the revision is the ABI version.
 */
#define KC_SMCCC_HYP_CALL_UID	 0x8600FF01u
#define KC_SMCCC_HYP_REVISION	 0x8600FF03u
#define KC_HYP_UID_0		 0x342f66b3u
#define KC_HYP_UID_1		 0x8b443423u
#define KC_HYP_UID_2		 0xb8b60f9du
#define KC_HYP_UID_3		 0xfef3ddc2u

/*
 * PSCI (SMCCC standard secure service range) as a guest issues it; kcore
 * answers every PSCI call itself (docs/VCPU.md).  SMC32 ids take their
 * arguments in W registers; SMC64 ids (0xC4...) in X registers.
 */
#define KC_PSCI_VERSION		 0x84000000u
#define KC_PSCI_CPU_SUSPEND	 0x84000001u
#define KC_PSCI_CPU_SUSPEND64	 0xC4000001u
#define KC_PSCI_CPU_OFF		 0x84000002u
#define KC_PSCI_CPU_ON		 0x84000003u
#define KC_PSCI_CPU_ON64	 0xC4000003u
#define KC_PSCI_AFFINITY_INFO	 0x84000004u
#define KC_PSCI_AFFINITY_INFO64	 0xC4000004u
#define KC_PSCI_SYSTEM_OFF	 0x84000008u
#define KC_PSCI_SYSTEM_RESET	 0x84000009u
#define KC_PSCI_FEATURES	 0x8400000Au
#define KC_PSCI_VERSION_1_0	 0x10000u
/* PSCI return values (x0 of a PSCI call). */
#define KC_PSCI_SUCCESS		 0
#define KC_PSCI_NOT_SUPPORTED	 (-1)
#define KC_PSCI_INVALID_PARAMS	 (-2)
#define KC_PSCI_DENIED		 (-3)
#define KC_PSCI_ALREADY_ON	 (-4)
#define KC_PSCI_INVALID_ADDRESS	 (-9)
/* AFFINITY_INFO results. */
#define KC_PSCI_AFF_ON		 0
#define KC_PSCI_AFF_OFF		 1

/*
 * VCPU_RUN(x1 vmid, x2 vcpu, x3 finish, x4 value): `finish` says how the
 * host completed the vCPU's last exit before it runs again.
 */
#define KC_RUN_RESUME		 0 /* nothing to complete; x4 must be 0 */
#define KC_RUN_MMIO_DONE	 1 /* the host emulated the pending MMIO exit; x4 = data of a load */
#define KC_RUN_CALL_DONE	 2 /* the host handled the forwarded call; x4 = the guest's x0 */

/*
 * VCPU_RUN results: x1 = exit kind | flags, x2 and x3 as listed.  What each
 * exit shows the host, and what the host may do before re-entry, is the
 * table in docs/VCPU.md: nothing else of the guest leaves kcore.
 */
#define KC_EXIT_KIND(x1)	 ((x1) & 0xffu)
#define KC_EXIT_FAULT		 1 /* stage-2 fault: x2 = IPA of the page; F_WRITE / F_FETCH */
#define KC_EXIT_CALL		 2 /* forwarded guest call: x2 = function id (W0), x3 = its argument */
#define KC_EXIT_POWEROFF	 3 /* PSCI SYSTEM_OFF (or SYSTEM_RESET, F_RESET): the VM is POWEROFF */
#define KC_EXIT_WFI		 4 /* the guest waits for an interrupt (WFI, PSCI CPU_SUSPEND) */
#define KC_EXIT_YIELD		 5 /* kcore handled many traps in a row: run it again */
#define KC_EXIT_UNKNOWN		 6 /* a trap kcore does not handle: x2 = ESR_EL2.EC only */
#define KC_EXIT_MMIO                                                                               \
	7		     /* load/store to a page the guest guarded: x2 = IPA, F_WRITE,
				      F_SIZE; x3 = the data of a store */
#define KC_EXIT_CPU_ON	   8 /* PSCI CPU_ON brought up vCPU x2: the host may run it now */
#define KC_EXIT_CPU_OFF	   9 /* PSCI CPU_OFF: this vCPU is off until a CPU_ON */
/* Flags. */
#define KC_EXIT_F_WRITE	   (1u << 8)  /* FAULT, MMIO: a store */
#define KC_EXIT_F_FETCH	   (1u << 10) /* FAULT: an instruction fetch */
#define KC_EXIT_F_RESET	   (1u << 11) /* POWEROFF: the guest asked for SYSTEM_RESET */
#define KC_EXIT_F_SIZE(x1) (1u << (((x1) >> 12) & 3)) /* MMIO: bytes accessed */

/*
 * A physical IRQ or FIQ came while the guest ran (the host's: it takes it
 * once VCPU_RUN returns).  x2 = x3 = 0: nothing of the guest.  A WFI exit's
 * x2 is when the guest's virtual timer is due (docs/VCPU.md), 0 if never.
 */
#define KC_EXIT_IRQ	   10

/*
 * The guest sent an SGI (wrote ICC_SGI1R_EL1): x2 = what it wrote, its
 * defined fields only (INTID [27:24], Aff3/RS/IRM/Aff2/Aff1, TargetList
 * [15:0]; Aff0 = vCPU index).  The host delivers it with VCPU_INJECT_IRQ;
 * the guest goes on after its MSR (RESUME).
 */
#define KC_EXIT_SGI	   11

/* Status codes (x0 on return).  0 is success. */
#define KC_OK		   0
#define KC_ENOTSUP	   (-1) /* unknown call (SMCCC NOT_SUPPORTED) */
#define KC_EINVAL	   (-2) /* malformed: range, alignment, reserved bits, MBZ registers */
#define KC_EPERM	   (-3) /* ownership or permission says no */
#define KC_ESTATE	   (-4) /* wrong VM or vCPU state */
#define KC_ENOMEM	   (-5) /* a pool is exhausted */
#define KC_EEXIST	   (-6) /* slot already mapped, or id in use */
#define KC_ENOENT	   (-7) /* nothing there */
#define KC_EAUTH	   (-8) /* signature or tag check failed */
#define KC_EBUSY	   (-9) /* e.g. vCPU running elsewhere, frame shared */

#define KC_ERR_MIN	   KC_EBUSY /* the most negative status defined */

#endif /* KCORE_ABI_H */
