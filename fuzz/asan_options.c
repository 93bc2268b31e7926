/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AddressSanitizer defaults for the libFuzzer binaries (ASAN_OPTIONS still
 * overrides them).
 *
 * kcore itself never calls malloc: its memory is the machine's RAM.  The
 * heap belongs to the harness, the replay executor and the machine model,
 * which allocate a few hundred KiB per input and free it at the end.  With
 * ASan's default 256 MB quarantine every input got fresh, never-touched
 * memory, and the page faults for it were a tenth of fuzz_hcall's time.  A
 * small quarantine still catches a use after free within an input and the
 * next few.
 */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
	return "quarantine_size_mb=2";
}
