// The package's main entry is perry/container.
export * from "./container";
