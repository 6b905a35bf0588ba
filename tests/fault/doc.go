// Package fault holds the fault-injection and injection tests of
// perry-container on the real Docker engine:
//
//   - a fake runtime CLI, a script speaking the Docker protocol by
//     forwarding to the real `docker`, that fails, hangs, prints garbage or
//     loses its output on its k-th call (the CLI strategy,
//     cli.Docker("docker", script));
//   - a proxy on a unix socket between the Engine API backend and
//     /var/run/docker.sock that fails, delays, hangs or cuts its k-th
//     request (the API strategy, api.New("unix://…", "docker"));
//   - for every k of a 6-service up (two networks, a volume and a
//     service_healthy edge): the injector fires once at call k, and the up
//     fails naming the operation, or rides the fault out only where the
//     mode allows it (a delay; a failed read asked again; a lost answer to
//     a call that was done) with every service running, or succeeds when k
//     is past its last call; a label sweep on the engine then finds
//     nothing of the project; a hung call is cut by the deadline; a down
//     cancelled half-way completes when run again;
//   - the same checks, given an injector that never misbehaves, fail at
//     every k of every mode (TestMatrixCatchesAnInertInjector);
//   - every string field of ContainerSpec and of compose services, with
//     shell metacharacters, a leading '-' and newlines, reaches the
//     container literally through both strategies; NUL is rejected.
//
// Every resource is labelled perry.test=1 and swept by its project label.
// PERRY_SKIP_ENGINE_TESTS=1 skips the package; -short samples k.
package fault
