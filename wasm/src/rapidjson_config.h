// The one RapidJSON configuration for every file that includes it (core and
// CLI alike), so no two translation units see different definitions.
// Include this before any RapidJSON header.
#pragma once

// RapidJSON checks its own invariants with RAPIDJSON_ASSERT; a failed one
// is a bug, never an input error (inputs are guarded before parsing), so it
// traps: in Wasm the shim catches the trap and answers 503; natively the
// process stops.
#define RAPIDJSON_ASSERT(x) ((x) ? static_cast<void>(0) : __builtin_trap())
