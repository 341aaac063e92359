package main

import (
	"errors"
	"flag"
	"fmt"
)

// Exit codes, for scripts (documented in the usage text and examples/README.md).
const (
	exitOK         = 0 // success
	exitFailure    = 1 // anything else: an incomplete bench, a file that cannot be written...
	exitUsage      = 2 // bad command line: unknown command or flag, a missing or conflicting flag
	exitConnection = 3 // no session: connection refused or reset, unreachable, TLS handshake or certificate refused
	exitBind       = 4 // the SMSC refused the bind (bind_resp with a command_status)
	exitRefused    = 5 // the SMSC refused the request (submit_sm_resp, query_sm_resp... with a command_status)
	exitTimeout    = 6 // no answer in time: bind, response (-timeout) or receipt (-dlr-timeout)
)

const exitCodesHelp = `exit codes:
  0  success
  1  other failure (an incomplete bench, a file that cannot be written)
  2  usage: unknown command or flag, a missing or conflicting flag
  3  connection or TLS failure: refused, unreachable, reset, certificate not trusted or not the pinned one
  4  bind refused by the SMSC (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL...)
  5  request refused by the SMSC: a command_status other than ESME_ROK (ESME_RTHROTTLED, ESME_RCANCELFAIL...)
  6  timeout: no bind_resp, response or receipt in time (-timeout, -dlr-timeout)
`

// codeError is an error with the exit code it ends the command with.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codeError{code, err}
}

// usageErrorf is a usage error (exit code 2).
func usageErrorf(format string, args ...any) error {
	return withCode(exitUsage, fmt.Errorf(format, args...))
}

// exitCode is the exit code of what run returned.
func exitCode(err error) int {
	if err == nil || errors.Is(err, errHelpShown) {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitUsage
	}
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return exitFailure
}

// errHelpShown: -h printed the help that was asked for (exit 0).
var errHelpShown = errors.New("help shown")
