# Toolchain file: Debian's clang targeting wasm32-wasi.
# Debian has no wasi-sdk; clang + wasi-libc + libc++-dev-wasm32 + libclang-rt-dev-wasm32 is the
# same thing, and Debian's clang finds that sysroot without --sysroot.

# CMake 3.25 has no WASI platform module; Generic + wasm32 configures silently.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

set(CMAKE_C_COMPILER clang)
set(CMAKE_CXX_COMPILER clang++)
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)

# GNU ar cannot index LTO bitcode; use LLVM's archiver should a static library ever appear.
find_program(CMAKE_AR NAMES llvm-ar llvm-ar-14)
find_program(CMAKE_RANLIB NAMES llvm-ranlib llvm-ranlib-14)

# Probe the compiler without linking: a wasm executable needs flags CMake's checks do not pass.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_EXECUTABLE_SUFFIX .wasm)

