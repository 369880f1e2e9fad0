package session

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// fileCache remembers, for each file of the directory, what this Store last
// read or wrote of it: its bytes, or the document decoded from them, with
// the file's identity then. A later read that finds the same file (same
// inode, size and modification time) uses them instead of reading and
// parsing the file again. Every write of the store replaces its file by a
// rename, so a file another process wrote has another inode.
//
// Kept documents are private copies: loads hand out deep copies of them,
// so a caller that changes what it got changes nothing here.
type fileCache struct {
	mu    sync.Mutex
	files map[string]cachedFile
	// onRead, when set, is told of each file read from disk (tests).
	onRead func(name string)
}

type cachedFile struct {
	fi   fs.FileInfo
	data []byte // nil when doc is kept instead
	doc  any
}

// sameFile reports whether a and b are one file, unchanged.
func sameFile(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (c *fileCache) get(name string, cur fs.FileInfo) (cachedFile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.files[name]
	return f, ok && sameFile(f.fi, cur)
}

func (c *fileCache) put(name string, f cachedFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string]cachedFile{}
	}
	c.files[name] = f
}

func (c *fileCache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.files, name)
}

// readFile returns the bytes of the file name, or, when this Store kept the
// document decoded from it and the file has not changed since, that document
// (data is then nil). fi identifies the file as read. A missing file is an
// error wrapping fs.ErrNotExist.
func (s *Store) readFile(name string) (data []byte, doc any, fi fs.FileInfo, err error) {
	path := filepath.Join(s.dir, name)
	cur, err := os.Stat(path)
	if err != nil {
		s.files.forget(name)
		return nil, nil, nil, err
	}
	if c, ok := s.files.get(name, cur); ok {
		return c.data, c.doc, c.fi, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	// The identity is the open file's: a file replaced between the stat
	// above and this open is read and remembered as what it is.
	if fi, err = f.Stat(); err != nil {
		return nil, nil, nil, err
	}
	if data, err = io.ReadAll(f); err != nil {
		return nil, nil, nil, err
	}
	s.files.put(name, cachedFile{fi: fi, data: data})
	if s.files.onRead != nil {
		s.files.onRead(name)
	}
	return data, nil, fi, nil
}

// keepDoc remembers doc (which the caller no longer changes) as decoded
// from the file name as fi identifies it.
func (s *Store) keepDoc(name string, fi fs.FileInfo, doc any) {
	if fi != nil {
		s.files.put(name, cachedFile{fi: fi, doc: doc})
	}
}

// writeFile replaces the file name with data atomically (writeFileAtomic)
// and remembers doc, the document data encodes, or data itself when doc is
// nil.
func (s *Store) writeFile(name string, data []byte, doc any) error {
	fi, err := writeAtomic(s.dir, name, data)
	if err != nil {
		s.files.forget(name)
		return err
	}
	if doc != nil {
		data = nil
	}
	s.files.put(name, cachedFile{fi: fi, data: data, doc: doc})
	return nil
}

// readErr is the error of a read that failed other than by the file's absence.
func readErr(dir, name string, err error) error {
	return fmt.Errorf("read %s: %w", filepath.Join(dir, name), err)
}
