package main

import (
	"fmt"
	"os"
)

// failer is the test.Failer that Istio's in-process fakes (fake Kubernetes client, fake registry,
// ConfigGenTest) take: a failure aborts the platform being built, cleanups run when it is done.
type failer struct {
	cleanups []func()
	dirs     []string
}

type platformFailure struct{ message string }

func (f *failer) Fail()             { panic(platformFailure{"failed"}) }
func (f *failer) FailNow()          { panic(platformFailure{"failed"}) }
func (f *failer) Fatal(args ...any) { panic(platformFailure{fmt.Sprint(args...)}) }
func (f *failer) Fatalf(format string, args ...any) {
	panic(platformFailure{fmt.Sprintf(format, args...)})
}
func (f *failer) Log(args ...any)                 {}
func (f *failer) Logf(format string, args ...any) {}
func (f *failer) Helper()                         {}
func (f *failer) Skip(args ...any)                { panic(platformFailure{"skipped: " + fmt.Sprint(args...)}) }
func (f *failer) Cleanup(fn func())               { f.cleanups = append(f.cleanups, fn) }

func (f *failer) TempDir() string {
	dir, err := os.MkdirTemp("", "mesh-oracle")
	if err != nil {
		panic(platformFailure{err.Error()})
	}
	f.dirs = append(f.dirs, dir)
	return dir
}

// done runs the cleanups, last registered first, as the testing package does.
func (f *failer) done() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		func() {
			defer func() { _ = recover() }()
			f.cleanups[i]()
		}()
	}
	f.cleanups = nil
	for _, d := range f.dirs {
		_ = os.RemoveAll(d)
	}
	f.dirs = nil
}
