/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Table-driven transition test, in pKVM's style: every row names a starting
 * situation, one host call (or host access, or guest call) with its
 * arguments, the status it must return, and what it must have done.
 *
 * A row's frame argument is named by the frame's *state*, never by number,
 * so each call that takes a frame is tried on every kind of frame the host
 * could offer: free, already mapped by the host, kcore's own (image and
 * pool), this VM's, another VM's, shared by a VM, device space, beyond RAM.
 *
 * After every row: invariants 1-7 (kf_check); for a failing row, kcore's
 * state digest is unchanged (error atomicity); for a succeeding row, the
 * frame's new owner, the VM and vCPU states, and the results.  Each row is
 * its own cmocka test on a fresh machine, so one failure hides no other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define IMG_BASE  0x80000000ull
#define IMG_PAGES 2
#define DATA_IPA  0x90003008ull /* where the guest's store faults: inside a 2 MiB block */
#define DATA_GFN  (DATA_IPA >> 12)
#define BLOCK_GFN ((DATA_IPA & ~0x1FFFFFull) >> 12)
#define IO_IPA	  0xA0000000ull /* this VM's device page (VM_MAP_IO in the setup) */
#define IO_IPA2	  0xA0200000ull /* one more, for MAP_IO rows */
#define NEW_BASE  0xB0000000ull /* a free range for SET_IMAGE rows */
#define RAM_END	  (KF_RAM_BASE + KF_RAM_SIZE)

/* Starting situations.  "This VM" is id 2; VM 1 always exists beside it. */
enum setup {
	S_NONE,	      /* id 2 is free */
	S_CREATED,    /* VM 2 CREATED with vCPU 0, nothing else */
	S_LOADING,    /* + a device page, a 2-page image slot, one page loaded */
	S_LOADED,     /* + the second page: ready to verify (manifest in a host frame) */
	S_VERIFIED,   /* VM_VERIFY passed; vCPU 0 never ran */
	S_FAULTED,    /* vCPU 0 ran and stopped on a stage-2 fault at DATA_IPA */
	S_MAPPED,     /* the host backed it (level 3); the guest went on to a WFI */
	S_SHARED,     /* the guest shared its data page (count 1) */
	S_POWEROFF,   /* S_MAPPED, then VM_POWEROFF: frames still held */
	S_LOADED_OFF, /* S_LOADED, then VM_POWEROFF: image frames never mapped */
	S_RECLAIMED,  /* S_POWEROFF, then VM_RECLAIM: nothing left */
	S_FULL,	      /* S_CREATED, and every other id in use too */
};

/* Frame arguments, by state. */
enum frame {
	F_NA,		/* the row takes no frame */
	F_HOST,		/* a host frame the host never touched */
	F_HOST_MAPPED,	/* a host frame the host touched (in its stage 2 and TLB) */
	F_CORE_IMAGE,	/* kcore's image (the first frame of RAM) */
	F_CORE_POOL,	/* kcore's metadata and table pool */
	F_THIS_VM,	/* this VM's first image frame */
	F_THIS_DATA,	/* this VM's data frame (S_MAPPED and later) */
	F_OTHER_VM,	/* VM 1's image frame */
	F_SHARED,	/* VM 1's data frame, shared with the host (count 1) */
	F_IO,		/* device space (this VM holds it from S_LOADING on) */
	F_IO_FREE,	/* device space no VM holds */
	F_BEYOND,	/* the first frame past RAM */
	F_MANIFEST,	/* the setup's signed manifest, written by the host */
	F_MANIFEST_RAW, /* the same bytes in a frame the host never mapped */
};

enum op {
	OP_HC,	       /* host call fn(a[0..3]) */
	OP_HOST_READ,  /* host load of the frame: expect is an hm_fault */
	OP_HOST_WRITE, /* host store to the frame: expect is an hm_fault */
	OP_GUEST,      /* vCPU 0 of this VM calls fn(a[0], a[1]) */
};

enum arg_kind { A_LIT, A_VM, A_PFN, A_PA };
struct arg {
	enum arg_kind kind;
	uint64_t v;
};
#define L(x) { A_LIT, (x) }
#define VM   { A_VM, 0 }
#define PFN  { A_PFN, 0 }
#define PA   { A_PA, 0 }

/* What a succeeding row must have done (failing rows: nothing at all). */
enum effect {
	E_NONE,	     /* an error row */
	E_SAME,	     /* succeeds and changes nothing */
	E_NEW_VM,    /* r[0] == arg, and that VM is CREATED */
	E_VCPU1,     /* vCPU 1 READY */
	E_SLOT,	     /* r[0] == arg (image index) */
	E_LOADED,    /* the frame is this VM's, at image page 1; host lost it */
	E_VERIFIED,  /* VERIFIED, images mapped, entry pc set, manifest frame still host's */
	E_EXIT,	     /* exit kind == arg */
	E_MAPPED,    /* the frame (or run) is this VM's at the fault's gfn; host lost it */
	E_IO,	     /* IO_IPA2 maps the PA as a device */
	E_STATE,     /* this VM's state == arg */
	E_RECLAIMED, /* r[0] == 0, every frame back with the host, scrubbed */
	E_HOST_OK,   /* the frame's owner did not change */
	E_COUNT,     /* the frame's count == arg; the host may read it iff count > 0 */
};

struct row {
	const char *name;
	enum setup setup;
	enum op op;
	uint64_t fn;
	struct arg a[4];
	enum frame frame;
	bool run; /* the frame argument is a 2 MiB run (VM_MAP_FAULT level 2) */
	int expect;
	enum effect effect;
	int64_t effect_arg;
};

#define HC(fn_)		  OP_HC, KC_HC_##fn_
#define ROW(n, s, o, ...) { n, s, o, __VA_ARGS__ }
#define NOARGS		  { L(0), L(0), L(0), L(0) }

static const struct row rows[] = {
	/* VERSION and VM_CREATE do not depend on a VM. */
	ROW("VERSION", S_VERIFIED, HC(VERSION), NOARGS, F_NA, false, KC_OK, E_SAME, 0),
	ROW("VM_CREATE/free id", S_NONE, HC(VM_CREATE), NOARGS, F_NA, false, KC_OK, E_NEW_VM, 2),
	ROW("VM_CREATE/next id", S_VERIFIED, HC(VM_CREATE), NOARGS, F_NA, false, KC_OK, E_NEW_VM,
	    3),
	ROW("VM_CREATE/all ids used", S_FULL, HC(VM_CREATE), NOARGS, F_NA, false, KC_ENOMEM, E_NONE,
	    0),

	/* VCPU_CREATE(vm, 1) in each VM state. */
	ROW("VCPU_CREATE/FREE", S_NONE, HC(VCPU_CREATE), { VM, L(1), L(0), L(0) }, F_NA, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("VCPU_CREATE/CREATED", S_CREATED, HC(VCPU_CREATE), { VM, L(1), L(0), L(0) }, F_NA,
	    false, KC_OK, E_VCPU1, 0),
	ROW("VCPU_CREATE/CREATED loaded", S_LOADED, HC(VCPU_CREATE), { VM, L(1), L(0), L(0) }, F_NA,
	    false, KC_OK, E_VCPU1, 0),
	ROW("VCPU_CREATE/vcpu exists", S_CREATED, HC(VCPU_CREATE), { VM, L(0), L(0), L(0) }, F_NA,
	    false, KC_EEXIST, E_NONE, 0),
	ROW("VCPU_CREATE/VERIFIED", S_VERIFIED, HC(VCPU_CREATE), { VM, L(1), L(0), L(0) }, F_NA,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("VCPU_CREATE/POWEROFF", S_POWEROFF, HC(VCPU_CREATE), { VM, L(1), L(0), L(0) }, F_NA,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("VCPU_CREATE/RECLAIMED", S_RECLAIMED, HC(VCPU_CREATE), { VM, L(1), L(0), L(0) }, F_NA,
	    false, KC_ESTATE, E_NONE, 0),

	/* VM_SET_IMAGE(vm, base, size). */
	ROW("SET_IMAGE/FREE", S_NONE, HC(VM_SET_IMAGE), { VM, L(NEW_BASE), L(0x2000), L(0) }, F_NA,
	    false, KC_ENOENT, E_NONE, 0),
	ROW("SET_IMAGE/CREATED", S_CREATED, HC(VM_SET_IMAGE), { VM, L(NEW_BASE), L(0x2000), L(0) },
	    F_NA, false, KC_OK, E_SLOT, 0),
	ROW("SET_IMAGE/second slot", S_LOADED, HC(VM_SET_IMAGE),
	    { VM, L(NEW_BASE), L(0x2000), L(0) }, F_NA, false, KC_OK, E_SLOT, 1),
	ROW("SET_IMAGE/overlaps image", S_LOADED, HC(VM_SET_IMAGE),
	    { VM, L(IMG_BASE + 0x1000), L(0x2000), L(0) }, F_NA, false, KC_EEXIST, E_NONE, 0),
	ROW("SET_IMAGE/over a device page", S_LOADED, HC(VM_SET_IMAGE),
	    { VM, L(IO_IPA - 0x1000), L(0x2000), L(0) }, F_NA, false, KC_EEXIST, E_NONE, 0),
	ROW("SET_IMAGE/VERIFIED", S_VERIFIED, HC(VM_SET_IMAGE),
	    { VM, L(NEW_BASE), L(0x2000), L(0) }, F_NA, false, KC_ESTATE, E_NONE, 0),
	ROW("SET_IMAGE/POWEROFF", S_POWEROFF, HC(VM_SET_IMAGE),
	    { VM, L(NEW_BASE), L(0x2000), L(0) }, F_NA, false, KC_ESTATE, E_NONE, 0),

	/* VM_LOAD_IMAGE_PAGE(vm, 0, pfn): every frame state, then every VM state. */
	ROW("LOAD/host frame", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) }, F_HOST,
	    false, KC_OK, E_LOADED, 0),
	ROW("LOAD/host-mapped frame", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_HOST_MAPPED, false, KC_OK, E_LOADED, 0),
	ROW("LOAD/CORE image", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_CORE_IMAGE, false, KC_EPERM, E_NONE, 0),
	ROW("LOAD/CORE pool", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_CORE_POOL, false, KC_EPERM, E_NONE, 0),
	ROW("LOAD/own image frame", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_THIS_VM, false, KC_EPERM, E_NONE, 0),
	ROW("LOAD/other VM frame", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_OTHER_VM, false, KC_EPERM, E_NONE, 0),
	ROW("LOAD/shared VM frame", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_SHARED, false, KC_EPERM, E_NONE, 0),
	ROW("LOAD/IO", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) }, F_IO, false,
	    KC_EINVAL, E_NONE, 0),
	ROW("LOAD/beyond RAM", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) }, F_BEYOND,
	    false, KC_EINVAL, E_NONE, 0),
	ROW("LOAD/undeclared slot", S_LOADING, HC(VM_LOAD_IMAGE_PAGE), { VM, L(1), PFN, L(0) },
	    F_HOST, false, KC_ENOENT, E_NONE, 0),
	ROW("LOAD/FREE", S_NONE, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) }, F_HOST, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("LOAD/CREATED no slot", S_CREATED, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_HOST, false, KC_ENOENT, E_NONE, 0),
	ROW("LOAD/image complete", S_LOADED, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) },
	    F_HOST, false, KC_ESTATE, E_NONE, 0),
	ROW("LOAD/VERIFIED", S_VERIFIED, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("LOAD/POWEROFF", S_LOADED_OFF, HC(VM_LOAD_IMAGE_PAGE), { VM, L(0), PFN, L(0) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),

	/* VM_VERIFY(vm, manifest pfn). */
	ROW("VERIFY/manifest host never mapped", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) },
	    F_MANIFEST_RAW, false, KC_OK, E_VERIFIED, 0),
	ROW("VERIFY/manifest host-mapped", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) },
	    F_MANIFEST, false, KC_OK, E_VERIFIED, 0),
	ROW("VERIFY/CORE image", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_CORE_IMAGE,
	    false, KC_EPERM, E_NONE, 0),
	ROW("VERIFY/CORE pool", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_CORE_POOL,
	    false, KC_EPERM, E_NONE, 0),
	ROW("VERIFY/own image frame", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_THIS_VM,
	    false, KC_EPERM, E_NONE, 0),
	ROW("VERIFY/other VM frame", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_OTHER_VM,
	    false, KC_EPERM, E_NONE, 0),
	ROW("VERIFY/shared VM frame", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_SHARED,
	    false, KC_EPERM, E_NONE, 0),
	ROW("VERIFY/IO", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_IO, false, KC_EINVAL,
	    E_NONE, 0),
	ROW("VERIFY/beyond RAM", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_BEYOND, false,
	    KC_EINVAL, E_NONE, 0),
	ROW("VERIFY/empty host frame", S_LOADED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_HOST,
	    false, KC_EINVAL, E_NONE, 0),
	ROW("VERIFY/FREE", S_NONE, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_HOST, false, KC_ENOENT,
	    E_NONE, 0),
	ROW("VERIFY/CREATED no image", S_CREATED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("VERIFY/image incomplete", S_LOADING, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("VERIFY/VERIFIED", S_VERIFIED, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_MANIFEST,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("VERIFY/POWEROFF", S_LOADED_OFF, HC(VM_VERIFY), { VM, PFN, L(0), L(0) }, F_MANIFEST,
	    false, KC_ESTATE, E_NONE, 0),

	/* VCPU_RUN(vm, vcpu, finish, value). */
	ROW("RUN/FREE", S_NONE, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA, false, KC_ENOENT,
	    E_NONE, 0),
	ROW("RUN/CREATED", S_CREATED, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("RUN/CREATED loaded", S_LOADED, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("RUN/VERIFIED", S_VERIFIED, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA, false, KC_OK,
	    E_EXIT, KC_EXIT_WFI),
	ROW("RUN/unbacked fault again", S_FAULTED, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA,
	    false, KC_OK, E_EXIT, KC_EXIT_FAULT),
	/* A fault on memory the guest never declared MMIO cannot be "emulated" (issue 9). */
	ROW("RUN/MMIO_DONE on a RAM fault", S_FAULTED, HC(VCPU_RUN),
	    { VM, L(0), L(KC_RUN_MMIO_DONE), L(0) }, F_NA, false, KC_ESTATE, E_NONE, 0),
	ROW("RUN/vcpu not created", S_MAPPED, HC(VCPU_RUN), { VM, L(1), L(0), L(0) }, F_NA, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("RUN/POWEROFF", S_POWEROFF, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("RUN/RECLAIMED", S_RECLAIMED, HC(VCPU_RUN), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),

	/* VM_MAP_FAULT(vm, 0, pfn, 3): every frame state. */
	ROW("MAP_FAULT3/host frame", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_HOST,
	    false, KC_OK, E_MAPPED, 0),
	ROW("MAP_FAULT3/host-mapped frame", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_HOST_MAPPED, false, KC_OK, E_MAPPED, 0),
	ROW("MAP_FAULT3/CORE image", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_CORE_IMAGE, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT3/CORE pool", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_CORE_POOL, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT3/own image frame", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_THIS_VM, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT3/other VM frame", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_OTHER_VM, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT3/shared VM frame", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_SHARED, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT3/IO", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_IO, false,
	    KC_EINVAL, E_NONE, 0),
	ROW("MAP_FAULT3/beyond RAM", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_BEYOND,
	    false, KC_EINVAL, E_NONE, 0),
	/* ... at level 2: the frame is a 2 MiB aligned run of 512. */
	ROW("MAP_FAULT2/host run", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(2) }, F_HOST,
	    true, KC_OK, E_MAPPED, 0),
	ROW("MAP_FAULT2/host run, one frame host-mapped", S_FAULTED, HC(VM_MAP_FAULT),
	    { VM, L(0), PFN, L(2) }, F_HOST_MAPPED, true, KC_OK, E_MAPPED, 0),
	ROW("MAP_FAULT2/run with CORE image", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(2) },
	    F_CORE_IMAGE, true, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT2/run with CORE pool", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(2) },
	    F_CORE_POOL, true, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT2/run with own frame", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(2) },
	    F_THIS_VM, true, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT2/run with other VM frame", S_FAULTED, HC(VM_MAP_FAULT),
	    { VM, L(0), PFN, L(2) }, F_OTHER_VM, true, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT2/run with shared frame", S_FAULTED, HC(VM_MAP_FAULT),
	    { VM, L(0), PFN, L(2) }, F_SHARED, true, KC_EPERM, E_NONE, 0),
	ROW("MAP_FAULT2/IO run", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(2) }, F_IO, true,
	    KC_EINVAL, E_NONE, 0),
	ROW("MAP_FAULT2/beyond RAM", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(2) }, F_BEYOND,
	    true, KC_EINVAL, E_NONE, 0),
	/* ... in every other state. */
	ROW("MAP_FAULT/FREE", S_NONE, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_HOST, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("MAP_FAULT/CREATED", S_CREATED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("MAP_FAULT/CREATED loaded", S_LOADED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),
	ROW("MAP_FAULT/no fault recorded", S_VERIFIED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_HOST, false, KC_ESTATE, E_NONE, 0),
	ROW("MAP_FAULT/fault already backed", S_MAPPED, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) },
	    F_HOST, false, KC_ESTATE, E_NONE, 0),
	ROW("MAP_FAULT/vcpu not created", S_FAULTED, HC(VM_MAP_FAULT), { VM, L(1), PFN, L(3) },
	    F_HOST, false, KC_ENOENT, E_NONE, 0),
	ROW("MAP_FAULT/POWEROFF", S_POWEROFF, HC(VM_MAP_FAULT), { VM, L(0), PFN, L(3) }, F_HOST,
	    false, KC_ESTATE, E_NONE, 0),

	/* VM_MAP_IO(vm, gpa, pa, 1). */
	ROW("MAP_IO/FREE", S_NONE, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_IO, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("MAP_IO/CREATED", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_IO, false,
	    KC_OK, E_IO, 0),
	ROW("MAP_IO/CREATED loaded", S_LOADED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_IO,
	    false, KC_OK, E_IO, 0),
	ROW("MAP_IO/beyond RAM (IO to kcore)", S_CREATED, HC(VM_MAP_IO),
	    { VM, L(IO_IPA2), PA, L(1) }, F_BEYOND, false, KC_OK, E_IO, 0),
	ROW("MAP_IO/host RAM", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_HOST,
	    false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/host-mapped RAM", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) },
	    F_HOST_MAPPED, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/CORE image", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) },
	    F_CORE_IMAGE, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/CORE pool", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_CORE_POOL,
	    false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/own image frame", S_LOADED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) },
	    F_THIS_VM, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/other VM frame", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) },
	    F_OTHER_VM, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/shared VM frame", S_CREATED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) },
	    F_SHARED, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/over the image", S_LOADED, HC(VM_MAP_IO), { VM, L(IMG_BASE), PA, L(1) }, F_IO,
	    false, KC_EEXIST, E_NONE, 0),
	ROW("MAP_IO/over a device page", S_LOADED, HC(VM_MAP_IO), { VM, L(IO_IPA), PA, L(1) }, F_IO,
	    false, KC_EEXIST, E_NONE, 0),
	/* Once verified, inside a window of its signed layout only. */
	ROW("MAP_IO/VERIFIED", S_VERIFIED, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_IO, false,
	    KC_OK, E_IO, 0),
	ROW("MAP_IO/VERIFIED outside its windows", S_VERIFIED, HC(VM_MAP_IO),
	    { VM, L(NEW_BASE), PA, L(1) }, F_IO, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/VERIFIED over its RAM", S_VERIFIED, HC(VM_MAP_IO),
	    { VM, L(DATA_IPA & ~0xFFFull), PA, L(1) }, F_IO, false, KC_EPERM, E_NONE, 0),
	ROW("MAP_IO/VERIFIED across the window's end", S_VERIFIED, HC(VM_MAP_IO),
	    { VM, L(KF_LAYOUT_IO + KF_LAYOUT_IO_SIZE - 0x1000), PA, L(2) }, F_IO, false, KC_EPERM,
	    E_NONE, 0),
	ROW("MAP_IO/POWEROFF", S_POWEROFF, HC(VM_MAP_IO), { VM, L(IO_IPA2), PA, L(1) }, F_IO, false,
	    KC_ESTATE, E_NONE, 0),

	/* VM_POWEROFF(vm). */
	ROW("POWEROFF/FREE", S_NONE, HC(VM_POWEROFF), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("POWEROFF/CREATED", S_CREATED, HC(VM_POWEROFF), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_OK, E_STATE, KF_VM_POWEROFF),
	ROW("POWEROFF/CREATED loaded", S_LOADED, HC(VM_POWEROFF), { VM, L(0), L(0), L(0) }, F_NA,
	    false, KC_OK, E_STATE, KF_VM_POWEROFF),
	ROW("POWEROFF/VERIFIED", S_VERIFIED, HC(VM_POWEROFF), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_OK, E_STATE, KF_VM_POWEROFF),
	ROW("POWEROFF/fault pending", S_FAULTED, HC(VM_POWEROFF), { VM, L(0), L(0), L(0) }, F_NA,
	    false, KC_OK, E_STATE, KF_VM_POWEROFF),
	ROW("POWEROFF/POWEROFF", S_POWEROFF, HC(VM_POWEROFF), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),

	/* VM_RECLAIM(vm, max). */
	ROW("RECLAIM/FREE", S_NONE, HC(VM_RECLAIM), { VM, L(1000), L(0), L(0) }, F_NA, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("RECLAIM/CREATED", S_LOADED, HC(VM_RECLAIM), { VM, L(1000), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("RECLAIM/VERIFIED", S_MAPPED, HC(VM_RECLAIM), { VM, L(1000), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("RECLAIM/POWEROFF", S_POWEROFF, HC(VM_RECLAIM), { VM, L(1000), L(0), L(0) }, F_NA,
	    false, KC_OK, E_RECLAIMED, 0),
	ROW("RECLAIM/POWEROFF never verified", S_LOADED_OFF, HC(VM_RECLAIM),
	    { VM, L(1000), L(0), L(0) }, F_NA, false, KC_OK, E_RECLAIMED, 0),
	ROW("RECLAIM/nothing left", S_RECLAIMED, HC(VM_RECLAIM), { VM, L(1000), L(0), L(0) }, F_NA,
	    false, KC_OK, E_SAME, 0),

	/* VM_DESTROY(vm). */
	ROW("DESTROY/FREE", S_NONE, HC(VM_DESTROY), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ENOENT, E_NONE, 0),
	ROW("DESTROY/CREATED", S_CREATED, HC(VM_DESTROY), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("DESTROY/VERIFIED", S_VERIFIED, HC(VM_DESTROY), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_ESTATE, E_NONE, 0),
	ROW("DESTROY/POWEROFF, frames held", S_POWEROFF, HC(VM_DESTROY), { VM, L(0), L(0), L(0) },
	    F_NA, false, KC_EBUSY, E_NONE, 0),
	ROW("DESTROY/reclaimed", S_RECLAIMED, HC(VM_DESTROY), { VM, L(0), L(0), L(0) }, F_NA, false,
	    KC_OK, E_STATE, KF_VM_FREE),

	/* Host stage-2 faults: the host touches a frame in each state. */
	ROW("HOST_READ/host frame", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_HOST, false, HM_FAULT_NONE,
	    E_HOST_OK, 0),
	ROW("HOST_READ/host-mapped frame", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_HOST_MAPPED, false,
	    HM_FAULT_NONE, E_SAME, 0),
	ROW("HOST_READ/CORE image", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_CORE_IMAGE, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/CORE pool", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_CORE_POOL, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/VM image frame", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_THIS_VM, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/loaded, unverified image frame", S_LOADING, OP_HOST_READ, 0, NOARGS,
	    F_THIS_VM, false, HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/VM data frame", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_THIS_DATA, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/powered-off VM frame", S_POWEROFF, OP_HOST_READ, 0, NOARGS, F_THIS_DATA,
	    false, HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/other VM frame", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_OTHER_VM, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/shared VM frame", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_SHARED, false,
	    HM_FAULT_NONE, E_HOST_OK, 0),
	ROW("HOST_READ/IO", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_IO_FREE, false, HM_FAULT_NONE,
	    E_HOST_OK, 0),
	/* A device page mapped into a VM (not SHARED) is the VM's alone until it is given back. */
	ROW("HOST_READ/IO a VM holds", S_MAPPED, OP_HOST_READ, 0, NOARGS, F_IO, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/IO a CREATED VM holds", S_LOADING, OP_HOST_READ, 0, NOARGS, F_IO, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/IO a powered-off VM holds", S_POWEROFF, OP_HOST_READ, 0, NOARGS, F_IO, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/IO given back", S_RECLAIMED, OP_HOST_READ, 0, NOARGS, F_IO, false,
	    HM_FAULT_NONE, E_HOST_OK, 0),
	ROW("HOST_WRITE/IO a VM holds", S_MAPPED, OP_HOST_WRITE, 0, NOARGS, F_IO, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_READ/reclaimed frame", S_RECLAIMED, OP_HOST_READ, 0, NOARGS, F_THIS_DATA, false,
	    HM_FAULT_NONE, E_HOST_OK, 0),
	ROW("HOST_WRITE/CORE image", S_MAPPED, OP_HOST_WRITE, 0, NOARGS, F_CORE_IMAGE, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_WRITE/CORE pool", S_MAPPED, OP_HOST_WRITE, 0, NOARGS, F_CORE_POOL, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_WRITE/VM data frame", S_MAPPED, OP_HOST_WRITE, 0, NOARGS, F_THIS_DATA, false,
	    HM_FAULT_REFUSED, E_NONE, 0),
	ROW("HOST_WRITE/shared VM frame", S_MAPPED, OP_HOST_WRITE, 0, NOARGS, F_SHARED, false,
	    HM_FAULT_NONE, E_HOST_OK, 0),

	/* Guest SHARE / UNSHARE(gfn, n) from vCPU 0 of this VM. */
	ROW("SHARE/data page", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(DATA_GFN), L(1) }, F_THIS_DATA,
	    false, KC_OK, E_COUNT, 1),
	ROW("SHARE/image page", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(IMG_BASE >> 12), L(1) },
	    F_THIS_VM, false, KC_OK, E_COUNT, 1),
	ROW("SHARE/already shared", S_SHARED, OP_GUEST, KC_GC_SHARE, { L(DATA_GFN), L(1) },
	    F_THIS_DATA, false, KC_OK, E_COUNT, 2),
	ROW("SHARE/unmapped gfn", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(DATA_GFN + 1), L(1) }, F_NA,
	    false, KC_ENOENT, E_NONE, 0),
	ROW("SHARE/device gfn", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(IO_IPA >> 12), L(1) }, F_NA,
	    false, KC_ENOENT, E_NONE, 0),
	ROW("SHARE/mapped then unmapped", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(DATA_GFN), L(2) },
	    F_NA, false, KC_ENOENT, E_NONE, 0),
	ROW("SHARE/gfn beyond IPA space", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(1ull << 36), L(1) },
	    F_NA, false, KC_ENOENT, E_NONE, 0),
	ROW("SHARE/n = 0", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(DATA_GFN), L(0) }, F_NA, false,
	    KC_EINVAL, E_NONE, 0),
	ROW("SHARE/n > 512", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(DATA_GFN), L(513) }, F_NA, false,
	    KC_EINVAL, E_NONE, 0),
	ROW("SHARE/gfn + n wraps", S_MAPPED, OP_GUEST, KC_GC_SHARE, { L(~0ull), L(2) }, F_NA, false,
	    KC_EINVAL, E_NONE, 0),
	ROW("UNSHARE/shared page", S_SHARED, OP_GUEST, KC_GC_UNSHARE, { L(DATA_GFN), L(1) },
	    F_THIS_DATA, false, KC_OK, E_COUNT, 0),
	ROW("UNSHARE/not shared", S_MAPPED, OP_GUEST, KC_GC_UNSHARE, { L(DATA_GFN), L(1) }, F_NA,
	    false, KC_EPERM, E_NONE, 0),
	ROW("UNSHARE/image page, not shared", S_SHARED, OP_GUEST, KC_GC_UNSHARE,
	    { L(IMG_BASE >> 12), L(1) }, F_NA, false, KC_EPERM, E_NONE, 0),
	ROW("UNSHARE/unmapped gfn", S_MAPPED, OP_GUEST, KC_GC_UNSHARE, { L(DATA_GFN + 1), L(1) },
	    F_NA, false, KC_ENOENT, E_NONE, 0),
	ROW("UNSHARE/device gfn", S_MAPPED, OP_GUEST, KC_GC_UNSHARE, { L(IO_IPA >> 12), L(1) },
	    F_NA, false, KC_ENOENT, E_NONE, 0),
	ROW("UNSHARE/n = 0", S_SHARED, OP_GUEST, KC_GC_UNSHARE, { L(DATA_GFN), L(0) }, F_NA, false,
	    KC_EINVAL, E_NONE, 0),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

struct ctx {
	struct kf f;
	const struct row *row;
	uint64_t vm, other;
	uint64_t this_img, this_data, other_img, other_shared, mpfn;
	struct kf_image img;
	struct kc_manifest_layout layout; /* this VM's: kf_layout, not shared */
};

static void expect_rc(const char *what, int got, int want)
{
	if (got != want)
		fail_msg("%s: got %s (%d), want %s (%d)", what, kcore_err_name(got), got,
			 kcore_err_name(want), want);
}

static void align_run(struct kf *f)
{
	f->next_frame = (f->next_frame + 511) & ~511ull;
}

/* VM 1: verified, with a data page faulted in and shared with the host. */
static void setup_other(struct ctx *c)
{
	struct kf *f = &c->f;
	struct kf_image img = { IMG_BASE, 1, 0x20 };
	uint64_t r[3];

	c->other = kf_vm_verified(f, &img, 1);
	assert_int_equal(c->other, 1);
	c->other_img = kf_vm_lookup(c->other, IMG_BASE) >> 12;
	const struct hm_guest_op prog[] = {
		{ HM_GOP_STORE, 2, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, 1, 0, IMG_BASE, prog, 2), 0);
	assert_int_equal(kf_run(f, 1, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	align_run(f); /* its own 2 MiB run, so level-2 rows can aim at it alone */
	c->other_shared = kf_frame(f);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, 1, 0, c->other_shared, 3, NULL), KC_OK);
	assert_int_equal(kf_run(f, 1, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	assert_int_equal(kf_guest_call(f, 1, 0, KC_GC_SHARE, DATA_GFN, 1), KC_OK);
	assert_int_equal(kf_frame_count(c->other_shared), 1);
	align_run(f);
}

static uint64_t load_page(struct ctx *c, uint64_t p)
{
	uint8_t page[4096];
	memset(page, (uint8_t)(c->img.fill + p), sizeof(page));
	uint64_t pfn = kf_frame_with(&c->f, page, sizeof(page));
	assert_int_equal(kf_call(&c->f, KC_HC_VM_LOAD_IMAGE_PAGE, c->vm, 0, pfn, 0, NULL), KC_OK);
	return pfn;
}

static void build(struct ctx *c, enum setup s)
{
	struct kf *f = &c->f;
	uint64_t r[3];

	setup_other(c);
	kf_layout(&c->layout, false);
	c->vm = 2;
	if (s == S_NONE)
		return;
	assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
	assert_int_equal(r[0], c->vm);
	assert_int_equal(kf_call(f, KC_HC_VCPU_CREATE, c->vm, 0, 0, 0, NULL), KC_OK);
	if (s == S_FULL) {
		for (unsigned id = 3; id <= f->cfg.max_vms; id++)
			assert_int_equal(kf_call(f, KC_HC_VM_CREATE, 0, 0, 0, 0, r), KC_OK);
		return;
	}
	if (s == S_CREATED)
		return;
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_IO, c->vm, IO_IPA, KF_DEV_BASE, 1, NULL), KC_OK);
	c->img = (struct kf_image){ IMG_BASE, IMG_PAGES, 0x30 };
	assert_int_equal(kf_call(f, KC_HC_VM_SET_IMAGE, c->vm, IMG_BASE, IMG_PAGES << 12, 0, r),
			 KC_OK);
	assert_int_equal(r[0], 0);
	c->this_img = load_page(c, 0);
	if (s == S_LOADING)
		return;
	load_page(c, 1);
	/* v2: the device page mapped above lies in its window. */
	c->mpfn = kf_manifest_v2(f, &c->img, 1, IMG_BASE, &c->layout);
	if (s == S_LOADED)
		return;
	if (s == S_LOADED_OFF) {
		assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, c->vm, 0, 0, 0, NULL), KC_OK);
		return;
	}
	assert_int_equal(kf_call(f, KC_HC_VM_VERIFY, c->vm, c->mpfn, 0, 0, NULL), KC_OK);
	if (s == S_VERIFIED)
		return;
	const struct hm_guest_op prog[] = {
		{ HM_GOP_STORE, 2, 8, DATA_IPA, 0 },
		{ HM_GOP_WFI, 0, 0, 0, 0 },
	};
	assert_int_equal(hm_guest_program(f->m, (uint16_t)c->vm, 0, IMG_BASE, prog, 2), 0);
	assert_int_equal(kf_run(f, c->vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_FAULT);
	if (s == S_FAULTED)
		return;
	c->this_data = kf_frame(f);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, c->vm, 0, c->this_data, 3, NULL), KC_OK);
	assert_int_equal(kf_run(f, c->vm, 0, KC_RUN_RESUME, 0, r), KC_OK);
	assert_int_equal(KC_EXIT_KIND(r[0]), KC_EXIT_WFI);
	if (s == S_MAPPED)
		return;
	if (s == S_SHARED) {
		assert_int_equal(kf_guest_call(f, c->vm, 0, KC_GC_SHARE, DATA_GFN, 1), KC_OK);
		return;
	}
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, c->vm, 0, 0, 0, NULL), KC_OK);
	if (s == S_POWEROFF)
		return;
	assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, c->vm, 1000, 0, 0, r), KC_OK);
	assert_int_equal(r[0], 0);
	assert_true(s == S_RECLAIMED);
}

/* The frame (or the first of a 2 MiB run) a row names by its state. */
static uint64_t resolve_frame(struct ctx *c, enum frame fr, bool run)
{
	struct kf *f = &c->f;
	struct kc_region pool = hm_kcore_pool(f->m);
	uint64_t pfn = 0;

	switch (fr) {
	case F_NA:
		return 0;
	case F_HOST:
		return run ? kf_frame_run(f) : kf_frame(f);
	case F_HOST_MAPPED:
		pfn = run ? kf_frame_run(f) : kf_frame(f);
		/* Touch one frame (the 100th of a run): it is now in the host's stage 2 and TLB. */
		assert_int_equal(kf_host_try_read(f, (pfn + (run ? 100 : 0)) << 12), HM_FAULT_NONE);
		return pfn;
	case F_CORE_IMAGE:
		pfn = KF_RAM_BASE >> 12;
		break;
	case F_CORE_POOL:
		/* For a run: the last 2 MiB of RAM, where the pool ends. */
		pfn = run ? (RAM_END - (2ull << 20)) >> 12 : pool.base >> 12;
		assert_int_equal(kf_frame_owner(run ? (RAM_END >> 12) - 1 : pfn), KF_OWNER_CORE);
		return pfn;
	case F_THIS_VM:
		pfn = c->this_img;
		break;
	case F_THIS_DATA:
		pfn = c->this_data;
		break;
	case F_OTHER_VM:
		pfn = c->other_img;
		break;
	case F_SHARED:
		pfn = c->other_shared;
		break;
	case F_IO:
		pfn = KF_DEV_BASE >> 12;
		break;
	case F_IO_FREE:
		pfn = (KF_DEV_BASE >> 12) + 0x10;
		break;
	case F_BEYOND:
		pfn = RAM_END >> 12;
		break;
	case F_MANIFEST:
		return c->mpfn;
	case F_MANIFEST_RAW: {
		uint8_t buf[4096] = { 0 };
		kf_manifest_bytes_v2(f, &c->img, 1, IMG_BASE, false, &c->layout, buf);
		pfn = kf_frame(f);
		memcpy(hm_phys(f->m, pfn << 12, 4096), buf, 4096); /* e.g. put there by DMA */
		return pfn;
	}
	}
	assert_true(pfn != 0);
	return run ? pfn & ~511ull : pfn;
}

static uint64_t resolve_arg(struct ctx *c, struct arg a, uint64_t pfn)
{
	switch (a.kind) {
	case A_VM:
		return c->vm;
	case A_PFN:
		return pfn;
	case A_PA:
		return pfn << 12;
	case A_LIT:
	default:
		return a.v;
	}
}

static void check_effect(struct ctx *c, const struct row *w, uint64_t pfn, const uint64_t r[3],
			 int owner_before)
{
	struct kf *f = &c->f;
	const char *n = w->name;

	switch (w->effect) {
	case E_NONE:
	case E_SAME:
		return;
	case E_NEW_VM:
		assert_int_equal(r[0], (uint64_t)w->effect_arg);
		assert_int_equal(kf_vm_state(r[0]), KF_VM_CREATED);
		return;
	case E_VCPU1:
		assert_int_equal(kf_vcpu_state(c->vm, 1), KF_VCPU_READY);
		return;
	case E_SLOT:
		assert_int_equal(r[0], (uint64_t)w->effect_arg);
		return;
	case E_LOADED:
		assert_int_equal(kf_frame_owner(pfn), (int)c->vm);
		assert_int_equal(kf_frame_count(pfn), 0);
		assert_int_equal(kf_frame_gfn(pfn), (IMG_BASE >> 12) + 1);
		assert_int_equal(kf_host_try_read(f, pfn << 12), HM_FAULT_REFUSED);
		return;
	case E_VERIFIED:
		assert_int_equal(kf_vm_state(c->vm), KF_VM_VERIFIED);
		assert_int_equal(kf_frame_owner(pfn),
				 KF_OWNER_HOST); /* the manifest stays the host's */
		assert_int_equal(kf_vm_lookup(c->vm, IMG_BASE), c->this_img << 12);
		assert_int_equal(kf_vcpu_pc(c->vm, 0), IMG_BASE);
		return;
	case E_EXIT:
		assert_int_equal(KC_EXIT_KIND(r[0]), (uint64_t)w->effect_arg);
		assert_int_equal(kf_vcpu_state(c->vm, 0), KF_VCPU_READY);
		if (w->effect_arg == KC_EXIT_FAULT) {
			assert_int_equal(r[1], DATA_IPA & ~0xfffull); /* the page, nothing finer */
			assert_int_equal(kf_vcpu_pending(c->vm, 0), KF_PENDING_FAULT);
		}
		return;
	case E_MAPPED: {
		uint64_t n_frames = w->run ? 512 : 1;
		uint64_t gfn0 = w->run ? BLOCK_GFN : DATA_GFN;
		for (uint64_t i = 0; i < n_frames; i++) {
			if (kf_frame_owner(pfn + i) != (int)c->vm || kf_frame_count(pfn + i) ||
			    kf_frame_gfn(pfn + i) != gfn0 + i)
				fail_msg("%s: frame %llu of the run is not VM %llu's at gfn 0x%llx",
					 n, (unsigned long long)i, (unsigned long long)c->vm,
					 (unsigned long long)(gfn0 + i));
		}
		assert_int_equal(kf_vm_lookup(c->vm, DATA_IPA),
				 ((pfn + (DATA_GFN - gfn0)) << 12) | (DATA_IPA & 0xfff));
		assert_int_equal(kf_vcpu_pending(c->vm, 0), KF_PENDING_NONE);
		assert_int_equal(kf_host_try_read(f, pfn << 12), HM_FAULT_REFUSED);
		if (w->run)
			assert_int_equal(kf_host_try_read(f, (pfn + 100) << 12), HM_FAULT_REFUSED);
		return;
	}
	case E_IO:
		assert_int_equal(kf_vm_lookup(c->vm, IO_IPA2), pfn << 12);
		assert_int_equal(kf_io_claim(pfn << 12, NULL), c->vm); /* and it holds the page */
		return;
	case E_STATE:
		assert_int_equal(kf_vm_state(c->vm), (int)w->effect_arg);
		return;
	case E_RECLAIMED:
		assert_int_equal(r[0], 0);
		assert_int_equal(kf_vm_nframes(c->vm), 0);
		assert_int_equal(kf_frame_owner(c->this_img), KF_OWNER_HOST);
		assert_int_equal(kf_frame_count(c->this_img), 0);
		if (c->this_data)
			assert_int_equal(kf_frame_owner(c->this_data), KF_OWNER_HOST);
		{
			uint64_t v = 1;
			assert_int_equal(hm_host_load(f->m, 0, c->this_img << 12, &v, 8, NULL),
					 HM_FAULT_NONE);
			assert_int_equal(v, 0); /* scrubbed */
		}
		return;
	case E_HOST_OK:
		assert_int_equal(kf_frame_owner(pfn), owner_before);
		return;
	case E_COUNT:
		assert_int_equal(kf_frame_owner(pfn), (int)c->vm);
		assert_int_equal(kf_frame_count(pfn), (int)w->effect_arg);
		assert_int_equal(kf_host_try_read(f, pfn << 12),
				 w->effect_arg ? HM_FAULT_NONE : HM_FAULT_REFUSED);
		return;
	}
}

static void run_row(void **state)
{
	struct ctx *c = *state;
	const struct row *w = c->row;
	struct kf *f = &c->f;
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	uint64_t r[3] = { 0, 0, 0 };
	int rc;

	build(c, w->setup);
	kf_check(f);
	uint64_t pfn = resolve_frame(c, w->frame, w->run);
	uint64_t a[4];
	for (int i = 0; i < 4; i++)
		a[i] = resolve_arg(c, w->a[i], pfn);
	int owner_before = kf_frame_owner(pfn);

	if (w->op == OP_GUEST)
		kf_digest_noregs(f, before);
	else
		kf_digest(f, before);
	switch (w->op) {
	case OP_HC:
		rc = kf_call(f, w->fn, a[0], a[1], a[2], a[3], r);
		expect_rc(w->name, rc, w->expect);
		break;
	case OP_HOST_READ:
	case OP_HOST_WRITE:
		rc = w->op == OP_HOST_READ ? kf_host_try_read(f, pfn << 12)
					   : kf_host_try_write(f, pfn << 12);
		if (rc != w->expect)
			fail_msg("%s: host access got hm_fault %d, want %d", w->name, rc,
				 w->expect);
		break;
	case OP_GUEST:
		rc = (int)kf_guest_call(f, c->vm, 0, w->fn, a[0], a[1]);
		expect_rc(w->name, rc, w->expect);
		break;
	}
	kf_check(f);
	if (w->op == OP_GUEST)
		kf_digest_noregs(f, after);
	else
		kf_digest(f, after);
	if (w->effect == E_NONE || w->effect == E_SAME)
		kf_assert_same(w->name, before, after);
	if (w->effect == E_NONE && w->op == OP_HC)
		assert_true(r[0] == 0 && r[1] == 0 && r[2] == 0); /* no result leaks on error */
	check_effect(c, w, pfn, r, owner_before);
	kf_check(f);
}

static struct ctx the_ctx;

static int setup(void **state)
{
	the_ctx.row = *state;
	kf_setup(&the_ctx.f);
	*state = &the_ctx;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	kf_teardown(&c->f);
	memset(c, 0, sizeof(*c));
	return 0;
}

int main(void)
{
	static struct CMUnitTest tests[NROWS];

	for (size_t i = 0; i < NROWS; i++) {
		tests[i] = (struct CMUnitTest){
			.name = rows[i].name,
			.test_func = run_row,
			.setup_func = setup,
			.teardown_func = teardown,
			.initial_state = (void *)&rows[i],
		};
	}
	print_message("# transition table: %zu rows\n", NROWS);
	return _cmocka_run_group_tests("transitions", tests, NROWS, NULL, NULL);
}
