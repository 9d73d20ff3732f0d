/* grpc-status-details-bin: the google.rpc.Status every non-OK reply of a
 * Kolo server carries beside its kolo-error trailer, so standard tools show
 * the reason (google.rpc.ErrorInfo) and when to retry (google.rpc.RetryInfo). */
#include "rpc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/rpc/error_details.pb-c.h"
#include "google/rpc/status.pb-c.h"

#define RPC_TYPE_ERROR_INFO "type.googleapis.com/google.rpc.ErrorInfo"
#define RPC_TYPE_RETRY_INFO "type.googleapis.com/google.rpc.RetryInfo"

/* Packs msg into a new buffer held by any (value.data, owned by the
 * caller: free()). */
static int
rpc_status_any(Google__Protobuf__Any *any, const char *type_url, const ProtobufCMessage *msg)
{
	size_t size = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return -1;
	protobuf_c_message_pack(msg, buf);
	any->type_url = (char *)type_url;
	any->value.data = buf;
	any->value.len = size;
	return 0;
}

/* The ErrorInfo of reason and its metadata, with retry_after_s added when
 * a retry hint exists and the metadata does not name it already. */
static int
rpc_status_error_info(Google__Protobuf__Any *any, const char *reason, const err_meta *meta,
		      int n_meta, int retry_after_s)
{
	Google__Rpc__ErrorInfo info = GOOGLE__RPC__ERROR_INFO__INIT;
	Google__Rpc__ErrorInfo__MetadataEntry entries[ERR_META_MAX + 1];
	Google__Rpc__ErrorInfo__MetadataEntry *ptrs[ERR_META_MAX + 1];
	char retry[16];
	int n = 0, has_retry = 0;

	for (int i = 0; i < n_meta && i < ERR_META_MAX; i++, n++) {
		google__rpc__error_info__metadata_entry__init(&entries[n]);
		entries[n].key = (char *)meta[i].key;
		entries[n].value = (char *)meta[i].value;
		ptrs[n] = &entries[n];
		has_retry |= strcmp(meta[i].key, "retry_after_s") == 0;
	}
	if (retry_after_s > 0 && !has_retry) {
		snprintf(retry, sizeof(retry), "%d", retry_after_s);
		google__rpc__error_info__metadata_entry__init(&entries[n]);
		entries[n].key = "retry_after_s";
		entries[n].value = retry;
		ptrs[n] = &entries[n];
		n++;
	}
	info.reason = (char *)reason;
	info.domain = RPC_ERROR_DOMAIN;
	info.n_metadata = (size_t)n;
	info.metadata = ptrs;
	return rpc_status_any(any, RPC_TYPE_ERROR_INFO, &info.base);
}

static int
rpc_status_retry_info(Google__Protobuf__Any *any, int retry_after_s)
{
	Google__Rpc__RetryInfo info = GOOGLE__RPC__RETRY_INFO__INIT;
	Google__Protobuf__Duration delay = GOOGLE__PROTOBUF__DURATION__INIT;

	delay.seconds = retry_after_s;
	info.retry_delay = &delay;
	return rpc_status_any(any, RPC_TYPE_RETRY_INFO, &info.base);
}

int
rpc_status_details(grpc_slice *out, int code, const char *message, const char *reason,
		   const err_meta *meta, int n_meta, int retry_after_s)
{
	Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
	Google__Protobuf__Any any[2], *ptrs[2] = {&any[0], &any[1]};
	size_t n = 0;
	int rc = 0;

	google__protobuf__any__init(&any[0]);
	google__protobuf__any__init(&any[1]);
	if (rpc_status_error_info(&any[n], reason, meta, n_meta, retry_after_s) == 0)
		n++;
	else
		rc = -1;
	if (rc == 0 && retry_after_s > 0) {
		if (rpc_status_retry_info(&any[n], retry_after_s) == 0)
			n++;
		else
			rc = -1;
	}
	if (rc == 0) {
		status.code = code;
		status.message = (char *)message;
		status.n_details = n;
		status.details = ptrs;
		*out = grpc_slice_malloc(protobuf_c_message_get_packed_size(&status.base));
		protobuf_c_message_pack(&status.base, GRPC_SLICE_START_PTR(*out));
	}
	for (size_t i = 0; i < n; i++)
		free(any[i].value.data);
	return rc;
}

/* The metadata of the ErrorInfo (domain "kolo") in any, onto the last error. */
static void
rpc_status_any_meta(const Google__Protobuf__Any *any)
{
	Google__Rpc__ErrorInfo *info;

	if (!any->type_url || strcmp(any->type_url, RPC_TYPE_ERROR_INFO) != 0)
		return;
	info = google__rpc__error_info__unpack(NULL, any->value.len, any->value.data);
	if (!info)
		return;
	if (info->domain && strcmp(info->domain, RPC_ERROR_DOMAIN) == 0)
		for (size_t i = 0; i < info->n_metadata; i++)
			err_set_meta(info->metadata[i]->key, info->metadata[i]->value);
	google__rpc__error_info__free_unpacked(info, NULL);
}

void
rpc_status_meta_apply(const uint8_t *data, size_t len)
{
	Google__Rpc__Status *status = google__rpc__status__unpack(NULL, len, data);

	if (!status)
		return;
	for (size_t i = 0; i < status->n_details; i++)
		rpc_status_any_meta(status->details[i]);
	google__rpc__status__free_unpacked(status, NULL);
}
