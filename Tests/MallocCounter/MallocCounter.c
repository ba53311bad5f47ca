// Counts heap allocations for the allocation-per-step tests. On Linux/glibc the test binary
// defines malloc & co., which take precedence over libc's for every library in the process
// (Swift runtime included), counts the call and forwards it to glibc's own implementation.
// Nothing else changes: the memory still comes from, and goes back to, glibc's allocator.
#define _GNU_SOURCE
#include "MallocCounter.h"
#include <errno.h>
#include <stddef.h>

#if defined(__linux__) && defined(__GLIBC__)
#include <link.h>
#include <string.h>
#include <stdint.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long counter, excluded;
/// Address range of the excluded library's executable segments (0, 0: none).
static uintptr_t excludedLow, excludedHigh;

// Every entry point is a separate function, so __builtin_return_address(0) is its caller.
#define COUNT() count((uintptr_t)__builtin_return_address(0))
static inline void count(uintptr_t caller) {
    if (caller >= excludedLow && caller < excludedHigh) __atomic_fetch_add(&excluded, 1, __ATOMIC_RELAXED);
    else __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { COUNT(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    COUNT();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

long kd_malloc_count(void) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }
long kd_malloc_excluded_count(void) { return __atomic_load_n(&excluded, __ATOMIC_RELAXED); }

static int findLibrary(struct dl_phdr_info *info, size_t size, void *name) {
    (void)size;
    if (!info->dlpi_name || !strstr(info->dlpi_name, (const char *)name)) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X)) continue;
        uintptr_t low = info->dlpi_addr + segment->p_vaddr, high = low + segment->p_memsz;
        if (excludedHigh == 0 || low < excludedLow) excludedLow = low;
        if (high > excludedHigh) excludedHigh = high;
    }
    return excludedHigh != 0;
}

int kd_malloc_exclude_library(const char *name) { return dl_iterate_phdr(findLibrary, (void *)name); }
#else
long kd_malloc_count(void) { return -1; }
long kd_malloc_excluded_count(void) { return 0; }
int kd_malloc_exclude_library(const char *name) { (void)name; return 0; }
#endif
