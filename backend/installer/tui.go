package installer

import (
	"context"
	"errors"
	"io"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/huh"
)

// selectTUI is the arrow-key menu: ↑/↓ (or k/j) to
// move, Enter to choose, q, Esc or Ctrl+C to quit (errQuit). The full menu,
// with commands and docs, has already been printed above it; the options
// repeat each name and description.
func selectTUI(ctx context.Context, in io.Reader, out io.Writer, menu []Entry) (int, error) {
	form, choice := newSelectForm(menu)
	err := form.WithInput(in).WithOutput(out).RunWithContext(ctx)
	switch {
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case errors.Is(err, huh.ErrUserAborted):
		return 0, errQuit
	case err != nil:
		return 0, err
	}
	return *choice, nil
}

// newSelectForm builds the menu's form; choice receives the chosen index.
func newSelectForm(menu []Entry) (*huh.Form, *int) {
	choice := new(int)
	opts := make([]huh.Option[int], len(menu))
	for i, e := range menu {
		opts[i] = huh.NewOption(e.Name+" — "+e.Description, i)
	}
	sel := huh.NewSelect[int]().
		Title("Choose a container runtime to install").
		Description("↑/↓ to move, Enter to choose, q to quit").
		Options(opts...).
		Value(choice)

	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("q", "esc", "ctrl+c"), key.WithHelp("q", "quit"))
	// No filtering: "/" would open a text field in which q could not quit.
	km.Select.Filter = key.NewBinding(key.WithKeys("/"), key.WithDisabled())
	return huh.NewForm(huh.NewGroup(sel)).WithKeyMap(km).WithShowHelp(true), choice
}
