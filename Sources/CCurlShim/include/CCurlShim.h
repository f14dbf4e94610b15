#ifndef OCTOPODS_CCURLSHIM_H
#define OCTOPODS_CCURLSHIM_H

#include <stddef.h>

/// The outcome of one transfer. Buffers are malloc'd; free with octo_response_free.
typedef struct octo_response {
    long status;                 ///< HTTP status, 0 when no response arrived
    unsigned char *body;
    size_t body_len;
    char *headers;               ///< raw header lines of every response block, CRLF separated
    size_t headers_len;
    int curl_code;               ///< CURLcode; 0 = OK
    long request_bytes;          ///< bytes of the request written to the connection (0 = nothing sent)
    char error[256];             ///< libcurl's error text
} octo_response;

/// Loads libcurl.so.4 on first call. Returns NULL when it is usable, else why not.
const char *octo_curl_load(void);

/// An easy handle; its connection cache keeps connections alive between requests.
void *octo_handle_new(void);
void octo_handle_free(void *handle);

/// Performs one request. `cancel` is polled while the transfer runs; set it non-zero to abort.
void octo_perform(void *handle, const char *method, const char *url, const char *const *headers, size_t header_count,
                  const unsigned char *body, size_t body_len, long timeout_ms, const volatile int *cancel,
                  octo_response *out);

void octo_response_free(octo_response *response);

#endif
