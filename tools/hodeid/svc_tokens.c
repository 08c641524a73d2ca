/* hodei.ApiTokenService: named API tokens (admin only: auth.c's table). */
#include <stdio.h>
#include <string.h>

#include "grpc.h"
#include "hodei_api_token.pb-c.h"
#include "svc.h"

static const field_map token_fields[] = {{"name", "name"}, {"role", "role"}, {NULL, NULL}};

static int create_token(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__CreateApiTokenRequest *q = (const void *)in;
	char token[HODEI_TOKEN_LEN + 1];
	if (q->name && strcmp(q->name, HODEID_API_TOKEN_NAME) == 0)
		return rpc_fail(r, HODEI_GRPC_ALREADY_EXISTS,
		                "name: 'api' is the name of hodeid's own token (--api-token-file)");
	if (q->role == HODEI__API_TOKEN_ROLE__API_TOKEN_ROLE_UNSPECIFIED)
		return rpc_fail(r, HODEI_GRPC_INVALID_ARGUMENT,
		                "role: required (API_TOKEN_ROLE_READ, _SUBMIT or _ADMIN)");
	int rc = hodei_token_create(r->d->ctx, q->name ? q->name : "", (int)q->role, token,
	                            sizeof token);
	if (rc)
		return rpc_fail_lib(r, rc, token_fields);
	if (auth_load(r->d) != 0) {
		explicit_bzero(token, sizeof token);
		return rpc_fail(r, HODEI_GRPC_INTERNAL, "the token was stored but cannot be read back");
	}
	LOG_INFO("api token created name=%s role=%s by=%s", q->name,
	         hodei_token_role_name((int)q->role), r->principal[0] ? r->principal : "-");
	Hodei__CreateApiTokenResponse *resp = PB_NEW(r->a, hodei__create_api_token_response);
	resp->api_token = PB_NEW(r->a, hodei__api_token);
	resp->api_token->name = arena_strdup(r->a, q->name);
	resp->api_token->role = q->role;
	resp->api_token->created_at = pb_time_ms(r->a, now_ms());
	resp->token = arena_strdup(r->a, token);
	explicit_bzero(token, sizeof token);
	*out = &resp->base;
	return 0;
}

static int list_tokens(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	hodei_token_list *l;
	int rc = hodei_token_list_get(&l, r->d->ctx);
	if (rc)
		return rpc_fail_lib(r, rc, NULL);
	ARENA_DEFER(r->a, hodei_token_list_free, l);
	Hodei__ListApiTokensResponse *resp = PB_NEW(r->a, hodei__list_api_tokens_response);
	resp->api_tokens = arena_alloc(r->a, (l->count + 1) * sizeof *resp->api_tokens);
	for (size_t i = 0; i < l->count; i++) {
		Hodei__ApiToken *t = PB_NEW(r->a, hodei__api_token);
		t->name = arena_strdup(r->a, l->items[i]->name);
		t->role = (Hodei__ApiTokenRole)l->items[i]->role;
		t->created_at = pb_time_ms(r->a, l->items[i]->created_at);
		resp->api_tokens[resp->n_api_tokens++] = t;
	}
	*out = &resp->base;
	return 0;
}

static int revoke_token(rpc_req *r, const ProtobufCMessage *in, ProtobufCMessage **out)
{
	const Hodei__RevokeApiTokenRequest *q = (const void *)in;
	if (q->name && strcmp(q->name, HODEID_API_TOKEN_NAME) == 0)
		return rpc_fail(r, HODEI_GRPC_FAILED_PRECONDITION,
		                "name: 'api' is hodeid's own token: change --api-token-file and restart");
	int rc = hodei_token_revoke(r->d->ctx, q->name ? q->name : "");
	if (rc)
		return rpc_fail_lib(r, rc, token_fields);
	if (auth_load(r->d) != 0)
		return rpc_fail(r, HODEI_GRPC_INTERNAL, "revoked, but the tokens cannot be read back");
	dispatch_revoke(r->d, q->name); /* its open streams end now; sessions at their next call */
	LOG_INFO("api token revoked name=%s by=%s", q->name, r->principal[0] ? r->principal : "-");
	Hodei__RevokeApiTokenResponse *resp = PB_NEW(r->a, hodei__revoke_api_token_response);
	*out = &resp->base;
	return 0;
}

#define UNARY(name, type, fn)                                                   \
	{ "/hodei.ApiTokenService/" name, &type##__descriptor, 0, fn, NULL }

const hodeid_method hodeid_token_methods[] = {
	UNARY("CreateApiToken", hodei__create_api_token_request, create_token),
	UNARY("ListApiTokens", hodei__list_api_tokens_request, list_tokens),
	UNARY("RevokeApiToken", hodei__revoke_api_token_request, revoke_token),
	{NULL, NULL, 0, NULL, NULL},
};
