/* Named API tokens through hodei.ApiTokenService (an admin token's calls). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_convert.h"
#include "hodei_api_token.pb-c.h"

#define TOKENS_SERVICE "/hodei.ApiTokenService/"

int hodei_client_token_create(hodei_client *c, const char *name, int role, char *token,
                              size_t tokenlen)
{
	Hodei__CreateApiTokenRequest req = HODEI__CREATE_API_TOKEN_REQUEST__INIT;
	Hodei__CreateApiTokenResponse *resp = NULL;
	int rc;

	if (!c || !name || !token)
		return hodei__err(HODEI_EINVAL, "client, name and token: must not be NULL");
	if (!hodei_token_role_name(role))
		return hodei__err(HODEI_EINVAL, "role: unknown role %d (read, submit, admin)", role);
	req.name = (char *)name;
	req.role = (Hodei__ApiTokenRole)role;
	rc = hodei__client_call_pb(c, TOKENS_SERVICE "CreateApiToken", &req.base,
	                           &hodei__create_api_token_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc == 0 && strlen(resp->token) >= tokenlen)
		rc = hodei__err(HODEI_EINVAL, "token: the server's token needs %zu bytes",
		                strlen(resp->token) + 1);
	if (rc == 0)
		snprintf(token, tokenlen, "%s", resp->token);
	if (resp) {
		explicit_bzero(resp->token, strlen(resp->token));
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	return rc;
}

int hodei_client_token_list(hodei_token_list **out, hodei_client *c)
{
	Hodei__ListApiTokensRequest req = HODEI__LIST_API_TOKENS_REQUEST__INIT;
	Hodei__ListApiTokensResponse *resp = NULL;
	hodei_token_list *l;
	int rc;

	if (!out || !c)
		return hodei__err(HODEI_EINVAL, "out and client: must not be NULL");
	*out = NULL;
	rc = hodei__client_call_pb(c, TOKENS_SERVICE "ListApiTokens", &req.base,
	                           &hodei__list_api_tokens_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (rc)
		return rc;
	l = calloc(1, sizeof(*l));
	if (l && !(l->items = calloc(resp->n_api_tokens + 1, sizeof(*l->items)))) {
		free(l);
		l = NULL;
	}
	for (size_t i = 0; l && i < resp->n_api_tokens; i++) {
		hodei_token_info *t = calloc(1, sizeof(*t));

		if (!t || !(t->name = hodei__pb_strdup(resp->api_tokens[i]->name))) {
			free(t);
			hodei_token_list_free(l);
			l = NULL;
			break;
		}
		t->version = HODEI_TOKEN_INFO_VERSION;
		t->role = (int)resp->api_tokens[i]->role;
		t->created_at = hodei__pb_time_ms(resp->api_tokens[i]->created_at);
		l->items[l->count++] = t;
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	if (!l)
		return hodei__err(HODEI_ENOMEM, "out of memory");
	*out = l;
	return 0;
}

int hodei_client_token_revoke(hodei_client *c, const char *name)
{
	Hodei__RevokeApiTokenRequest req = HODEI__REVOKE_API_TOKEN_REQUEST__INIT;
	Hodei__RevokeApiTokenResponse *resp = NULL;
	int rc;

	if (!c || !name)
		return hodei__err(HODEI_EINVAL, "client and name: must not be NULL");
	req.name = (char *)name;
	rc = hodei__client_call_pb(c, TOKENS_SERVICE "RevokeApiToken", &req.base,
	                           &hodei__revoke_api_token_response__descriptor,
	                           (ProtobufCMessage **)&resp);
	if (resp)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rc;
}
