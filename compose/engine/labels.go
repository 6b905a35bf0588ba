package engine

// Label keys written on every resource the engine creates (docs/design.md, Names and labels).
// They are docker compose's own keys, so `docker compose ps/ls/down` (and
// docker-compose v1) recognise our stacks; resources are always found by
// these labels, never by parsing names.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneoff      = "com.docker.compose.oneoff"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelDependsOn   = "com.docker.compose.depends_on"
	LabelVersion     = "com.docker.compose.version"
	LabelImage       = "com.docker.compose.image"
	LabelReplace     = "com.docker.compose.replace"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
	LabelSlug        = "com.docker.compose.slug"
	// LabelImageBuilder marks an image built by the classic builder, as
	// docker compose marks what it builds without BuildKit.
	LabelImageBuilder = "com.docker.compose.image.builder"

	// LabelManaged marks every resource perry-container created.
	LabelManaged = "io.perry.managed"
	// LabelStateDir names, on a container that mounts files the engine
	// wrote (secrets, configs, a seccomp profile), the project's private
	// directory holding them.
	LabelStateDir = "io.perry.state-dir"
	// LabelVolumes lists, sorted and comma-separated, the named volumes a
	// container mounts by their names on the runtime. The config hash
	// covers the volume's compose key only, so a changed name (an external
	// volume swapped for another) shows here; docker compose compares the
	// container's mounts to the same end.
	LabelVolumes = "io.perry.volumes"
	// LabelCopiedFiles marks a container whose inline and environment
	// secrets and configs the runtime writes into it at each start, as
	// docker compose does, rather than binding them: a container made
	// before, which binds them, is given none.
	LabelCopiedFiles = "io.perry.copied-files"
)

// Version is written in the com.docker.compose.version label. It must stay
// a semantic version: docker compose parses that label.
var Version = "0.1.0"

// nameSeparator joins project, service and number in container names
// ({project}-{service}-{n}); networks and volumes use "_" ({project}_{key}),
// as docker compose does.
const nameSeparator = "-"
