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
    int too_large;               ///< 1: the body passed its limit, 2: the headers passed 1 MB; the transfer was stopped
    char error[256];             ///< libcurl's error text
} octo_response;

/// A cancellation flag shared between threads (an atomic int behind an opaque pointer).
typedef struct octo_cancel octo_cancel;
octo_cancel *octo_cancel_new(void);
void octo_cancel_set(octo_cancel *flag);
int octo_cancel_is_set(const octo_cancel *flag);
void octo_cancel_free(octo_cancel *flag);

/// prctl(PR_SET_DUMPABLE, 0) and no core files: nothing can dump the process's memory (the key).
void octo_no_core_dumps(void);

/// _exit(2): ends the process at once, without atexit handlers or stdio flushing (safe from
/// any thread while others run).
void octo_exit_now(int status);

/// Loads libcurl.so.4 on first call. Returns NULL when it is usable, else why not.
const char *octo_curl_load(void);

/// The same, for a request: when the process's first request is plain http to loopback (never
/// proxied), OpenSSL is started without its configuration file and error strings, which such a
/// request never uses; any other request in that process then fails instead of using TLS set
/// up that way.
const char *octo_curl_load_for(int plain_loopback);

/// An easy handle; its connection cache keeps connections alive between requests.
void *octo_handle_new(void);
void octo_handle_free(void *handle);

/// Performs one request. `cancel` is polled while the transfer runs; set it to abort.
/// `no_proxy` non-zero bypasses every proxy; `body_limit` (0 = none) caps the decoded body.
void octo_perform(void *handle, const char *method, const char *url, const char *const *headers, size_t header_count,
                  const unsigned char *body, size_t body_len, long timeout_ms, octo_cancel *cancel,
                  int no_proxy, size_t body_limit, octo_response *out);

void octo_response_free(octo_response *response);

#endif
