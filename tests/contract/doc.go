// Package contract checks that the four descriptions of perry-container's
// API never diverge:
//
//   - include/perry_container.h, the C ABI (and the //export functions of
//     ffi/, and the dynamic symbols of libperrycontainer.so);
//   - include/types/perry/*/index.d.ts, the TypeScript declarations;
//   - include/wit/perry-container.wit, the WIT contract;
//   - the Go data model of core/ (by reflection) and the JSON result and
//     option types of ffi/ (by parsing), whose JSON names are the wire format.
//
// The mapping between them is machine-readable: every TypeScript function or
// handle method carries a JSDoc tag `@ffi <symbol>…`, every WIT function a
// doc tag `/// @ffi <symbol>…` (several symbols when they are exact
// aliases); symbols that only the host calls are listed by `@ffiHost`
// (TypeScript, file-level JSDoc) and `@ffi-host` (WIT, interface doc). Check
// builds from these one table, operation by operation, and reports every
// divergence with the operation (or type) and the side at fault.
//
// Records: every struct reached from CoreRoots, and every JSON-tagged
// struct of ffi/ (which are taken to be wire types), must be a TypeScript
// interface (GoToTS renames) and a WIT record (kebab-case of the TypeScript
// name) with the same JSON members, optionality and types. A WIT record's
// JSON names are camelCase unless it is tagged `/// @json-case snake`.
// Enums (core's string constants) and error kinds and codes are compared
// too, with the header's code table.
//
// Run it with `go test ./tests/contract/` (-v prints the table). The
// library is $PERRY_CONTRACT_LIB, else build/libperrycontainer.so when it is
// up to date, else a fresh `go build -buildmode=c-shared ./ffi`
// (PERRY_CONTRACT_LIB=fresh forces that).
package contract
