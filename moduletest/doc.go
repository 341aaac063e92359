// Package moduletest holds a test of the repository's modules as their users get them:
// it publishes github.com/esmsafrica/smpp and github.com/esmsafrica/smpp/examples from
// the working tree to a module proxy in a temporary folder, then installs smppcli and
// builds a program that imports the simulator through that proxy alone, outside the
// workspace. A module of its own, so that golang.org/x/mod (the module zip format) is
// never a dependency of the library.
package moduletest
