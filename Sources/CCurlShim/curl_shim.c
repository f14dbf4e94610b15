// A thin, lazily loaded binding to the system's libcurl.
//
// Why not URLSession: on Linux, FoundationNetworking links libcurl and its ~30 dependencies
// into every process at start, which costs ~10 ms on *every* run, --help and shell
// completion included (measured: 17.7 ms for `octopods --version` against 8.6 ms for a whole
// curl GET). Loading libcurl with dlopen only when a request is made keeps offline commands
// fast and a request within reach of curl itself. It is the same library URLSession uses,
// without URLSession's Linux quirks (redirects forwarding the key, whole-second timeouts).
//
// No curl headers are needed at build time: the few option numbers used are part of
// libcurl's stable ABI and are copied from curl.h (docs/linux-notes.md, "libcurl through dlopen").

#include "CCurlShim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

typedef void CURL;
struct curl_slist;

enum {
    OPT_WRITEDATA = 10001, OPT_URL = 10002, OPT_ERRORBUFFER = 10010, OPT_WRITEFUNCTION = 20011,
    OPT_POSTFIELDS = 10015, OPT_HTTPHEADER = 10023, OPT_HEADERDATA = 10029, OPT_CUSTOMREQUEST = 10036,
    OPT_NOPROGRESS = 43, OPT_POST = 47, OPT_FRESH_CONNECT = 74, OPT_FOLLOWLOCATION = 52, OPT_HTTPGET = 80, OPT_NOSIGNAL = 99,
    OPT_HEADERFUNCTION = 20079, OPT_ACCEPT_ENCODING = 10102, OPT_TIMEOUT_MS = 155, OPT_CONNECTTIMEOUT_MS = 156,
    OPT_POSTFIELDSIZE_LARGE = 30120, OPT_PROTOCOLS = 181, OPT_NOPROXY = 10177, OPT_XFERINFODATA = 10057, OPT_XFERINFOFUNCTION = 20219,
};
enum { INFO_RESPONSE_CODE = 0x200002, INFO_REQUEST_SIZE = 0x20000C };
enum { GLOBAL_DEFAULT = 3, PROTO_HTTP = 1, PROTO_HTTPS = 2, E_ABORTED_BY_CALLBACK = 42, E_FAILED_INIT = 2 };

static struct {
    int (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    int (*easy_setopt)(CURL *, int, ...);
    int (*easy_perform)(CURL *);
    int (*easy_getinfo)(CURL *, int, ...);
    const char *(*easy_strerror)(int);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libcurl was not loaded";
static char load_error_text[512];
/* Whether the process's first request was plain http (set before the load, read by it), and
   whether OpenSSL was then started without its configuration file and error strings. */
static atomic_int first_request_plain = -1;
static atomic_int tls_trimmed = 0;

/* OPENSSL_init_ssl options (openssl/crypto.h, openssl/ssl.h; stable across 1.1 and 3.x). */
enum { OSSL_NO_LOAD_CRYPTO_STRINGS = 0x1, OSSL_NO_LOAD_CONFIG = 0x80, OSSL_NO_LOAD_SSL_STRINGS = 0x100000 };

/* libcurl starts OpenSSL in curl_global_init whatever the URL (the CURL_GLOBAL_SSL flag means
   nothing since 7.57): it reads /etc/ssl/openssl.cnf and loads every error string, 70% of its
   cost. A process whose requests are plain http to loopback, never proxied (the sandbox; a
   run talks to one base URL), never uses OpenSSL, so when the first request is one, OpenSSL is
   started first without both; it does each of those once per process, so libcurl's own start
   then skips them (docs/linux-notes.md, "OpenSSL is not configured for plain http"). */
static void trim_tls_start(void *h) {
    int (*init_ssl)(unsigned long long, const void *);
    *(void **)&init_ssl = dlsym(h, "OPENSSL_init_ssl");  // absent when libcurl uses another TLS library
    if (!init_ssl) return;
    if (init_ssl(OSSL_NO_LOAD_CONFIG | OSSL_NO_LOAD_CRYPTO_STRINGS | OSSL_NO_LOAD_SSL_STRINGS, NULL) == 1) {
        atomic_store(&tls_trimmed, 1);
    }
}

static void load(void) {
    // RTLD_LAZY: binding all of libcurl's and its dependencies' symbols up front (RTLD_NOW)
    // was 60% of the instructions of a whole `templates list` run (callgrind).
    void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        strncpy(load_error_text, why ? why : "dlopen failed", sizeof load_error_text - 1);
        load_error = load_error_text;
        return;
    }
#define SYM(field, name) if (!(*(void **)&lib.field = dlsym(h, name))) { load_error = "libcurl.so.4 lacks " name; return; }
    SYM(global_init, "curl_global_init")
    SYM(easy_init, "curl_easy_init")
    SYM(easy_cleanup, "curl_easy_cleanup")
    SYM(easy_reset, "curl_easy_reset")
    SYM(easy_setopt, "curl_easy_setopt")
    SYM(easy_perform, "curl_easy_perform")
    SYM(easy_getinfo, "curl_easy_getinfo")
    SYM(easy_strerror, "curl_easy_strerror")
    SYM(slist_append, "curl_slist_append")
    SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
    if (atomic_load(&first_request_plain) == 1) trim_tls_start(h);
    if (lib.global_init(GLOBAL_DEFAULT) != 0) { load_error = "curl_global_init failed"; return; }
    load_error = NULL;
}

const char *octo_curl_load(void) {
    pthread_once(&load_once, load);
    return load_error;
}

const char *octo_curl_load_for(int plain_loopback) {
    int expected = -1;
    atomic_compare_exchange_strong(&first_request_plain, &expected, plain_loopback ? 1 : 0);
    return octo_curl_load();
}

void *octo_handle_new(void) {
    if (octo_curl_load()) return NULL;
    return lib.easy_init();
}

void octo_handle_free(void *handle) {
    if (handle && !octo_curl_load()) lib.easy_cleanup(handle);
}

// A body or header block larger than its limit stops the transfer (the write callback
// returns 0, CURLE_WRITE_ERROR) instead of growing without bound: a gzip bomb or an endless
// body must not exhaust memory. The limit applies to the decoded bytes.
typedef struct { unsigned char *data; size_t len; size_t cap; size_t limit; int failed; int too_large; } buffer;

static size_t append(buffer *b, const char *data, size_t n) {
    if (b->failed || b->too_large) return 0;
    if (b->limit && (n > b->limit || b->len > b->limit - n)) { b->too_large = 1; return 0; }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) { b->failed = 1; return 0; }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

static size_t on_data(char *data, size_t size, size_t count, void *user) {
    return append((buffer *)user, data, size * count);
}

// Set by a cancellation handler on one thread, read by libcurl's progress callback on the
// transfer's: a C11 atomic, so the write is seen and the access is not a data race.
struct octo_cancel { atomic_int value; };

octo_cancel *octo_cancel_new(void) {
    octo_cancel *flag = malloc(sizeof *flag);
    if (flag) atomic_init(&flag->value, 0);
    return flag;
}

void octo_cancel_set(octo_cancel *flag) {
    if (flag) atomic_store_explicit(&flag->value, 1, memory_order_release);
}

int octo_cancel_is_set(const octo_cancel *flag) {
    return flag ? atomic_load_explicit(&((octo_cancel *)flag)->value, memory_order_acquire) : 0;
}

void octo_cancel_free(octo_cancel *flag) { free(flag); }

static int on_progress(void *user, long long dt, long long dn, long long ut, long long un) {
    (void)dt; (void)dn; (void)ut; (void)un;
    return octo_cancel_is_set(user) ? 1 : 0;
}

void octo_no_core_dumps(void) {
    // A core file (or a ptrace attach by another process of the same user) would hold the key.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
}

void octo_exit_now(int status) { _exit(status); }

void octo_perform(void *handle, const char *method, const char *url, const char *const *headers, size_t header_count,
                  const unsigned char *body, size_t body_len, long timeout_ms, octo_cancel *cancel,
                  int no_proxy, size_t body_limit, octo_response *out) {
    memset(out, 0, sizeof *out);
    const char *problem = octo_curl_load();
    if (problem || !handle) {
        out->curl_code = E_FAILED_INIT;
        strncpy(out->error, problem ? problem : "no curl handle", sizeof out->error - 1);
        return;
    }
    if (atomic_load(&tls_trimmed) && !(no_proxy && strncasecmp(url, "http://", 7) == 0)) {
        /* Cannot happen in a run (one base URL): said plainly rather than TLS (to the server or
           to a proxy) without the system's OpenSSL configuration. */
        out->curl_code = E_FAILED_INIT;
        strncpy(out->error, "TLS was not set up in this process: its first request was plain http", sizeof out->error - 1);
        return;
    }
    CURL *c = handle;
    lib.easy_reset(c);  // keeps the connection cache: keep-alive across requests

    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = lib.slist_append(list, headers[i]);
    list = lib.slist_append(list, "Expect:");  // no 100-continue round trip for large bodies

    buffer data = {0}, head = {0};
    data.limit = body_limit;
    head.limit = 1 << 20;
    lib.easy_setopt(c, OPT_URL, url);
    lib.easy_setopt(c, OPT_PROTOCOLS, (long)(PROTO_HTTP | PROTO_HTTPS));
    lib.easy_setopt(c, OPT_FOLLOWLOCATION, 0L);  // never: the key must not travel to another origin
    // Loopback never goes through a proxy (ALL_PROXY, http_proxy): the key would reach it in
    // clear text. The caller decides what loopback is (docs/linux-notes.md).
    if (no_proxy) lib.easy_setopt(c, OPT_NOPROXY, "*");
    lib.easy_setopt(c, OPT_NOSIGNAL, 1L);
    lib.easy_setopt(c, OPT_TIMEOUT_MS, timeout_ms);
    lib.easy_setopt(c, OPT_CONNECTTIMEOUT_MS, timeout_ms);
    lib.easy_setopt(c, OPT_ACCEPT_ENCODING, "");
    lib.easy_setopt(c, OPT_HTTPHEADER, list);
    lib.easy_setopt(c, OPT_ERRORBUFFER, out->error);
    lib.easy_setopt(c, OPT_WRITEFUNCTION, on_data);
    lib.easy_setopt(c, OPT_WRITEDATA, &data);
    lib.easy_setopt(c, OPT_HEADERFUNCTION, on_data);
    lib.easy_setopt(c, OPT_HEADERDATA, &head);
    lib.easy_setopt(c, OPT_NOPROGRESS, 0L);
    lib.easy_setopt(c, OPT_XFERINFOFUNCTION, on_progress);
    lib.easy_setopt(c, OPT_XFERINFODATA, (void *)cancel);
    /* Only a GET may go out on a kept-alive connection. libcurl sends a request again, by
       itself, when a reused connection dies before any answer; for a send that is a second
       message (docs/linux-notes.md, "A send never reuses a connection"). The handle is reused, so
       the option is set on every request. */
    lib.easy_setopt(c, OPT_FRESH_CONNECT, (body || strcmp(method, "GET") != 0) ? 1L : 0L);
    if (body) {
        lib.easy_setopt(c, OPT_POST, 1L);
        lib.easy_setopt(c, OPT_POSTFIELDS, (const char *)body);
        lib.easy_setopt(c, OPT_POSTFIELDSIZE_LARGE, (long long)body_len);
        if (strcmp(method, "POST") != 0) lib.easy_setopt(c, OPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        lib.easy_setopt(c, OPT_HTTPGET, 1L);
    } else {
        lib.easy_setopt(c, OPT_CUSTOMREQUEST, method);
    }

    out->curl_code = lib.easy_perform(c);
    lib.easy_getinfo(c, INFO_RESPONSE_CODE, &out->status);
    lib.easy_getinfo(c, INFO_REQUEST_SIZE, &out->request_bytes);
    if (out->curl_code != 0 && out->error[0] == 0) {
        strncpy(out->error, lib.easy_strerror(out->curl_code), sizeof out->error - 1);
    }
    if (data.too_large || head.too_large) {
        out->too_large = data.too_large ? 1 : 2;
    } else if (data.failed || head.failed) {
        out->curl_code = out->curl_code ? out->curl_code : 27;  // CURLE_OUT_OF_MEMORY
    }
    lib.easy_setopt(c, OPT_ERRORBUFFER, (char *)NULL);
    lib.easy_setopt(c, OPT_HTTPHEADER, (struct curl_slist *)NULL);
    lib.slist_free_all(list);
    out->body = data.data;
    out->body_len = data.len;
    out->headers = (char *)head.data;
    out->headers_len = head.len;
}

void octo_response_free(octo_response *response) {
    free(response->body);
    free(response->headers);
    response->body = NULL;
    response->headers = NULL;
}
