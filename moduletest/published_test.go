package moduletest

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

const (
	libPath      = "github.com/esmsafrica/smpp"
	examplesPath = "github.com/esmsafrica/smpp/examples"
)

// TestPublishedModules publishes the library and the examples from the working tree
// to a module proxy in a folder (the GOPROXY=file:// layout: @v/list, .info, .mod and
// the zip that golang.org/x/mod/zip makes, as a tag would give them), at the version
// of the library that examples/go.mod requires. Then, with an empty module cache,
// outside the workspace and with no checksum database, it checks what a user does:
//
//   - go install github.com/esmsafrica/smpp/examples/smppcli@VERSION, and the binary
//     says it was built from both published modules with their checksums;
//   - a new module whose program imports examples/smsc-sim/sim: go mod tidy finds it
//     through the proxy, the program builds and serves, and the installed smppcli
//     sends it a message and gets its receipt.
//
// The other modules come from this machine's module cache, used as a second proxy
// ($GOMODCACHE/cache/download has the same layout), so the test needs no network;
// the cache must hold what the examples need (go mod download in examples, as
// .ci/run does).
func TestPublishedModules(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	version, goVersion := requiredLibrary(t, filepath.Join(repo, "examples", "go.mod"))

	out, err := exec.Command(goCmd, "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	machineCache := filepath.Join(strings.TrimSpace(string(out)), "cache", "download")
	tmp := t.TempDir()
	proxyDir := filepath.Join(tmp, "proxy")
	goproxy := fileURL(proxyDir) + "," + fileURL(machineCache)

	// The library, as its tag would publish it.
	libZip := publish(t, proxyDir, libPath, version, repoFiles(t, repo, ""))

	// The examples, after the release step that follows the library's tag: go get of
	// the library records its checksums in examples/go.sum (go.work needs none).
	exFiles := repoFiles(t, repo, "examples")
	sum := releaseGoSum(t, goCmd, goEnv(goproxy, filepath.Join(tmp, "release")), filepath.Join(repo, "examples"), version)
	for i, f := range exFiles {
		if f.Path() == "go.sum" {
			exFiles[i] = dataFile{"go.sum", sum}
		}
	}
	exZip := publish(t, proxyDir, examplesPath, version, exFiles)

	// A user: an empty GOPATH and module cache, this proxy alone.
	gopath := filepath.Join(tmp, "gopath")
	env := goEnv(goproxy, gopath)
	t.Logf("GOPROXY=%s", goproxy)

	start := time.Now()
	run(t, tmp, env, goCmd, "install", examplesPath+"/smppcli@"+version)
	t.Logf("go install smppcli@%s: %v", version, time.Since(start).Round(time.Millisecond))
	cli := filepath.Join(gopath, "bin", "smppcli"+exe())
	want := map[string]string{
		examplesPath: version + " " + zipHash(t, exZip),
		libPath:      version + " " + zipHash(t, libZip),
	}
	checkBuiltFrom(t, cli, examplesPath, version, want)

	user := filepath.Join(tmp, "user")
	if err := os.MkdirAll(user, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(user, "go.mod"), "module example.com/simuser\n\ngo "+goVersion+"\n")
	writeFile(t, filepath.Join(user, "main.go"), simProgram)
	start = time.Now()
	run(t, user, env, goCmd, "mod", "tidy")
	run(t, user, env, goCmd, "build", "-o", "simuser"+exe(), ".")
	t.Logf("go mod tidy and go build of a program importing smsc-sim/sim: %v", time.Since(start).Round(time.Millisecond))
	checkBuiltFrom(t, filepath.Join(user, "simuser"+exe()), "example.com/simuser", "(devel)", want)

	sendThroughProgram(t, filepath.Join(user, "simuser"+exe()), cli)
}

// simProgram is the new module's program: an SMSC with one account that sends a
// receipt 10 ms after each submission. It prints its address, serves until its
// standard input ends, then prints how many messages it accepted.
const simProgram = `package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
)

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := sim.New(sim.Config{
		Accounts:     []sim.Account{{SystemID: "user", Password: "secret"}},
		ReceiptDelay: 10 * time.Millisecond,
	})
	go s.Serve(l)
	fmt.Println(l.Addr())
	io.Copy(io.Discard, os.Stdin)
	n := s.Stats().Submitted
	s.Close()
	fmt.Printf("submitted %d\n", n)
}
`

// requiredLibrary returns the version of the library that examples/go.mod requires,
// and its go version. It fails the test if examples/go.mod replaces the library (a
// published module with a replace to ../ builds only in a clone).
func requiredLibrary(t *testing.T, goMod string) (version, goVersion string) {
	t.Helper()
	b, err := os.ReadFile(goMod)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(goMod, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Replace {
		if r.Old.Path == libPath {
			t.Errorf("examples/go.mod replaces %s with %s: go.work joins the modules in a clone, and a published examples module must get the library from its version", libPath, r.New.Path)
		}
	}
	for _, r := range f.Require {
		if r.Mod.Path == libPath {
			version = r.Mod.Version
		}
	}
	if !semver.IsValid(version) || semver.Prerelease(version) != "" || semver.Build(version) != "" {
		t.Fatalf("examples/go.mod requires %s at %q; want a release version (vX.Y.Z, the library's tag)", libPath, version)
	}
	if f.Go == nil {
		t.Fatal("examples/go.mod has no go line")
	}
	return version, f.Go.Version
}

// goEnv is the environment of a go command that sees only the proxy at goproxy and the
// GOPATH gopath: no workspace, no checksum database (the go.sum files are still
// checked), no other toolchain. -modcacherw lets t.TempDir remove the module cache.
// (-trimpath would let a second run take the dependencies from the build cache, but
// the standard library would then be compiled once more than other builds need: in a
// fresh CI machine that is the greater cost.)
func goEnv(goproxy, gopath string) []string {
	return append(os.Environ(),
		"GOPROXY="+goproxy,
		"GOSUMDB=off",
		"GONOSUMDB=",
		"GOPRIVATE=",
		"GONOPROXY=",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GOFLAGS=-modcacherw",
		"GOPATH="+gopath,
		"GOMODCACHE="+filepath.Join(gopath, "pkg", "mod"),
		"GOBIN="+filepath.Join(gopath, "bin"),
	)
}

// repoFiles lists the files of the module in the folder sub of repo as a commit of the
// working tree would hold them: tracked files and untracked ones that .gitignore does
// not exclude, with their content on disk. zip.Create leaves out the files of nested
// modules. A module in a subfolder without a LICENSE gets the repository's, as the go
// command and the module proxy give it when they make the zip from the repository.
func repoFiles(t *testing.T, repo, sub string) []modzip.File {
	t.Helper()
	dir := filepath.Join(repo, sub)
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s (the test lists a module's files with git): %v", dir, err)
	}
	var files []modzip.File
	license := false
	for _, p := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		full := filepath.Join(dir, filepath.FromSlash(p))
		info, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		license = license || p == "LICENSE"
		files = append(files, diskFile{p, full, info})
	}
	if sub != "" && !license {
		full := filepath.Join(repo, "LICENSE")
		info, err := os.Lstat(full)
		if err != nil {
			t.Fatalf("the repository has no LICENSE for the module in %s: %v", sub, err)
		}
		files = append(files, diskFile{"LICENSE", full, info})
	}
	return files
}

// publish writes modPath at version into the proxy folder and returns the zip's path.
func publish(t *testing.T, proxyDir, modPath, version string, files []modzip.File) string {
	t.Helper()
	esc, err := module.EscapePath(modPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(proxyDir, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var goMod []byte
	for _, f := range files {
		if f.Path() == "go.mod" {
			goMod = readAll(t, f)
		}
	}
	if goMod == nil {
		t.Fatalf("%s has no go.mod", modPath)
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, version+".zip")
	z, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.Create(z, module.Version{Path: modPath, Version: version}, files); err != nil {
		z.Close()
		t.Fatalf("zip of %s@%s: %v", modPath, version, err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, version+".info"), string(info))
	writeFile(t, filepath.Join(dir, version+".mod"), string(goMod))
	writeFile(t, filepath.Join(dir, "list"), version+"\n")
	return zipPath
}

// releaseGoSum runs go get of the library at version on a copy of the examples' go.mod
// and go.sum and returns the go.sum it leaves. go.mod must not change: the examples
// already require what the library at that version needs.
func releaseGoSum(t *testing.T, goCmd string, env []string, examples, version string) []byte {
	t.Helper()
	dir := t.TempDir()
	goMod := readFile(t, filepath.Join(examples, "go.mod"))
	writeFile(t, filepath.Join(dir, "go.mod"), string(goMod))
	writeFile(t, filepath.Join(dir, "go.sum"), string(readFile(t, filepath.Join(examples, "go.sum"))))
	run(t, dir, env, goCmd, "get", libPath+"@"+version)
	if after := readFile(t, filepath.Join(dir, "go.mod")); !bytes.Equal(after, goMod) {
		t.Errorf("go get %s@%s changes examples/go.mod to:\n%s", libPath, version, after)
	}
	return readFile(t, filepath.Join(dir, "go.sum"))
}

// checkBuiltFrom checks the build information of the binary at path: its main module,
// and every module of want (a path and "version checksum") among the modules it lists.
func checkBuiltFrom(t *testing.T, path, main, mainVersion string, want map[string]string) {
	t.Helper()
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("build information of %s: %v", path, err)
	}
	if bi.Main.Path != main || bi.Main.Version != mainVersion {
		t.Errorf("%s: main module %s %s, want %s %s", filepath.Base(path), bi.Main.Path, bi.Main.Version, main, mainVersion)
	}
	got := map[string]string{bi.Main.Path: bi.Main.Version + " " + bi.Main.Sum}
	for _, d := range bi.Deps {
		got[d.Path] = d.Version + " " + d.Sum
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: built with %s %q, want %q", filepath.Base(path), p, got[p], w)
		}
	}
}

// sendThroughProgram starts the program at prog, sends one message with a receipt to
// it with the smppcli at cli, and checks both sides.
func sendThroughProgram(t *testing.T, prog, cli string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		cmd.Wait()
		t.Fatalf("the program printed no address; stderr:\n%s", stderr.String())
	}
	addr := lines.Text()

	send := exec.CommandContext(ctx, cli, "send", "-addr", addr, "-system-id", "user", "-password", "secret",
		"-to", "254700000001", "-text", "Hello from the published modules", "-wait-dlr", "-dlr-timeout", "20s", "-json")
	out, err := send.CombinedOutput()
	if err != nil {
		t.Fatalf("smppcli send: %v\n%s", err, out)
	}
	var id string
	receipts := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) != nil {
			continue
		}
		switch m["type"] {
		case "submit_sm_resp":
			id, _ = m["message_id"].(string)
		case "receipt":
			rid, _ := m["id"].(string)
			receipts[rid], _ = m["stat"].(string)
		}
	}
	if id == "" || receipts[id] != "DELIVRD" || len(receipts) != 1 {
		t.Errorf("smppcli send: message id %q, receipts %v; want one DELIVRD receipt for the id\n%s", id, receipts, out)
	}

	stdin.Close()
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the program: %v\nstderr:\n%s", err, stderr.String())
	}
	if len(rest) == 0 || rest[len(rest)-1] != "submitted 1" {
		t.Errorf("the program printed %q after its address, want \"submitted 1\"", rest)
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", filepath.Base(name), strings.Join(args, " "), dir, err, out)
	}
}

// fileURL is the file:// URL of the folder dir, as GOPROXY takes it.
func fileURL(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

func zipHash(t *testing.T, zipPath string) string {
	t.Helper()
	h, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func exe() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, f modzip.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diskFile is a file of the working tree, named by its slash path in the module.
type diskFile struct {
	path, full string
	info       fs.FileInfo
}

func (f diskFile) Path() string                 { return f.path }
func (f diskFile) Lstat() (fs.FileInfo, error)  { return f.info, nil }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(f.full) }

// dataFile is a file whose content the test made.
type dataFile struct {
	path string
	data []byte
}

func (f dataFile) Path() string                 { return f.path }
func (f dataFile) Lstat() (fs.FileInfo, error)  { return dataInfo{f}, nil }
func (f dataFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type dataInfo struct{ f dataFile }

func (i dataInfo) Name() string       { return filepath.Base(i.f.path) }
func (i dataInfo) Size() int64        { return int64(len(i.f.data)) }
func (i dataInfo) Mode() fs.FileMode  { return 0o644 }
func (i dataInfo) ModTime() time.Time { return time.Time{} }
func (i dataInfo) IsDir() bool        { return false }
func (i dataInfo) Sys() any           { return nil }
