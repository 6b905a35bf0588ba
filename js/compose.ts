// perry/compose: an alias of perry/container-compose.
export * from "./container-compose";
