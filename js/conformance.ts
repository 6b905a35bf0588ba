// Compile-time proof that this module implements the declarations in
// include/types: tsc fails here if a function, handle method or option
// drifts from them. Nothing of this file runs (it only holds types).

import * as container from "./container";
import * as containerCompose from "./container-compose";
import * as compose from "./compose";
import * as workloads from "./workloads";
import type * as D from "../include/types/perry/container/index";

// Every value the declarations export, with the declared signature.
export const checks: [
  typeof import("../include/types/perry/container/index"),
  typeof import("../include/types/perry/container-compose/index"),
  typeof import("../include/types/perry/compose/index"),
  typeof import("../include/types/perry/workloads/index"),
] = [container, containerCompose, compose, workloads];

// The error class is the declared ContainerError.
export const errorCheck: (e: container.ContainerError) => D.ContainerError = (e) => e;
