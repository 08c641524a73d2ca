/*
 * The services of the Hodei API (and the standard health and reflection
 * ones), from the protobuf-c descriptors generated at build time, and the
 * descriptor set that server reflection serves.
 */
#ifndef HODEI_RPC_SERVICES_H
#define HODEI_RPC_SERVICES_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/** Every service hodeid serves; NULL-terminated. */
extern const ProtobufCServiceDescriptor *const hodei__rpc_services[];

/** The FileDescriptorSet of every .proto (imports included). */
extern const unsigned char hodei__rpc_descriptor_set[];
extern const size_t hodei__rpc_descriptor_set_len;

/**
 * The method a request path ("/hodei.SchedulerService/GetQueueStatus")
 * names.  Returns NULL if none.  *service (may be NULL) receives its service.
 */
const ProtobufCMethodDescriptor *hodei__rpc_find_method(const char *path,
                                                        const ProtobufCServiceDescriptor **service);

#endif
