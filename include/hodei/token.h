/*
 * libhodei: named API tokens, for servers built on the library (hodeid).
 *
 * A token is 256 random bits shown once, as "hodei_" and 64 hex digits, when
 * it is created; the store keeps only its SHA-256 hash, its name and its
 * role.  Checking a presented token is hashing it (hodei_token_hash()) and
 * comparing, in constant time, with the hashes hodei_token_list() gives: a
 * server keeps that list in memory and reloads it after a change.
 */
#ifndef HODEI_TOKEN_H
#define HODEI_TOKEN_H

#include "common.h"
#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a token may do (the server decides what each role allows). */
typedef enum hodei_token_role {
	HODEI_ROLE_READ = 1,   /**< read everything, change nothing */
	HODEI_ROLE_SUBMIT = 2, /**< queue jobs; cancel and read its own */
	HODEI_ROLE_ADMIN = 3   /**< everything */
} hodei_token_role;

#define HODEI_TOKEN_HASH_LEN 32 /**< SHA-256 */
#define HODEI_TOKEN_LEN 70      /**< "hodei_" + 64 hex digits */
#define HODEI_TOKEN_NAME_MAX 64 /**< bytes in a token name ([A-Za-z0-9._:-]) */

#define HODEI_TOKEN_INFO_VERSION 1

/** One stored token (never the token itself). */
typedef struct hodei_token_info {
	unsigned int version;
	char *name;
	int role; /**< hodei_token_role */
	uint8_t hash[HODEI_TOKEN_HASH_LEN];
	int64_t created_at; /**< ms since the epoch */
} hodei_token_info;

typedef struct hodei_token_list {
	hodei_token_info **items; /**< by name */
	size_t count;
} hodei_token_list;

/**
 * Create a token named `name` with `role` and write it (NUL-terminated) to
 * token, which must hold HODEI_TOKEN_LEN + 1 bytes.  Only its hash is
 * stored.  Errors: HODEI_EINVAL (name: not 1-64 of [A-Za-z0-9._:-]; role:
 * unknown; token: too small), HODEI_EEXISTS (the name is taken), HODEI_EIO.
 */
HODEI_EXTERN int hodei_token_create(hodei_ctx *ctx, const char *name, int role, char *token,
                                    size_t tokenlen);

/** Every stored token, by name.  Free with hodei_token_list_free(). */
HODEI_EXTERN int hodei_token_list_get(hodei_token_list **out, hodei_ctx *ctx);
HODEI_EXTERN void hodei_token_list_free(hodei_token_list *list);

/** Delete (revoke) a token.  Errors: HODEI_ENOTFOUND, HODEI_EIO. */
HODEI_EXTERN int hodei_token_revoke(hodei_ctx *ctx, const char *name);

/** SHA-256 of a presented token, to compare with hodei_token_info.hash. */
HODEI_EXTERN int hodei_token_hash(const char *token, uint8_t hash[HODEI_TOKEN_HASH_LEN]);

/** "read", "submit", "admin"; NULL for an unknown role. */
HODEI_EXTERN const char *hodei_token_role_name(int role);
/** The role named ("read", "read-only", "submit", "admin"), or 0. */
HODEI_EXTERN int hodei_token_role_parse(const char *name);

#ifdef __cplusplus
}
#endif

#endif
