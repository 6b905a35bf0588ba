package backend

import "regexp"

// missingNetwork is how engines say that a network a create, run or start
// names does not exist (docker, podman, nerdctl's start hook, whose quotes
// may come escaped); the error is about that network, not about the
// container or image the call was for.
var missingNetwork = []*regexp.Regexp{
	regexp.MustCompile(`(?:^|: )network (\S+) not found`),
	// docker on a swarm manager looks the network up in the swarm too.
	regexp.MustCompile(`Could not attach to network (\S+?): `),
	regexp.MustCompile(`unable to find network with name or ID (\S+?):`),
	regexp.MustCompile(`no such network: \\*"([^"\\]+)`),
}

// MissingNetwork returns the network an engine's message (the Engine API's,
// or a CLI's stderr) says does not exist. The API and CLI backends both map
// it to NotFound naming the network.
func MissingNetwork(msg string) (string, bool) {
	for _, re := range missingNetwork {
		if m := re.FindStringSubmatch(msg); m != nil {
			return m[1], true
		}
	}
	return "", false
}
