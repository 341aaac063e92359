package main

import (
	"io"
	"os"
)

// isTerminal reports whether w is a terminal (a character device: /dev/null
// counts too, where drawing costs nothing): the progress bar is drawn only
// there, never into a file or a pipe (a -json result redirected with 2>&1).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
