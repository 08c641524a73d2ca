/* Shared by the docker and kubernetes providers: see provkit.h. */
#include <string.h>

#include "httpc.h"
#include "provkit.h"

int hodei__opt_string(json_t *o, const char *key, const char *def, char **out)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_string(v))
		return hodei__err(HODEI_EINVAL, "options.%s: must be a string", key);
	if (v && strlen(json_string_value(v)) > 4096)
		return hodei__err(HODEI_EINVAL, "options.%s: longer than 4096 characters", key);
	if (!(*out = strdup(v ? json_string_value(v) : def)))
		return hodei__err(HODEI_ENOMEM, "out of memory");
	return 0;
}

int hodei__opt_bool(json_t *o, const char *key, bool def, bool *out)
{
	json_t *v = json_object_get(o, key);
	if (v && !json_is_boolean(v))
		return hodei__err(HODEI_EINVAL, "options.%s: must be true or false", key);
	*out = v ? json_is_true(v) : def;
	return 0;
}

int hodei__prov_fits(const char *provider, uint64_t max_memory, uint32_t max_vcpus,
                     const hodei_run_request *hint)
{
	uint64_t mem = hint ? hint->memory_bytes : 0;
	uint32_t cpu = hint ? hint->cpu_millis : 0;
	if (max_memory && mem > max_memory)
		return hodei__err(HODEI_EINVAL,
		                  "memory: the job asks for %llu bytes, provider %s offers at most %llu",
		                  (unsigned long long)mem, provider, (unsigned long long)max_memory);
	if (max_vcpus && cpu > max_vcpus * 1000u)
		return hodei__err(HODEI_EINVAL,
		                  "cpu: the job asks for %u millicores, provider %s offers at most %u",
		                  cpu, provider, max_vcpus * 1000u);
	return 0;
}

void hodei__prov_retire_used(hodei_ctx *ctx, hodei_worker *w, const char *wid, const char *why)
{
	hodei_worker_array *list = NULL;
	int64_t jobs = 0;
	if (hodei_worker_list(&list, ctx) != 0)
		return;
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].id, wid) == 0)
			jobs = list->items[i].jobs_run;
	hodei_worker_array_free(list);
	if (jobs > 0)
		hodei_worker_lost(w, why);
}
