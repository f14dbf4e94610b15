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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

typedef void CURL;
struct curl_slist;

enum {
    OPT_WRITEDATA = 10001, OPT_URL = 10002, OPT_ERRORBUFFER = 10010, OPT_WRITEFUNCTION = 20011,
    OPT_POSTFIELDS = 10015, OPT_HTTPHEADER = 10023, OPT_HEADERDATA = 10029, OPT_CUSTOMREQUEST = 10036,
    OPT_VERBOSE = 41, OPT_NOPROGRESS = 43, OPT_POST = 47, OPT_FRESH_CONNECT = 74, OPT_FOLLOWLOCATION = 52, OPT_HTTPGET = 80,
    OPT_NOSIGNAL = 99, OPT_CAINFO = 10065, OPT_CAPATH = 10097, OPT_DEBUGFUNCTION = 20094, OPT_DEBUGDATA = 10095,
    OPT_HEADERFUNCTION = 20079, OPT_ACCEPT_ENCODING = 10102, OPT_SOCKOPTFUNCTION = 20148, OPT_SOCKOPTDATA = 10149,
    OPT_TIMEOUT_MS = 155, OPT_CONNECTTIMEOUT_MS = 156, OPT_POSTFIELDSIZE_LARGE = 30120, OPT_PROTOCOLS = 181,
    OPT_NOPROXY = 10177, OPT_XFERINFODATA = 10057, OPT_XFERINFOFUNCTION = 20219, OPT_SUPPRESS_CONNECT_HEADERS = 265,
    OPT_PREREQFUNCTION = 20312, OPT_PREREQDATA = 10313,
};
enum { INFO_RESPONSE_CODE = 0x200002, INFO_CAINFO = 0x100000 + 61 };
enum { DEBUG_HEADER_OUT = 2, DEBUG_DATA_OUT = 4 };
enum { GLOBAL_DEFAULT = 3, PROTO_HTTP = 1, PROTO_HTTPS = 2, E_ABORTED_BY_CALLBACK = 42, E_FAILED_INIT = 2 };
/* The oldest libcurl the transport is tested against and supports (docs/linux-notes.md). */
enum { OLDEST_SUPPORTED = 0x074400 /* 7.68.0 */ };

/* The start of curl_version_info_data; every version since 7.10 begins so. */
typedef struct {
    int age;
    const char *version;
    unsigned int version_num;
    const char *host;
    int features;
    const char *ssl_version;
} version_info;

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
    version_info *(*version_info)(int);
} lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libcurl was not loaded";
static char load_error_text[512];
static char version_text[160];

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
    SYM(version_info, "curl_version_info")
#undef SYM
    const version_info *info = lib.version_info(3 /* CURLVERSION_FOURTH: has ssl_version */);
    if (!info || !info->version) { load_error = "libcurl.so.4 does not say its version"; return; }
    snprintf(version_text, sizeof version_text, "libcurl/%s%s%s", info->version,
             info->ssl_version ? " " : "", info->ssl_version ? info->ssl_version : "");
    if (info->version_num < OLDEST_SUPPORTED) {
        snprintf(load_error_text, sizeof load_error_text,
                 "the system's libcurl is %s, older than 7.68.0, the oldest octopods supports", info->version);
        load_error = load_error_text;
        return;
    }
    if (lib.global_init(GLOBAL_DEFAULT) != 0) { load_error = "curl_global_init failed"; return; }
    load_error = NULL;
}

const char *octo_curl_load(void) {
    pthread_once(&load_once, load);
    return load_error;
}

const char *octo_curl_version(void) {
    pthread_once(&load_once, load);
    return version_text;
}

void octo_curl_default_ca(char *out, size_t size) {
    if (!size) return;
    out[0] = 0;
    if (octo_curl_load()) return;
    CURL *c = lib.easy_init();
    if (!c) return;
    const char *path = NULL;
    if (lib.easy_getinfo(c, INFO_CAINFO, &path) == 0 && path) snprintf(out, size, "%s", path);
    lib.easy_cleanup(c);
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

// What the transfer was seen to do, from libcurl's callbacks on the transfer's own thread
// (docs/linux-notes.md, "Was it sent?"). Only ever moves forward.
typedef struct {
    int stage;
    int prereq;          // the pre-request callback is available (libcurl 7.80.0+)
    size_t header_out;   // request header bytes handed to the connection
    size_t body_out;     // request body bytes handed to the connection
    size_t body_len;     // the request body's length
} tracker;

static void reach(tracker *t, int stage) {
    if (t->stage < stage) t->stage = stage;
}

// Called when libcurl has created a socket, before it connects.
static int on_socket(void *user, int fd, int purpose) {
    (void)fd; (void)purpose;
    reach(user, OCTO_STAGE_CONNECTING);
    return 0;  // CURL_SOCKOPT_OK
}

// Called once the connection, any proxy tunnel and the TLS handshake are done, right before
// the request is written.
static int on_ready(void *user, char *ip, char *local_ip, int port, int local_port) {
    (void)ip; (void)local_ip; (void)port; (void)local_port;
    reach(user, OCTO_STAGE_READY);
    return 0;  // CURL_PREREQFUNC_OK
}

// The debug callback sees every request byte libcurl has written. A proxy's CONNECT request
// goes the same way before the tunnel and the TLS handshake: it is not the request.
static int on_debug(void *handle, int type, char *data, size_t size, void *user) {
    (void)handle;
    tracker *t = user;
    if (type == DEBUG_HEADER_OUT) {
        if (t->prereq ? t->stage < OCTO_STAGE_READY : (size >= 8 && memcmp(data, "CONNECT ", 8) == 0)) return 0;
        t->header_out += size;
    } else if (type == DEBUG_DATA_OUT) {
        if (t->header_out == 0) return 0;
        t->body_out += size;
    } else {
        return 0;
    }
    reach(t, t->body_out >= t->body_len ? OCTO_STAGE_REQUEST_SENT : OCTO_STAGE_REQUEST_STARTED);
    return 0;
}

typedef struct { buffer buffer; tracker *tracker; } head_sink;

// Response headers; a proxy's answer to CONNECT is not passed here (SUPPRESS_CONNECT_HEADERS),
// and nothing counts as an answer before the request started.
static size_t on_header(char *data, size_t size, size_t count, void *user) {
    head_sink *sink = user;
    if (sink->tracker->stage >= OCTO_STAGE_REQUEST_STARTED) reach(sink->tracker, OCTO_STAGE_RESPONSE_BEGUN);
    return append(&sink->buffer, data, size * count);
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
                  int no_proxy, size_t body_limit, const char *ca_file, const char *ca_dir, octo_response *out) {
    memset(out, 0, sizeof *out);
    const char *problem = octo_curl_load();
    if (problem || !handle) {
        out->curl_code = E_FAILED_INIT;
        strncpy(out->error, problem ? problem : "no curl handle", sizeof out->error - 1);
        return;
    }
    CURL *c = handle;
    lib.easy_reset(c);  // keeps the connection cache: keep-alive across requests

    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++) list = lib.slist_append(list, headers[i]);
    list = lib.slist_append(list, "Expect:");  // no 100-continue round trip for large bodies

    buffer data = {0};
    tracker seen = {0};
    seen.body_len = body ? body_len : 0;
    head_sink head = {{0}, &seen};
    data.limit = body_limit;
    head.buffer.limit = 1 << 20;
    lib.easy_setopt(c, OPT_URL, url);
    lib.easy_setopt(c, OPT_PROTOCOLS, (long)(PROTO_HTTP | PROTO_HTTPS));
    lib.easy_setopt(c, OPT_FOLLOWLOCATION, 0L);  // never: the key must not travel to another origin
    // Loopback never goes through a proxy (ALL_PROXY, http_proxy): the key would reach it in
    // clear text. The caller decides what loopback is (docs/linux-notes.md).
    if (no_proxy) lib.easy_setopt(c, OPT_NOPROXY, "*");
    if (ca_file) lib.easy_setopt(c, OPT_CAINFO, ca_file);
    if (ca_dir) lib.easy_setopt(c, OPT_CAPATH, ca_dir);
    lib.easy_setopt(c, OPT_NOSIGNAL, 1L);
    lib.easy_setopt(c, OPT_TIMEOUT_MS, timeout_ms);
    lib.easy_setopt(c, OPT_CONNECTTIMEOUT_MS, timeout_ms);
    lib.easy_setopt(c, OPT_ACCEPT_ENCODING, "");
    lib.easy_setopt(c, OPT_HTTPHEADER, list);
    lib.easy_setopt(c, OPT_ERRORBUFFER, out->error);
    lib.easy_setopt(c, OPT_WRITEFUNCTION, on_data);
    lib.easy_setopt(c, OPT_WRITEDATA, &data);
    lib.easy_setopt(c, OPT_HEADERFUNCTION, on_header);
    lib.easy_setopt(c, OPT_HEADERDATA, &head);
    lib.easy_setopt(c, OPT_SUPPRESS_CONNECT_HEADERS, 1L);
    lib.easy_setopt(c, OPT_NOPROGRESS, 0L);
    lib.easy_setopt(c, OPT_XFERINFOFUNCTION, on_progress);
    lib.easy_setopt(c, OPT_XFERINFODATA, (void *)cancel);
    // The stages of the transfer, as seen by the client itself (docs/linux-notes.md, "Was it sent?").
    lib.easy_setopt(c, OPT_SOCKOPTFUNCTION, on_socket);
    lib.easy_setopt(c, OPT_SOCKOPTDATA, (void *)&seen);
    seen.prereq = lib.easy_setopt(c, OPT_PREREQFUNCTION, on_ready) == 0;
    if (seen.prereq) lib.easy_setopt(c, OPT_PREREQDATA, (void *)&seen);
    lib.easy_setopt(c, OPT_DEBUGFUNCTION, on_debug);
    lib.easy_setopt(c, OPT_DEBUGDATA, (void *)&seen);
    lib.easy_setopt(c, OPT_VERBOSE, 1L);  // what makes libcurl call the debug callback; nothing is printed
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
    out->stage = seen.stage;
    out->stage_exact = seen.prereq;
    if (out->curl_code != 0 && out->error[0] == 0) {
        strncpy(out->error, lib.easy_strerror(out->curl_code), sizeof out->error - 1);
    }
    if (data.too_large || head.buffer.too_large) {
        out->too_large = data.too_large ? 1 : 2;
    } else if (data.failed || head.buffer.failed) {
        out->curl_code = out->curl_code ? out->curl_code : 27;  // CURLE_OUT_OF_MEMORY
    }
    lib.easy_setopt(c, OPT_ERRORBUFFER, (char *)NULL);
    lib.easy_setopt(c, OPT_HTTPHEADER, (struct curl_slist *)NULL);
    lib.slist_free_all(list);
    out->body = data.data;
    out->body_len = data.len;
    out->headers = (char *)head.buffer.data;
    out->headers_len = head.buffer.len;
}

void octo_response_free(octo_response *response) {
    free(response->body);
    free(response->headers);
    response->body = NULL;
    response->headers = NULL;
}
