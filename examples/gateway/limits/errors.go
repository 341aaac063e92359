package limits

import "errors"

// ErrTooManyBinds is returned by Bind when the account holds as many binds
// as its MaxBinds; the ESME side answers ESME_RALYBND.
var ErrTooManyBinds = errors.New("gateway limits: too many binds")
