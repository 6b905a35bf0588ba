// Compile-time proof that this module implements the declarations in
// include/types: tsc fails here if a function, handle method or option
// drifts from them. Nothing of this file does anything at run time.

import * as container from "./container";
import * as containerCompose from "./container-compose";
import * as compose from "./compose";
import * as workloads from "./workloads";
import type { Stack } from "./stack";
import type { Graph } from "./graph";
import type * as C from "../include/types/perry/container/index";
import type * as W from "../include/types/perry/workloads/index";

type DContainer = typeof import("../include/types/perry/container/index");
type DContainerCompose = typeof import("../include/types/perry/container-compose/index");
type DCompose = typeof import("../include/types/perry/compose/index");
type DWorkloads = typeof import("../include/types/perry/workloads/index");

// Every value the declarations export exists here and is assignable to its
// declared type.
export const checks: [DContainer, DContainerCompose, DCompose, DWorkloads] = [
  container,
  containerCompose,
  compose,
  workloads,
];

// Assignability lets an implementation drop trailing parameters (e.g. the
// `call` options); this requires the parameter lists to be exactly the
// declared ones. A mismatch names the member: "Type 'K' is not assignable
// to type 'true'".
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SameParams<D, I> = {
  [K in keyof D]: K extends keyof I
    ? D[K] extends (...a: infer P) => unknown
      ? I[K] extends (...a: infer Q) => unknown
        ? Exact<P, Q> extends true
          ? true
          : K
        : K
      : true
    : K;
};
type AllTrue<T> = { [K in keyof T]: true };

export const params: [
  AllTrue<DContainer>,
  AllTrue<DContainerCompose>,
  AllTrue<DWorkloads>,
  AllTrue<C.ComposeHandle>,
  AllTrue<W.GraphHandle>,
] = [
  {} as SameParams<DContainer, typeof container>,
  {} as SameParams<DContainerCompose, typeof containerCompose>,
  {} as SameParams<DWorkloads, typeof workloads>,
  {} as SameParams<C.ComposeHandle, Stack>,
  {} as SameParams<W.GraphHandle, Graph>,
];

// The handle classes are the declared handles, and the error class the
// declared ContainerError.
export const handles: [(s: Stack) => C.ComposeHandle, (g: Graph) => W.GraphHandle] = [(s) => s, (g) => g];
export const errorCheck: (e: container.ContainerError) => C.ContainerError = (e) => e;
