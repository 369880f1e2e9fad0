// Package assets holds gatewalk's embedded web files: the harness page that
// loads the smallcase Gateway web SDK on the loopback bridge, runs one
// transaction with it and posts how its promise settled back to the
// terminal, with the page's script and styles.
//
// The files are plain HTML, JavaScript and CSS with no build step. The page
// is SDK-agnostic: it works with the real scdk.js and with the sandbox's.
//
// It also holds the example runbooks `gatewalk run` lists (Runbooks).
package assets

import (
	"embed"
	"io/fs"
)

// Names of the harness files inside FS.
const (
	HarnessPage   = "harness.html"
	HarnessScript = "harness.js"
	HarnessStyle  = "harness.css"
)

//go:embed web
var files embed.FS

// FS returns the embedded web files, rooted at the directory that holds
// HarnessPage, HarnessScript and HarnessStyle.
func FS() fs.FS {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		// fs.Sub only fails on an invalid path; "web" is a constant.
		panic(err)
	}
	return sub
}

//go:embed runbooks/*.json
var runbooks embed.FS

// Runbooks returns the shipped example runbooks (a product demo and a
// leprechaun regression), the .json files at its root.
func Runbooks() fs.FS {
	sub, err := fs.Sub(runbooks, "runbooks")
	if err != nil {
		panic(err)
	}
	return sub
}
