package core

// ABIVersion is the version of the C ABI the library implements: what
// js_container_abi_version() answers and the header's
// PERRY_CONTAINER_ABI_VERSION (tests/contract checks that they agree). A new
// function is a minor version, a changed one a major version.
const ABIVersion = "1.2.0"
