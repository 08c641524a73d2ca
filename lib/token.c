/*
 * Named API tokens (include/hodei/token.h): 256 random bits shown once,
 * their SHA-256 kept in the store with a name and a role.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "store_int.h"

#define TOKEN_PREFIX "hodei_"
#define TOKEN_RANDOM 32

static const char *const role_names[] = { NULL, "read", "submit", "admin" };

const char *hodei_token_role_name(int role)
{
	return role >= HODEI_ROLE_READ && role <= HODEI_ROLE_ADMIN ? role_names[role] : NULL;
}

int hodei_token_role_parse(const char *name)
{
	if (!name)
		return 0;
	if (strcmp(name, "read-only") == 0 || strcmp(name, "readonly") == 0)
		return HODEI_ROLE_READ;
	for (int r = HODEI_ROLE_READ; r <= HODEI_ROLE_ADMIN; r++)
		if (strcmp(name, role_names[r]) == 0)
			return r;
	return 0;
}

int hodei_token_hash(const char *token, uint8_t hash[HODEI_TOKEN_HASH_LEN])
{
	unsigned int n = 0;

	hodei__err_clear();
	if (!token || !hash)
		return hodei__arg_null(!token ? "token" : "hash");
	if (EVP_Digest(token, strlen(token), hash, &n, EVP_sha256(), NULL) != 1 ||
	    n != HODEI_TOKEN_HASH_LEN)
		return hodei__err(HODEI_EIO, "token: SHA-256 failed");
	return 0;
}

typedef struct create_args {
	const char *name;
	int role;
	const uint8_t *hash;
} create_args;

static int create_on_loop(hodei_ctx *ctx, void *arg)
{
	create_args *a = arg;

	return hodei__store_token_put(ctx->store, a->name, a->role, a->hash, hodei__now_ms());
}

int hodei_token_create(hodei_ctx *ctx, const char *name, int role, char *token, size_t tokenlen)
{
	uint8_t raw[TOKEN_RANDOM], hash[HODEI_TOKEN_HASH_LEN];
	create_args a = { name, role, hash };
	int rc;

	if ((rc = hodei__enter(ctx)))
		return rc;
	if (!name || !token)
		return hodei__arg_null(!name ? "name" : "token");
	if ((rc = hodei__id_check("name", name, HODEI_TOKEN_NAME_MAX)))
		return rc;
	if (!hodei_token_role_name(role))
		return hodei__err(HODEI_EINVAL, "role: unknown role %d (read, submit, admin)", role);
	if (tokenlen < HODEI_TOKEN_LEN + 1)
		return hodei__err(HODEI_EINVAL, "token: needs %d bytes", HODEI_TOKEN_LEN + 1);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return hodei__err(HODEI_EIO, "token: no randomness"); /* never a guessable token */
	memcpy(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + sizeof(TOKEN_PREFIX) - 1 + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	if ((rc = hodei_token_hash(token, hash)) || (rc = hodei__call(ctx, create_on_loop, &a)))
		explicit_bzero(token, tokenlen);
	return rc;
}

static int list_on_loop(hodei_ctx *ctx, void *out)
{
	return hodei__store_token_list(ctx->store, out);
}

int hodei_token_list_get(hodei_token_list **out, hodei_ctx *ctx)
{
	int rc = hodei__enter_out(out, ctx);

	return rc ? rc : hodei__call(ctx, list_on_loop, out);
}

static int revoke_on_loop(hodei_ctx *ctx, void *name)
{
	return hodei__store_token_delete(ctx->store, name);
}

int hodei_token_revoke(hodei_ctx *ctx, const char *name)
{
	return hodei__call_with(ctx, revoke_on_loop, name, "name");
}
