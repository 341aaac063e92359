package peers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error

	perlOnce sync.Once
	perlErr  error
)

// Root returns the directory of the main module (the one holding scripts/peers). It walks
// up from the working directory, so it works from tests in nested modules (examples, bench).
func Root(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for dir := wd; ; dir = filepath.Dir(dir) {
			if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "scripts", "peers", "esme.js")) {
				rootDir = dir
				return
			}
			if filepath.Dir(dir) == dir {
				rootErr = fmt.Errorf("no directory above %s holds go.mod and scripts/peers", wd)
				return
			}
		}
	})
	if rootErr != nil {
		t.Fatalf("peers: %v", rootErr)
	}
	return rootDir
}

// ScriptsDir returns the absolute path of scripts/peers.
func ScriptsDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(Root(t), "scripts", "peers")
}

// NodePath returns the node binary after checking that npm smpp is installed in
// scripts/peers/node_modules at the pinned version. It fails the test otherwise.
func NodePath(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not on PATH")
	}
	pkg := filepath.Join(ScriptsDir(t), "node_modules", "smpp", "package.json")
	b, err := os.ReadFile(pkg)
	if err != nil {
		missing(t, fmt.Sprintf("npm smpp is not installed (%s is missing)", pkg))
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(b, &meta); err != nil || meta.Version != SMPPVersion {
		missing(t, fmt.Sprintf("%s is version %q, want %s", pkg, meta.Version, SMPPVersion))
	}
	return node
}

// PerlPath returns the perl binary after checking that it loads Net::SMPP and JSON::PP.
// It fails the test otherwise.
func PerlPath(t testing.TB) string {
	t.Helper()
	perl, err := exec.LookPath("perl")
	if err != nil {
		missing(t, "perl is not on PATH")
	}
	perlOnce.Do(func() {
		out, err := exec.Command(perl, "-MNet::SMPP", "-MJSON::PP", "-e1").CombinedOutput()
		if err != nil {
			perlErr = fmt.Errorf("perl cannot load Net::SMPP and JSON::PP: %v: %s", err, bytes.TrimSpace(out))
		}
	})
	if perlErr != nil {
		missing(t, perlErr.Error())
	}
	return perl
}

// Require fails the test unless the peers of impl (Node or Perl) are installed.
func Require(t testing.TB, impl string) {
	t.Helper()
	command(t, impl, "esme")
}

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("peers: %s; CI must %s before the tests", what, installHint)
	}
	t.Fatalf("peers: %s; %s", what, installHint)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// command returns the interpreter and script for role "esme" or "smsc" of impl.
func command(t testing.TB, impl, role string) (string, string) {
	t.Helper()
	switch impl {
	case Node:
		return NodePath(t), filepath.Join(ScriptsDir(t), role+".js")
	case Perl:
		return PerlPath(t), filepath.Join(ScriptsDir(t), role+".pl")
	default:
		t.Fatalf("peers: unknown implementation %q (want %q or %q)", impl, Node, Perl)
		return "", ""
	}
}
