package backend

import (
	"testing"

	"github.com/perryts/perry-container/core"
)

func TestCheckSignal(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "SIGKILL"}, {"SIGHUP", "SIGHUP"}, {"hup", "HUP"}, {"sigterm", "SIGTERM"}, {"9", "9"}, {"64", "64"},
		{"SIGRTMIN+3", "SIGRTMIN+3"}, {"RTMAX-1", "RTMAX-1"},
	} {
		if got, err := CheckSignal(tt.in); err != nil || got != tt.want {
			t.Errorf("CheckSignal(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"0", "65", "-9", "SIG HUP", "--help", "HUP;id", "1.5", "SIG", "+3", "$(id)"} {
		if _, err := CheckSignal(bad); core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("CheckSignal(%q) = %v, want InvalidArgument", bad, err)
		}
	}
}
