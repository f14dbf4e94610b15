/* A libcurl.so.4 that passes every call to the real one (OCTO_REAL_LIBCURL) but behaves like
 * another version (OCTO_FAKE_VERSION), for the end-to-end tests (Tests/EndToEndTests/
 * LibcurlVersionsTests.swift), which build it with `cc` and put it first on LD_LIBRARY_PATH:
 *
 *   8.7.1   CURLINFO_REQUEST_SIZE reads 0 after a transfer that failed, as libcurl 8.7.0-8.7.1
 *           do (curl issue 13269): a client that trusts that counter calls a cut POST unsent.
 *   7.79.1  no CURLOPT_PREREQFUNCTION (added in 7.80.0): setting it fails with
 *           CURLE_UNKNOWN_OPTION, as a libcurl from before it does.
 *   7.67.0  older than octopods supports: only the version is reported.
 *
 * Only the functions CCurlShim looks up are provided.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int age;
    const char *version;
    unsigned int version_num;
    const char *host;
    int features;
    const char *ssl_version;
} version_info;

static void *real;
static int fake_871, fake_779;
static unsigned int fake_num;
static char fake_text[32];
static int last_result;

static void *sym(const char *name) {
    if (!real) {
        const char *path = getenv("OCTO_REAL_LIBCURL");
        real = dlopen(path ? path : "/usr/lib/x86_64-linux-gnu/libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        const char *fake = getenv("OCTO_FAKE_VERSION");
        if (fake) {
            int a = 0, b = 0, c = 0;
            sscanf(fake, "%d.%d.%d", &a, &b, &c);
            fake_num = (unsigned)(a << 16 | b << 8 | c);
            snprintf(fake_text, sizeof fake_text, "%d.%d.%d", a, b, c);
            fake_871 = fake_num == 0x080701;
            fake_779 = fake_num < 0x075000;
        }
        if (!real) { fprintf(stderr, "fake libcurl: %s\n", dlerror()); abort(); }
    }
    return dlsym(real, name);
}

int curl_global_init(long flags) { return ((int (*)(long))sym("curl_global_init"))(flags); }
void *curl_easy_init(void) { return ((void *(*)(void))sym("curl_easy_init"))(); }
void curl_easy_cleanup(void *h) { ((void (*)(void *))sym("curl_easy_cleanup"))(h); }
void curl_easy_reset(void *h) { ((void (*)(void *))sym("curl_easy_reset"))(h); }
const char *curl_easy_strerror(int code) { return ((const char *(*)(int))sym("curl_easy_strerror"))(code); }
void *curl_slist_append(void *list, const char *s) { return ((void *(*)(void *, const char *))sym("curl_slist_append"))(list, s); }
void curl_slist_free_all(void *list) { ((void (*)(void *))sym("curl_slist_free_all"))(list); }

/* Every option value libcurl takes is one 8-byte integer or pointer (x86-64). */
int curl_easy_setopt(void *h, int option, ...) {
    va_list ap;
    va_start(ap, option);
    void *value = va_arg(ap, void *);
    va_end(ap);
    int (*setopt)(void *, int, ...) = (int (*)(void *, int, ...))sym("curl_easy_setopt");
    if (fake_779 && (option == 20312 || option == 10313)) return 48; /* PREREQFUNCTION/DATA: CURLE_UNKNOWN_OPTION */
    return setopt(h, option, value);
}

int curl_easy_perform(void *h) {
    last_result = ((int (*)(void *))sym("curl_easy_perform"))(h);
    return last_result;
}

int curl_easy_getinfo(void *h, int info, ...) {
    va_list ap;
    va_start(ap, info);
    void *out = va_arg(ap, void *);
    va_end(ap);
    int result = ((int (*)(void *, int, ...))sym("curl_easy_getinfo"))(h, info, out);
    if (fake_871 && info == 0x20000C && last_result != 0) *(long *)out = 0; /* REQUEST_SIZE after a failure */
    return result;
}

const version_info *curl_version_info(int age) {
    static version_info copy;
    const version_info *info = ((const version_info *(*)(int))sym("curl_version_info"))(age);
    if (!fake_num || !info) return info;
    copy = *info;
    copy.version = fake_text;
    copy.version_num = fake_num;
    return &copy;
}
