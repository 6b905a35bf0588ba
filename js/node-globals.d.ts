// The Node.js globals this module uses. Debian ships no @types/node and
// there is no npm registry here, so they are declared by hand (Node 20).
declare function require(id: string): any;
declare const process: {
  on(event: "exit", listener: (code: number) => void): unknown;
};
