/**
 * perry/compose: an alias of perry/container-compose (the canonical path).
 * Both import paths give the same functions, backed by the same
 * `js_compose_*` symbols.
 *
 * @packageDocumentation
 */

export * from "../container-compose";
