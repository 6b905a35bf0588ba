package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

func (a *app) exportCmd() *cobra.Command {
	var (
		index  int
		output string
	)
	cmd := &cobra.Command{
		Use:   "export [flags] SERVICE",
		Short: "Export a service container's filesystem as a tar archive",
		Long: `Write the filesystem of a service's running container (its first, or
--index) as a tar archive, without its volumes: to stdout, which must not
be a terminal, or with -o to a file (private to you), which appears only
once the archive is whole.`,
		// Words after SERVICE are ignored, as docker compose does.
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if index < 0 {
				return usageErr(cmd, "invalid --index %d: replicas are numbered from 1", index)
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, args[:1], true, "Exporting")
			if err != nil {
				return err
			}
			defer s.r.Close()
			dry := dryRun(cmd)
			var file *pendingFile
			open := func() (io.Writer, error) {
				switch {
				case output == "" && a.stdoutTTY:
					return nil, core.Errorf(core.KindInvalidArgument, "output option is required when exporting to terminal")
				case output == "" && dry:
					return io.Discard, nil
				case output == "":
					return a.stdout, nil
				}
				if err := checkOutputPath(output); err != nil {
					return nil, err
				}
				if dry {
					return io.Discard, nil
				}
				f, err := newPendingFile(output)
				if err != nil {
					return nil, err
				}
				file = f
				return f, nil
			}
			err = s.e.Export(ctx, args[0], engine.ExportOptions{Index: index, DryRun: dry}, open)
			if file != nil {
				err = file.finish(err)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&index, "index", 0, "Index of the container if the service has multiple replicas")
	fl.StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// checkOutputPath refuses an -o that cannot become the file, in docker
// compose's words: a directory that does not exist, a directory, a link or
// another file that is not a regular one.
func checkOutputPath(p string) error {
	if dir := filepath.Dir(filepath.Clean(p)); dir != "." {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return core.Errorf(core.KindInvalidArgument, "failed to export container: invalid output path: directory %q does not exist", dir)
		}
	}
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return core.Errorf(core.KindInvalidArgument, "failed to stat output path: %v", err)
	case fi.IsDir():
		return core.Errorf(core.KindInvalidArgument, "cannot write to a directory")
	case fi.Mode()&fs.ModeSymlink != 0:
		return core.Errorf(core.KindInvalidArgument, "cannot write to a symbolic link directly")
	case !fi.Mode().IsRegular():
		return core.Errorf(core.KindInvalidArgument, "cannot write to %s: not a regular file", p)
	}
	return nil
}

// pendingFile is written beside its path, private (0600), and renamed to
// it once whole: a failed export leaves no partial archive, nor replaces
// an earlier one.
type pendingFile struct {
	*os.File
	path string
}

func newPendingFile(path string) (*pendingFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(abs), ".tmp-"+filepath.Base(abs))
	if err != nil {
		return nil, err
	}
	return &pendingFile{File: f, path: abs}, nil
}

// finish renames the file to its path when err is nil, else removes it;
// it returns err, or the error that kept the file from its path.
func (f *pendingFile) finish(err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.Rename(f.Name(), f.path); err != nil {
			err = fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
