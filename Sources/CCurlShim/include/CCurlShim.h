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
    int stage;                   ///< the furthest OCTO_STAGE_* the transfer was seen to reach
    int stage_exact;             ///< 1: libcurl reports "ready to send" (its pre-request callback, 7.80.0+), so a stage
                                 ///< below OCTO_STAGE_READY means no request byte left; 0: an older libcurl, where
                                 ///< "connecting" may hide a request that was cut short while being written
    int too_large;               ///< 1: the body passed its limit, 2: the headers passed 1 MB; the transfer was stopped
    char error[256];             ///< libcurl's error text
} octo_response;

/// How far a transfer got, as the client itself observed it through libcurl's callbacks (never
/// from a counter libcurl fills in after the fact: CURLINFO_REQUEST_SIZE reads 0 after a
/// transfer cut short in libcurl 8.7.0-8.7.1; docs/linux-notes.md, "Was it sent?").
enum {
    OCTO_STAGE_NONE = 0,             ///< no socket was opened (DNS failure, no handle)
    OCTO_STAGE_CONNECTING = 1,       ///< a socket was opened; TCP, a proxy tunnel or TLS may not have completed
    OCTO_STAGE_READY = 2,            ///< connected, tunnel and TLS handshake done: the request is about to be written
    OCTO_STAGE_REQUEST_STARTED = 3,  ///< request bytes were handed to the connection
    OCTO_STAGE_REQUEST_SENT = 4,     ///< the whole request (headers and body) was handed to the connection
    OCTO_STAGE_RESPONSE_BEGUN = 5,   ///< a response line arrived
};

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

/// Loads libcurl.so.4 on first call. Returns NULL when it is usable, else why not (not found,
/// or older than the oldest supported version, 7.68.0).
const char *octo_curl_load(void);

/// "libcurl/8.5.0 OpenSSL/3.0.13" of the loaded library (empty before a successful load).
const char *octo_curl_version(void);

/// The CA bundle the loaded libcurl uses when none is set (CURLINFO_CAINFO, libcurl 7.84.0+):
/// written to `out` (empty when libcurl does not say).
void octo_curl_default_ca(char *out, size_t size);

/// An easy handle; its connection cache keeps connections alive between requests.
void *octo_handle_new(void);
void octo_handle_free(void *handle);

/// Performs one request. `cancel` is polled while the transfer runs; set it to abort.
/// `no_proxy` non-zero bypasses every proxy; `body_limit` (0 = none) caps the decoded body;
/// `ca_file` and `ca_dir` (NULL: libcurl's own) are the trust store for TLS.
void octo_perform(void *handle, const char *method, const char *url, const char *const *headers, size_t header_count,
                  const unsigned char *body, size_t body_len, long timeout_ms, octo_cancel *cancel,
                  int no_proxy, size_t body_limit, const char *ca_file, const char *ca_dir, octo_response *out);

void octo_response_free(octo_response *response);

#endif
