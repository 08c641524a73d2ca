/*
 * hodei-docker.so's entry point and its hodei__err(): the module cannot
 * reach libhodei's hidden error state, so messages go through the callback
 * the loader (dk_loader.c) hands over.
 */
#include <stdarg.h>
#include <stdio.h>

#include "dk.h"
#include "dk_module.h"

static hodei__dk_set_error_fn set_error;

int hodei__err(int code, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return set_error ? set_error(code, message) : code;
}

__attribute__((visibility("default")))
const hodei__dk_module *hodei__dk_module_entry(hodei__dk_set_error_fn fn);

const hodei__dk_module *hodei__dk_module_entry(hodei__dk_set_error_fn fn)
{
	static hodei__dk_module module;

	set_error = fn;
	module.abi = HODEI__DK_MODULE_ABI;
	module.version = HODEI_VERSION_STRING;
	module.ops = hodei__dk_provider_ops();
	module.image_build = hodei__dk_image_build;
	module.microvm_ops = hodei__mv_provider_ops();
	module.k8s_ops = hodei__k8s_provider_ops();
	return &module;
}
