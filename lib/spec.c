/*
 * Job spec validation (pure).  Every message names the field, so a user
 * (or the gRPC layer, which forwards it as INVALID_ARGUMENT) knows what to fix.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "internal.h"

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

int hodei__id_check(const char *field, const char *id, size_t max)
{
	size_t n = strlen(id);

	if (n == 0)
		return hodei__err(HODEI_EINVAL, "%s: must not be empty", field);
	if (n > max)
		return hodei__err(HODEI_EINVAL, "%s: longer than %zu bytes", field, max);
	for (size_t i = 0; i < n; i++)
		if (!id_char(id[i]))
			return hodei__err(HODEI_EINVAL,
			                  "%s: '%.64s' has a character outside [A-Za-z0-9._:-]", field, id);
	return 0;
}

void hodei__id_generate(hodei_job_id *out)
{
	uint32_t rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)hodei__now_us();
	snprintf(out->str, sizeof(out->str), "job-%011llx%08x",
	         (unsigned long long)hodei__now_ms(), rnd);
}

static int check_len(const char *field, const char *s, size_t max, bool required)
{
	if (!s || !*s)
		return required ? hodei__err(HODEI_EINVAL, "%s: must not be empty", field) : 0;
	if (strlen(s) > max)
		return hodei__err(HODEI_EINVAL, "%s: longer than %zu bytes", field, max);
	return 0;
}

static bool env_name_ok(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* "name 'X'" for a message: at most 64 bytes of a name of n bytes */
#define NAME_ARG(n, s) (int)((n) > 64 ? 64 : (n)), (s)

int hodei_job_spec_env_name_validate(const char *field, const char *name, size_t len)
{
	hodei__err_clear();
	if (!field)
		field = "env";
	if (!name)
		return hodei__err(HODEI_EINVAL, "%s: NULL variable name", field);
	if (memchr(name, '\0', len))
		return hodei__err(HODEI_EINVAL, "%s: variable name '%s' contains a NUL byte", field,
		                  name);
	if (!env_name_ok(name, len))
		return hodei__err(HODEI_EINVAL, "%s: invalid variable name '%.*s' (letters, digits and"
		                  " '_', not starting with a digit)", field, NAME_ARG(len, name));
	return 0;
}

int hodei_job_spec_label_key_validate(const char *field, const char *key, size_t len)
{
	hodei__err_clear();
	if (!field)
		field = "labels";
	if (!key)
		return hodei__err(HODEI_EINVAL, "%s: NULL key", field);
	if (len == 0)
		return hodei__err(HODEI_EINVAL, "%s: empty key", field);
	if (memchr(key, '\0', len))
		return hodei__err(HODEI_EINVAL, "%s: key '%s' contains a NUL byte", field, key);
	if (memchr(key, '=', len))
		return hodei__err(HODEI_EINVAL, "%s: key '%.*s' contains '='", field, NAME_ARG(len, key));
	return 0;
}

static int check_vec(const char *field, const char *const *v, size_t n, size_t max_n,
                     size_t max_len)
{
	if (n > max_n)
		return hodei__err(HODEI_EINVAL, "%s: %zu entries, at most %zu allowed", field, n, max_n);
	if (n > 0 && !v)
		return hodei__err(HODEI_EINVAL, "%s: NULL array with %zu entries", field, n);
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			return hodei__err(HODEI_EINVAL, "%s[%zu]: NULL", field, i);
		if (strlen(v[i]) > max_len)
			return hodei__err(HODEI_EINVAL, "%s[%zu]: longer than %zu bytes", field, i, max_len);
	}
	return 0;
}

/* Whether v[0..n) has an entry for the variable `entry` names ("NAME=..."). */
static bool env_has(const char *const *v, size_t n, const char *entry, size_t namelen)
{
	for (size_t j = 0; j < n; j++)
		if (strncmp(v[j], entry, namelen + 1) == 0)
			return true;
	return false;
}

/* NAME=value entries of env or secret_env (never quoting a secret's value). */
static int check_env_vec(const char *field, const char *const *v, size_t n, size_t max_n,
                         size_t max_len)
{
	int rc = check_vec(field, v, n, max_n, max_len);

	for (size_t i = 0; !rc && i < n; i++) {
		const char *eq = strchr(v[i], '=');
		size_t len = eq ? (size_t)(eq - v[i]) : 0;

		if (!eq)
			return hodei__err(HODEI_EINVAL, "%s[%zu]: '%.64s' is not NAME=value", field, i,
			                  strcmp(field, "env") == 0 ? v[i] : "...");
		if (!env_name_ok(v[i], len))
			return hodei__err(HODEI_EINVAL, "%s[%zu]: invalid variable name '%.*s'", field, i,
			                  (int)(len > 64 ? 64 : len), v[i]);
		if (env_has(v, i, v[i], len))
			return hodei__err(HODEI_EINVAL, "%s[%zu]: variable '%.*s' given twice", field, i,
			                  (int)(len > 64 ? 64 : len), v[i]);
	}
	return rc;
}

static int check_env(const hodei_job_spec *spec)
{
	int rc = check_env_vec("env", spec->env, spec->nenv, HODEI_ENV_MAX, HODEI_ENV_VALUE_MAX);

	if (rc || spec->version < 2)
		return rc;
	/* a name, '=' and the value */
	if ((rc = check_env_vec("secret_env", spec->secret_env, spec->nsecret_env, HODEI_SECRETS_MAX,
	                        HODEI_NAME_MAX + 1 + HODEI_SECRET_VALUE_MAX)))
		return rc;
	for (size_t i = 0; i < spec->nsecret_env; i++) {
		const char *e = spec->secret_env[i];
		size_t len = (size_t)(strchr(e, '=') - e);

		if (len > HODEI_NAME_MAX || strlen(e + len + 1) > HODEI_SECRET_VALUE_MAX)
			return hodei__err(HODEI_EINVAL, "secret_env[%zu]: '%.*s' is longer than %d bytes", i,
			                  (int)(len > 64 ? 64 : len), e, HODEI_SECRET_VALUE_MAX);
		if (env_has(spec->env, spec->nenv, e, len))
			return hodei__err(HODEI_EINVAL, "secret_env[%zu]: variable '%.*s' is also in env", i,
			                  (int)(len > 64 ? 64 : len), e);
	}
	return check_len("token_name", spec->token_name, HODEI_NAME_MAX, false);
}

static int check_labels(const hodei_job_spec *spec)
{
	int rc = check_vec("labels", spec->labels, spec->nlabels, HODEI_LABELS_MAX, HODEI_LABEL_MAX);

	for (size_t i = 0; !rc && i < spec->nlabels; i++) {
		const char *eq = strchr(spec->labels[i], '=');

		if (!eq || eq == spec->labels[i])
			return hodei__err(HODEI_EINVAL, "labels[%zu]: '%.64s' is not key=value", i,
			                  spec->labels[i]);
	}
	return rc;
}

int hodei__spec_check(const hodei_job_spec *spec)
{
	int rc;

	if (!spec)
		return hodei__err(HODEI_EINVAL, "spec: NULL");
	if (spec->version == 0 || spec->version > HODEI_JOB_SPEC_VERSION)
		return hodei__err(HODEI_EVERSION, "spec: unknown version %u", spec->version);
	if (spec->id && (rc = hodei__id_check("id", spec->id, HODEI_JOB_ID_MAX)))
		return rc;
	if ((rc = check_len("name", spec->name, HODEI_NAME_MAX, false)) ||
	    (rc = check_len("command", spec->command, HODEI_COMMAND_MAX, true)) ||
	    (rc = check_vec("args", spec->args, spec->nargs, HODEI_ARGS_MAX, HODEI_ARG_MAX)) ||
	    (rc = check_env(spec)) || (rc = check_labels(spec)) ||
	    (rc = check_len("workdir", spec->workdir, HODEI_PATH_MAX, false)) ||
	    (rc = check_len("queued_by", spec->queued_by, HODEI_NAME_MAX, false)))
		return rc;
	if (spec->priority < HODEI_PRIORITY_DEFAULT || spec->priority > HODEI_PRIORITY_CRITICAL)
		return hodei__err(HODEI_EINVAL, "priority: unknown priority %d (LOW, NORMAL, HIGH, CRITICAL)",
		                  spec->priority);
	if (spec->timeout_ms < 0)
		return hodei__err(HODEI_EINVAL, "timeout: must not be negative");
	if (spec->timeout_ms > HODEI_TIMEOUT_MAX_MS)
		return hodei__err(HODEI_EINVAL, "timeout: more than 30 days");
	if (spec->max_retries < 0 || spec->max_retries > HODEI_RETRIES_MAX)
		return hodei__err(HODEI_EINVAL, "max_retries: must be 0 to %d", HODEI_RETRIES_MAX);
	if (spec->workdir && *spec->workdir && spec->workdir[0] != '/')
		return hodei__err(HODEI_EINVAL, "workdir: must be an absolute path");
	if (spec->flags & ~HODEI_JOB_SHELL)
		return hodei__err(HODEI_EINVAL, "flags: unknown bits 0x%x", spec->flags);
	if (spec->provider && *spec->provider &&
	    (rc = hodei__id_check("provider", spec->provider, 64)))
		return rc;
	return 0;
}

int hodei_job_spec_validate(const hodei_job_spec *spec)
{
	hodei__err_clear();
	return hodei__spec_check(spec);
}
