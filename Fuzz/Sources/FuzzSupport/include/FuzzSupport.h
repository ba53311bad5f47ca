#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, LLVM >= 11). SwiftPM links executables with
/// `--defsym main=<Module>_main`, which `-parse-as-library` never emits, so each fuzzer defines
/// `<Module>_main` itself and hands control to libFuzzer here.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
