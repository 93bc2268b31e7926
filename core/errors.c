/* SPDX-License-Identifier: BSD-2-Clause */
/* Names of the status codes of kcore/abi.h, for logs, tools and tests. */
#include <kcore/abi.h>
#include <kcore/kcore.h>

const char *kcore_err_name(int status)
{
	switch (status) {
	case KC_OK:
		return "OK";
	case KC_ENOTSUP:
		return "ENOTSUP";
	case KC_EINVAL:
		return "EINVAL";
	case KC_EPERM:
		return "EPERM";
	case KC_ESTATE:
		return "ESTATE";
	case KC_ENOMEM:
		return "ENOMEM";
	case KC_EEXIST:
		return "EEXIST";
	case KC_ENOENT:
		return "ENOENT";
	case KC_EAUTH:
		return "EAUTH";
	case KC_EBUSY:
		return "EBUSY";
	default:
		return "E?";
	}
}
